"""Reading sheets. Lists carry no personal data; details pass the policy gate and are audited."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from referral_hub.consent import policy
from referral_hub.consent.refusals import require_allowed
from referral_hub.directory import roles
from referral_hub.handoffs import lifecycle
from referral_hub.handoffs.errors import NotFound, Refused
from referral_hub.handoffs.models import ConnectSheet, EventKind, SheetEvent, SheetMessage, Status


def facts_of(sheet: ConnectSheet) -> policy.SheetFacts:
    """What the gate needs to know about ``sheet`` (``policy.SheetFacts``): its parties, its
    owner desk, the desks it left (from the timeline's redirects) and its redirect count."""
    previous = SheetEvent.objects.filter(sheet=sheet, kind=EventKind.REDIRECTED).values_list(
        "from_desk_id", flat=True
    )
    return policy.SheetFacts(
        sheet_id=sheet.pk,
        resident_id=sheet.resident_id,
        owner_desk_id=sheet.owner_desk_id,
        sender_id=sheet.sent_by_id,
        sender_department_id=sheet.from_department_id,
        sender_desk_id=sheet.from_desk_id,
        previous_desk_ids=frozenset(d for d in previous if d is not None),
        redirect_count=sheet.redirect_count,
    )


def _base() -> QuerySet[ConnectSheet]:
    return ConnectSheet.objects.select_related(
        "owner_desk", "from_department", "from_desk", "consent"
    ).prefetch_related("concerns")


def inbox(actor: Any) -> QuerySet[ConnectSheet]:
    """Sheets owned by the actor's desks: the desk holds them until closed, withdrawn or moved."""
    return (
        _base()
        .filter(owner_desk_id__in=roles.desk_ids(actor))
        .exclude(status__in=[Status.CLOSED, Status.WITHDRAWN])
    )


def sent(actor: Any) -> QuerySet[ConnectSheet]:
    """送ったシート: sheets sent from the actor's department (clerks) or desk as it is now. A
    clerk who has moved on no longer sees what they sent from their old place; the colleague
    who replaced them does (rights from the current post, DESIGN.md invariant 9)."""
    condition = Q(
        from_department_id__in=roles.department_ids(actor), from_department_id__isnull=False
    ) | Q(from_desk_id__in=roles.desk_ids(actor), from_desk_id__isnull=False)
    return _base().filter(condition)


def open_sheet_places(resident_id: int) -> policy.OpenSheetPlaces:
    """Where the resident's open sheets are, for ``policy.relationship``."""
    rows = (
        ConnectSheet.objects.filter(resident_id=resident_id)
        .exclude(status__in=[Status.CLOSED, Status.WITHDRAWN])
        .values_list("owner_desk_id", "from_department_id", "from_desk_id")
    )
    owners, departments, desks = set(), set(), set()
    for owner, department, desk in rows:
        owners.add(owner)
        departments.add(department)
        desks.add(desk)
    return policy.OpenSheetPlaces(
        frozenset(owners), frozenset(departments - {None}), frozenset(desks - {None})
    )


def filter_sheets(
    rows: QuerySet[ConnectSheet],
    *,
    status: str = "",
    urgency: str = "",
    overdue: bool | None = None,
) -> QuerySet[ConnectSheet]:
    if status:
        rows = rows.filter(status__in=status.split(","))
    if urgency:
        rows = rows.filter(urgency__in=urgency.split(","))
    now = timezone.now()
    if overdue is True:
        rows = rows.filter(status=Status.SENT, ack_due_at__lt=now)
    elif overdue is False:
        rows = rows.exclude(status=Status.SENT, ack_due_at__lt=now)
    return rows


def is_overdue(sheet: ConnectSheet) -> bool:
    return sheet.status == Status.SENT and sheet.ack_due_at < timezone.now()


def get_sheet(sheet_id: int) -> ConnectSheet:
    sheet = _base().select_related("resident", "consent").filter(pk=sheet_id).first()
    if sheet is None:
        raise NotFound()
    return sheet


@dataclass(frozen=True)
class SheetView:
    """What one reader may see of one sheet."""

    sheet: ConnectSheet
    # "desk" (owner desk: full content), "sender" (feedback view) or "passage" (a lead of a desk
    # the sheet passed through: its trail only)
    role: str
    feedback: bool  # the sender may see case notes (consent covers `feedback`)
    allowed_actions: list[str]
    # Desk view: the other sheets of the case at this desk the gate let the desk read (issue 20).
    case: tuple[ConnectSheet, ...] = ()


def view_sheet(actor: Any, sheet_id: int, *, trail: bool = False) -> SheetView:
    """The owner desk sees everything (gate: sheet.read, audited); the sending side sees the
    feedback view, with case notes only when the consent covers `feedback`. With ``trail``, a
    lead of a desk the sheet passed through gets the ``"passage"`` view (timeline without
    notes; gate ``sheet.trail_read``, issue 20)."""
    sheet = get_sheet(sheet_id)
    facts = facts_of(sheet)
    if sheet.owner_desk_id in roles.desk_ids(actor):
        decision = policy.authorize(
            actor,
            sheet.resident,
            sheet.owner_desk,
            sheet.categories,
            "sheet.read",
            basis=sheet.legal_basis,
            consent=sheet.consent,
            justification=sheet.justification,
            support_meeting=sheet.support_meeting_id,
            target=("sheet", sheet.pk),
        )
        require_allowed(decision)
        actions = [a for a in lifecycle.allowed_actions(sheet.status) if a in policy.DESK_ACTIONS]
        if sheet.status in lifecycle.ATTEMPT_STATUSES:
            actions.insert(0, "contact_attempt")
        return SheetView(sheet, "desk", True, actions, _readable_case(actor, sheet))
    # The sending side: the relation and the feedback decision rest on the reader's
    # memberships as locked in one transaction (roles.places() inside a transaction), so a
    # clerk transferred meanwhile gets neither; nothing raises inside, so what the gate
    # recorded commits.
    with transaction.atomic():
        sender_view = None
        if policy.sender_relation(actor, facts):
            actions = [
                a for a in lifecycle.allowed_actions(sheet.status) if a in policy.SENDER_ACTIONS
            ]
            sender_view = SheetView(sheet, "sender", _feedback_allowed(actor, sheet), actions)
    if sender_view is not None:
        return sender_view
    if trail and policy.passed_desks_led_by(actor, facts):
        require_allowed(policy.authorize_passage(actor, facts, "sheet.trail_read", None))
        return SheetView(sheet, "passage", False, [])
    # Neither side: record the refused read and refuse.
    decision = policy.authorize(
        actor,
        sheet.resident,
        sheet.owner_desk,
        sheet.categories,
        "sheet.read",
        basis=sheet.legal_basis,
        consent=sheet.consent,
        target=("sheet", sheet.pk),
    )
    raise Refused(decision)


def _readable_case(actor: Any, sheet: ConnectSheet) -> tuple[ConnectSheet, ...]:
    """The case's other sheets at this desk whose reading the gate allows (each read audited)."""
    from referral_hub.handoffs import cases

    others = [
        s
        for s in cases.case_sheets(sheet)
        if s.pk != sheet.pk and s.owner_desk_id == sheet.owner_desk_id
    ]
    if not others:
        return ()
    # One transaction for the case: the reader's account is locked once, not once per sheet
    # (each ``authorize`` would otherwise open its own). Nothing raises inside.
    with transaction.atomic():
        readable = _readable_of(actor, others)
    return tuple(readable)


def _readable_of(actor: Any, others: list[ConnectSheet]) -> list[ConnectSheet]:
    """Each of ``others`` read afresh and asked of the gate (``sheet.read``, recorded)."""
    readable = []
    for other in others:
        other = get_sheet(other.pk)
        decision = policy.authorize(
            actor,
            other.resident,
            other.owner_desk,
            other.categories,
            "sheet.read",
            basis=other.legal_basis,
            consent=other.consent,
            justification=other.justification,
            target=("sheet", other.pk),
        )
        if decision.allowed:
            readable.append(other)
    return readable


def refuse_desk_read(actor: Any, sheet: ConnectSheet) -> policy.Decision:
    """Record and return the gate's refusal of a desk-only read by someone not on the desk."""
    return policy.authorize(
        actor,
        sheet.resident,
        sheet.owner_desk,
        sheet.categories,
        "sheet.read",
        basis=sheet.legal_basis,
        consent=sheet.consent,
        target=("sheet", sheet.pk),
    )


def _feedback_allowed(actor: Any, sheet: ConnectSheet) -> bool:
    # Without consent to feedback there is nothing to disclose, so nothing to ask the gate (and
    # no refusal to record on every live refresh of the sender's page).
    if sheet.legal_basis != "consent" or not policy.feedback_in_scope(sheet.consent):
        return False
    decision = policy.authorize(
        actor,
        sheet.resident,
        None,
        ["feedback"],
        policy.FEEDBACK_PURPOSE,
        consent=sheet.consent,
        target=("sheet", sheet.pk),
    )
    return decision.allowed


# The desk's own follow-up (issue 20): the ladder, the stall flag and a lead's approval reason
# stay with the desk; the sender sees the desk's attempts and the milestones.
DESK_ONLY_EVENTS = frozenset({EventKind.ESCALATED, EventKind.STALLED, EventKind.CLOSE_APPROVED})


def timeline(view: SheetView) -> list[SheetEvent]:
    rows = SheetEvent.objects.filter(sheet=view.sheet).select_related(
        "from_desk", "to_desk", "actor"
    )
    if view.role != "desk":
        rows = rows.exclude(kind__in=DESK_ONLY_EVENTS)
    return list(rows)


def messages(view: SheetView) -> list[SheetMessage]:
    rows = SheetMessage.objects.filter(sheet=view.sheet).select_related("desk", "author")
    if view.role == "sender" and not view.feedback:
        # Without consent to feedback the sender sees only their own side of the thread.
        rows = rows.filter(side=SheetMessage.Side.SENDER)
    return list(rows)


def resident_for_desk(actor: Any, resident_id: int):
    """A resident's identity for a desk that owns one of their sheets, open or closed: the desk
    keeps its case record until retention ends (gate: resident.read).

    An unknown id is refused exactly like a resident of another desk (``not_desk_member``,
    recorded without a resident id), so the answer does not reveal whether the resident exists
    (DESIGN.md invariant 9)."""
    from referral_hub.consent.models import Resident

    resident = Resident.objects.filter(pk=resident_id).first()
    if resident is None:
        target = ("resident", resident_id)
        raise Refused(policy.refuse_unknown(actor, "resident.read", target, "not_desk_member"))
    sheet = (
        ConnectSheet.objects.filter(
            resident_id=resident.pk, owner_desk_id__in=roles.desk_ids(actor)
        )
        .select_related("owner_desk", "consent")
        .order_by("-sent_at")
        .first()
    )
    decision = policy.authorize(
        actor,
        resident,
        sheet.owner_desk if sheet else None,
        ["identity"],
        "resident.read",
        basis=sheet.legal_basis if sheet else "consent",
        consent=sheet.consent if sheet else None,
        justification=sheet.justification if sheet else "",
        support_meeting=sheet.support_meeting_id if sheet else None,
        target=("resident", resident_id),
    )
    require_allowed(decision)
    return resident


def review_facts(event: Any) -> Any:
    """The facts a disclosure review card shows (``audit.reviews.ReviewFacts``) for a gate
    decision about a sheet: sheet number, the written justification, categories, the sending
    place and staff member, the receiving desk."""
    from referral_hub.audit.reviews import ReviewFacts
    from referral_hub.directory.models import Desk

    details = event.details if isinstance(event.details, dict) else {}
    categories = [str(c) for c in details.get("categories") or []]
    recipient_code = str(details.get("recipient_desk") or "")
    recipient = Desk.objects.filter(code=recipient_code).values_list("name", flat=True).first()
    sheet = None
    if event.target_type == "sheet" and str(event.target_id).isdecimal():
        sheet = (
            ConnectSheet.objects.select_related(
                "data_key", "from_department", "from_desk", "sent_by"
            )
            .filter(pk=int(event.target_id))
            .first()
        )
    if sheet is None:
        return ReviewFacts(categories=categories, recipient=recipient or "")
    place = sheet.from_department or sheet.from_desk
    person = f"{sheet.sent_by.last_name} {sheet.sent_by.first_name}".strip()
    try:
        justification = sheet.justification
    except Exception:  # noqa: BLE001 - shredded at retention: the card still shows the rest
        justification = ""
    return ReviewFacts(
        sheet_number=sheet.number or "",
        justification=justification,
        categories=categories or list(sheet.categories),
        sender=" ".join(part for part in (place.name if place else "", person) if part),
        recipient=recipient or "",
        sheet_id=sheet.pk,
    )
