"""API v1: the consent receipt (``GET consents/{id}/receipt/?lang=&format=``) and the consent
as an ISO/IEC TS 27560-shaped record (``GET consents/{id}/record/``)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from referral_hub.api_errors import ApiError
from referral_hub.api_schema import error_responses
from referral_hub.consent.api import _readable_consent
from referral_hub.consent.receipt import build_receipt, render_receipt, ts27560_record
from referral_hub.printing import document_view, html_to_pdf
from referral_hub.resident_texts.languages import RESIDENT_LANGUAGES


@extend_schema(
    parameters=[
        OpenApiParameter(
            "lang",
            str,
            enum=list(RESIDENT_LANGUAGES),
            description="default: the consent's language; unknown: easy_ja",
        ),
        OpenApiParameter("format", str, enum=["html", "pdf"], description="default html"),
    ],
    responses={
        (200, "text/html"): OpenApiTypes.STR,
        (200, "application/pdf"): OpenApiTypes.BINARY,
        **error_responses(401, 403, 404),
    },
    tags=["consents"],
    operation_id="consents_receipt",
)
@api_view(["GET"])
@document_view
def consent_receipt(request: Request, consent_id: int) -> Response:
    """同意書の控え in the resident's language, with the notice text of the consent's version.
    For the places that may read the consent (``consent.read``, audited)."""
    fmt = request.query_params.get("format", "html")
    if fmt not in ("html", "pdf"):
        raise ApiError("invalid_format", "format は html か pdf です。", 400)
    consent = _readable_consent(request.user, consent_id)
    receipt = build_receipt(consent, request.query_params.get("lang", ""))
    if fmt == "pdf":
        pdf = html_to_pdf(render_receipt(receipt, for_pdf=True), ["handoffs/handout.css"])
        response = Response(pdf, content_type="application/pdf")
    else:
        response = Response(render_receipt(receipt), content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


@extend_schema(
    responses={200: OpenApiTypes.OBJECT, **error_responses(401, 403, 404)},
    tags=["consents"],
    operation_id="consents_record_ts27560",
)
@api_view(["GET"])
def consent_record(request: Request, consent_id: int) -> Response:
    """The consent as a JSON record shaped after ISO/IEC TS 27560 (ids and codes; the resident
    is an opaque id). For the places that may read the consent (``consent.read``, audited)."""
    return Response(ts27560_record(_readable_consent(request.user, consent_id)))
