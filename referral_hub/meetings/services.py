"""The write path of support meetings: convene, add a member, pledge, add a case, close, and the
sweep that ends access after ``access_until``. Each is one transaction that changes state and
writes its audit row (one action name per kind of event, in the past tense)."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from referral_hub.api_input import latest_valid_until
from referral_hub.audit.log import batched, record
from referral_hub.consent import policy
from referral_hub.consent.refusals import require_allowed
from referral_hub.directory import roles
from referral_hub.directory.models import Role
from referral_hub.meetings import pledge_texts, selectors
from referral_hub.meetings.errors import MeetingInvalid, MeetingNotFound, MeetingRefused
from referral_hub.meetings.models import (
    Law,
    MeetingCase,
    MeetingMember,
    MeetingStatus,
    Pledge,
    SupportMeeting,
)
from referral_hub.vault.keys import new_data_key

log = logging.getLogger(__name__)

MAX_REASON = 2000
MAX_EXTERNAL_TEXT = 200


MEETING_DAYS_AHEAD = 366  # a meeting is convened at most a year ahead
MEETING_YEARS_BACK = 3  # and recorded at most this long after it was held


def default_access_until(held_on: datetime.date) -> datetime.datetime:
    """The end of the local day ``SUPPORT_MEETING_ACCESS_DAYS`` after the meeting day, but no
    later than the retention cap an explicit ``access_until`` gets (``latest_valid_until``:
    today + ``RETENTION_YEARS``)."""
    days = int(getattr(settings, "SUPPORT_MEETING_ACCESS_DAYS", 90))
    last_day = min(held_on + datetime.timedelta(days=days), latest_valid_until())
    return end_of_day(last_day)


def plausible_meeting_day(day: datetime.date) -> bool:
    """From ``MEETING_YEARS_BACK`` years ago to ``MEETING_DAYS_AHEAD`` days ahead (local)."""
    today = timezone.localdate()
    earliest = today - datetime.timedelta(days=365 * MEETING_YEARS_BACK + 1)
    return earliest <= day <= today + datetime.timedelta(days=MEETING_DAYS_AHEAD)


MEETING_DAY_TEXT = (
    f"開催日は{MEETING_YEARS_BACK}年前から1年後までの日付にしてください。"
    f" / held_on must lie between {MEETING_YEARS_BACK} years ago and one year ahead."
)


def end_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


@dataclass(frozen=True)
class ExternalMember:
    organisation: str
    person: str


@dataclass(frozen=True)
class MeetingInput:
    law: str
    name: str
    held_on: datetime.date
    access_until: datetime.datetime | None = None
    members: list[int] = field(default_factory=list)
    external_members: list[ExternalMember] = field(default_factory=list)


def _audit(actor: Any, meeting: SupportMeeting, action: str, **kwargs: Any) -> None:
    record(
        action,
        actor=actor,
        actor_desk=roles.place_label(actor) if actor else "",
        target_type="support_meeting",
        target_id=meeting.pk,
        **kwargs,
    )


def _staff_member(meeting: SupportMeeting, user: Any, added_by: Any) -> MeetingMember:
    department_id, desk_id = roles.home_place(user)
    if department_id is None and desk_id is None:
        raise MeetingInvalid(
            "member_without_place",
            "構成員は課または窓口に所属する職員から選んでください。",
            "members",
        )
    return MeetingMember.objects.create(
        meeting=meeting,
        user=user,
        desk_id=desk_id,
        department_id=department_id,
        added_by=added_by,
        added_at=timezone.now(),
    )


def _users(user_ids: list[int]) -> list[Any]:
    from django.contrib.auth import get_user_model

    users = list(get_user_model().objects.filter(pk__in=set(user_ids), is_active=True))
    if len(users) != len(set(user_ids)):
        raise MeetingInvalid(
            "unknown_member", "構成員に指定された職員が見つかりません。", "members"
        )
    return users


def _external(meeting: SupportMeeting, item: ExternalMember, added_by: Any) -> MeetingMember:
    organisation, person = item.organisation.strip(), item.person.strip()
    if not organisation or len(organisation) > MAX_EXTERNAL_TEXT or len(person) > MAX_EXTERNAL_TEXT:
        raise MeetingInvalid(
            "invalid_external_member",
            f"外部の構成員は所属機関(必須)と氏名を{MAX_EXTERNAL_TEXT}文字以内で記入してください。",
            "external_members",
        )
    return MeetingMember.objects.create(  # type: ignore[misc]  # encrypted fields
        meeting=meeting,
        organisation=organisation,
        person=person,
        added_by=added_by,
        added_at=timezone.now(),
    )


def convene(actor: Any, data: MeetingInput) -> SupportMeeting:
    """A lead convenes a meeting; the lead is its first member. Raises ``MeetingRefused``
    (``role_not_allowed``) for anyone else, ``MeetingInvalid`` for bad input."""
    if not roles.has_role(actor, Role.LEAD):
        raise MeetingRefused("role_not_allowed")
    if data.law not in Law.values:
        raise MeetingInvalid("invalid_law", "根拠法を選んでください。", "law")
    name = data.name.strip()
    if not name or len(name) > 100:
        raise MeetingInvalid("name_required", "会議名を100文字以内で記入してください。", "name")
    if not plausible_meeting_day(data.held_on):
        raise MeetingInvalid("implausible_date", MEETING_DAY_TEXT, "held_on")
    access_until = data.access_until or default_access_until(data.held_on)
    if timezone.localtime(access_until).date() > latest_valid_until():
        raise MeetingInvalid(
            "valid_until_too_far",
            "情報共有の期限は保存期間の終わりまでにしてください。"
            " / access_until may be at most the retention period ahead.",
            "access_until",
        )
    if access_until.date() < data.held_on:
        raise MeetingInvalid(
            "access_before_meeting", "情報共有の期限は開催日以降にしてください。", "access_until"
        )
    users = _users([uid for uid in data.members if uid != actor.pk])
    with transaction.atomic(), batched():
        # Decided again on the locked account (docs/operations/locks.md): a lead whose lead
        # membership was removed meanwhile convenes nothing.
        if not roles.has_role(actor, Role.LEAD):
            raise MeetingRefused("role_not_allowed")
        today = timezone.localdate()
        meeting = SupportMeeting.objects.create(
            data_key=new_data_key(),
            law=data.law,
            name=name,
            convened_by=actor,
            held_on=data.held_on,
            access_until=access_until,
            status=MeetingStatus.HELD if data.held_on <= today else MeetingStatus.PLANNED,
        )
        for user in [actor, *users]:
            _staff_member(meeting, user, actor)
        for item in data.external_members:
            _external(meeting, item, actor)
        _audit(
            actor,
            meeting,
            "support_meeting.convened",
            details={"law": data.law, "members": sorted(u.pk for u in [actor, *users])},
        )
    return meeting


def _visible(actor: Any, meeting_id: int, *, lock: bool = False) -> SupportMeeting:
    rows = SupportMeeting.objects.select_for_update() if lock else SupportMeeting.objects
    meeting = rows.filter(pk=meeting_id).first()
    if meeting is None or not selectors.may_see(meeting, actor):
        raise MeetingNotFound()
    return meeting


def _require_open(meeting: SupportMeeting) -> None:
    if not selectors.is_open(meeting):
        raise MeetingRefused("support_meeting_closed", 409)


def add_member(
    actor: Any,
    meeting_id: int,
    *,
    user_id: int | None = None,
    external: ExternalMember | None = None,
) -> MeetingMember:
    """The convener (or a lead member) adds a staff member or an external member."""
    with transaction.atomic(), batched():
        meeting = _visible(actor, meeting_id, lock=True)
        if not selectors.may_manage(meeting, actor):
            raise MeetingRefused("lead_required")
        _require_open(meeting)
        if user_id is not None:
            (user,) = _users([user_id])
            if MeetingMember.objects.filter(meeting=meeting, user=user).exists():
                raise MeetingInvalid("already_member", "すでに構成員です。", "user")
            member = _staff_member(meeting, user, actor)
        elif external is not None:
            member = _external(meeting, external, actor)
        else:
            raise MeetingInvalid("member_required", "構成員を指定してください。", "user")
        _audit(actor, meeting, "support_meeting.member_added", details={"member": member.pk})
    return member


def pledge(actor: Any, meeting_id: int, *, member_id: int | None = None) -> Pledge:
    """The signed-in member signs the current pledge text; with ``member_id`` the convener (or a
    lead member) records an external member's paper pledge. Raises ``MeetingInvalid``
    (``already_pledged``) when signed already."""
    with transaction.atomic(), batched():
        meeting = _visible(actor, meeting_id, lock=True)
        _require_open(meeting)
        if member_id is None:
            member = selectors.member_row(meeting, actor)
            if member is None:
                raise MeetingRefused("not_support_meeting_member")
            on_paper = False
        else:
            if not selectors.may_manage(meeting, actor):
                raise MeetingRefused("lead_required")
            member = MeetingMember.objects.filter(meeting=meeting, pk=member_id).first()
            if member is None or not member.is_external:
                raise MeetingInvalid(
                    "not_external_member",
                    "紙の誓約書を記録できるのは外部の構成員だけです。",
                    "member",
                )
            on_paper = True
        if Pledge.objects.filter(member=member).exists():
            raise MeetingInvalid("already_pledged", "すでに誓約済みです。", "member")
        version = pledge_texts.CURRENT_VERSION
        signed = Pledge.objects.create(
            member=member,
            text_version=version,
            text_sha256=pledge_texts.sha256_of(version),
            signed_at=timezone.now(),
            recorded_by=actor,
            on_paper=on_paper,
        )
        _audit(
            actor,
            meeting,
            "support_meeting.pledged",
            details={"member": member.pk, "version": version, "on_paper": on_paper},
        )
    return signed


def add_case(actor: Any, meeting_id: int, resident_id: int, reason: str) -> MeetingCase:
    """A pledged member puts a resident they are related to on the agenda, with a reason.
    Raises ``MeetingRefused`` (``pledge_required``, 409 ``support_meeting_closed``), the gate's
    ``Refused`` (``no_relationship``) or ``MeetingInvalid``."""
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise MeetingInvalid(
            "reason_required", f"検討する理由を{MAX_REASON}文字以内で記入してください。", "reason"
        )
    meeting = _visible(actor, meeting_id)
    if not selectors.is_pledged(selectors.member_row(meeting, actor)):
        raise MeetingRefused("pledge_required")
    _require_open(meeting)
    # Choosing a resident needs a current relationship (DESIGN.md invariant 9); recorded.
    decision, resident = policy.authorize_resident(actor, resident_id, "support_meeting.case_add")
    require_allowed(decision)
    try:
        with transaction.atomic(), batched():
            meeting = _visible(actor, meeting_id, lock=True)
            _require_open(meeting)
            case = MeetingCase.objects.create(  # type: ignore[misc]  # encrypted fields
                meeting=meeting,
                resident=resident,
                reason=reason,
                added_by=actor,
                added_at=timezone.now(),
            )
            _audit(
                actor,
                meeting,
                "support_meeting.case_added",
                resident_id=resident.pk,
                details={"case": case.pk},
            )
    except IntegrityError:
        raise MeetingInvalid(
            "already_on_agenda", "この本人はすでに検討事例に載っています。", "resident"
        ) from None
    return case


def close(actor: Any, meeting_id: int) -> SupportMeeting:
    """The convener or a lead member closes the meeting: nothing more is disclosed under it."""
    with transaction.atomic(), batched():
        meeting = _visible(actor, meeting_id, lock=True)
        if not selectors.may_manage(meeting, actor):
            raise MeetingRefused("lead_required")
        if meeting.status == MeetingStatus.CLOSED:
            raise MeetingRefused("support_meeting_closed", 409)
        _close(meeting, actor, timezone.now())
    return meeting


def _close(meeting: SupportMeeting, actor: Any, now: datetime.datetime) -> None:
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_at = now
    meeting.closed_by = actor
    if actor is None:
        meeting.convener_notice_at = now
    meeting.save()
    by = "convener" if actor is not None and actor.pk == meeting.convened_by_id else "lead"
    _audit(
        actor,
        meeting,
        "support_meeting.closed",
        details={"by": by if actor is not None else "sweep"},
    )


def sweep_meetings(now: datetime.datetime | None = None) -> int:
    """Close every meeting whose ``access_until`` has passed and leave the convener a notice
    (shown on the meetings page; ids only in the log). Meetings whose day has come move from
    planned to held. Safe to run from several processes (rows are locked and re-checked).
    Returns the number of meetings closed."""
    now = now or timezone.now()
    SupportMeeting.objects.filter(
        status=MeetingStatus.PLANNED, held_on__lte=timezone.localdate(now)
    ).update(status=MeetingStatus.HELD)
    expired = SupportMeeting.objects.exclude(status=MeetingStatus.CLOSED).filter(
        access_until__lt=now
    )
    count = 0
    for meeting_id in expired.values_list("pk", flat=True):
        with transaction.atomic(), batched():
            meeting = SupportMeeting.objects.select_for_update().get(pk=meeting_id)
            if meeting.status == MeetingStatus.CLOSED or meeting.access_until >= now:
                continue
            _close(meeting, None, now)
            log.info(
                "support meeting %s closed at access_until; convener %s notified",
                meeting.pk,
                meeting.convened_by_id,
            )
            count += 1
    return count


def mark_notice_seen(actor: Any) -> None:
    """The convener has seen the notices of meetings the sweep closed."""
    SupportMeeting.objects.filter(
        convened_by_id=actor.pk, convener_notice_at__isnull=False, convener_notice_seen=False
    ).update(convener_notice_seen=True)
