"""Reading support meetings: the facts the gate asks for, the meetings a staff member sees."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from referral_hub.audit.log import record
from referral_hub.consent import policy
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
    pledged = MeetingMember.objects.filter(
        meeting_id=meeting.pk, user__isnull=False, pledge__isnull=False
    ).values_list("user_id", "desk_id", "department_id")
    users: set[int] = set()
    desks: set[int] = set()
    for user_id, desk_id, department_id in pledged:
        if _still_there(user_id, desk_id, department_id):
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
    )


def meetings_of(actor: Any) -> QuerySet[SupportMeeting]:
    """The meetings ``actor`` convened or is a member of, newest first."""
    member_of = MeetingMember.objects.filter(user_id=actor.pk).values("meeting_id")
    return (
        SupportMeeting.objects.filter(Q(pk__in=member_of) | Q(convened_by_id=actor.pk))
        .distinct()
        .order_by("-held_on", "-id")
    )


def member_row(meeting: SupportMeeting, actor: Any) -> MeetingMember | None:
    return (
        MeetingMember.objects.filter(meeting=meeting, user_id=actor.pk)
        .select_related("pledge")
        .first()
    )


def is_pledged(member: MeetingMember | None) -> bool:
    return member is not None and hasattr(member, "pledge")


def may_see(meeting: SupportMeeting, actor: Any) -> bool:
    """Members, the convener and the privacy officer see a meeting; nobody else learns it exists."""
    return (
        meeting.convened_by_id == actor.pk
        or member_row(meeting, actor) is not None
        or roles.has_role(actor, Role.PRIVACY_OFFICER)
    )


def may_see_agenda(meeting: SupportMeeting, actor: Any) -> bool:
    """The agenda (residents and reasons) is for pledged members and the privacy officer."""
    return is_pledged(member_row(meeting, actor)) or roles.has_role(actor, Role.PRIVACY_OFFICER)


def may_manage(meeting: SupportMeeting, actor: Any) -> bool:
    """The convener, or a lead who is a member, adds members and closes the meeting."""
    if meeting.convened_by_id == actor.pk:
        return True
    return roles.has_role(actor, Role.LEAD) and member_row(meeting, actor) is not None


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
    return list(
        SupportMeeting.objects.filter(pk__in=pledged)
        .filter(pk__in=on_agenda)
        .exclude(status=MeetingStatus.CLOSED)
        .filter(access_until__gte=timezone.now())
        .order_by("-held_on", "-id")
    )


def agenda_for(actor: Any, meeting: SupportMeeting, action: str) -> list[MeetingCase] | None:
    """The agenda (residents and reasons) for a pledged member or the privacy officer, None for
    anyone else. Each resident shown is recorded (``action`` with the resident's id, basis
    ``support_meeting``, the meeting named), so the resident's audit trail shows who read the
    agenda; these reads are not queued for review (the sheets disclosed under the meeting are)."""
    if not may_see_agenda(meeting, actor):
        return None
    cases = list(meeting.cases.select_related("resident", "added_by"))
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
