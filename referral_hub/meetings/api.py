"""API v1: support meetings (支援会議). Who may call:

- ``POST /support-meetings/``: leads only (403 ``role_not_allowed``);
- ``GET /support-meetings/``: the meetings the caller convened or is a member of;
- ``GET /support-meetings/{id}/``: members, the convener and the privacy officer; anyone else
  gets 404 (an id alone reveals nothing). Every right comes from a current post: a member moved
  or removed by an administrator, or a convener no longer a lead there, is "anyone else". The
  agenda (``cases``) is shown to current pledged members while the meeting is open, after that
  only to the current convener (pledged) and the privacy officer (``null`` for the others); a
  resident whose use is suspended is left out for everyone but the privacy officer;
- ``POST /{id}/pledge/``: the signed-in member (body ``{}``), or the convener / a lead member
  recording an external member's paper pledge (``{"member": id}``);
- ``POST /{id}/cases/``: pledged members, about a resident they are related to;
- ``POST /{id}/close/``: the convener or a lead member.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from referral_hub.api_input import (
    IdField,
    plausible_query_date,
    plausible_valid_until,
    validated,
)
from referral_hub.api_schema import error_responses
from referral_hub.idempotency.api import idempotent
from referral_hub.meetings import pledge_texts, selectors, services
from referral_hub.meetings.errors import MeetingNotFound
from referral_hub.meetings.models import Law, MeetingStatus, SupportMeeting


def _meeting_day(value: Any) -> None:
    if value is not None and not services.plausible_meeting_day(value):
        raise serializers.ValidationError(services.MEETING_DAY_TEXT, code="implausible_date")


class ExternalMemberIn(serializers.Serializer):
    organisation = serializers.CharField(max_length=services.MAX_EXTERNAL_TEXT)
    person = serializers.CharField(
        max_length=services.MAX_EXTERNAL_TEXT, allow_blank=True, default=""
    )

    def to_internal_value(self, data: Any) -> Any:
        # Unknown nested keys are refused like unknown top-level fields (``validated``).
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {key: ["不明な項目です。/ Unknown field."] for key in unknown},
                    code="unknown_field",
                )
        return super().to_internal_value(data)


class MeetingIn(serializers.Serializer):
    law = serializers.ChoiceField(choices=Law.choices)
    name = serializers.CharField(max_length=100)
    held_on = serializers.DateField(validators=[plausible_query_date, _meeting_day])
    access_until = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        validators=[plausible_valid_until],
        help_text="last day information shared under the meeting may be used (inclusive); "
        "default: held_on + SUPPORT_MEETING_ACCESS_DAYS",
    )
    members = serializers.ListField(child=IdField(), required=False, default=list, max_length=50)
    external_members = ExternalMemberIn(many=True, required=False, default=list)


class PledgeIn(serializers.Serializer):
    member = IdField(
        required=False,
        allow_null=True,
        default=None,
        help_text="an external member whose paper pledge the convener records",
    )


class CaseIn(serializers.Serializer):
    resident = IdField()
    reason = serializers.CharField(max_length=services.MAX_REASON)


class EmptyIn(serializers.Serializer):
    pass


class PledgeOut(serializers.Serializer):
    text_version = serializers.CharField()
    text_sha256 = serializers.CharField()
    signed_at = serializers.DateTimeField()
    on_paper = serializers.BooleanField()
    recorded_by = serializers.IntegerField(source="recorded_by_id")


class MemberOut(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.IntegerField(allow_null=True)
    desk = serializers.CharField(allow_null=True, help_text="desk code")
    department = serializers.CharField(allow_null=True, help_text="department code")
    external = serializers.BooleanField()
    organisation = serializers.CharField(allow_null=True, help_text="external members only")
    person = serializers.CharField(allow_null=True, help_text="external members only")
    pledge = PledgeOut(allow_null=True)


class CaseOut(serializers.Serializer):
    id = serializers.IntegerField()
    resident = serializers.IntegerField()
    reason = serializers.CharField()
    added_by = serializers.IntegerField()
    added_at = serializers.DateTimeField()


class PledgeTextOut(serializers.Serializer):
    version = serializers.CharField()
    text = serializers.CharField()
    sha256 = serializers.CharField()


class MeetingSummaryOut(serializers.Serializer):
    id = serializers.IntegerField()
    law = serializers.ChoiceField(choices=Law.choices)
    name = serializers.CharField()
    held_on = serializers.DateField()
    access_until = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=MeetingStatus.choices)
    open = serializers.BooleanField(help_text="not closed and now <= access_until")
    convened_by = serializers.IntegerField()
    pledged = serializers.BooleanField(help_text="the caller has signed the pledge")


class MeetingOut(MeetingSummaryOut):
    members = MemberOut(many=True)
    cases = CaseOut(many=True, allow_null=True, help_text="null unless the caller may see it")
    pledge_text = PledgeTextOut()
    sheets = serializers.ListField(
        child=serializers.IntegerField(), help_text="ids of sheets sent under the meeting"
    )


def summary(meeting: SupportMeeting, actor: Any) -> dict[str, Any]:
    return {
        "id": meeting.pk,
        "law": meeting.law,
        "name": meeting.name,
        "held_on": meeting.held_on,
        "access_until": meeting.access_until,
        "status": meeting.status,
        "open": selectors.is_open(meeting),
        "convened_by": meeting.convened_by_id,
        "pledged": selectors.is_pledged(selectors.member_row(meeting, actor)),
    }


def _member_out(member: Any) -> dict[str, Any]:
    signed = getattr(member, "pledge", None)
    return {
        "id": member.pk,
        "user": member.user_id,
        "desk": member.desk.code if member.desk else None,
        "department": member.department.code if member.department else None,
        "external": member.is_external,
        "organisation": member.organisation if member.is_external else None,
        "person": member.person if member.is_external else None,
        "pledge": PledgeOut(signed).data if signed else None,
    }


def detail(meeting: SupportMeeting, actor: Any) -> dict[str, Any]:
    """The meeting as ``actor`` may see it; reading the agenda is recorded."""
    members = meeting.members.select_related("desk", "department", "pledge")
    body = summary(meeting, actor)
    body["members"] = [_member_out(m) for m in members]
    rows = selectors.agenda_for(actor, meeting, "support_meeting.agenda_read")
    cases = None
    if rows is not None:
        cases = [
            {
                "id": c.pk,
                "resident": c.resident_id,
                "reason": c.reason,
                "added_by": c.added_by_id,
                "added_at": c.added_at,
            }
            for c in rows
        ]
    body["cases"] = cases
    version = pledge_texts.CURRENT_VERSION
    body["pledge_text"] = {
        "version": version,
        "text": pledge_texts.text_of(version),
        "sha256": pledge_texts.sha256_of(version),
    }
    body["sheets"] = sorted(meeting.sheets.values_list("pk", flat=True))  # type: ignore[attr-defined]
    return body


def _visible(actor: Any, meeting_id: int) -> SupportMeeting:
    meeting = SupportMeeting.objects.filter(pk=meeting_id).first()
    if meeting is None or not selectors.may_see(meeting, actor):
        raise MeetingNotFound()
    return meeting


@extend_schema(
    request=MeetingIn,
    responses={201: MeetingOut, **error_responses(400, 401, 403)},
    tags=["support-meetings"],
    methods=["POST"],
)
@extend_schema(
    responses={200: MeetingSummaryOut(many=True), **error_responses(401)},
    tags=["support-meetings"],
    methods=["GET"],
)
@api_view(["GET", "POST"])
@idempotent("support_meetings.create")
def support_meetings(request: Request) -> Response:
    """POST convenes a meeting (leads); GET lists the caller's meetings."""
    if request.method == "GET":
        rows = selectors.visible_meetings_of(request.user)
        return Response([summary(m, request.user) for m in rows])
    data = validated(MeetingIn, request.data)
    access_until = data["access_until"]
    meeting = services.convene(
        request.user,
        services.MeetingInput(
            law=data["law"],
            name=data["name"],
            held_on=data["held_on"],
            access_until=services.end_of_day(access_until) if access_until else None,
            members=data["members"],
            external_members=[
                services.ExternalMember(e["organisation"], e["person"])
                for e in data["external_members"]
            ],
        ),
    )
    return Response(detail(meeting, request.user), status=status.HTTP_201_CREATED)


