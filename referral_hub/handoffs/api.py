"""API v1 for connect sheets: send, list, read (desk view / sender's feedback view), act, talk."""

from __future__ import annotations

import datetime

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from referral_hub.api_errors import ApiError
from referral_hub.api_input import parse_id, validated
from referral_hub.api_schema import error_responses
from referral_hub.consent.api import chosen_resident
from referral_hub.consent.models import Consent
from referral_hub.directory import reference_cache
from referral_hub.directory.models import Desk
from referral_hub.directory.reference_cache import ReferenceData
from referral_hub.handoffs import api_lists, desk_search, selectors, sent_copy, services
from referral_hub.handoffs.api_bodies import (
    event_out,
    message_out,
    resident_out,
    sheet_detail,
    sheet_summary,
)
from referral_hub.handoffs.api_inputs import (
    AcceptIn,
    CloseIn,
    DeskNoteIn,
    EmptyIn,
    MessageIn,
    NoteIn,
    ReasonIn,
    RedirectIn,
    SheetIn,
)
from referral_hub.handoffs.models import (
    ConnectSheet,
)
from referral_hub.handoffs.schemas import (
    ResidentOut,
    SheetDetailOut,
    SheetEventOut,
    SheetMessageOut,
    SheetPageOut,
    SheetSummaryOut,
)
from referral_hub.idempotency.api import idempotent


def _desk(value: str | int, field: str = "to_desk", reference: ReferenceData | None = None) -> Desk:
    text = str(value)
    desk_id = parse_id(text)
    reference = reference or reference_cache.current()
    desk = reference.desk(pk=desk_id) if desk_id is not None else reference.desk(code=text)
    if desk is None:
        raise ApiError("unknown_desk", "存在しない窓口です。/ Unknown desk.", 400)
    return desk


# --- views ---------------------------------------------------------------------------------------


def _parse_bool(value: str | None) -> bool | None:
    if value in (None, ""):
        return None
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise ApiError("invalid_filter", "true / false で指定してください。", 400)


@extend_schema(
    request=SheetIn,
    responses={201: SheetSummaryOut, **error_responses(400, 401, 403, 409)},
    tags=["sheets"],
    methods=["POST"],
    operation_id="sheets_send",
)
@extend_schema(
    parameters=[
        OpenApiParameter(
            "box",
            str,
            enum=["inbox", "sent", "desk"],
            description="desk: every sheet the caller's desks own, any status (issue 20)",
        ),
        OpenApiParameter("status", str, description="comma-separated; any status"),
        OpenApiParameter("urgency", str),
        OpenApiParameter("overdue", bool),
        OpenApiParameter("consent_withdrawn", bool, description="only withdrawn consents"),
        OpenApiParameter("number", str, description="box=desk: sheet number (audited)"),
        OpenApiParameter("kana", str, description="box=desk: resident's full kana name"),
        OpenApiParameter(
            "birth_date", str, description="box=desk, with kana: YYYY-MM-DD (audited search)"
        ),
        OpenApiParameter("page_size", int),
        OpenApiParameter("cursor", str, description="from the `next`/`previous` links"),
    ],
    responses={200: SheetPageOut, **error_responses(400, 401)},
    tags=["sheets"],
    methods=["GET"],
)
@api_view(["GET", "POST"])
@idempotent("sheets.create")
def sheets(request: Request) -> Response:
    """POST sends a connect sheet (one request once the consent exists). GET lists a box."""
    if request.method == "POST":
        return _send(request)
    return _list(request)


