"""主任ボード: what a desk lead watches (overdue, bounced) and the handler assignment."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from frontend import lead_board, refusals
from referral_hub.api_input import parse_id
from referral_hub.handoffs import runaround, services
from referral_hub.handoffs.errors import InvalidInput, InvalidTransition, NotFound, Refused
from referral_hub.handoffs.models import ConnectSheet, Status
from referral_hub.handoffs.selectors import get_sheet


@login_required
@require_GET
@transaction.atomic  # the boards are read on the lead's locked places (docs/operations/locks.md)
def lead_board_page(request: HttpRequest) -> HttpResponse:
    boards = [lead_board.board_for(request.user, d) for d in lead_board.lead_desks(request.user)]
    return render(request, "frontend/lead.html", {"boards": boards})


@login_required
@require_POST
def assign_handler(request: HttpRequest, sheet_id: int) -> HttpResponse:
    """Assign a handler: a sheet not yet acknowledged is acknowledged first (受付 → 担当決定)."""
    handler_id = parse_id(request.POST.get("handler", ""))
    handler = (
        get_user_model().objects.filter(pk=handler_id).first() if handler_id is not None else None
    )
    if handler is None:
        messages.error(request, _("担当者を選んでください。"))
        return redirect("lead_board")
    try:
        sheet: ConnectSheet = get_sheet(sheet_id)
        if sheet.status == Status.SENT:
            services.acknowledge(request.user, sheet_id)
        sheet = services.accept(request.user, sheet_id, handler.pk)
    except NotFound:
        messages.error(request, _("シートが見つかりません。"))
    except Refused as refused:
        explanation = refusals.explain(refused.decision)
        messages.error(request, f"{explanation.message} {explanation.hint}".strip())
    except InvalidTransition as invalid:
        explanation = refusals.explain_transition(invalid)
        messages.error(request, f"{explanation.message} {explanation.hint}".strip())
    except InvalidInput as invalid:
        messages.error(request, invalid.message)
    else:
        full = f"{handler.last_name} {handler.first_name}".strip() or handler.get_username()
        messages.success(
            request,
            _("%(number)s の担当者を %(name)s さんにしました。")
            % {"number": sheet.number, "name": full},
        )
    return redirect("lead_board")


@login_required
@require_POST
def acknowledge_runaround(request: HttpRequest, sheet_id: int) -> HttpResponse:
    """「確認した」: the runaround alert leaves this desk's board (issue 20)."""
    desk_id = parse_id(request.POST.get("desk", ""))
    try:
        if desk_id is None:
            raise NotFound()
        runaround.acknowledge_runaround(request.user, sheet_id, desk_id)
        messages.success(request, _("たらい回しの警告を確認しました。"))
    except NotFound:
        messages.error(request, _("シートが見つかりません。"))
    except Refused as refused:
        explanation = refusals.explain(refused.decision)
        messages.error(request, f"{explanation.message} {explanation.hint}".strip())
    return redirect("lead_board")
