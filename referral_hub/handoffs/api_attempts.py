"""API v1 for contact attempts (issue 20): ``GET|POST /api/v1/sheets/{id}/contact-attempts/``.

Only the owner desk records and lists attempts (the list is a desk read of the sheet, through
the gate and audited); the sender sees that the desk is trying on the sheet's timeline."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from referral_hub.api_input import validated
from referral_hub.api_schema import error_responses
from referral_hub.handoffs import contact_attempts, selectors
from referral_hub.handoffs.errors import Refused
from referral_hub.handoffs.models import ContactAttempt, ContactChannel, ContactResult


class ContactAttemptIn(serializers.Serializer):
    at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="now or earlier today; never future",
    )
    channel = serializers.ChoiceField(choices=ContactChannel.choices)
    result = serializers.ChoiceField(choices=ContactResult.choices)
    note = serializers.CharField(
        max_length=contact_attempts.NOTE_MAX, allow_blank=True, default="", help_text="encrypted"
    )
    next_try_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ContactAttemptOut(serializers.Serializer):
    id = serializers.IntegerField()
    sheet = serializers.IntegerField()
    desk = serializers.CharField(help_text="desk code")
    actor = serializers.IntegerField(help_text="user id")
    at = serializers.DateTimeField()
    channel = serializers.ChoiceField(choices=ContactChannel.choices)
    result = serializers.ChoiceField(choices=ContactResult.choices)
    note = serializers.CharField(allow_blank=True)
    next_try_at = serializers.DateTimeField(allow_null=True)


def attempt_out(attempt: ContactAttempt) -> dict[str, Any]:
    return {
        "id": attempt.pk,
        "sheet": attempt.sheet_id,
        "desk": attempt.desk.code,
        "actor": attempt.actor_id,
        "at": attempt.at,
        "channel": attempt.channel,
        "result": attempt.result,
        "note": attempt.note,
        "next_try_at": attempt.next_try_at,
    }


@extend_schema(
    request=ContactAttemptIn,
    responses={201: ContactAttemptOut, **error_responses(400, 401, 403, 404, 409)},
    tags=["sheet actions"],
    methods=["POST"],
    operation_id="sheets_contact_attempts_create",
)
@extend_schema(
    responses={200: ContactAttemptOut(many=True), **error_responses(401, 403, 404)},
    tags=["sheets"],
    methods=["GET"],
    operation_id="sheets_contact_attempts_list",
)
@api_view(["GET", "POST"])
def sheet_contact_attempts(request: Request, sheet_id: int) -> Response:
    """POST records an attempt (201); GET lists them, oldest first (owner desk only)."""
    if request.method == "POST":
        data = validated(ContactAttemptIn, request.data)
        attempt = contact_attempts.record_attempt(
            request.user,
            sheet_id,
            channel=data["channel"],
            result=data["result"],
            at=data["at"],
            note=data["note"],
            next_try_at=data["next_try_at"],
        )
        attempt = ContactAttempt.objects.select_related("desk", "sheet").get(pk=attempt.pk)
        return Response(attempt_out(attempt), status=status.HTTP_201_CREATED)
    view = selectors.view_sheet(request.user, sheet_id)
    if view.role != "desk":
        # The sending side reads the timeline, never the desk's attempt notes.
        raise Refused(selectors.refuse_desk_read(request.user, view.sheet))
    rows = ContactAttempt.objects.filter(sheet=view.sheet).select_related("desk", "sheet")
    return Response([attempt_out(a) for a in rows.order_by("at", "id")])
