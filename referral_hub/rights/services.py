"""The rights desk's actions, one straight transaction each: check, change, audit.

Only privacy officers act here (``permission_denied`` otherwise). Audit rows carry ids and
codes only: the resident's statement and the decision's reasons stay in the encrypted fields.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from referral_hub.audit.checkpoints import CheckpointError, read_checkpoints, write_checkpoint
from referral_hub.audit.log import record
from referral_hub.consent import refusal_texts
from referral_hub.consent.models import Resident
from referral_hub.directory import roles
from referral_hub.directory.models import Role
from referral_hub.rights import deadlines
from referral_hub.rights.errors import RightsError, not_found, not_officer
from referral_hub.rights.models import (
    DecisionKind,
    IdentityDocument,
    Kind,
    RightsRequest,
    UseSuspension,
    WithheldDisclosure,
    WithholdingGround,
)
from referral_hub.signin import step_up
from referral_hub.vault.keys import new_data_key

ALLOWED_DECISIONS: dict[str, frozenset[str]] = {
    Kind.DISCLOSURE: frozenset({"disclose", "partial", "refuse", "no_such_information"}),
    Kind.CORRECTION: frozenset({"corrected", "refuse", "no_such_information"}),
    Kind.SUSPENSION: frozenset({"suspended", "refuse", "no_such_information"}),
}


def is_officer(actor: Any) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and roles.has_role(
        actor, Role.PRIVACY_OFFICER
    )


def confirm_officer(actor: Any) -> None:
    """Inside the transaction that hands something out or records a step: the officer role
    decided again on the locked account (``roles.places()`` there; docs/operations/locks.md).
    Raises ``not_officer`` (403); the transaction rolls back with it."""
    if not is_officer(actor):
        raise not_officer()


def require_officer(actor: Any, action: str, **audit: Any) -> None:
    """Refuse (403 ``permission_denied``) and record the refusal unless a privacy officer."""
    if is_officer(actor):
        return
    with transaction.atomic():
        record(
            action,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            actor_desk=roles.place_label(actor)
            if getattr(actor, "is_authenticated", False)
            else "",
            allowed=False,
            refusal_code="permission_denied",
            **audit,
        )
    raise not_officer()


PACKAGE_EXPORT = "rights_request.package.export"
"""The gate's purpose name for handing out a resident's disclosure package: a step-up purpose
(``signin.step_up``: ``disclosure_export``)."""


def require_step_up(actor: Any, request_id: int) -> None:
    """Refuse (403 ``step_up_required``) and record the refusal unless the officer used a second
    factor within ``STEP_UP_MINUTES``, when ``STEP_UP_PURPOSES`` lists ``disclosure_export``
    (issue 21: exporting a resident's disclosure package needs a recent strong sign-in)."""
    if step_up.refusal(actor, PACKAGE_EXPORT, "", frozenset()) is None:
        return
    with transaction.atomic():
        record(
            "rights_request.package_read",
            actor=actor,
            actor_desk=roles.place_label(actor),
            target_type="rights_request",
            target_id=request_id,
            allowed=False,
            refusal_code="step_up_required",
        )
    raise RightsError(
        "step_up_required", refusal_texts.text(PACKAGE_EXPORT, "step_up_required"), http_status=403
    )


@dataclass(frozen=True)
class NewRequest:
    resident_id: int
    kind: str
    received_on: datetime.date
    identity_document: str
    identity_checked_by: Any = None  # default: the officer registering it
    scope_from: datetime.date | None = None
    scope_until: datetime.date | None = None
    statement: str = ""


def _invalid(code: str, message: str, field: str = "") -> RightsError:
    return RightsError(code, message, field=field)


def register_request(actor: Any, data: NewRequest) -> RightsRequest:
    """Register a request received on ``received_on``; ``due_on`` by ``deadlines.due_on``."""
    require_officer(actor, "rights_request.register", target_type="rights_request")
    if data.kind not in Kind.values:
        raise _invalid("invalid", "kind must be disclosure, correction or suspension", "kind")
    if data.identity_document not in IdentityDocument.values:
        raise _invalid("invalid", "unknown identity document type", "identity_check")
    if data.received_on > timezone.localdate():
        raise _invalid("invalid", "received_on cannot be in the future", "received_on")
    if data.received_on < timezone.localdate() - datetime.timedelta(days=731):
        raise _invalid(
            "invalid",
            "受付日は2年前までの日付にしてください。/ received_on is too old.",
            "received_on",
        )
    if data.scope_from and data.scope_until and data.scope_from > data.scope_until:
        raise _invalid("invalid", "the period ends before it starts", "scope")
    with transaction.atomic():
        if not Resident.objects.filter(pk=data.resident_id).exists():
            raise RightsError("unknown_resident", "no such resident", field="resident")
        request = RightsRequest.objects.create(  # type: ignore[misc]
            resident_id=data.resident_id,
            kind=data.kind,
            received_on=data.received_on,
            received_by=actor,
            identity_document=data.identity_document,
            identity_checked_by=data.identity_checked_by or actor,
            scope_from=data.scope_from,
            scope_until=data.scope_until,
            due_on=deadlines.due_on(data.received_on),
            data_key=new_data_key(),
            statement=data.statement.strip(),
        )
        _audit(actor, "rights_request.registered", request, kind=request.kind)
    return request


def _audit(actor: Any, action: str, request: RightsRequest, **details: Any) -> None:
    """Record an allowed step of the rights desk, in the transaction that made it. The officer
    role is decided again there, on the locked account (docs/operations/locks.md): an officer
    removed while the step was prepared gets 403 (``not_officer``) and the step rolls back."""
    confirm_officer(actor)
    record(
        action,
        actor=actor,
        actor_desk=roles.place_label(actor),
        target_type="rights_request",
        target_id=request.pk,
        resident_id=request.resident_id,
        details={key: value for key, value in details.items() if value is not None},
    )


def _locked(request_id: int) -> RightsRequest:
    request = RightsRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None:
        raise not_found(request_id)
    return request


def extend_request(actor: Any, request_id: int, reason: str) -> RightsRequest:
    """Extend the deadline by 30 days (第83条第2項); once, with a reason, before deciding."""
    require_officer(actor, "rights_request.extend", target_type="rights_request")
    reason = reason.strip()
    if not reason:
        raise _invalid("reason_required", "延長の理由を書いてください。/ A reason is required.")
    with transaction.atomic():
        request = _locked(request_id)
        if not request.is_open:
            raise RightsError("already_decided", "already decided", http_status=409)
        if request.extended_until is not None:
            raise RightsError("already_extended", "already extended once", http_status=409)
        request.extended_until = deadlines.extended_until(request.due_on)
        request.extension_reason = reason
        request.extension_notified_on = timezone.localdate()
        request.save(update_fields=["extended_until", "extension_reason", "extension_notified_on"])
        _audit(actor, "rights_request.extended", request, until=request.extended_until.isoformat())
    return request


def draw_checkpoint(actor: Any, request_id: int) -> RightsRequest:
    """Fix the signed checkpoint the package is drawn from (once per request): a new one over
    the current head when a signing key is configured, else the newest verified line."""
    require_officer(actor, "rights_request.package", target_type="rights_request")
    with transaction.atomic():
        request = _locked(request_id)
        if request.checkpoint_seq is not None:
            return request
    try:
        checkpoint = write_checkpoint()
    except CheckpointError:
        lines = [line.checkpoint for line in read_checkpoints() if line.checkpoint is not None]
        if not lines:
            raise RightsError(
                "checkpoint_unavailable",
                "監査ログの署名付きチェックポイントがありません。audit_checkpoint を実行して"
                "ください。/ No signed audit checkpoint.",
                http_status=503,
            ) from None
        checkpoint = max(lines, key=lambda cp: cp.seq)
    with transaction.atomic():
        request = _locked(request_id)
        if request.checkpoint_seq is None:
            request.checkpoint_seq = checkpoint.seq
            request.checkpoint_head = checkpoint.head
            request.checkpoint_key_id = checkpoint.key_id
            request.checkpoint_at = checkpoint.at
            request.save(
                update_fields=[
                    "checkpoint_seq",
                    "checkpoint_head",
                    "checkpoint_key_id",
                    "checkpoint_at",
                ]
            )
            _audit(actor, "rights_request.checkpoint_drawn", request, seq=checkpoint.seq)
    return request


def record_package_read(actor: Any, request: RightsRequest, output_format: str, rows: int) -> None:
    """Every read of a package is audited (``rights_request.package_read``)."""
    with transaction.atomic():
        _audit(actor, "rights_request.package_read", request, format=output_format, rows=rows)


def record_letter_read(actor: Any, request: RightsRequest) -> None:
    """The decision notice was opened for printing (``rights_request.letter_read``)."""
    with transaction.atomic():
        _audit(actor, "rights_request.letter_read", request)


@dataclass(frozen=True)
class Withheld:
    seq: int
    ground: str


def decide_request(
    actor: Any,
    request_id: int,
    decision: str,
    note: str,
    *,
    withheld: list[Withheld] | None = None,
    letter: bytes = b"",
) -> RightsRequest:
    """Record the decision. ``partial`` needs withheld rows with a ground; ``refuse`` needs a
    note; ``suspended`` starts the suspension of use the gate honours. ``letter`` (the printed
    notice or package) is kept as its SHA-256."""
    require_officer(actor, "rights_request.decide", target_type="rights_request")
    withheld = withheld or []
    note = note.strip()
    with transaction.atomic():
        request = _locked(request_id)
        if decision not in ALLOWED_DECISIONS[request.kind]:
            raise _invalid(
                "invalid_decision", f"{decision!r} does not fit a {request.kind} request"
            )
        if not request.is_open:
            raise RightsError("already_decided", "already decided", http_status=409)
        if decision == DecisionKind.PARTIAL and not withheld:
            raise _invalid("withheld_required", "部分開示は不開示の記録と根拠が必要です。")
        if decision != DecisionKind.PARTIAL and withheld:
            raise _invalid("invalid", "only a partial decision withholds records", "withheld")
        if decision == DecisionKind.REFUSE and not note:
            raise _invalid("note_required", "不開示・不訂正の理由を書いてください。")
        listed = _listed_seqs(request) if withheld else set()
        for item in withheld:
            if item.ground not in WithholdingGround.values:
                raise _invalid("invalid", f"unknown ground {item.ground!r}", "withheld")
            if item.seq not in listed:
                raise _invalid(
                    "invalid",
                    f"記録番号 {item.seq} はこの請求の開示記録にありません。"
                    f" / record {item.seq} is not one of this request's disclosures.",
                    "withheld",
                )
            WithheldDisclosure.objects.create(
                request=request, event_seq=item.seq, ground=item.ground
            )
        request.decision = decision
        request.decision_note = note
        request.decided_on = timezone.localdate()
        request.decided_by = actor
        request.letter_sha256 = hashlib.sha256(letter or _notice(request)).hexdigest()
        request.save(
            update_fields=["decision", "decision_note", "decided_on", "decided_by", "letter_sha256"]
        )
        if decision == DecisionKind.SUSPENDED:
            UseSuspension.objects.get_or_create(
                resident_id=request.resident_id,
                lifted_at=None,
                defaults={"request": request, "started_at": timezone.now()},
            )
        _audit(
            actor,
            "rights_request.decided",
            request,
            decision=decision,
            withheld=len(withheld),
            letter_sha256=request.letter_sha256,
        )
    return request


def _listed_seqs(request: RightsRequest) -> set[int]:
    """The audit seqs the request's package lists (its checkpoint, else everything so far):
    only these can be withheld."""
    from referral_hub.rights.package import scoped_events

    up_to = request.checkpoint_seq if request.checkpoint_seq is not None else 2**63 - 1
    return {event.seq for event in scoped_events(request, up_to)}


def _notice(request: RightsRequest) -> bytes:
    body = {
        "request": request.pk,
        "kind": request.kind,
        "decision": request.decision,
        "decided_on": request.decided_on.isoformat() if request.decided_on else None,
        "checkpoint": [request.checkpoint_seq, request.checkpoint_head],
    }
    return json.dumps(body, sort_keys=True).encode()


def lift_suspension(actor: Any, request_id: int, reason: str) -> UseSuspension:
    """End the suspension of use started by this request: the gate lets consents work again."""
    require_officer(actor, "rights_request.lift", target_type="rights_request")
    with transaction.atomic():
        request = _locked(request_id)
        suspension = (
            UseSuspension.objects.select_for_update()
            .filter(request=request, lifted_at__isnull=True)
            .first()
        )
        if suspension is None:
            raise RightsError("not_suspended", "no suspension of use to lift", http_status=409)
        suspension.lifted_at = timezone.now()
        suspension.lifted_by = actor
        suspension.save(update_fields=["lifted_at", "lifted_by"])
        _audit(actor, "rights_request.suspension_lifted", request, reason_given=bool(reason))
    return suspension


def link_correction(actor: Any, request_id: int, field: str, audit_seq: int) -> None:
    """Link a field corrected through the normal services (its audit row ``audit_seq``, about
    this resident) to the 訂正請求."""
    from referral_hub.audit.models import AuditEvent
    from referral_hub.rights.models import CorrectionLink

    require_officer(actor, "rights_request.link_correction", target_type="rights_request")
    with transaction.atomic():
        request = _locked(request_id)
        if request.kind != Kind.CORRECTION:
            raise _invalid("invalid", "only a correction request links corrections")
        event = AuditEvent.objects.filter(seq=audit_seq, resident_id=request.resident_id).first()
        if event is None:
            raise _invalid("invalid", "no audit row of this resident with that seq", "audit_seq")
        CorrectionLink.objects.create(request=request, field=field[:64], audit_seq=audit_seq)
        _audit(actor, "rights_request.correction_linked", request, field=field[:64], seq=audit_seq)
