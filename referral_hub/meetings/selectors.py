"""Reading support meetings: the facts the gate asks for, the meetings a staff member sees."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from referral_hub.audit.log import record
from referral_hub.consent import policy, rights_hooks
from referral_hub.consent.locks import decided_on_locked_facts
from referral_hub.directory import roles
from referral_hub.directory.models import Membership, Role
from referral_hub.meetings.models import MeetingCase, MeetingMember, MeetingStatus, SupportMeeting


def _still_there(user_id: int, desk_id: int | None, department_id: int | None) -> bool:
    """Does the member still work at the place they represent (rights from the current post)?"""
    rows = Membership.objects.filter(user_id=user_id, user__is_active=True)
    if desk_id is not None:
        return rows.filter(desk_id=desk_id, role__in=[Role.CONSULTANT, Role.LEAD]).exists()
    if department_id is not None:
        return rows.filter(department_id=department_id, role=Role.CLERK).exists()
    return False


def meeting_facts(meeting_id: int) -> policy.MeetingFacts | None:
    """The gate's view of a meeting (``policy.MeetingFacts``), or None for an unknown id:
    pledged staff members who still work at the place they represent, their desks, the agenda."""
    meeting = SupportMeeting.objects.filter(pk=meeting_id).first()
    if meeting is None:
        return None
    staff = MeetingMember.objects.filter(meeting_id=meeting.pk, user__isnull=False).values_list(
        "user_id", "desk_id", "department_id", "pledge"
    )
    members: set[int] = set()
    users: set[int] = set()
    desks: set[int] = set()
    for user_id, desk_id, department_id, signed in staff:
        if not _still_there(user_id, desk_id, department_id):
            continue
        members.add(user_id)
        if signed is not None:
            users.add(user_id)
            if desk_id is not None:
                desks.add(desk_id)
    agenda = MeetingCase.objects.filter(meeting_id=meeting.pk).values_list("resident_id", flat=True)
    return policy.MeetingFacts(
        meeting_id=meeting.pk,
        closed=meeting.status == MeetingStatus.CLOSED,
        access_until=meeting.access_until,
        pledged_user_ids=frozenset(users),
        pledged_desk_ids=frozenset(desks),
        agenda_resident_ids=frozenset(agenda),
        member_user_ids=frozenset(members),
    )


def meetings_of(actor: Any) -> QuerySet[SupportMeeting]:
    """The meetings ``actor`` convened or is a member of, newest first."""
    member_of = MeetingMember.objects.filter(user_id=actor.pk).values("meeting_id")
    return (
        SupportMeeting.objects.filter(Q(pk__in=member_of) | Q(convened_by_id=actor.pk))
        .distinct()
        .order_by("-held_on", "-id")
    )


def visible_meetings_of(actor: Any, limit: int = 200) -> list[SupportMeeting]:
    """``meetings_of`` without those the actor no longer holds a current post for."""
    return [m for m in meetings_of(actor)[:limit] if may_see(m, actor)]


def member_row(meeting: SupportMeeting, actor: Any) -> MeetingMember | None:
    """The actor's member row if they still work at the place it represents, else None: every
    right in a meeting comes from a current post (DESIGN.md invariant 9), so a member moved or
    removed by an administrator loses the meeting with the post. Inside a transaction the
    actor's memberships are share-locked first (``roles.lock_places``), so a removal waits for
    the decision made on them."""
    roles.lock_places(actor)
    row = (
        MeetingMember.objects.filter(meeting=meeting, user_id=actor.pk)
        .select_related("pledge")
        .first()
    )
    if row is None or not _still_there(actor.pk, row.desk_id, row.department_id):
        return None
    return row


def _is_current_lead(actor: Any, row: MeetingMember | None) -> bool:
    """Is ``actor`` still a lead of the desk (or department) the row represents?"""
    if row is None:
        return False
    rows = Membership.objects.filter(user_id=actor.pk, user__is_active=True, role=Role.LEAD)
    if row.desk_id is not None:
        return rows.filter(desk_id=row.desk_id).exists()
    if row.department_id is not None:
        return rows.filter(department_id=row.department_id).exists()
    return False


def is_current_convener(meeting: SupportMeeting, actor: Any) -> bool:
    """The convener, while still a lead of the place they convened from (their member row),
    decided on locked memberships inside a transaction (``roles.lock_places``)."""
    if meeting.convened_by_id != actor.pk:
        return False
    roles.lock_places(actor)
    row = MeetingMember.objects.filter(meeting=meeting, user_id=actor.pk).first()
    return _is_current_lead(actor, row)


def is_pledged(member: MeetingMember | None) -> bool:
    return member is not None and hasattr(member, "pledge")


def may_see(meeting: SupportMeeting, actor: Any) -> bool:
    """Current members, the current convener and the privacy officer see a meeting; nobody else
    (a moved or demoted member included) learns it exists."""
    return (
        roles.has_role(actor, Role.PRIVACY_OFFICER)
        or is_current_convener(meeting, actor)
        or member_row(meeting, actor) is not None
    )


def may_see_agenda(meeting: SupportMeeting, actor: Any) -> bool:
    """The agenda (residents and reasons): while the meeting is open, current pledged members;
    after it is closed or ``access_until`` has passed, only the current convener who pledged
    (for the meeting file) and the privacy officer at any time."""
    if roles.has_role(actor, Role.PRIVACY_OFFICER):
        return True
    if not is_pledged(member_row(meeting, actor)):
        return False
    return is_open(meeting) or is_current_convener(meeting, actor)


def may_manage(meeting: SupportMeeting, actor: Any) -> bool:
    """The current convener, or a current member who is still a lead of the place they
    represent, adds members and closes the meeting."""
    if is_current_convener(meeting, actor):
        return True
    return _is_current_lead(actor, member_row(meeting, actor))


def is_open(meeting: SupportMeeting) -> bool:
    return meeting.status != MeetingStatus.CLOSED and timezone.now() <= meeting.access_until


def open_meetings_for(actor: Any, resident_id: int | None) -> list[SupportMeeting]:
    """Open meetings where ``actor`` pledged and the resident is on the agenda: what the send
    form offers under 「支援会議」 (the gate still decides on submission)."""
    if resident_id is None:
        return []
    pledged = MeetingMember.objects.filter(user_id=actor.pk, pledge__isnull=False).values(
        "meeting_id"
    )
    on_agenda = MeetingCase.objects.filter(resident_id=resident_id).values("meeting_id")
    rows = (
        SupportMeeting.objects.filter(pk__in=pledged)
        .filter(pk__in=on_agenda)
        .exclude(status=MeetingStatus.CLOSED)
        .filter(access_until__gte=timezone.now())
        .order_by("-held_on", "-id")
    )
    return [m for m in rows if is_pledged(member_row(m, actor))]


@decided_on_locked_facts
def agenda_for(actor: Any, meeting: SupportMeeting, action: str) -> list[MeetingCase] | None:
    """The agenda (residents and reasons) for whom ``may_see_agenda`` allows, None for anyone
    else. A resident whose use is suspended (``consent.rights_hooks``, ``use_suspended``) is
    left out for everyone but the privacy officer. Each resident shown is recorded (``action`` with the resident's id, basis
    ``support_meeting``, the meeting named), so the resident's audit trail shows who read the
    agenda; these reads are not queued for review (the sheets disclosed under the meeting are)."""
    if not may_see_agenda(meeting, actor):
        return None
    cases = list(meeting.cases.select_related("resident", "added_by"))
    if not roles.has_role(actor, Role.PRIVACY_OFFICER):
        cases = [c for c in cases if not rights_hooks.is_use_suspended(c.resident_id)]
    for case in cases:
        record(
            action,
            actor=actor,
            actor_desk=roles.place_label(actor),
            target_type="support_meeting",
            target_id=meeting.pk,
            resident_id=case.resident_id,
            legal_basis="support_meeting",
            details={"support_meeting": meeting.pk, "case": case.pk},
        )
    return cases
