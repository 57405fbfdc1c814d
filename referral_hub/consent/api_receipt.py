"""API v1: the consent receipt (``GET consents/{id}/receipt/?lang=&format=``) and the consent
as an ISO/IEC TS 27560-shaped record (``GET consents/{id}/record/``)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from referral_hub.api_errors import ApiError
from referral_hub.api_schema import error_responses
from referral_hub.consent.api import _readable_consent
from referral_hub.consent.receipt import build_receipt, render_receipt, ts27560_record
from referral_hub.printing import document_view, html_to_pdf
from referral_hub.resident_texts.languages import RESIDENT_LANGUAGES


class _ControllerOut(serializers.Serializer):
    name = serializers.CharField()
    id = serializers.CharField()


class _HashOut(serializers.Serializer):
    algorithm = serializers.CharField()
    value = serializers.CharField()


class _NoticeOut(serializers.Serializer):
    notice_version = serializers.CharField()
    notice_language = serializers.CharField()
    notice_hash = _HashOut()
    read_aloud = serializers.BooleanField()


class _PurposeOut(serializers.Serializer):
    purpose = serializers.CharField()
    description = serializers.CharField()


class _RecipientOut(serializers.Serializer):
    id = serializers.CharField(help_text="desk:<code>")
    name = serializers.CharField()


class _DurationOut(serializers.Serializer):
    valid_until = serializers.DateField()


class _DelegationOut(serializers.Serializer):
    signatory = serializers.CharField(help_text="legal_representative | proxy")
    document_seen = serializers.BooleanField()


class _EvidenceOut(serializers.Serializer):
    id = serializers.IntegerField()
    sha256 = serializers.CharField()


class _EventOut(serializers.Serializer):
    event_type = serializers.ChoiceField(choices=["given", "withdrawn"])
    event_time = serializers.DateTimeField()
    event_actor = serializers.CharField(required=False)
    recorded_by = serializers.CharField(help_text="staff:<user id>")


class Ts27560RecordOut(serializers.Serializer):
    """A consent record shaped after ISO/IEC TS 27560:2023 (ids and codes, no names)."""

    schema_name = serializers.CharField()
    schema_version = serializers.CharField()
    record_id = serializers.CharField()
    record_time = serializers.DateTimeField()
    pii_principal_id = serializers.CharField(help_text="resident:<id>, an opaque id")
    pii_controller = _ControllerOut()
    notice = _NoticeOut()
    consent_language = serializers.CharField()
    consent_type = serializers.CharField()
    collection_method = serializers.CharField()
    purposes = _PurposeOut(many=True)
    pii_categories = serializers.ListField(child=serializers.CharField())
    recipients = _RecipientOut(many=True)
    legal_basis = serializers.ListField(child=serializers.CharField())
    duration = _DurationOut()
    consent_status = serializers.CharField()
    withdrawal_method = serializers.CharField()
    delegation = _DelegationOut(allow_null=True)
    evidence = _EvidenceOut(many=True)
    events = _EventOut(many=True)


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
    responses={200: Ts27560RecordOut, **error_responses(401, 403, 404)},
    tags=["consents"],
    operation_id="consents_record_ts27560",
)
@api_view(["GET"])
def consent_record(request: Request, consent_id: int) -> Response:
    """The consent as a JSON record shaped after ISO/IEC TS 27560 (ids and codes; the resident
    is an opaque id). For the places that may read the consent (``consent.read``, audited)."""
    return Response(ts27560_record(_readable_consent(request.user, consent_id)))
