"""The resident in the loop on a sheet's page: the desk records 来所 by the handout's code.

The handout itself is printed from the API (``/api/v1/sheets/{id}/handout/``) in a new tab;
the page only offers the language choice (``partials/sheet_loop.html``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from frontend import refusals
from referral_hub.handoffs import services
from referral_hub.handoffs.errors import InvalidInput, InvalidTransition, NotFound, Refused


@login_required
@require_POST
def sheet_arrived(request: HttpRequest, sheet_id: int) -> HttpResponse:
    code = request.POST.get("code", "")[:32]
    try:
        sheet, recorded = services.record_arrival(request.user, sheet_id, code)
    except NotFound:
        raise Http404 from None
    except Refused as refused:
        explanation = refusals.explain(refused.decision)
        messages.error(request, f"{explanation.message} {explanation.hint}".strip())
    except InvalidInput:
        messages.error(
            request,
            _("来所コードがこのシートと一致しません。案内の紙のコードをもう一度確かめてください。"),
        )
    except InvalidTransition:
        messages.error(request, _("終結・取下げ済みのシートには来所を記録できません。"))
    else:
        if recorded:
            messages.success(request, _("来所を記録しました。送った職員に伝わります。"))
        else:
            messages.info(request, _("来所はすでに記録されています。"))
    return redirect("sheet_detail", sheet_id=sheet_id)
