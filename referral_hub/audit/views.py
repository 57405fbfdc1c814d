"""The privacy officer's API. Every read of the audit log is itself audited, and a refused
request leaves a refused event (``permission_denied``)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view, renderer_classes
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from referral_hub import account_lock
from referral_hub.api_input import clean_json
from referral_hub.audit.anomalies import DEFAULT_THRESHOLD, anomalies_on
from referral_hub.audit.log import record
from referral_hub.audit.models import DisclosureReview
from referral_hub.audit.renderers import DisclosureCSVRenderer, DisclosureHTMLRenderer
from referral_hub.audit.reviews import ReviewError, decide_review
from referral_hub.audit.selectors import (
    disclosure_rows,
    disclosures_of_resident,
    review_queue,
    search_events,
)
from referral_hub.audit.serializers import (
    AnomalyQuerySerializer,
    AnomalyReportSerializer,
    AuditEventPageSerializer,
    AuditEventSerializer,
    DisclosureReportSerializer,
    DisclosureReviewPageSerializer,
    DisclosureReviewSerializer,
    ErrorSerializer,
    EventQuerySerializer,
    ReviewDecisionSerializer,
    ReviewQuerySerializer,
    VerifySerializer,
)
from referral_hub.audit.verify import verify_chain
from referral_hub.replica import replica_reads

VIEW_PERMISSION = "audit.view_auditevent"
REVIEW_PERMISSION = "audit.review_disclosure"

_FORBIDDEN = OpenApiResponse(
    ErrorSerializer, description="not a privacy officer (`permission_denied`)"
)
_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="no such review (`not_found`)")

_PAGE_PARAMETERS = [
    OpenApiParameter("page", OpenApiTypes.INT, required=False, description="page number, from 1"),
    OpenApiParameter(
        "page_size", OpenApiTypes.INT, required=False, description="rows per page (max 500)"
    ),
]


class AuditPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _require(request: Request, permission: str, action: str, **audit: Any) -> None:
    """Refuse, and audit the refusal, unless the user holds ``permission``."""
    if request.user.has_perm(permission):
        return
    record(
        action,
        actor=request.user,
        allowed=False,
        refusal_code="permission_denied",
        details={"permission": permission},
        **audit,
    )
    raise PermissionDenied(
        "監査ログは個人情報保護担当者のみ閲覧できます。 / Privacy officers only."
    )


def _record_read(request: Request, permission: str, action: str, **audit: Any) -> None:
    """Record an allowed read of the log, with ``permission`` decided again on the locked
    account in the same transaction (``account_lock.has_perm_now``). The answer leaves only
    after this commit, so a privacy officer whose membership was removed while it was being
    prepared gets 403 (the refusal recorded), never the data (docs/operations/locks.md)."""
    with transaction.atomic():
        allowed = account_lock.permitted_now(request.user, permission, action, **audit)
        if allowed:
            record(action, actor=request.user, **audit)
    if not allowed:
        raise PermissionDenied(
            "監査ログは個人情報保護担当者のみ閲覧できます。 / Privacy officers only."
        )


@extend_schema(
    tags=["audit"],
    operation_id="audit_events_list",
    summary="Search the audit log",
    parameters=[EventQuerySerializer, *_PAGE_PARAMETERS],
    responses={200: AuditEventPageSerializer, 403: _FORBIDDEN},
)
@api_view(["GET"])
def events(request: Request) -> Response:
    _require(request, VIEW_PERMISSION, "audit.search")
    query = EventQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    filters = query.filters()
    paginator = AuditPagination()
    with replica_reads():  # a search may lag the log by seconds (docs/operations/replica.md)
        page = paginator.paginate_queryset(search_events(filters), request)
        data = AuditEventSerializer(page, many=True).data
    _record_read(
        request,
        VIEW_PERMISSION,
        "audit.search",
        target_type="audit_log",
        resident_id=filters.resident,
        details={**filters.as_details(), "results": len(data)},
    )
    return paginator.get_paginated_response(data)


@extend_schema(
    tags=["audit"],
    operation_id="resident_disclosures",
    summary="A resident's disclosure report (本人開示)",
    description=(
        "Every allowed read, send, redirect or export of this resident's data: who, from which "
        "desk, when, on which legal basis. `?format=csv` gives UTF-8 CSV with a BOM and Japanese "
        "headers; `?format=html` a printable page to hand to the resident."
    ),
    parameters=[
        OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv", "html"], required=False)
    ],
    responses={
        (200, "application/json"): DisclosureReportSerializer,
        (200, "text/csv"): OpenApiTypes.STR,
        (200, "text/html"): OpenApiTypes.STR,
        403: _FORBIDDEN,
    },
)
@api_view(["GET"])
@renderer_classes([JSONRenderer, DisclosureCSVRenderer, DisclosureHTMLRenderer])
def resident_disclosures(request: Request, resident_id: int) -> Response:
    _require(request, VIEW_PERMISSION, "audit.disclosure_report", resident_id=resident_id)
    rows = disclosure_rows(disclosures_of_resident(resident_id))
    output_format = request.accepted_renderer.format
    _record_read(
        request,
        VIEW_PERMISSION,
        "audit.disclosure_report",
        target_type="resident",
        target_id=resident_id,
        resident_id=resident_id,
        details={"format": output_format, "results": len(rows)},
    )
    report = {
        "resident": resident_id,
        "generated_at": timezone.localtime(),
        "count": len(rows),
        "results": rows,
    }
    response = Response(report)
    if output_format == "csv":
        response["Content-Disposition"] = (
            f'attachment; filename="disclosures-resident-{resident_id}.csv"'
        )
    return response


@extend_schema(
    tags=["audit"],
    operation_id="audit_verify",
    summary="Verify the audit chain and its signed checkpoints",
    description=(
        "Checkpoints are checked against the trusted key set (AUDIT_SIGNING_KEY plus "
        "AUDIT_RETIRED_PUBLIC_KEYS). `status` is `ok`, `unverifiable` (the chain verifies; "
        "the lines in `unverifiable` are signed by a key outside the set), `altered` "
        "(`first_bad_seq` and `reason` say what) or `error` (the keys could not be loaded). "
        "The answer names seqs, line numbers and key ids, never file paths."
    ),
    parameters=[
        OpenApiParameter(
            "incremental",
            OpenApiTypes.BOOL,
            required=False,
            description="start at the latest checkpoint instead of seq 1",
        )
    ],
    responses={200: VerifySerializer, 403: _FORBIDDEN},
)
@api_view(["GET"])
def verify(request: Request) -> Response:
    _require(request, VIEW_PERMISSION, "audit.verify")
    incremental = request.query_params.get("incremental", "").lower() in {"1", "true", "yes"}
    result = verify_chain(incremental=incremental)
    _record_read(
        request,
        VIEW_PERMISSION,
        "audit.verify",
        target_type="audit_log",
        details={
            "ok": result.ok,
            "status": result.status,
            "entries": result.entries,
            "first_bad_seq": result.first_bad_seq,
            "incremental": incremental,
        },
    )
    return Response(result.as_dict())


@extend_schema(
    tags=["audit"],
    operation_id="audit_reviews_list",
    summary="The review queue of disclosures made without consent",
    parameters=[ReviewQuerySerializer, *_PAGE_PARAMETERS],
    responses={200: DisclosureReviewPageSerializer, 403: _FORBIDDEN},
)
@api_view(["GET"])
def reviews(request: Request) -> Response:
    _require(request, VIEW_PERMISSION, "audit.review_list")
    query = ReviewQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    review_status = query.validated_data.get("status", "")
    paginator = AuditPagination()
    page = paginator.paginate_queryset(review_queue(review_status), request)
    data = DisclosureReviewSerializer(page, many=True).data
    _record_read(
        request,
        VIEW_PERMISSION,
        "audit.review_list",
        target_type="disclosure_review",
        details={"status": review_status, "results": len(data)},
    )
    return paginator.get_paginated_response(data)


@extend_schema(
    methods=["GET"],
    tags=["audit"],
    operation_id="audit_review_retrieve",
    summary="One review of a disclosure made without consent",
    responses={200: DisclosureReviewSerializer, 403: _FORBIDDEN, 404: _NOT_FOUND},
)
@extend_schema(
    methods=["POST"],
    tags=["audit"],
    operation_id="audit_review_decide",
    summary="The privacy officer's decision on a review",
    description=(
        "`approve`, or `flag` with a note saying what is wrong. Flagging notifies the desk "
        "lead (signal `disclosure_flagged`)."
    ),
    request=ReviewDecisionSerializer,
    responses={
        200: DisclosureReviewSerializer,
        400: OpenApiResponse(ErrorSerializer, description="`invalid_decision`, `note_required`"),
        403: _FORBIDDEN,
        404: _NOT_FOUND,
        409: OpenApiResponse(ErrorSerializer, description="`already_decided`"),
    },
)
@api_view(["GET", "POST"])
def review_detail(request: Request, pk: int) -> Response:
    if request.method == "GET":
        _require(
            request,
            VIEW_PERMISSION,
            "audit.review_list",
            target_type="disclosure_review",
            target_id=pk,
        )
        review = review_queue().filter(pk=pk).first()
        if review is None:
            raise NotFound(f"review {pk} does not exist")
        _record_read(
            request,
            VIEW_PERMISSION,
            "audit.review_list",
            target_type="disclosure_review",
            target_id=pk,
            resident_id=review.event.resident_id,
            details={"results": 1},
        )
        return Response(DisclosureReviewSerializer(review).data)

    _require(
        request,
        REVIEW_PERMISSION,
        "disclosure_review.decide",
        target_type="disclosure_review",
        target_id=pk,
    )
    body = ReviewDecisionSerializer(data=clean_json(request.data))
    body.is_valid(raise_exception=True)
    try:
        decided = decide_review(
            pk,
            decision=body.validated_data["decision"],
            note=body.validated_data["note"],
            actor=request.user,
        )
    except ReviewError as exc:
        http_status = {
            "permission_denied": status.HTTP_403_FORBIDDEN,
            "not_found": status.HTTP_404_NOT_FOUND,
            "already_decided": status.HTTP_409_CONFLICT,
        }.get(exc.code, status.HTTP_400_BAD_REQUEST)
        return Response({"code": exc.code, "detail": exc.detail}, status=http_status)
    decided = DisclosureReview.objects.select_related("event", "decided_by").get(pk=decided.pk)
    return Response(DisclosureReviewSerializer(decided).data)


@extend_schema(
    tags=["audit"],
    operation_id="audit_anomalies",
    summary="Anomalies in one day's reads",
    description=(
        "Staff who opened more than `threshold` distinct residents that day, reads outside "
        "office hours (OFFICE_HOURS, weekends, public holidays) and reads of sheets owned by "
        "another desk than the reader's."
    ),
    parameters=[AnomalyQuerySerializer],
    responses={200: AnomalyReportSerializer, 403: _FORBIDDEN},
)
@api_view(["GET"])
def anomalies(request: Request) -> Response:
    _require(request, VIEW_PERMISSION, "audit.anomalies")
    query = AnomalyQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    day = query.validated_data.get("date") or timezone.localdate()
    threshold = query.validated_data.get("threshold", DEFAULT_THRESHOLD)
    report = anomalies_on(day, threshold)
    _record_read(
        request,
        VIEW_PERMISSION,
        "audit.anomalies",
        target_type="audit_log",
        details={
            "date": day.isoformat(),
            "threshold": threshold,
            "many_residents": len(report.many_residents),
            "outside_office_hours": len(report.outside_office_hours),
            "foreign_desk_reads": len(report.foreign_desk_reads),
            "self_granted_memberships": len(report.self_granted_memberships),
        },
    )
    return Response(AnomalyReportSerializer(report).data)