@extend_schema(responses={200: MeetingOut, **error_responses(401, 404)}, tags=["support-meetings"])
@api_view(["GET"])
def support_meeting(request: Request, meeting_id: int) -> Response:
    return Response(detail(_visible(request.user, meeting_id), request.user))


@extend_schema(
    request=PledgeIn,
    responses={201: MeetingOut, **error_responses(400, 401, 403, 404, 409)},
    tags=["support-meetings"],
)
@api_view(["POST"])
def pledge(request: Request, meeting_id: int) -> Response:
    """The signed-in member signs the current pledge text (its version and SHA-256 are kept)."""
    data = validated(PledgeIn, request.data or {})
    services.pledge(request.user, meeting_id, member_id=data["member"])
    meeting = _visible(request.user, meeting_id)
    return Response(detail(meeting, request.user), status=status.HTTP_201_CREATED)


@extend_schema(
    request=CaseIn,
    responses={201: CaseOut, **error_responses(400, 401, 403, 404, 409)},
    tags=["support-meetings"],
)
@api_view(["POST"])
@idempotent("support_meetings.cases")
def cases(request: Request, meeting_id: int) -> Response:
    """A pledged member adds a resident to the agenda with a reason (audited)."""
    data = validated(CaseIn, request.data)
    case = services.add_case(request.user, meeting_id, data["resident"], data["reason"])
    body = {
        "id": case.pk,
        "resident": case.resident_id,
        "reason": case.reason,
        "added_by": case.added_by_id,
        "added_at": case.added_at,
    }
    return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(
    request=EmptyIn,
    responses={200: MeetingSummaryOut, **error_responses(401, 403, 404, 409)},
    tags=["support-meetings"],
)
@api_view(["POST"])
def close(request: Request, meeting_id: int) -> Response:
    """The convener or a lead member closes the meeting: nothing more is disclosed under it."""
    validated(EmptyIn, request.data or {})
    meeting = services.close(request.user, meeting_id)
    return Response(summary(meeting, request.user))