@transaction.atomic
def _list(request: Request) -> Response:
    """One box of sheets. The whole list is read in one transaction, so the reader's desks and
    department are those share-locked with their account (``roles.places()`` inside a
    transaction; docs/operations/locks.md): a consultant transferred meanwhile lists nothing of
    the old desk, and a number search is recorded before the transfer or not at all."""
    params = request.query_params
    box = params.get("box", "inbox")
    if box not in ("inbox", "sent", "desk"):
        raise ApiError("invalid_filter", "box は inbox / sent / desk のいずれかです。", 400)
    if box == "desk":
        rows = desk_search.held_by_desk(request.user)
    else:
        rows = selectors.inbox(request.user) if box == "inbox" else selectors.sent(request.user)
    rows = selectors.filter_sheets(
        rows,
        status=params.get("status", ""),
        urgency=params.get("urgency", ""),
        overdue=_parse_bool(params.get("overdue")),
    )
    if _parse_bool(params.get("consent_withdrawn")):
        rows = desk_search.only_consent_withdrawn(rows)
    if box == "desk":
        rows = desk_search.search(
            request.user,
            rows,
            number=params.get("number", ""),
            kana=params.get("kana", ""),
            birth_date=_parse_date(params.get("birth_date", "")),
        )
    return Response(api_lists.list_page(request, rows, box, sheet_summary))


def _parse_date(value: str) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ApiError(
            "invalid_filter", "birth_date は YYYY-MM-DD で指定してください。", 400
        ) from None


def _send(request: Request) -> Response:
    data = validated(SheetIn, request.data)
    resident = chosen_resident(request.user, data["resident"], "sheet.send")
    reference = reference_cache.current()  # the desks and concerns, one version for both
    concerns = reference.concerns(data["concerns"])
    if len(concerns) != len(set(data["concerns"])):
        raise ApiError(
            "unknown_concern", "不明な困りごとが含まれています。/ Unknown concern code.", 400
        )
    consent = None
    if data["consent"] is not None:
        consent = Consent.objects.filter(pk=data["consent"]).first()
        if consent is None:
            raise ApiError("unknown_consent", "同意が見つかりません。/ Unknown consent.", 400)
    sheet = services.send_sheet(
        request.user,
        services.SheetInput(
            resident=resident,
            to_desk=_desk(data["to_desk"], reference=reference),
            concerns=concerns,
            urgency=data["urgency"],
            legal_basis=data["legal_basis"],
            handoff_method=data["handoff_method"],
            summary=data["summary"],
            resident_words=data["resident_words"],
            consent=consent,
            justification=data["justification"],
            support_meeting=data["support_meeting"],
            contact_preference=data["contact_preference"],
            details=data["details"],
        ),
    )
    # The sent sheet carries its desk and department already, and its concerns are the ones
    # just read (in display order): no second read.
    return Response(sheet_summary(sheet, concerns), status=status.HTTP_201_CREATED)


@extend_schema(
    responses={200: SheetDetailOut, **error_responses(401, 403, 404)},
    tags=["sheets"],
    operation_id="sheets_detail",
)
@api_view(["GET"])
def sheet_detail_view(request: Request, sheet_id: int) -> Response:
    """The owner desk gets the full sheet (audited read); the sender gets the feedback view and
    its own copy of what it sent (gate ``sheet.sent_read``, audited)."""
    view = selectors.view_sheet(request.user, sheet_id)
    content = sent_copy.sent_content(request.user, view.sheet) if view.role == "sender" else None
    return Response(sheet_detail(view, content))


@extend_schema(
    responses={200: SheetEventOut(many=True), **error_responses(401, 403, 404)}, tags=["sheets"]
)
@api_view(["GET"])
def sheet_events(request: Request, sheet_id: int) -> Response:
    """The timeline: the owner desk's, the sender's (feedback rules), or a lead of a desk the
    sheet passed through (without notes; issue 20)."""
    view = selectors.view_sheet(request.user, sheet_id, trail=True)
    return Response([event_out(e, view) for e in selectors.timeline(view)])


@extend_schema(
    request=MessageIn,
    responses={201: SheetMessageOut, **error_responses(400, 401, 403, 404)},
    tags=["sheets"],
    methods=["POST"],
)
@extend_schema(
    responses={200: SheetMessageOut(many=True), **error_responses(401, 403, 404)},
    tags=["sheets"],
    methods=["GET"],
)
@api_view(["GET", "POST"])
def sheet_messages(request: Request, sheet_id: int) -> Response:
    if request.method == "POST":
        data = validated(MessageIn, request.data)
        message = services.post_message(request.user, sheet_id, data["body"])
        return Response(message_out(message), status=status.HTTP_201_CREATED)
    view = selectors.view_sheet(request.user, sheet_id)
    return Response([message_out(m) for m in selectors.messages(view)])


