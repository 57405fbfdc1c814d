"""API v1 for the resident in the loop: the handout (``GET sheets/{id}/handout/``) and the
arrival at the desk (``POST sheets/{id}/arrived/``)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from referral_hub.api_errors import ApiError
from referral_hub.api_input import validated
from referral_hub.api_schema import error_responses
from referral_hub.handoffs import handout, selectors
from referral_hub.handoffs.api_bodies import sheet_summary
from referral_hub.handoffs.arrival import record_arrival
from referral_hub.handoffs.schemas import SheetSummaryOut
from referral_hub.printing import document_view, html_to_pdf
from referral_hub.resident_texts.languages import RESIDENT_LANGUAGES


class ArrivedIn(serializers.Serializer):
    code = serializers.CharField(
        max_length=32, help_text="the arrival code on the handout, typed or scanned (26-0123-5)"
    )


class ArrivedOut(SheetSummaryOut):
    recorded = serializers.BooleanField(
        help_text="false: the arrival had been recorded before (a second scan changes nothing)"
    )


@extend_schema(
    parameters=[
        OpenApiParameter(
            "lang",
            str,
            enum=list(RESIDENT_LANGUAGES),
            description="the resident's language; unknown or missing: easy_ja (やさしい日本語)",
        ),
        OpenApiParameter("format", str, enum=["html", "pdf"], description="default html"),
        OpenApiParameter("paper", str, enum=list(handout.PAPERS), description="PDF page size"),
    ],
    responses={
        (200, "text/html"): OpenApiTypes.STR,
        (200, "application/pdf"): OpenApiTypes.BINARY,
        **error_responses(401, 403, 404),
    },
    tags=["sheets"],
    operation_id="sheets_handout",
)
@api_view(["GET"])
@document_view
def sheet_handout(request: Request, sheet_id: int) -> Response:
    """つなぎ先のご案内: the desk's place, hours, phone and what to bring, the arrival code and
    its QR code. No case content. For the sending side and the owner desk."""
    fmt = request.query_params.get("format", "html")
    if fmt not in ("html", "pdf"):
        raise ApiError("invalid_format", "format は html か pdf です。", 400)
    doc = handout.handout_for(
        request.user,
        sheet_id,
        request.query_params.get("lang", ""),
        request.query_params.get("paper", "a4"),
    )
    if fmt == "pdf":
        pdf = html_to_pdf(handout.render_html(doc, for_pdf=True), ["handoffs/handout.css"])
        response = Response(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="handout-{doc.sheet_number}.pdf"'
    else:
        response = Response(handout.render_html(doc), content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


@extend_schema(
    request=ArrivedIn,
    responses={200: ArrivedOut, **error_responses(400, 401, 403, 404, 409)},
    tags=["sheet actions"],
)
@api_view(["POST"])
def sheet_arrived(request: Request, sheet_id: int) -> Response:
    """来所: the owner desk records that the resident came, with the handout's arrival code.
    A wrong code is 400 ``arrival_code_mismatch``; a second scan answers ``recorded: false``."""
    data = validated(ArrivedIn, request.data)
    sheet, recorded = record_arrival(request.user, sheet_id, data["code"])
    body = sheet_summary(selectors.get_sheet(sheet.pk))
    return Response({**body, "recorded": recorded})
