"""API v1: residents (register, duplicate search), consents (record, read, withdraw), legal bases."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes
from rest_framework.request import Request
from rest_framework.response import Response

from referral_hub.api_errors import ApiError
from referral_hub.api_files import file_errors, max_upload_bytes, single_upload
from referral_hub.api_input import (
    IdField,
    NormalisedCharField,
    WarekiDateField,
    plausible_birth_date,
    plausible_valid_until,
    validated,
)
from referral_hub.consent import evidence, policy, services
from referral_hub.consent.categories import Category, Method
from referral_hub.consent.kana import to_katakana, to_phone
from referral_hub.consent.models import Consent, LegalBasis, Resident, Signatory
from referral_hub.consent.refusals import require_allowed
from referral_hub.directory.actors import Actor
from referral_hub.idempotency.api import idempotent
from referral_hub.multipart_stream import StreamedMultiPartParser
from referral_hub.resident_texts.languages import choices as resident_language_choices


class ResidentIn(serializers.Serializer):
    family_name = serializers.CharField(max_length=100)
    given_name = serializers.CharField(max_length=100, allow_blank=True, default="")
    family_name_kana = NormalisedCharField(normalise=to_katakana, max_length=100)
    given_name_kana = NormalisedCharField(
        normalise=to_katakana, max_length=100, allow_blank=True, default=""
    )
    birth_date = WarekiDateField(
        allow_null=True,
        required=False,
        default=None,
        validators=[plausible_birth_date],
        help_text="YYYY-MM-DD or 和暦 (昭和55年4月1日, S55.4.1, R2/1/1); null: not given",
    )
    address = serializers.CharField(max_length=300, allow_blank=True, default="")
    phone = NormalisedCharField(normalise=to_phone, max_length=32, allow_blank=True, default="")


class ResidentCreated(ResidentIn):
    id = serializers.IntegerField()


class ResidentMatch(serializers.Serializer):
    id = serializers.IntegerField()
    match = serializers.ChoiceField(
        choices=["full_name", "family_name"],
        help_text="family_name: only the family name matched; given name and consents withheld",
    )
    family_name_kana = serializers.CharField()
    given_name_kana = serializers.CharField()
    birth_date = serializers.DateField(allow_null=True)
    registered_at_place = serializers.CharField(
        allow_null=True,
        help_text="the department or desk that registered the resident (null: unknown, or a "
        "family_name row)",
    )
    active_consents = serializers.ListField(child=serializers.IntegerField())


@extend_schema(
    request=ResidentIn, responses={201: ResidentCreated}, tags=["residents"], methods=["POST"]
)
@extend_schema(
    parameters=[
        OpenApiParameter("q", str, description="kana (family name or full name)"),
        OpenApiParameter("birth_date", str, description="YYYY-MM-DD"),
    ],
    responses=ResidentMatch(many=True),
    tags=["residents"],
    methods=["GET"],
)
@api_view(["GET", "POST"])
@idempotent("residents.create")
def residents(request: Request) -> Response:
    """POST registers a resident; GET finds possible duplicates by kana + birth date first."""
    if request.method == "GET":
        return _find_residents(request)
    data = validated(ResidentIn, request.data)
    resident = services.register_resident(request.user, services.ResidentInput(**data))
    return Response({"id": resident.pk, **ResidentIn(data).data}, status=status.HTTP_201_CREATED)


def _find_residents(request: Request) -> Response:
    decision = policy.authorize_registration(request.user, "resident.search")
    require_allowed(decision)
    birth = WarekiDateField(allow_null=True, validators=[plausible_birth_date]).run_validation(
        request.query_params.get("birth_date") or None
    )
    matches = services.find_possible_duplicates(
        request.user, request.query_params.get("q", ""), birth
    )
    active = services.active_consent_ids([m.pk for m in matches if m.full_name_match])
    # A family-name-only match shows no given name, registering place or consents: search
    # again with the full name the resident gives (only that relates the counter to them).
    return Response(
        [
            {
                "id": m.pk,
                "match": "full_name" if m.full_name_match else "family_name",
                "family_name_kana": m.family_name_kana,
                "given_name_kana": m.given_name_kana if m.full_name_match else "",
                "birth_date": m.birth_date,
                "registered_at_place": services.registered_at_place(m)
                if m.full_name_match
                else None,
                "active_consents": active.get(m.pk, []),
            }
            for m in matches
        ]
    )


class ConsentIn(serializers.Serializer):
    resident = IdField()
    recipients = serializers.ListField(child=IdField(), allow_empty=False, max_length=50)
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=Category.choices), allow_empty=False
    )
    purpose = serializers.CharField(max_length=500)
    method = serializers.ChoiceField(choices=Method.choices)
    witness = serializers.CharField(max_length=100, allow_blank=True, default="")
    valid_until = WarekiDateField(validators=[plausible_valid_until])
    notice_version = serializers.CharField(
        max_length=32,
        allow_blank=True,
        default="",
        help_text="the consent notice version shown or read aloud; default: the latest",
    )
    language = serializers.ChoiceField(
        choices=resident_language_choices(), default="ja", help_text="the notice's language"
    )
    read_aloud = serializers.BooleanField(default=False)
    signatory = serializers.ChoiceField(choices=Signatory.choices, default=Signatory.SELF)
    signatory_name = serializers.CharField(
        max_length=100,
        allow_blank=True,
        default="",
        help_text="required unless signatory is self (stored encrypted)",
    )
    signatory_document = serializers.CharField(
        max_length=200,
        allow_blank=True,
        default="",
        help_text="the document seen for a representative or proxy (委任状, 登記事項証明書 …)",
    )


class ConsentOut(serializers.Serializer):
    id = serializers.IntegerField()
    resident = serializers.IntegerField(source="resident_id")
    recipients = serializers.SerializerMethodField()
    categories = serializers.ListField(child=serializers.CharField())
    purpose = serializers.CharField()
    method = serializers.CharField()
    witness = serializers.CharField()
    recorded_by = serializers.IntegerField(source="recorded_by_id")
    recorded_at = serializers.DateTimeField()
    valid_until = serializers.DateField()
    status = serializers.CharField()
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    evidence = serializers.SerializerMethodField()
    notice_version = serializers.CharField()
    notice_sha256 = serializers.CharField(help_text="SHA-256 of the notice text, hex")
    language = serializers.CharField()
    read_aloud = serializers.BooleanField()
    signatory = serializers.ChoiceField(choices=Signatory.choices)
    signatory_name = serializers.CharField()
    signatory_document = serializers.CharField()

    def get_evidence(self, consent: Consent) -> list[dict]:
        return [
            {"id": e.pk, "size": e.size, "content_type": e.content_type, "sha256": e.sha256}
            for e in consent.evidence.all()
        ]

    def get_recipients(self, consent: Consent) -> list[int]:
        return sorted(d.pk for d in consent.recipients.all())


class WithdrawIn(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=True, default="")


def chosen_resident(actor: Actor, resident_id: int, purpose: str) -> Resident:
    """The resident ``actor`` may use for ``purpose``; an unknown id and a resident without a
    relationship are refused alike (403 ``no_relationship``, recorded by the gate)."""
    decision, resident = policy.authorize_resident(actor, resident_id, purpose)
    require_allowed(decision)
    return resident


def _readable_consent(actor: Actor, consent_id: int) -> Consent:
    decision, _ = policy.authorize_consent(actor, consent_id, "consent.read")
    require_allowed(decision)
    consent = (
        Consent.objects.prefetch_related("recipients", "evidence").filter(pk=consent_id).first()
    )
    if consent is None:  # only the privacy officer gets here for an unknown id
        raise ApiError("not_found", "同意が見つかりません。/ Consent not found.", 404)
    return consent


@extend_schema(request=ConsentIn, responses={201: ConsentOut}, tags=["consents"])
@api_view(["POST"])
@idempotent("consents.create")
def consents(request: Request) -> Response:
    data = validated(ConsentIn, request.data)
    resident = chosen_resident(request.user, data["resident"], "consent.record")
    desks = services.desks_by_ids(data["recipients"])
    consent = services.record_consent(
        request.user,
        services.ConsentInput(
            resident=resident,
            recipients=desks,
            categories=data["categories"],
            purpose=data["purpose"],
            method=data["method"],
            witness=data["witness"],
            valid_until=data["valid_until"],
            notice_version=data["notice_version"],
            language=data["language"],
            read_aloud=data["read_aloud"],
            signatory=data["signatory"],
            signatory_name=data["signatory_name"],
            signatory_document=data["signatory_document"],
        ),
    )
    return Response(ConsentOut(consent).data, status=status.HTTP_201_CREATED)


@extend_schema(responses=ConsentOut, tags=["consents"])
@api_view(["GET"])
def consent_detail(request: Request, consent_id: int) -> Response:
    """A consent's scope, method and status, for the places related to it (``consent.read``)."""
    return Response(ConsentOut(_readable_consent(request.user, consent_id)).data)


