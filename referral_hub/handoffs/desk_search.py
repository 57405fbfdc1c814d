"""The desk finds what it holds and held (issue 20): every sheet its desks own, in any status
(closed and withdrawn included), filtered and searched by sheet number or by the resident's
kana and birth date.

The kana search goes through the counter search of ``consent.services`` (the gate's
``resident.search``: rate-limited, audited with the resident ids it revealed); only full-name
matches count, and only sheets the desk owns are returned. A number search is recorded too
(``sheets.searched``), so who looked for which sheet is on the audit trail.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet

from referral_hub.audit.log import record
from referral_hub.consent import services as consent_services
from referral_hub.directory import roles
from referral_hub.handoffs import selectors
from referral_hub.handoffs.models import ConnectSheet


def held_by_desk(actor: Any) -> QuerySet[ConnectSheet]:
    """Every sheet the actor's desks own now, whatever its status."""
    return selectors._base().filter(owner_desk_id__in=roles.desk_ids(actor))


def only_consent_withdrawn(rows: QuerySet[ConnectSheet]) -> QuerySet[ConnectSheet]:
    return rows.filter(consent__withdrawn_at__isnull=False)


def search(
    actor: Any,
    rows: QuerySet[ConnectSheet],
    *,
    number: str = "",
    kana: str = "",
    birth_date: datetime.date | None = None,
) -> QuerySet[ConnectSheet]:
    """``rows`` narrowed by sheet number (exact) and/or by the resident (full kana and birth
    date, both required for that search). Each search is audited."""
    number = number.strip()
    if number:
        record(
            "sheets.searched",
            actor=actor,
            actor_desk=roles.place_label(actor),
            target_type="sheet_number",
            target_id=number[:32],
            details={"by": "number"},
        )
        rows = rows.filter(number=number)
    if kana.strip() and birth_date is not None:
        found = consent_services.find_possible_duplicates(actor, kana, birth_date)
        ids = [r.pk for r in found if getattr(r, "full_name_match", False)]
        rows = rows.filter(resident_id__in=ids)
    return rows
