"""The privacy officer's pages: a resident's disclosure report (本人開示), audit search, the
review queue of disclosures made without consent, chain verification and anomalies."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from frontend import audit_access
from frontend.audit_access import REVIEW_PERMISSION, VIEW_PERMISSION
from frontend.forms.audit import (
    AnomalyForm,
    AuditSearchForm,
    DisclosureLookupForm,
    ReviewDecisionForm,
)
from frontend.forms.base import error_summary
from frontend.views.rights import deadline_alerts
from referral_hub.audit.anomalies import anomalies_on
from referral_hub.audit.log import record
from referral_hub.audit.models import DisclosureReview
from referral_hub.audit.reviews import ReviewError, decide_review, review_facts
from referral_hub.audit.selectors import (
    consent_of,
    disclosure_rows,
    disclosures_of_resident,
    legal_basis_label,
    review_queue,
    search_events,
)
from referral_hub.audit.verify import verify_chain
from referral_hub.consent.models import Consent
from referral_hub.handoffs.models import ConnectSheet
from referral_hub.meetings.models import SupportMeeting
from referral_hub.rights import services
from referral_hub.signin import step_up

SEARCH_PAGE_SIZE = 50

REVIEW_ERRORS = {
    "note_required": gettext_lazy("指摘するときは、何が問題かをメモに書いてください。"),
    "already_decided": gettext_lazy("この記録はすでに判断済みです。"),
    "not_found": gettext_lazy("この記録は見つかりません。"),
    "invalid_decision": gettext_lazy("承認するか指摘するかを選んでください。"),
}


def _resident_from(form: DisclosureLookupForm) -> int | None:
    data = form.cleaned_data
    if data.get("resident"):
        return data["resident"]
    number = (data.get("sheet_number") or "").strip()
    found = ConnectSheet.objects.filter(number=number).values_list("resident_id", flat=True)
    resident_id = found.first()
    if resident_id is None:
        form.add_error("sheet_number", _("このシート番号は見つかりません。"))
    return resident_id


def _readable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = audit_access.place_names()
    staff = audit_access.staff_names({r["actor_username"] for r in rows if r["actor_username"]})
    for row in rows:
        row["actor_name"] = staff.get(row["actor_username"], row["actor_username"])
        row["actor_place"] = audit_access.describe_places(row["actor_desk"], names)
        row["recipient_name"] = names.get(row["recipient_desk"], row["recipient_desk"])
    return rows


@login_required
@require_GET
def disclosures_page(request: HttpRequest) -> HttpResponse:
    audit_access.require(request.user, VIEW_PERMISSION, "audit.disclosure_report")
    form = DisclosureLookupForm(request.GET or None)
    resident_id = None
    rows: list[dict[str, Any]] = []
    if form.is_bound and form.is_valid():
        resident_id = _resident_from(form)
    if resident_id is not None:
        rows = _readable(disclosure_rows(disclosures_of_resident(resident_id)))
        audit_access.log_read(
            request.user,
            "audit.disclosure_report",
            target_type="resident",
            target_id=resident_id,
            resident_id=resident_id,
            details={"format": "page", "results": len(rows)},
        )
    context = {
        "form": form,
        "errors": error_summary(form),
        "resident_id": resident_id,
        "rows": rows,
        "generated_at": timezone.localtime(),
        "rights_alerts": deadline_alerts() if services.is_officer(request.user) else None,
    }
    return render(request, "frontend/privacy/disclosures.html", context)


@login_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    audit_access.require(request.user, VIEW_PERMISSION, "audit.search")
    form = AuditSearchForm(request.GET or None)
    page = None
    if form.is_bound and form.is_valid():
        filters = form.filters()
        paginator = Paginator(search_events(filters), SEARCH_PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        audit_access.log_read(
            request.user,
            "audit.search",
            target_type="audit_log",
            resident_id=filters.resident,
            details={**filters.as_details(), "results": len(page.object_list)},
        )
    rows = []
    if page is not None:
        names = audit_access.place_names()
        for event in page.object_list:
            rows.append(
                {
                    "event": event,
                    "action_label": audit_access.describe_action(event.action),
                    "target": audit_access.describe_target(event.target_type, event.target_id),
                    "basis_label": legal_basis_label(event.legal_basis),
                    "place": audit_access.describe_places(event.actor_desk, names),
                    "consent": consent_of(event),
                }
            )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "errors": error_summary(form),
        "page": page,
        "rows": rows,
        "query": query.urlencode(),
    }
    return render(request, "frontend/privacy/search.html", context)


def _meeting_names(reviews: list[DisclosureReview]) -> dict[int, SupportMeeting]:
    """The support meetings the reviewed disclosures name (issue 17), by id."""
    ids = {r.event.details.get("support_meeting") for r in reviews} - {None}
    return SupportMeeting.objects.in_bulk([i for i in ids if isinstance(i, int)])


def _review_context(request: HttpRequest, status: str, bound: dict[int, Any]) -> dict[str, Any]:
    reviews = list(review_queue(status)[:200])
    names = audit_access.place_names()
    meetings = _meeting_names(reviews)
    items = [
        {
            "review": r,
            "meeting": meetings.get(r.event.details.get("support_meeting")),
            "action_label": audit_access.describe_action(r.event.action),
            "basis_label": legal_basis_label(r.event.legal_basis),
            "place": audit_access.describe_places(r.event.actor_desk, names),
            "form": bound.get(r.pk) or ReviewDecisionForm(auto_id=f"review{r.pk}_%s"),
            "facts": review_facts(r.event),
        }
        for r in reviews
    ]
    return {"items": items, "status": status, "statuses": DisclosureReview.Status.choices}


@login_required
@require_GET
def reviews_page(request: HttpRequest) -> HttpResponse:
    audit_access.require(request.user, VIEW_PERMISSION, "audit.review_list")
    status = request.GET.get("status", DisclosureReview.Status.PENDING)
    if status not in DisclosureReview.Status.values and status != "":
        status = DisclosureReview.Status.PENDING
    context = _review_context(request, status, {})
    audit_access.log_read(
        request.user,
        "audit.review_list",
        target_type="disclosure_review",
        details={"status": status, "results": len(context["items"])},
    )
    return render(request, "frontend/privacy/reviews.html", context)


@login_required
@require_POST
def review_decide(request: HttpRequest, review_id: int) -> HttpResponse:
    audit_access.require(
        request.user,
        REVIEW_PERMISSION,
        "disclosure_review.decide",
        target_type="disclosure_review",
        target_id=review_id,
    )
    form = ReviewDecisionForm(request.POST, auto_id=f"review{review_id}_%s")
    if form.is_valid():
        try:
            decide_review(
                review_id,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except ReviewError as error:
            if error.code == "permission_denied":  # the role ended while the form was open
                raise PermissionDenied from error
            field = "note" if error.code == "note_required" else None
            form.add_error(field, REVIEW_ERRORS.get(error.code, error.detail))
        else:
            messages.success(request, _("記録 %(id)s の確認を保存しました。") % {"id": review_id})
            return redirect("audit_reviews")
    context = _review_context(request, DisclosureReview.Status.PENDING, {review_id: form})
    context["errors"] = error_summary(form)
    return render(request, "frontend/privacy/reviews.html", context, status=400)


@login_required
@require_GET
def integrity_page(request: HttpRequest) -> HttpResponse:
    audit_access.require(request.user, VIEW_PERMISSION, "audit.verify")
    full = request.GET.get("mode") == "full"
    result = verify_chain(incremental=not full)
    audit_access.log_read(
        request.user,
        "audit.verify",
        target_type="audit_log",
        details={
            "ok": result.ok,
            "status": result.status,
            "entries": result.entries,
            "first_bad_seq": result.first_bad_seq,
            "incremental": not full,
        },
    )
    context = {"result": result, "full": full, "checked_at": timezone.localtime()}
    return render(request, "frontend/privacy/integrity.html", context)


@login_required
@require_GET
def anomalies_page(request: HttpRequest) -> HttpResponse:
    audit_access.require(request.user, VIEW_PERMISSION, "audit.anomalies")
    form = AnomalyForm(request.GET or None)
    day, threshold = form.day(), form.limit()
    report = anomalies_on(day, threshold)
    audit_access.log_read(
        request.user,
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
    names = audit_access.place_names()
    for row in (
        report.outside_office_hours + report.foreign_desk_reads + report.self_granted_memberships
    ):
        row["place"] = audit_access.describe_places(row["actor_desk"], names)
        row["action_label"] = audit_access.describe_action(row["action"])
    context = {"form": form, "report": report, "errors": error_summary(form)}
    return render(request, "frontend/privacy/anomalies.html", context)


@login_required
@require_GET
def consent_page(request: HttpRequest, consent_id: int) -> HttpResponse:
    """The consent a disclosure relied on: its scope, status and the signed form, if any.

    The record holds no identity data (the consent API shows it to counter staff too); opening
    the signed form goes through the consent API, which checks and records each read."""
    audit_access.require(
        request.user, VIEW_PERMISSION, "consent.read", target_type="consent", target_id=consent_id
    )
    consent = (
        Consent.objects.select_related("recorded_by", "withdrawn_by")
        .prefetch_related("recipients", "evidence")
        .filter(pk=consent_id)
        .first()
    )
    if consent is None:
        raise Http404
    context = {
        "consent": consent,
        "recipients": sorted(desk.name for desk in consent.recipients.all()),
        "recorded_by": audit_access.display_name(consent.recorded_by),
        "withdrawn_by": (
            audit_access.display_name(consent.withdrawn_by) if consent.withdrawn_by else ""
        ),
        "evidence": sorted(consent.evidence.all(), key=lambda item: item.pk),
    }
    # Recorded like the consent API's read, and decided again on the locked account.
    audit_access.log_read(
        request.user,
        "consent.read",
        target_type="consent",
        target_id=consent_id,
        resident_id=consent.resident_id,
    )
    return render(request, "frontend/privacy/consent.html", context)


def _needs_step_up(user: Any, sheet: ConnectSheet) -> bool:
    """Would opening ``sheet`` (its tax or health details) need a recent second factor?"""
    wanted = frozenset(str(c) for c in sheet.categories or [])
    return step_up.refusal(user, "sheet.read", sheet.legal_basis, wanted) is not None


@login_required
@require_GET
def review_disclosed(request: HttpRequest, review_id: int) -> HttpResponse:
    """What the reviewed disclosure showed (the sheet as the desk received it), so 承認/指摘
    is not decided blind. Audited as a review read (``disclosure_review.read``)."""
    audit_access.require(
        request.user,
        REVIEW_PERMISSION,
        "disclosure_review.read",
        target_type="disclosure_review",
        target_id=review_id,
    )
    review = review_queue().filter(pk=review_id).first()
    if review is None:
        raise Http404
    facts = review_facts(review.event)
    sheet = None
    if facts.sheet_id is not None:
        sheet = (
            ConnectSheet.objects.select_related(
                "data_key", "resident__data_key", "from_department", "from_desk", "sent_by"
            )
            .filter(pk=facts.sheet_id)
            .first()
        )
    if sheet is not None and _needs_step_up(request.user, sheet):
        # Opening a sheet with tax or health details is the gate's ``sensitive_read`` step-up
        # kind (issue 21); the review read follows the same rule as the desk's sheet page.
        with transaction.atomic():
            record(
                "disclosure_review.read",
                actor=request.user,
                target_type="disclosure_review",
                target_id=review_id,
                resident_id=review.event.resident_id,
                allowed=False,
                refusal_code="step_up_required",
                details={"event_seq": review.event_id, "sheet": facts.sheet_id},
            )
        return redirect(f"{reverse('account-step-up')}?{urlencode({'next': request.path})}")
    audit_access.log_read(
        request.user,
        "disclosure_review.read",
        permission=REVIEW_PERMISSION,
        target_type="disclosure_review",
        target_id=review_id,
        resident_id=review.event.resident_id,
        details={"event_seq": review.event_id, "sheet": facts.sheet_id},
    )
    context = {
        "review": review,
        "facts": facts,
        "sheet": sheet,
        "consent": sheet.consent if sheet is not None else None,
    }
    return render(request, "frontend/privacy/review_disclosed.html", context)