@extend_schema(responses=ConsentOut(many=True), tags=["consents"])
@api_view(["GET"])
def resident_consents(request: Request, resident_id: int) -> Response:
    """The resident's consents, so a returning resident can be referred without a new one."""
    resident = chosen_resident(request.user, resident_id, "consent.list")
    rows = (
        Consent.objects.filter(resident=resident)
        .select_related("data_key")  # purpose and witness are decrypted for each row
        .prefetch_related("recipients")
        .order_by("-recorded_at")
    )
    return Response(ConsentOut(rows, many=True).data)


@extend_schema(request=WithdrawIn, responses=ConsentOut, tags=["consents"])
@api_view(["POST"])
def consent_withdraw(request: Request, consent_id: int) -> Response:
    data = validated(WithdrawIn, request.data)
    consent = services.withdraw_consent(request.user, consent_id, data["reason"])
    consent = Consent.objects.prefetch_related("recipients", "evidence").get(pk=consent.pk)
    return Response(ConsentOut(consent).data)


class LegalBasisOut(serializers.ModelSerializer):
    class Meta:
        model = LegalBasis
        fields = ["id", "code", "label", "description", "requires_justification", "requires_review"]


@extend_schema(responses=LegalBasisOut(many=True), tags=["directory"])
@api_view(["GET"])
def legal_bases(request: Request) -> Response:
    return Response(LegalBasisOut(LegalBasis.objects.filter(is_active=True), many=True).data)


