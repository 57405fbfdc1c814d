"""The privacy officer's rights desk pages (issue 18): the register, one request (package,
extension, decision, letter) and the printable package. Every action goes through
``referral_hub.rights.services``; every read of a package is audited there."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from frontend.forms.base import error_summary
from frontend.forms.rights import (
    CorrectionLinkForm,
    DecideForm,
    ExtendForm,
    LiftForm,
    NewRequestForm,
    RegisterFilterForm,
    ResidentFindForm,
)
from referral_hub.rights import lookup, selectors, services
from referral_hub.rights.api import package_for
from referral_hub.rights.errors import RightsError, not_found
from referral_hub.rights.models import RightsRequest
from referral_hub.rights.wareki import both


def _officer(request: HttpRequest, action: str, **audit: Any) -> None:
    try:
        services.require_officer(request.user, action, **audit)
    except RightsError as error:
        raise PermissionDenied from error


def deadline_alerts() -> dict[str, int]:
    """Counts for the officer's landing page: overdue and due within 3 working days."""
    return {
        "overdue": selectors.register("overdue").count(),
        "due_soon": selectors.register("due_soon").count(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def register_page(request: HttpRequest) -> HttpResponse:
    _officer(request, "rights_request.list")
    filters = RegisterFilterForm(request.GET or None, auto_id="filter_%s")
    status, kind = "open", ""
    if filters.is_bound and filters.is_valid():
        status = filters.cleaned_data["status"] or "open"
        kind = filters.cleaned_data["kind"]
    find = ResidentFindForm(request.GET if "find-kana" in request.GET else None, prefix="find")
    found = None
    if find.is_bound and find.is_valid():
        found = lookup.find_resident(
            request.user, find.cleaned_data["kana"], find.cleaned_data["birth_date"]
        )
    initial = {"resident": request.GET.get("resident", "")}
    form = NewRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.register_request(
                request.user,
                services.NewRequest(
                    resident_id=data["resident"],
                    kind=data["kind"],
                    received_on=data["received_on"],
                    identity_document=data["identity_document"],
                    scope_from=data["scope_from"],
                    scope_until=data["scope_until"],
                    statement=data["statement"],
                ),
            )
        except RightsError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("請求を受け付けました。"))
            return redirect("rights_request", request_id=created.pk)
    today = timezone.localdate()
    rows = [
        {"request": r, "deadline": both(r.deadline), "overdue": r.is_open and r.deadline < today}
        for r in selectors.register(status, kind)[:200]
    ]
    context = {
        "filters": filters,
        "find": find,
        "found": found,
        "form": form,
        "errors": error_summary(form),
        "rows": rows,
        "status": status,
        "alerts": deadline_alerts(),
    }
    return render(request, "frontend/privacy/rights_register.html", context)


def _request_or_404(request_id: int) -> RightsRequest:
    found = RightsRequest.objects.filter(pk=request_id).first()
    if found is None:
        raise not_found(request_id)
    return found


def _request_context(rights_request: RightsRequest, **forms: Any) -> dict[str, Any]:
    return {
        "rr": rights_request,
        "received_on": both(rights_request.received_on),
        "due_on": both(rights_request.due_on),
        "extended_until": both(rights_request.extended_until)
        if rights_request.extended_until
        else "",
        "decided_on": both(rights_request.decided_on) if rights_request.decided_on else "",
        "suspended": rights_request.suspensions.filter(lifted_at__isnull=True).exists(),
        "extend_form": forms.get("extend") or ExtendForm(prefix="extend"),
        "decide_form": forms.get("decide") or DecideForm(prefix="decide"),
        "lift_form": LiftForm(prefix="lift"),
        "link_form": forms.get("link") or CorrectionLinkForm(prefix="link"),
        "corrections": list(rights_request.corrections.order_by("pk")),
    }


@login_required
@require_GET
def request_page(request: HttpRequest, request_id: int) -> HttpResponse:
    _officer(request, "rights_request.read", target_type="rights_request", target_id=request_id)
    return render(
        request,
        "frontend/privacy/rights_request.html",
        _request_context(_request_or_404(request_id)),
    )


ACTIONS = ("extend", "decide", "lift", "link")


@login_required
@require_POST
def request_action(request: HttpRequest, request_id: int, action: str) -> HttpResponse:
    _officer(
        request, f"rights_request.{action}", target_type="rights_request", target_id=request_id
    )
    rights_request = _request_or_404(request_id)
    if action not in ACTIONS:
        raise not_found(request_id)
    bound: dict[str, Any] = {}
    try:
        if action == "extend":
            form = ExtendForm(request.POST, prefix="extend")
            bound["extend"] = form
            if form.is_valid():
                services.extend_request(request.user, request_id, form.cleaned_data["reason"])
                messages.success(request, _("期限を延長しました。"))
                return redirect("rights_request", request_id=request_id)
        elif action == "decide":
            form = DecideForm(request.POST, prefix="decide")
            bound["decide"] = form
            if form.is_valid():
                data = form.cleaned_data
                withheld = []
                if data["withheld_seq"] and data["withheld_ground"]:
                    withheld = [services.Withheld(data["withheld_seq"], data["withheld_ground"])]
                services.decide_request(
                    request.user, request_id, data["decision"], data["note"], withheld=withheld
                )
                messages.success(request, _("決定を記録しました。"))
                return redirect("rights_request", request_id=request_id)
        elif action == "link":
            form = CorrectionLinkForm(request.POST, prefix="link")
            bound["link"] = form
            if form.is_valid():
                data = form.cleaned_data
                services.link_correction(request.user, request_id, data["field"], data["audit_seq"])
                messages.success(request, _("訂正の記録を結び付けました。"))
                return redirect("rights_request", request_id=request_id)
        else:  # lift
            form = LiftForm(request.POST, prefix="lift")
            if form.is_valid():
                services.lift_suspension(request.user, request_id, form.cleaned_data["reason"])
                messages.success(request, _("利用停止を解除しました。"))
                return redirect("rights_request", request_id=request_id)
    except RightsError as error:
        messages.error(request, error.message)
        return redirect("rights_request", request_id=request_id)
    context = _request_context(rights_request, **bound)
    return render(request, "frontend/privacy/rights_request.html", context, status=400)


@login_required
@require_GET
def package_page(request: HttpRequest, request_id: int) -> HttpResponse:
    """The printable package (the same template as the API's ``?format=html``); audited."""
    _officer(
        request, "rights_request.package_read", target_type="rights_request", target_id=request_id
    )
    try:
        package = package_for(request.user, request_id, "page")
    except RightsError as error:
        if error.http_status == 404:
            raise
        if error.code == "step_up_required":  # issue 21: ask for the factor, then come back
            return redirect(f"{reverse('account-step-up')}?{urlencode({'next': request.path})}")
        messages.error(request, error.message)
        return redirect("rights_request", request_id=request_id)
    return render(request, "rights/package.html", {"package": package})


@login_required
@require_GET
def letter_page(request: HttpRequest, request_id: int) -> HttpResponse:
    """The decision notice (決定通知書) to print and send with the package."""
    _officer(request, "rights_request.read", target_type="rights_request", target_id=request_id)
    rights_request = _request_or_404(request_id)
    services.record_letter_read(request.user, rights_request)
    context = _request_context(rights_request)
    context["today"] = both(timezone.localdate())
    return render(request, "frontend/privacy/rights_letter.html", context)
