"""The privacy officer finds the resident who asks 「誰が私の情報を見たのか」 by full kana name
and birth date: the same blind index the counters' duplicate search uses
(``consent.services.name_birth_indexes``), full-name matches only. The search is audited
(``rights.resident_search``, with the ids it revealed). It relates the officer to nobody: the
officer's access to the register follows from the role, not from a counter lookup.

The id shown is the system's internal management number (内部管理番号), not the resident
register number (住民票コード/住民番号), which this system never holds.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from referral_hub.audit.log import record
from referral_hub.consent.models import Resident
from referral_hub.consent.services import name_birth_indexes, registered_at_place
from referral_hub.directory import roles
from referral_hub.rights.services import confirm_officer, require_officer
from referral_hub.vault.errors import VaultError


@dataclass(frozen=True)
class Found:
    internal_id: int
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    birth_date: datetime.date | None
    registered_at_place: str | None


def find_resident(actor: Any, kana: str, birth_date: datetime.date) -> list[Found]:
    require_officer(actor, "rights.resident_search", target_type="resident")
    residents = list(
        Resident.objects.select_related("data_key", "registered_department", "registered_desk")
        .filter(name_birth_index__in=name_birth_indexes(kana, birth_date))
        .order_by("pk")
    )
    found = []
    for resident in residents:
        try:
            found.append(
                Found(
                    resident.pk,
                    resident.family_name,
                    resident.given_name,
                    resident.family_name_kana,
                    resident.given_name_kana,
                    resident.birth_date,
                    registered_at_place(resident),
                )
            )
        except VaultError:  # shredded at the end of retention: nothing left to show
            continue
    with transaction.atomic():
        # Decided again on the locked account before anything found is handed out.
        confirm_officer(actor)
        record(
            "rights.resident_search",
            actor=actor,
            actor_desk=roles.place_label(actor),
            target_type="resident",
            details={"matches": len(found), "residents": [f.internal_id for f in found]},
        )
    return found
