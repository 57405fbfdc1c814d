"""Finding a returning resident at the counter, and the consents they already gave.

Both go through the policy gate first, as the API does: only counter and desk staff may search
residents or list a resident's consents, and a refusal is recorded in the audit log.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from referral_hub.consent import policy, services
from referral_hub.consent.models import Consent, Resident


@dataclass(frozen=True)
class Match:
    """A candidate card: the resident, their active consents and, for a full-name match, the
    name of the place that registered them (so two people of one name can be told apart)."""

    resident: Resident
    consents: list[Consent] = field(default_factory=list)
    registered_at_place: str | None = None


@dataclass(frozen=True)
class Lookup:
    matches: list[Match]
    searched: bool
    refusal: policy.Decision | None = None
    # Kana typed without a birth date: nothing can be searched (the blind indexes need both),
    # but the resident can still be registered without one.
    kana_only: bool = False


def find_residents(actor: Any, kana: str, birth_date: datetime.date | None) -> Lookup:
    """Possible duplicates by kana + birth date, each with its active consents. Both are
    needed: the blind indexes key on them together, and every search is audited, so half a
    name typed without a date is not sent to the search at all."""
    if not kana.strip():
        return Lookup([], searched=False)
    if birth_date is None:
        return Lookup([], searched=False, kana_only=True)

    decision = policy.authorize_registration(actor, "resident.search")
    if not decision.allowed:
        return Lookup([], searched=True, refusal=decision)
    residents = services.find_possible_duplicates(actor, kana, birth_date)
    consents = _active_consents_by_resident([r.pk for r in residents if r.full_name_match])
    return Lookup(
        [
            Match(
                r,
                consents.get(r.pk, []),
                services.registered_at_place(r) if r.full_name_match else None,
            )
            for r in residents
        ],
        searched=True,
    )


def resident_consents(actor: Any, resident_id: int) -> tuple[list[Consent], policy.Decision]:
    """The resident's active consents (scope, method, expiry: no identity data), for staff
    with a current relationship to the resident (``policy.authorize_resident``)."""
    decision, _ = policy.authorize_resident(actor, resident_id, "consent.list")
    if not decision.allowed:
        return [], decision
    return _active_consents_by_resident([resident_id]).get(resident_id, []), decision


def _active_consents_by_resident(resident_ids: list[int]) -> dict[int, list[Consent]]:
    active = services.active_consent_ids(resident_ids)
    wanted = [cid for ids in active.values() for cid in ids]
    rows = (
        Consent.objects.filter(pk__in=wanted)
        .select_related("data_key")  # the purpose is decrypted for each row
        .prefetch_related("recipients")
        .order_by("-recorded_at")
    )
    found: dict[int, list[Consent]] = {}
    for consent in rows:
        found.setdefault(consent.resident_id, []).append(consent)
    return found