class EvidenceOut(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    sha256 = serializers.CharField()


class EvidenceIn(serializers.Serializer):
    file = serializers.FileField()


@extend_schema(
    request={"multipart/form-data": EvidenceIn}, responses={201: EvidenceOut}, tags=["consents"]
)
@api_view(["POST"])
@parser_classes([StreamedMultiPartParser])
@idempotent("consents.evidence")
def consent_evidence(request: Request, consent_id: int) -> Response:
    """Attach the scanned signed form (multipart field ``file``); stored encrypted."""
    upload = single_upload(request)
    try:
        with file_errors():
            item = evidence.attach_evidence(
                request.user, consent_id, upload, max_bytes=max_upload_bytes()
            )
    except evidence.EvidenceNotFound:
        raise ApiError("not_found", "同意が見つかりません。/ Consent not found.", 404) from None
    body = {
        "id": item.pk,
        "filename": item.filename,
        "size": item.size,
        "content_type": item.content_type,
        "sha256": item.sha256,
    }
    return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(responses={(200, "application/octet-stream"): bytes}, tags=["consents"])
@api_view(["GET"])
def consent_evidence_content(request: Request, evidence_id: int) -> StreamingHttpResponse:
    """The signed form's plaintext, for privacy officers (audited)."""
    try:
        item, chunks = evidence.open_evidence(request.user, evidence_id)
    except evidence.EvidenceNotFound:
        raise ApiError("not_found", "書類が見つかりません。/ Not found.", 404) from None
    response = StreamingHttpResponse(chunks, content_type=item.content_type)
    response["Content-Disposition"] = content_disposition_header(True, item.filename)
    response["Cache-Control"] = "no-store"
    return response
