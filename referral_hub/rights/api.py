"""API v1 of the residents' rights desk (privacy officers only; DESIGN.md "Residents' rights").

``/api/v1/rights-requests/`` (POST, GET ``?status=&kind=``), ``{id}/``, ``{id}/package/``
(``?format=json|html|csv``, every read audited), ``{id}/extend/``, ``{id}/decide/``,
``{id}/lift/``, and ``resident-search/`` (kana + birth date). Errors are ``{"code","detail"}``.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, renderer_classes
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from referral_hub.api_input import (
    IdField,
    NormalisedCharField,
    plausible_birth_date,
    plausible_query_date,
    plausible_received_on,
    validated,
)
from referral_hub.audit.serializers import ErrorSerializer
from referral_hub.consent.kana import to_katakana
from referral_hub.idempotency.api import idempotent
from referral_hub.rights import lookup, selectors, services
from referral_hub.rights.errors import not_found
from referral_hub.rights.formats import (
    PackageCSVRenderer,
    PackageHTMLRenderer,
    PackagePDFRenderer,
)
from referral_hub.rights.models import (
    DecisionKind,
    IdentityDocument,
    Kind,
    RightsRequest,
    WithholdingGround,
)
from referral_hub.rights.package import build_package

_FORBIDDEN = OpenApiResponse(ErrorSerializer, description="not a privacy officer")
_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="no such request (`not_found`)")
_CONFLICT = OpenApiResponse(
    ErrorSerializer, description="`already_decided`, `already_extended`, `not_suspended`"
)
_BAD = OpenApiResponse(ErrorSerializer, description="invalid input")


class IdentityCheckIn(serializers.Serializer):
    document = serializers.ChoiceField(
        choices=IdentityDocument.choices, help_text="the kind of document seen; never its number"
    )

    def to_internal_value(self, data: Any) -> Any:
        # No document number, address or photo copy is kept: any other key is refused.
        if hasattr(data, "keys") and set(data) - {"document"}:
            raise serializers.ValidationError(
                "本人確認書類は種類だけを記録します(番号は記録しません)。"
                "/ Only the document type is recorded."
            )
        return super().to_internal_value(data)


class ScopeIn(serializers.Serializer):
    start = serializers.DateField(
        required=False, allow_null=True, default=None, validators=[plausible_query_date]
    )
    end = serializers.DateField(
        required=False, allow_null=True, default=None, validators=[plausible_query_date]
    )


class RightsRequestIn(serializers.Serializer):
    resident = IdField(help_text="the internal management number (内部管理番号)")
    kind = serializers.ChoiceField(choices=Kind.choices)
    received_on = serializers.DateField(validators=[plausible_received_on])
    identity_check = IdentityCheckIn()
    scope = ScopeIn(required=False, default=None, allow_null=True)
    statement = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")


class IdentityCheckOut(serializers.Serializer):
    document = serializers.CharField()
    checked_by = serializers.IntegerField()


class RightsScopeOut(serializers.Serializer):
    start = serializers.DateField(allow_null=True)
    end = serializers.DateField(allow_null=True)


class RightsRequestOut(serializers.Serializer):
    id = serializers.IntegerField()
    resident = serializers.IntegerField(help_text="internal management number (内部管理番号)")
    kind = serializers.ChoiceField(choices=Kind.choices)
    received_on = serializers.DateField()
    received_by = serializers.IntegerField()
    identity_check = IdentityCheckOut()
    scope = RightsScopeOut()
    due_on = serializers.DateField()
    extended_until = serializers.DateField(allow_null=True)
    extension_notified_on = serializers.DateField(allow_null=True)
    deadline = serializers.DateField()
    status = serializers.ChoiceField(choices=["open", "decided"])
    overdue = serializers.BooleanField()
    decision = serializers.CharField(allow_blank=True)
    decided_on = serializers.DateField(allow_null=True)
    letter_sha256 = serializers.CharField(allow_blank=True)
    checkpoint_seq = serializers.IntegerField(allow_null=True)
    use_suspended = serializers.BooleanField()


class RightsRequestPage(serializers.Serializer):
    count = serializers.IntegerField()
    results = RightsRequestOut(many=True)


def _out(request: RightsRequest) -> dict[str, Any]:
    return {
        "id": request.pk,
        "resident": request.resident_id,
        "kind": request.kind,
        "received_on": request.received_on,
        "received_by": request.received_by_id,
        "identity_check": {
            "document": request.identity_document,
            "checked_by": request.identity_checked_by_id,
        },
        "scope": {"start": request.scope_from, "end": request.scope_until},
        "due_on": request.due_on,
        "extended_until": request.extended_until,
        "extension_notified_on": request.extension_notified_on,
        "deadline": request.deadline,
        "status": "open" if request.is_open else "decided",
        "overdue": request.is_open and request.deadline < timezone.localdate(),
        "decision": request.decision,
        "decided_on": request.decided_on,
        "letter_sha256": request.letter_sha256,
        "checkpoint_seq": request.checkpoint_seq,
        "use_suspended": request.suspensions.filter(lifted_at__isnull=True).exists(),
    }


def _request_or_404(request_id: int) -> RightsRequest:
    found = RightsRequest.objects.filter(pk=request_id).first()
    if found is None:
        raise not_found(request_id)
    return found


class RegisterQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=selectors.STATUSES, required=False, default="open")
    kind = serializers.ChoiceField(choices=Kind.choices, required=False, allow_blank=True)


@extend_schema(
    tags=["rights"],
    methods=["POST"],
    operation_id="rights_request_register",
    summary="Register a rights request (開示・訂正・利用停止)",
    request=RightsRequestIn,
    responses={201: RightsRequestOut, 400: _BAD, 403: _FORBIDDEN},
)
@extend_schema(
    tags=["rights"],
    methods=["GET"],
    operation_id="rights_requests_list",
    summary="List the register of rights requests",
    parameters=[RegisterQuery],
    responses={200: RightsRequestPage, 400: _BAD, 403: _FORBIDDEN},
)
@api_view(["GET", "POST"])
@idempotent("rights_requests.create")
def rights_requests(request: Request) -> Response:
    if request.method == "POST":
        services.require_officer(request.user, "rights_request.register")
        data = validated(RightsRequestIn, request.data)
        scope = data.get("scope") or {}
        created = services.register_request(
            request.user,
            services.NewRequest(
                resident_id=data["resident"],
                kind=data["kind"],
                received_on=data["received_on"],
                identity_document=data["identity_check"]["document"],
                scope_from=scope.get("start"),
                scope_until=scope.get("end"),
                statement=data["statement"],
            ),
        )
        return Response(_out(created), status=status.HTTP_201_CREATED)
    services.require_officer(request.user, "rights_request.list")
    query = validated(RegisterQuery, request.query_params.dict())
    rows = list(selectors.register(query["status"], query.get("kind") or ""))
    return Response({"count": len(rows), "results": [_out(r) for r in rows]})


@extend_schema(
    tags=["rights"],
    operation_id="rights_request_detail",
    responses={200: RightsRequestOut, 403: _FORBIDDEN, 404: _NOT_FOUND},
)
@api_view(["GET"])
def rights_request_detail(request: Request, request_id: int) -> Response:
    services.require_officer(request.user, "rights_request.read", target_id=request_id)
    return Response(_out(_request_or_404(request_id)))


class PackageRowOut(serializers.Serializer):
    records = serializers.ListField(child=serializers.IntegerField())
    count = serializers.IntegerField()
    first_at = serializers.CharField()
    last_at = serializers.CharField()
    date = serializers.CharField(help_text="和暦 and 西暦")
    last_date = serializers.CharField()
    withheld = serializers.BooleanField()
    what = serializers.CharField(help_text="e.g. 閲覧 ×9")
    ground = serializers.CharField(required=False)
    ground_label = serializers.CharField(required=False)
    staff_office = serializers.CharField(required=False)
    staff_title = serializers.CharField(required=False)
    receiving_office = serializers.CharField(required=False)
    categories = serializers.ListField(child=serializers.CharField(), required=False)
    purpose = serializers.CharField(required=False)
    legal_basis = serializers.CharField(required=False)


class CheckpointOut(serializers.Serializer):
    seq = serializers.IntegerField()
    head = serializers.CharField()
    key_id = serializers.CharField()
    at = serializers.CharField()


class ListedOut(serializers.Serializer):
    seq = serializers.IntegerField()
    hash = serializers.CharField()


class ProofOut(serializers.Serializer):
    checkpoint = CheckpointOut()
    listed = ListedOut(many=True)
    rows_sha256 = serializers.CharField()
    how_to_check = serializers.CharField()


class OfficeCategoriesOut(serializers.Serializer):
    office = serializers.CharField()
    categories = serializers.ListField(child=serializers.CharField())


class PackageOut(serializers.Serializer):
    request = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    resident_internal_id = serializers.IntegerField()
    resident_name = serializers.CharField(allow_blank=True)
    municipality = serializers.CharField(allow_blank=True)
    issuing_officer = serializers.CharField(allow_blank=True)
    issued_on = serializers.CharField()
    received_on = serializers.CharField()
    due_on = serializers.CharField()
    scope = serializers.DictField(child=serializers.CharField(allow_null=True))
    count = serializers.IntegerField()
    disclosures = serializers.IntegerField()
    rows = PackageRowOut(many=True)
    categories_by_office = OfficeCategoriesOut(many=True)
    proof = ProofOut()


FORMATS = ("json", "html", "csv", "pdf")


def package_for(actor: Any, request_id: int, output_format: str) -> dict[str, Any]:
    """Draw (once) and build the package, and audit the read. Pages call this too."""
    services.require_officer(
        actor, "rights_request.package_read", target_type="rights_request", target_id=request_id
    )
    _request_or_404(request_id)
    services.require_step_up(actor, request_id)
    rights_request = services.draw_checkpoint(actor, request_id)
    package = build_package(rights_request, officer=actor)
    services.record_package_read(actor, rights_request, output_format, len(package["rows"]))
    return package


@extend_schema(
    tags=["rights"],
    operation_id="rights_request_package",
    summary="The disclosure package (JSON, printable HTML, CSV or PDF); every read is audited",
    parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=list(FORMATS), required=False)],
    responses={
        (200, "application/json"): PackageOut,
        (200, "text/csv"): OpenApiTypes.STR,
        (200, "text/html"): OpenApiTypes.STR,
        (200, "application/pdf"): OpenApiTypes.BINARY,
        403: _FORBIDDEN,
        404: _NOT_FOUND,
        503: OpenApiResponse(ErrorSerializer, description="`checkpoint_unavailable`"),
    },
)
@api_view(["GET"])
@renderer_classes([JSONRenderer, PackageCSVRenderer, PackageHTMLRenderer, PackagePDFRenderer])
def rights_request_package(request: Request, request_id: int) -> Response:
    output_format = request.accepted_renderer.format
    package = package_for(request.user, request_id, output_format)
    response = Response(package)
    if output_format in ("csv", "pdf"):
        response["Content-Disposition"] = (
            f'attachment; filename="disclosure-package-{request_id}.{output_format}"'
        )
    return response


class ExtendIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


@extend_schema(
    tags=["rights"],
    operation_id="rights_request_extend",
    request=ExtendIn,
    responses={200: RightsRequestOut, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND, 409: _CONFLICT},
)
@api_view(["POST"])
def rights_request_extend(request: Request, request_id: int) -> Response:
    services.require_officer(request.user, "rights_request.extend", target_id=request_id)
    data = validated(ExtendIn, request.data)
    return Response(_out(services.extend_request(request.user, request_id, data["reason"])))


class WithheldIn(serializers.Serializer):
    seq = IdField()
    ground = serializers.ChoiceField(choices=WithholdingGround.choices)


class DecideIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=DecisionKind.choices)
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    withheld = WithheldIn(many=True, required=False, default=list)


@extend_schema(
    tags=["rights"],
    operation_id="rights_request_decide",
    request=DecideIn,
    responses={200: RightsRequestOut, 400: _BAD, 403: _FORBIDDEN, 404: _NOT_FOUND, 409: _CONFLICT},
)
@api_view(["POST"])
def rights_request_decide(request: Request, request_id: int) -> Response:
    services.require_officer(request.user, "rights_request.decide", target_id=request_id)
    data = validated(DecideIn, request.data)
    decided = services.decide_request(
        request.user,
        request_id,
        data["decision"],
        data["note"],
        withheld=[services.Withheld(w["seq"], w["ground"]) for w in data["withheld"]],
    )
    return Response(_out(decided))


class LiftIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


@extend_schema(
    tags=["rights"],
    operation_id="rights_request_lift",
    summary="Lift the suspension of use this request started",
    request=LiftIn,
    responses={200: RightsRequestOut, 403: _FORBIDDEN, 404: _NOT_FOUND, 409: _CONFLICT},
)
@api_view(["POST"])
def rights_request_lift(request: Request, request_id: int) -> Response:
    services.require_officer(request.user, "rights_request.lift", target_id=request_id)
    data = validated(LiftIn, request.data)
    services.lift_suspension(request.user, request_id, data["reason"])
    return Response(_out(_request_or_404(request_id)))


class ResidentSearchQuery(serializers.Serializer):
    kana = NormalisedCharField(normalise=to_katakana, max_length=200)
    birth_date = serializers.DateField(validators=[plausible_birth_date])


class FoundOut(serializers.Serializer):
    internal_id = serializers.IntegerField(help_text="内部管理番号 (not the 住民票コード)")
    family_name = serializers.CharField()
    given_name = serializers.CharField()
    family_name_kana = serializers.CharField()
    given_name_kana = serializers.CharField()
    birth_date = serializers.DateField(allow_null=True)
    registered_at_place = serializers.CharField(allow_null=True)


@extend_schema(
    tags=["rights"],
    operation_id="rights_resident_search",
    summary="Find the requesting resident by full kana name and birth date (audited)",
    parameters=[ResidentSearchQuery],
    responses={200: FoundOut(many=True), 400: _BAD, 403: _FORBIDDEN},
)
@api_view(["GET"])
def rights_resident_search(request: Request) -> Response:
    services.require_officer(request.user, "rights.resident_search")
    query = validated(ResidentSearchQuery, request.query_params.dict())
    found = lookup.find_resident(request.user, query["kana"], query["birth_date"])
    return Response([f.__dict__ for f in found])
