"""支援会議 pages: a lead convenes a meeting and adds members and cases; a member signs the
confidentiality pledge and sees the agenda; a printable record for the meeting file. The
services decide; these views show their answers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontend.forms.base import error_summary
from frontend.forms.meetings import CaseForm, ConveneForm, MemberForm
from referral_hub.api_input import parse_id
from referral_hub.consent.services import Refused
from referral_hub.directory import roles
from referral_hub.directory.models import Role
from referral_hub.domain_errors import DomainError
from referral_hub.meetings import pledge_texts, selectors, services
from referral_hub.meetings.errors import MeetingNotFound
from referral_hub.meetings.models import SupportMeeting


def _refusal_text(error: DomainError) -> str:
    if isinstance(error, Refused):
        return error.decision.message
    return error.message


@login_required
@require_http_methods(["GET", "POST"])
def meetings_page(request: HttpRequest) -> HttpResponse:
    """The staff member's meetings; a lead convenes one here."""
    is_lead = roles.has_role(request.user, Role.LEAD)
    form = ConveneForm(request.POST if request.method == "POST" else None, auto_id="meeting_%s")
    if request.method == "POST":
        if not is_lead:
            messages.error(request, _("支援会議を招集できるのは主任相談支援員です。"))
            return redirect("meetings")
        if form.is_valid():
            data = form.cleaned_data
            try:
                meeting = services.convene(
                    request.user,
                    services.MeetingInput(
                        law=data["law"],
                        name=data["name"],
                        held_on=data["held_on"],
                        access_until=services.end_of_day(data["access_until"])
                        if data["access_until"]
                        else None,
                        members=data["members"],
                    ),
                )
            except DomainError as error:
                messages.error(request, _refusal_text(error))
            else:
                messages.success(
                    request, _("支援会議を招集しました。構成員に誓約を依頼してください。")
                )
                return redirect("meeting_detail", meeting_id=meeting.pk)
    rows = selectors.visible_meetings_of(request.user)
    notices = [
        m
        for m in rows
        if m.convened_by_id == request.user.pk
        and m.convener_notice_at
        and not m.convener_notice_seen
    ]
    if notices:
        services.mark_notice_seen(request.user)
    context = {
        "meetings": [(m, selectors.is_open(m)) for m in rows],
        "notices": notices,
        "form": form if is_lead else None,
        "errors": error_summary(form) if request.method == "POST" else [],
    }
    return render(request, "frontend/meetings/list.html", context)


def _visible(request: HttpRequest, meeting_id: int) -> SupportMeeting:
    meeting = SupportMeeting.objects.filter(pk=meeting_id).first()
    if meeting is None or not selectors.may_see(meeting, request.user):
        raise Http404
    return meeting


def _agenda(meeting: SupportMeeting, actor: Any, action: str) -> list[dict[str, Any]] | None:
    """The agenda with each resident's name, for pledged members (each row recorded)."""
    cases = selectors.agenda_for(actor, meeting, action)
    if cases is None:
        return None
    return [{"case": c, "resident": c.resident} for c in cases]


def _members(meeting: SupportMeeting) -> list[Any]:
    return list(meeting.members.select_related("user", "desk", "department", "pledge"))


@login_required
@require_GET
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _visible(request, meeting_id)
    member = selectors.member_row(meeting, request.user)
    version = pledge_texts.CURRENT_VERSION
    context = {
        "meeting": meeting,
        "is_open": selectors.is_open(meeting),
        "members": _members(meeting),
        "me": member,
        "pledged": selectors.is_pledged(member),
        "may_manage": selectors.may_manage(meeting, request.user),
        "agenda": _agenda(meeting, request.user, "support_meeting.agenda_read"),
        "pledge_text": pledge_texts.text_of(version),
        "pledge_version": version,
        "pledge_sha256": pledge_texts.sha256_of(version),
        "case_form": CaseForm(auto_id="case_%s"),
        "member_form": MemberForm(auto_id="member_%s"),
    }
    return render(request, "frontend/meetings/detail.html", context)


def _run(request: HttpRequest, meeting_id: int, action: Any, success: str) -> HttpResponse:
    try:
        action()
    except MeetingNotFound:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, _refusal_text(error))
    else:
        messages.success(request, success)
    return redirect("meeting_detail", meeting_id=meeting_id)


@login_required
@require_POST
def meeting_pledge(request: HttpRequest, meeting_id: int) -> HttpResponse:
    member = parse_id(request.POST.get("member", ""))  # an external member's paper pledge
    return _run(
        request,
        meeting_id,
        lambda: services.pledge(request.user, meeting_id, member_id=member),
        _("守秘義務の誓約を記録しました。"),
    )


@login_required
@require_POST
def meeting_case_add(request: HttpRequest, meeting_id: int) -> HttpResponse:
    form = CaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("住民番号と検討する理由を記入してください。"))
        return redirect("meeting_detail", meeting_id=meeting_id)
    data = form.cleaned_data
    return _run(
        request,
        meeting_id,
        lambda: services.add_case(request.user, meeting_id, data["resident"], data["reason"]),
        _("検討事例に追加しました。"),
    )


@login_required
@require_POST
def meeting_member_add(request: HttpRequest, meeting_id: int) -> HttpResponse:
    form = MemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("職員を選ぶか、外部の構成員の所属機関を記入してください。"))
        return redirect("meeting_detail", meeting_id=meeting_id)
    data = form.cleaned_data
    external = (
        services.ExternalMember(data["organisation"], data["person"])
        if data["organisation"]
        else None
    )
    return _run(
        request,
        meeting_id,
        lambda: services.add_member(
            request.user, meeting_id, user_id=data["user"], external=external
        ),
        _("構成員を追加しました。"),
    )


@login_required
@require_POST
def meeting_close(request: HttpRequest, meeting_id: int) -> HttpResponse:
    return _run(
        request,
        meeting_id,
        lambda: services.close(request.user, meeting_id),
        _("支援会議を終了しました。この会議にもとづく情報共有はできなくなります。"),
    )


@login_required
@require_GET
def meeting_record(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The printable record for the meeting file: members, pledges, agenda, disclosures made
    under it (sheet numbers, desks and dates; no case content)."""
    meeting = _visible(request, meeting_id)
    if not selectors.may_see_agenda(meeting, request.user):
        messages.error(request, _("記録を見るには、構成員として守秘義務の誓約をしてください。"))
        return redirect("meeting_detail", meeting_id=meeting_id)
    sheets = list(
        meeting.sheets.select_related("owner_desk", "from_department", "from_desk").order_by(  # type: ignore[attr-defined]
            "sent_at"
        )
    )
    context = {
        "meeting": meeting,
        "members": _members(meeting),
        "agenda": _agenda(meeting, request.user, "support_meeting.record_print"),
        "sheets": sheets,
        "pledge_texts": pledge_texts.PLEDGE_TEXTS,
    }
    return render(request, "frontend/meetings/record.html", context)