# Every action answers with the sheet's summary row.
ACTION_RESPONSES = {200: SheetSummaryOut, **error_responses(400, 401, 403, 404, 409)}


def _action_response(request: Request, sheet: ConnectSheet) -> Response:
    return Response(sheet_summary(selectors.get_sheet(sheet.pk)))


@extend_schema(request=None, responses=ACTION_RESPONSES, tags=["sheet actions"])
@api_view(["POST"])
def acknowledge(request: Request, sheet_id: int) -> Response:
    validated(EmptyIn, request.data)
    return _action_response(request, services.acknowledge(request.user, sheet_id))


@extend_schema(request=AcceptIn, responses=ACTION_RESPONSES, tags=["sheet actions"])
@api_view(["POST"])
def accept(request: Request, sheet_id: int) -> Response:
    data = validated(AcceptIn, request.data)
    return _action_response(request, services.accept(request.user, sheet_id, data["handler"]))


@extend_schema(request=DeskNoteIn, responses=ACTION_RESPONSES, tags=["sheet actions"])
@api_view(["POST"])
def contacted(request: Request, sheet_id: int) -> Response:
    data = validated(DeskNoteIn, request.data)
    sheet = services.mark_contacted(
        request.user, sheet_id, data["note"], share_with_sender=data["share_with_sender"]
    )
    return _action_response(request, sheet)


@extend_schema(request=DeskNoteIn, responses=ACTION_RESPONSES, tags=["sheet actions"])
@api_view(["POST"])
def connected(request: Request, sheet_id: int) -> Response:
    data = validated(DeskNoteIn, request.data)
    sheet = services.mark_connected(
        request.user, sheet_id, data["note"], share_with_sender=data["share_with_sender"]
    )
    return _action_response(request, sheet)


@extend_schema(request=RedirectIn, responses=ACTION_RESPONSES, tags=["sheet actions"])
@api_view(["POST"])
def redirect(request: Request, sheet_id: int) -> Response:
    data = validated(RedirectIn, request.data)
    sheet = services.redirect_sheet(request.user, sheet_id, _desk(data["to_desk"]), data["reason"])
    return _action_response(request, sheet)


@extend_schema(request=ReasonIn, responses=ACTION_RESPONSES, tags=["sheet actions"])
@api_view(["POST"])
def return_to_sender(request: Request, sheet_id: int) -> Response:
    data = validated(ReasonIn, request.data)
    return _action_response(request, services.return_sheet(request.user, sheet_id, data["reason"]))


@extend_schema(request=NoteIn, responses=ACTION_RESPONSES, tags=["sheet actions"])
@api_view(["POST"])
def resend(request: Request, sheet_id: int) -> Response:
    data = validated(NoteIn, request.data)
    return _action_response(request, services.resend_sheet(request.user, sheet_id, data["note"]))


@extend_schema(request=CloseIn, responses=ACTION_RESPONSES, tags=["sheet actions"])
@api_view(["POST"])
def close(request: Request, sheet_id: int) -> Response:
    data = validated(CloseIn, request.data)
    sheet = services.close_sheet(
        request.user,
        sheet_id,
        data["outcome"],
        data["note"],
        share_with_sender=data["share_with_sender"],
        lead_approval_reason=(data["lead_approval"] or {}).get("reason", ""),
    )
    return _action_response(request, sheet)


@extend_schema(request=ReasonIn, responses=ACTION_RESPONSES, tags=["sheet actions"])
@api_view(["POST"])
def withdraw(request: Request, sheet_id: int) -> Response:
    data = validated(ReasonIn, request.data)
    return _action_response(
        request, services.withdraw_sheet(request.user, sheet_id, data["reason"])
    )


@extend_schema(responses={200: ResidentOut, **error_responses(401, 403)}, tags=["residents"])
@api_view(["GET"])
def resident_detail(request: Request, resident_id: int) -> Response:
    """Identity of a resident, for staff of a desk that owns one of their sheets (audited read)."""
    resident = selectors.resident_for_desk(request.user, resident_id)
    return Response(resident_out(resident))
