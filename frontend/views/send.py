"""つなぐシートを作る: the clerk's one-page form, and the htmx fragments that help fill it in
(duplicate suggestions, the resident's consents, the "which desk?" guide, the consent text)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from frontend import consent_text, desk_guide, refusals, resident_lookup
from frontend.forms.send import NEW, ConsentForm, ResidentSearchForm
from frontend.send_flow import SendFlow
from referral_hub.api_input import parse_id
from referral_hub.meetings import selectors as meeting_selectors


def _lookup(request: HttpRequest, search: ResidentSearchForm) -> resident_lookup.Lookup:
    if not search.is_valid():
        return resident_lookup.Lookup([], searched=False)
    return resident_lookup.find_residents(
        request.user, search.kana(), search.cleaned_data["birth_date"]
    )


def _consent_context(request: HttpRequest, resident_value: str, selected: str) -> dict:
    consents: list = []
    meetings: list = []
    refusal = None
    resident_id = parse_id(resident_value)
    if resident_id is not None:
        consents, decision = resident_lookup.resident_consents(request.user, resident_id)
        if not decision.allowed:
            refusal = refusals.explain(decision)
        else:
            # Open meetings where the actor pledged and the resident is on the agenda.
            meetings = meeting_selectors.open_meetings_for(request.user, resident_id)
    if not selected:
        selected = str(consents[0].pk) if consents else (NEW if resident_value else "")
    return {
        "consents": consents,
        "meetings": meetings,
        "selected_meeting": request.POST.get("support_meeting", "")
        if request.method == "POST"
        else "",
        "consent_refusal": refusal,
        "resident_value": resident_value,
        "selected_consent": selected,
    }


def _ids(values: list[str]) -> list[int]:
    return [number for value in values if (number := parse_id(value)) is not None]


def _text_context(data) -> dict:
    form = ConsentForm(data)
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    return {
        "text": consent_text.build(
            _ids(data.getlist("recipients")),
            data.getlist("categories"),
            cleaned.get("purpose") or data.get("purpose", ""),
            cleaned.get("valid_until"),
        ),
        "query": data.urlencode(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def send_sheet_page(request: HttpRequest) -> HttpResponse:
    posted = request.method == "POST"
    flow = SendFlow(
        request.user, request.POST if posted else None, request.FILES if posted else None
    )
    if posted and flow.is_valid():
        sheet = flow.submit()
        if sheet is not None:
            messages.success(
                request,
                _("シート %(number)s を %(desk)s に送りました。")
                % {"number": sheet.number, "desk": sheet.owner_desk.name},
            )
            for problem in flow.attachment_problems:
                messages.warning(
                    request, _("添付書類を送れませんでした: %(problem)s") % {"problem": problem}
                )
            return redirect("sheet_detail", sheet_id=sheet.pk)
    data = request.POST if request.method == "POST" else None
    concern_ids = _ids(data.getlist("concerns")) if data is not None else []
    context = {
        "flow": flow,
        "errors": flow.errors() if data is not None else [],
        "lookup": _lookup(request, flow.search),
        "selected_resident": flow.resident_value,
        "guide": desk_guide.suggest_desks(concern_ids),
        **_consent_context(request, flow.resident_value, flow.consent_value),
        **_text_context(data if data is not None else _initial_consent_data(flow.consent)),
    }
    status = 400 if data is not None else 200
    return render(request, "frontend/send.html", context, status=status)


def _initial_consent_data(form: ConsentForm) -> QueryDict:
    data = QueryDict(mutable=True)
    data.setlist("categories", [str(c) for c in form.fields["categories"].initial])
    data["purpose"] = str(form.fields["purpose"].initial)
    data["valid_until"] = form.fields["valid_until"].initial.isoformat()
    return data


@login_required
@require_GET
def resident_matches(request: HttpRequest) -> HttpResponse:
    """Duplicate suggestions; the consent choices follow the resident now selected (out of band)."""
    search = ResidentSearchForm(request.GET)
    lookup = _lookup(request, search)
    typed_birth = search.cleaned_data.get("birth_date") if search.is_valid() else None
    birth_errors = search.errors.get("birth_date", []) if request.GET.get("birth_date") else []
    selected = request.GET.get("resident", "")
    if selected != NEW and parse_id(selected) not in {m.resident.pk for m in lookup.matches}:
        selected = ""
    if (lookup.searched or lookup.kana_only) and not lookup.matches:
        selected = NEW
    context = {
        "lookup": lookup,
        "selected_resident": selected,
        "oob": True,
        "typed_birth": typed_birth,
        "birth_errors": birth_errors,
        **_consent_context(request, selected, ""),
    }
    return render(request, "frontend/partials/resident_matches.html", context)


@login_required
@require_GET
def consent_options(request: HttpRequest) -> HttpResponse:
    context = _consent_context(request, request.GET.get("resident", ""), "")
    return render(request, "frontend/partials/consent_options.html", context)


@login_required
@require_GET
def desk_guide_fragment(request: HttpRequest) -> HttpResponse:
    guide = desk_guide.suggest_desks(_ids(request.GET.getlist("concerns")))
    return render(request, "frontend/partials/desk_guide.html", {"guide": guide})


@login_required
@require_GET
def consent_text_fragment(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/partials/consent_text.html", _text_context(request.GET))


@login_required
@require_GET
def consent_text_print(request: HttpRequest) -> HttpResponse:
    """The consent explanation as its own page, large print, with a place to sign."""
    return render(request, "frontend/consent_print.html", _text_context(request.GET))
