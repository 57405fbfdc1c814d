"""Write actions on residents and consents. Each records its audit event in the same transaction."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from referral_hub.audit.log import batched, record
from referral_hub.consent import locks as consent_locks
from referral_hub.consent import policy
from referral_hub.consent.categories import ALL_CATEGORIES, Method
from referral_hub.consent.kana import kana_readings, normalise_kana
from referral_hub.consent.models import Consent, CounterLookup, Resident, Signatory
from referral_hub.consent.notices import notice_for
from referral_hub.consent.refusals import gated, require_allowed
from referral_hub.consent.signals import consent_withdrawn
from referral_hub.directory import roles
from referral_hub.directory.actors import Actor
from referral_hub.directory.models import Desk
from referral_hub.domain_errors import DomainError
from referral_hub.resident_texts.languages import resident_language
from referral_hub.vault.blind_index import blind_index
from referral_hub.vault.keys import new_data_key


class Refused(DomainError):
    """The policy gate refused (HTTP 403); ``decision.code`` names the rule."""

    http_status = 403

    def __init__(self, decision: policy.Decision) -> None:
        super().__init__(decision.code)
        self.decision = decision
        self.code = decision.code
        self.message = decision.message


class InvalidInput(DomainError):
    """The request's input breaks a rule (HTTP 400); ``field`` names the field at fault."""

    http_status = 400

    def __init__(self, code: str, message: str, field: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The object does not exist, and the actor may see every object of its kind (HTTP 404)."""

    code = "not_found"
    http_status = 404
    message = "見つかりません。/ Not found."


class InvalidState(DomainError):
    """The object's state does not allow the action (HTTP 409)."""

    http_status = 409

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


def _birth(birth_date: datetime.date | None) -> str:
    return birth_date.isoformat() if birth_date else ""


def name_birth_index(family_kana: str, given_kana: str, birth_date: datetime.date | None) -> str:
    """The stored full-name index: HMAC of the canonical folding (``kana.normalise_kana``) of
    family + given kana and the ISO birth date. Spaces between the names are dropped, so
    "ヤマダ タロウ" matches "やまだたろう"."""
    key = f"{normalise_kana(family_kana + given_kana)}|{_birth(birth_date)}"
    return blind_index(key, purpose="resident.name_birth")


def family_birth_index(family_kana: str, birth_date: datetime.date | None) -> str:
    """The stored family-name index, like ``name_birth_index`` for the family kana alone."""
    key = f"{normalise_kana(family_kana)}|{_birth(birth_date)}"
    return blind_index(key, purpose="resident.family_birth")


def name_birth_indexes(kana: str, birth_date: datetime.date | None) -> list[str]:
    """The full-name indexes a search for ``kana`` (family and given name as typed) looks up:
    one per reading (``kana.kana_readings``: "オーノ ユーコ" reads as オオノ, オウノ or オーノ
    ユウコ). Each is what ``name_birth_index`` stores for a resident registered that way."""
    return [name_birth_index(reading, "", birth_date) for reading in kana_readings(kana)]


def family_birth_indexes(family_kana: str, birth_date: datetime.date | None) -> list[str]:
    """The family-name indexes a search for ``family_kana`` looks up, one per reading."""
    return [family_birth_index(reading, birth_date) for reading in kana_readings(family_kana)]


@dataclass(frozen=True)
class ResidentInput:
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    birth_date: datetime.date | None
    address: str = ""
    phone: str = ""


def register_resident(actor: Actor, data: ResidentInput) -> Resident:
    with gated() as gate:
        gate(policy.authorize_registration(actor, "resident.create"))
        department_id, desk_id = roles.home_place(actor)
        # Encrypted fields store ciphertext under another attname, which the stubs don't see.
        resident = Resident.objects.create(  # type: ignore[misc]
            data_key=new_data_key(),
            family_name=data.family_name.strip(),
            given_name=data.given_name.strip(),
            family_name_kana=data.family_name_kana.strip(),
            given_name_kana=data.given_name_kana.strip(),
            birth_date=data.birth_date,
            address=data.address.strip(),
            phone=data.phone.strip(),
            name_birth_index=name_birth_index(
                data.family_name_kana, data.given_name_kana, data.birth_date
            ),
            family_birth_index=family_birth_index(data.family_name_kana, data.birth_date),
            created_by=actor,
            registered_department_id=department_id,
            registered_desk_id=desk_id,
        )
        record(
            "resident.create",
            actor=actor,
            actor_desk=roles.place_label(actor),
            target_type="resident",
            target_id=resident.pk,
            resident_id=resident.pk,
        )
    return resident


def find_possible_duplicates(
    actor: Actor, kana: str, birth_date: datetime.date | None
) -> list[Resident]:
    """Possible duplicates of the person at the counter, by normalised kana and birth date
    (exact blind-index matches: the server never holds names in a searchable form).

    Both kana and birth date are needed. The kana is looked up in every reading
    (``kana.kana_readings``: a typed ー may lengthen either vowel, オーノ finds オオノ and
    オウノ but never オノ). Full-name matches come first, each group in registration order.
    Each returned resident carries ``full_name_match``:
    - True: the whole kana typed (family and given name) matched. That is 本人確認 at the
      counter: a ``CounterLookup`` relates the actor, at their current place, to the resident
      (``policy.relationship``).
    - False: only the family name matched, which is returned only when no given name was
      typed. It relates nothing; callers show no given name or consents for it and ask for the
      full name. A query with a given name never returns a different given name, so a surname
      and a birth date alone reveal nobody.
    The audit event names the resident ids the search revealed. Searches are limited per
    staff member (``policy.authorize_registration``: ``search_limit``)."""
    require_allowed(policy.authorize_registration(actor, "resident.search"))
    if not kana.strip() or birth_date is None:
        return []
    parts = kana.replace("\u3000", " ").split()
    residents = Resident.objects.select_related(
        "data_key", "registered_department", "registered_desk"
    ).order_by("pk")
    full = list(residents.filter(name_birth_index__in=name_birth_indexes(kana, birth_date)))
    for resident in full:
        resident.full_name_match = True
    matches = list(full)
    if len(parts) == 1:  # the family name alone: list namesakes, relate none
        known = {r.pk for r in full}
        family = residents.filter(
            family_birth_index__in=family_birth_indexes(parts[0], birth_date)
        ).exclude(pk__in=known)
        for resident in family:
            resident.full_name_match = False
            matches.append(resident)
    # Full-name matches first: they are the likely person; family-only rows are namesakes.
    matches.sort(key=lambda r: not r.full_name_match)
    department_id, desk_id = roles.home_place(actor)
    with transaction.atomic(), batched():
        CounterLookup.objects.bulk_create(
            CounterLookup(resident=m, user=actor, department_id=department_id, desk_id=desk_id)
            for m in full
        )
        record(
            "resident.search",
            actor=actor,
            actor_desk=roles.place_label(actor),
            target_type="resident",
            details={
                "matches": len(matches),
                "residents": sorted(m.pk for m in matches),
                "related": sorted(m.pk for m in full),
            },
        )
    return matches


def registered_at_place(resident: Resident) -> str | None:
    """The name of the department or desk that registered ``resident`` (shown with duplicate
    candidates so staff can tell two people apart), or None for residents registered before
    the place was recorded."""
    place = resident.registered_department or resident.registered_desk
    return place.name if place is not None else None


@dataclass(frozen=True)
class ConsentInput:
    resident: Resident
    recipients: list[Desk]
    categories: list[str]
    purpose: str
    method: str
    witness: str
    valid_until: datetime.date
    # The consent notice and who signed (issue 19): see consent/notices.py and Signatory.
    notice_version: str = ""
    language: str = "ja"
    read_aloud: bool = False
    signatory: str = Signatory.SELF
    signatory_name: str = ""
    signatory_document: str = ""


def _check_signatory(data: ConsentInput) -> None:
    if data.signatory not in Signatory.values:
        raise InvalidInput("invalid_signatory", "署名した人を選んでください。", "signatory")
    if data.signatory != Signatory.SELF and not data.signatory_name.strip():
        raise InvalidInput(
            "signatory_name_required",
            "代理人が署名したときは、その人の氏名を記入してください。",
            "signatory_name",
        )
    if data.signatory != Signatory.SELF and not data.signatory_document.strip():
        raise InvalidInput(
            "signatory_document_required",
            "代理の根拠として確認した書類(委任状、登記事項証明書など)を記入してください。",
            "signatory_document",
        )


def record_consent(actor: Actor, data: ConsentInput) -> Consent:
    categories = sorted(set(data.categories))
    unknown = set(categories) - ALL_CATEGORIES
    if unknown:
        raise InvalidInput(
            "invalid_category", f"不明な情報区分です: {', '.join(sorted(unknown))}", "categories"
        )
    if not data.recipients:
        raise InvalidInput(
            "recipients_required", "提供先の窓口を1つ以上選んでください。", "recipients"
        )
    if not categories:
        raise InvalidInput(
            "categories_required", "提供する情報を1つ以上選んでください。", "categories"
        )
    if data.method not in Method.values:
        raise InvalidInput("invalid_method", "同意の方法を選んでください。", "method")
    if data.method == Method.VERBAL_WITNESSED and not data.witness.strip():
        raise InvalidInput("witness_required", "口頭同意には立会人の氏名が必要です。", "witness")
    if data.valid_until < timezone.localdate():
        raise InvalidInput(
            "valid_until_past", "有効期限は今日以降の日付にしてください。", "valid_until"
        )
    if not data.purpose.strip():
        raise InvalidInput("purpose_required", "目的を記入してください。", "purpose")
    _check_signatory(data)
    notice = notice_for(data.notice_version, data.language)
    with gated() as gate:
        gate(policy.authorize_resident(actor, data.resident.pk, "consent.record")[0])
        department_id, desk_id = roles.home_place(actor)
        consent = Consent.objects.create(  # type: ignore[misc]
            resident=data.resident,
            categories=categories,
            purpose=data.purpose.strip(),
            method=data.method,
            witness=data.witness.strip(),
            recorded_by=actor,
            recorded_department_id=department_id,
            recorded_desk_id=desk_id,
            valid_until=data.valid_until,
            notice=notice,
            notice_version=notice.version,
            notice_sha256=notice.sha256,
            language=resident_language(data.language),
            read_aloud=data.read_aloud,
            signatory=data.signatory,
            signatory_name=data.signatory_name.strip(),
            signatory_document=data.signatory_document.strip(),
        )
        consent.recipients.set(data.recipients)
        record(
            "consent.record",
            actor=actor,
            actor_desk=roles.place_label(actor),
            target_type="consent",
            target_id=consent.pk,
            resident_id=data.resident.pk,
            legal_basis="consent",
            details={
                "recipients": sorted(d.code for d in data.recipients),
                "categories": categories,
                "method": data.method,
                "valid_until": data.valid_until.isoformat(),
                "notice_version": notice.version,
                "notice_sha256": notice.sha256,
                "language": consent.language,
                "read_aloud": data.read_aloud,
                "signatory": data.signatory,
            },
        )
    return consent


def withdraw_consent(actor: Actor, consent: Consent | int, reason: str) -> Consent:
    """Record the resident's withdrawal of ``consent`` (a Consent or its id). It takes effect at
    once: every later read and send checks the consent's status.

    Who may record it: ``policy.authorize_consent(..., "consent.withdraw")``. Raises
    ``Refused`` (403) or ``InvalidState`` ``already_withdrawn`` (409)."""
    consent_id = consent if isinstance(consent, int) else consent.pk
    with gated() as gate:
        # First in the lock order (docs/operations/locks.md); the gate decides on this row.
        consent_locks.lock_consent_for_withdrawal(consent_id)
        decision, locked = policy.authorize_consent(actor, consent_id, "consent.withdraw")
        gate(decision)
        if locked is None:
            raise NotFound()
        if locked.withdrawn_at is not None:
            raise InvalidState("already_withdrawn", "この同意はすでに撤回されています。")
        locked.withdrawn_at = timezone.now()
        locked.withdrawn_by = actor
        locked.withdrawal_reason = reason.strip()[:500]
        locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        record(
            "consent.withdraw",
            actor=actor,
            actor_desk=roles.place_label(actor),
            target_type="consent",
            target_id=locked.pk,
            resident_id=locked.resident_id,
        )
        consent_withdrawn.send(sender=Consent, consent_id=locked.pk)
    return locked


def desks_by_ids(ids: Iterable[int]) -> list[Desk]:
    wanted = set(ids)
    desks = list(Desk.objects.filter(pk__in=wanted, is_active=True))
    if len(desks) != len(wanted):
        raise InvalidInput("unknown_desk", "存在しない窓口が指定されています。", "recipients")
    return desks


def active_consent_ids(resident_ids: list[int]) -> dict[int, list[int]]:
    today = timezone.localdate()
    found: dict[int, list[int]] = {}
    rows = Consent.objects.filter(
        resident_id__in=resident_ids, withdrawn_at__isnull=True, valid_until__gte=today
    )
    for consent_id, resident_id in rows.values_list("pk", "resident_id"):
        found.setdefault(resident_id, []).append(consent_id)
    return found
