"""API v1 for the inbox: unread counts, catch-up over HTTP, and marking a sheet read.

The WebSocket pushes the same data; these endpoints serve pages on first load, clients that
cannot hold a socket, and a catch-up after a long absence.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from referral_hub.api_schema import error_responses
from referral_hub.inbox.publish import deliver_stale
from referral_hub.inbox.read_state import inbox_state, last_seq, mark_sheet_read
from referral_hub.inbox.selectors import CATCH_UP_BATCH, events_after

MAX_EVENTS_PER_PAGE = 500


class UnreadCounts(serializers.Serializer):
    inbox = serializers.IntegerField(min_value=0)
    sent = serializers.IntegerField(min_value=0)
    overdue = serializers.IntegerField(min_value=0)


class UnreadResponse(serializers.Serializer):
    counts = UnreadCounts()
    last_seq = serializers.IntegerField(min_value=0)


class EventsQuery(serializers.Serializer):
    since = serializers.IntegerField(min_value=0)
    limit = serializers.IntegerField(
        min_value=1, max_value=MAX_EVENTS_PER_PAGE, default=CATCH_UP_BATCH
    )


class InboxEventOut(serializers.Serializer):
    """The WebSocket event shape, with the ids and codes services add (handoffs/notify.py)."""

    type = serializers.CharField()
    seq = serializers.IntegerField()
    sheet = serializers.IntegerField(allow_null=True)
    status = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField()
    box = serializers.CharField()
    owner_desk = serializers.CharField(
        required=False, help_text="the owner desk's code, as in every sheet response"
    )
    urgency = serializers.CharField(required=False)
    alert = serializers.CharField(required=False, help_text="`runaround`, `disclosure_flagged`")
    redirects = serializers.IntegerField(required=False)
    consent = serializers.IntegerField(required=False, help_text="the withdrawn consent's id")


class EventsResponse(serializers.Serializer):
    events = InboxEventOut(many=True)
    last_seq = serializers.IntegerField(help_text="The last seq stored for you now.")
    more = serializers.BooleanField(help_text="Ask again with since = the last event's seq.")


class MarkReadRequest(serializers.Serializer):
    sheet = serializers.IntegerField(min_value=1)


class MarkReadResponse(serializers.Serializer):
    marked = serializers.IntegerField(min_value=0)
    counts = UnreadCounts()


@extend_schema(responses={200: UnreadResponse, **error_responses(401)}, tags=["inbox"])
@api_view(["GET"])
def unread(request: Request) -> Response:
    """Unread sheets per box (inbox, sent, overdue) and your last event seq."""
    deliver_stale(request.user.pk)
    seq, counts = inbox_state(request.user.pk)
    return Response({"counts": counts, "last_seq": seq})


@extend_schema(
    parameters=[
        OpenApiParameter("since", int, required=True, description="Last seq you have seen."),
        OpenApiParameter("limit", int, description=f"At most {MAX_EVENTS_PER_PAGE}."),
    ],
    responses={200: EventsResponse, **error_responses(400, 401)},
    tags=["inbox"],
)
@api_view(["GET"])
def events(request: Request) -> Response:
    """Your stored events after ``since``, oldest first (catch-up over HTTP)."""
    query = EventsQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    deliver_stale(request.user.pk)
    limit = query.validated_data["limit"]
    page = events_after(request.user.pk, query.validated_data["since"], limit + 1)
    return Response(
        {"events": page[:limit], "last_seq": last_seq(request.user.pk), "more": len(page) > limit}
    )


@extend_schema(
    request=MarkReadRequest,
    responses={200: MarkReadResponse, **error_responses(400, 401)},
    tags=["inbox"],
)
@api_view(["POST"])
def mark_read(request: Request) -> Response:
    """Mark your events about one sheet read; your open sockets receive the new counts."""
    form = MarkReadRequest(data=request.data)
    form.is_valid(raise_exception=True)
    marked = mark_sheet_read(request.user.pk, form.validated_data["sheet"])
    return Response({"marked": marked, "counts": inbox_state(request.user.pk)[1]})
