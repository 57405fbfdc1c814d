"""受信箱 (the desk's live inbox) and 送ったシート (what my department sent, with live status)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from frontend import sheet_lists
from referral_hub.handoffs import desk_search, selectors


def _render_list(
    request: HttpRequest,
    template: str,
    rows,
    form: sheet_lists.ListFilterForm,
    ordering: tuple[str, ...],
    arrived_field: str | None = None,
    **extra,
) -> HttpResponse:
    page, marked = sheet_lists.page_of(
        request.user, rows, request.GET.get("cursor"), ordering, arrived_field=arrived_field
    )
    filters = request.GET.copy()
    filters.pop("cursor", None)
    filters.pop("page", None)
    context = {
        "rows": marked,
        "page": page,
        "form": form,
        "query": request.GET.urlencode(),
        "filters": filters.urlencode(),
        **extra,
    }

    if request.htmx:
        # The live refresh asks for the table only (inbox.js, on a WebSocket event).
        return render(request, f"frontend/partials/{template}_rows.html", context)
    return render(request, f"frontend/{template}.html", context)


@login_required
@require_GET
@transaction.atomic  # the list is read on the reader's locked places (docs/operations/locks.md)
def inbox_page(request: HttpRequest) -> HttpResponse:
    form = sheet_lists.DeskFilterForm(request.GET or None)
    if form.wants_whole_record():
        data = form.cleaned_data
        rows = desk_search.search(
            request.user,
            desk_search.held_by_desk(request.user),
            number=data.get("number") or "",
            kana=data.get("kana") or "",
            birth_date=data.get("birth_date"),
        ).select_related("handler")
    else:
        rows = selectors.inbox(request.user).select_related("handler")
    rows = sheet_lists.urgent_first(sheet_lists.apply_filters(rows, form))
    # A sheet resent or redirected to the desk mid-walk restarts its deadline: it is news
    # (announced live) and waits for the first page, instead of showing up twice.
    return _render_list(
        request, "inbox", rows, form, sheet_lists.INBOX_ORDER, arrived_field="owner_since"
    )


@login_required
@require_GET
@transaction.atomic  # the list is read on the reader's locked places (docs/operations/locks.md)
def sent_page(request: HttpRequest) -> HttpResponse:
    form = sheet_lists.SentFilterForm(request.GET or None)
    rows = selectors.sent(request.user).select_related("sent_by")
    rows = sheet_lists.apply_filters(rows, form)
    return _render_list(request, "sent", rows, form, sheet_lists.SENT_ORDER)
