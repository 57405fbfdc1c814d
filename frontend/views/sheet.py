"""One sheet: the desk's full view or the sender's feedback view, its actions and its thread."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from frontend import feedback_sharing, refusals, sheet_actions
from frontend.forms.actions import AttachmentForm, ConsentWithdrawForm, MessageForm
from frontend.forms.base import error_summary
from frontend.forms.files import max_bytes
from referral_hub.consent import policy
from referral_hub.consent import services as consent_services
from referral_hub.directory import roles
from referral_hub.handoffs import attachments as sheet_attachments
from referral_hub.handoffs import selectors, sent_copy, services
from referral_hub.handoffs.errors import (
    AttemptsRequired,
    DeskUnstaffed,
    InvalidInput,
    InvalidTransition,
    NotFound,
    Refused,
)
from referral_hub.handoffs.models import OPEN_STATUSES, EventKind, Status
from referral_hub.inbox.read_state import mark_sheet_read
from referral_hub.resident_texts.languages import choices as resident_language_choices
from referral_hub.signin import step_up
from referral_hub.vault.errors import VaultError

MILESTONES = [
    ("sent_at", EventKind.SENT.label),
    ("acknowledged_at", EventKind.ACKNOWLEDGED.label),
    ("accepted_at", EventKind.ACCEPTED.label),
    ("contacted_at", EventKind.CONTACTED.label),
    ("connected_at", EventKind.CONNECTED.label),
    ("arrived_at", EventKind.ARRIVED.label),
    ("closed_at", EventKind.CLOSED.label),
]


def _refused_page(
    request: HttpRequest, explanation: refusals.Explanation, withdrawn_sheet: Any = None
) -> HttpResponse:
    if explanation.code == "step_up_required":  # issue 21: ask for the factor, then come back
        return redirect(f"{reverse('account-step-up')}?{urlencode({'next': request.path})}")
    context = {"explanation": explanation, "withdrawn_sheet": withdrawn_sheet}
    return render(request, "frontend/refused.html", context, status=403)


def _attachment_step_up(request: HttpRequest, sheet: Any) -> str:
    """The step-up page's URL when opening an attachment would be refused for want of a recent
    second factor (issue 21; the gate decides on download), else ""."""
    if step_up.applies("attachment.read", sheet.legal_basis, frozenset({"attachments"})) and not (
        step_up.recent(request.user)
    ):
        return f"{reverse('account-step-up')}?{urlencode({'next': request.path})}"
    return ""


def _view_or_refusal(
    request: HttpRequest, sheet_id: int
) -> tuple[selectors.SheetView | None, HttpResponse | None]:
    try:
        return selectors.view_sheet(request.user, sheet_id), None
    except NotFound:
        raise Http404 from None
    except Refused as refused:
        # The desk holding a sheet whose consent was withdrawn is offered the way out (close
        # with 「同意撤回」, issue 20) instead of a dead end; the close service decides.
        withdrawn = None
        if refused.decision.code == "consent_withdrawn":
            sheet = selectors.get_sheet(sheet_id)
            if sheet.owner_desk_id in roles.desk_ids(request.user) and sheet.status not in (
                Status.CLOSED,
                Status.WITHDRAWN,
            ):
                withdrawn = sheet
        return None, _refused_page(request, refusals.explain(refused.decision), withdrawn)


def _detail_context(
    request: HttpRequest,
    view: selectors.SheetView,
    *,
    bound: dict[str, Any] | None = None,
    action_error: dict[str, Any] | None = None,
    message_form: MessageForm | None = None,
    attachment_form: AttachmentForm | None = None,
) -> dict[str, Any]:
    sheet = view.sheet
    bound = bound or {}
    actions = []
    for name in view.allowed_actions:
        if name not in sheet_actions.ACTIONS:
            continue
        spec = sheet_actions.ACTIONS[name]
        form = bound.get(name) or sheet_actions.build_form(name, sheet, actor=request.user)
        dialog = spec.dialog
        if name == "accept":
            # Only a lead chooses someone else; anyone else takes the case themselves.
            dialog = roles.is_lead_of(request.user, sheet.owner_desk_id)
        actions.append({"spec": spec, "form": form, "dialog": dialog})
    on_desk = view.role == "desk"
    events = [
        {
            "event": e,
            "note": e.note
            if on_desk or policy.sender_sees_note(e.kind, e.shared_with_sender, view.feedback)
            else "",
        }
        for e in selectors.timeline(view)
    ]
    talk = feedback_sharing.message_sharing(sheet, on_desk=on_desk)
    # Said above the box, before the desk types: who reads it, and what the consent leaves out.
    message_audience = (
        _("送った職員に表示されます。") + talk.warning
        if on_desk
        else _("受け取った窓口に表示されます。")
    )
    milestones = [(label, getattr(sheet, field)) for field, label in MILESTONES]
    summary = []
    if action_error:
        summary = action_error.get("summary", [])
    upload_refusal = None
    if sheet.status not in (Status.CLOSED, Status.WITHDRAWN):
        upload_refusal = sheet_actions.upload_refusal(request.user, sheet)
    for form in (message_form, attachment_form):
        if form is not None and form.is_bound:
            summary += error_summary(form)
    return {
        "view": view,
        "sheet": sheet,
        "attachment_step_up": _attachment_step_up(request, sheet),
        "overdue": selectors.is_overdue(sheet),
        "actions": actions,
        "events": events,
        "thread": selectors.messages(view),
        "message_form": message_form or MessageForm(),
        "message_audience": message_audience,
        "message_refusal": talk.reason,
        "message_open": sheet.status not in (Status.CLOSED, Status.WITHDRAWN),
        # The sending side's own copy of what it sent (gate: sheet.sent_read, audited).
        "sent_content": None if on_desk else sent_copy.sent_content(request.user, sheet),
        "attachment_form": attachment_form or AttachmentForm(),
        "upload_refusal": upload_refusal,
        "withdraw_form": ConsentWithdrawForm(),
        "consent_active": sheet.consent is not None and sheet.consent.status == "active",
        "milestones": milestones,
        "action_error": action_error,
        "errors": summary,
        "attachments": list(sheet.attachments.all()) if on_desk else [],
        "consent": sheet.consent,
        "handout_languages": resident_language_choices(),
        # Both sides of a sheet relate to its resident (policy.relationship), so they may read
        # the consent; the receipt's own request asks the gate (consent.read, audited).
        "consent_readable": sheet.consent_id is not None,
        "open_statuses": OPEN_STATUSES,
    }


@login_required
@require_GET
def sheet_detail(request: HttpRequest, sheet_id: int) -> HttpResponse:
    view, refused = _view_or_refusal(request, sheet_id)
    if refused is not None:
        return refused
    mark_sheet_read(request.user.pk, sheet_id)
    return render(request, "frontend/sheet_detail.html", _detail_context(request, view))


@login_required
@require_POST
def sheet_action(request: HttpRequest, sheet_id: int, action: str) -> HttpResponse:
    if action not in sheet_actions.ACTIONS:
        raise Http404
    try:
        # Only the sheet's desk and status, to build the form; the service decides and audits.
        sheet = selectors.get_sheet(sheet_id)
    except NotFound:
        raise Http404 from None
    form = sheet_actions.build_form(action, sheet, request.POST, actor=request.user)
    explanation: refusals.Explanation | None = None
    status = 400
    if form.is_valid():
        try:
            sheet = sheet_actions.perform(request.user, sheet_id, action, form.cleaned_data)
        except Refused as refused_error:
            explanation = refusals.explain(refused_error.decision)
            status = 403
        except InvalidTransition as invalid:
            explanation = refusals.explain_transition(invalid)
            status = 409
        except (AttemptsRequired, DeskUnstaffed) as missing:
            # What is still missing before this close, or which desks can take the sheet.
            explanation = refusals.Explanation(missing.code, missing.message)
            status = 409
        except InvalidInput as invalid:
            if invalid.field in form.fields:
                form.add_error(invalid.field, invalid.message)
            else:
                explanation = refusals.Explanation(invalid.code, invalid.message)
        else:
            spec = sheet_actions.ACTIONS[action]
            messages.success(request, str(spec.done) % {"number": sheet.number})
            if action == "redirect":
                # The sheet now belongs to another desk: this desk can no longer open it.
                return redirect("inbox")
            return redirect("sheet_detail", sheet_id=sheet_id)
    if explanation is not None and explanation.field and explanation.field in form.fields:
        form.add_error(explanation.field, explanation.hint or explanation.message)
    # Show the page again with the dialog open and the reason in it and at the top.
    view, refused = _view_or_refusal(request, sheet_id)
    if refused is not None:
        return refused
    summary = error_summary(form)
    if explanation is not None:
        # When the refusal concerns a field, its hint is already listed with that field.
        placed = explanation.field in form.fields
        text = explanation.message if placed else f"{explanation.message} {explanation.hint}"
        summary.insert(0, {"href": "", "message": text.strip()})
    action_error = {"action": action, "explanation": explanation, "summary": summary}
    context = _detail_context(request, view, bound={action: form}, action_error=action_error)
    return render(request, "frontend/sheet_detail.html", context, status=status)


@login_required
@require_POST
def sheet_message(request: HttpRequest, sheet_id: int) -> HttpResponse:
    form = MessageForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.post_message(request.user, sheet_id, form.cleaned_data["body"])
        except Refused as refused_error:
            explanation = refusals.explain(refused_error.decision)
            form.add_error("body", f"{explanation.message} {explanation.hint}".strip())
            status = 403
        except InvalidTransition:
            form.add_error("body", _("終結・取下げ済みのシートにはメッセージを送れません。"))
            status = 409
        except InvalidInput as invalid:
            form.add_error("body", invalid.message)
        else:
            return redirect(reverse("sheet_detail", args=[sheet_id]) + "#thread")
    view, refused = _view_or_refusal(request, sheet_id)
    if refused is not None:
        return refused
    context = _detail_context(request, view, message_form=form)
    return render(request, "frontend/sheet_detail.html", context, status=status)


@login_required
@require_POST
def sheet_attachment(request: HttpRequest, sheet_id: int) -> HttpResponse:
    """Add scans or photos to the sheet; the gate decides (the consent must cover them)."""
    form = AttachmentForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        stored = 0
        for upload in form.cleaned_data["files"]:
            try:
                sheet_attachments.add_attachment(
                    request.user, sheet_id, upload, max_bytes=max_bytes()
                )
            except NotFound:
                raise Http404 from None
            except Refused as refused_error:
                explanation = refusals.explain(refused_error.decision)
                form.add_error("files", f"{explanation.message} {explanation.hint}".strip())
                status = 403
                break
            except InvalidTransition:
                form.add_error("files", _("終結・取下げ済みのシートには添付できません。"))
                status = 409
                break
            except VaultError:
                form.add_error(
                    "files", _("「%(name)s」を保存できませんでした。") % {"name": upload.name}
                )
                status = 500
                break
            stored += 1
        if stored:
            messages.success(request, _("%(n)s件のファイルを添付しました。") % {"n": stored})
        if not form.errors:
            return redirect(reverse("sheet_detail", args=[sheet_id]) + "#attachments")
    view, refused = _view_or_refusal(request, sheet_id)
    if refused is not None:
        return refused
    context = _detail_context(request, view, attachment_form=form)
    return render(request, "frontend/sheet_detail.html", context, status=status)


@login_required
@require_POST
def consent_withdraw(request: HttpRequest, sheet_id: int) -> HttpResponse:
    """The resident withdraws the consent this sheet was sent under: it takes effect at once,
    everywhere (the gate checks the consent on every read)."""
    try:
        sheet = selectors.get_sheet(sheet_id)
    except NotFound:
        raise Http404 from None
    form = ConsentWithdrawForm(request.POST)
    if sheet.consent is None or not form.is_valid():
        return redirect("sheet_detail", sheet_id=sheet_id)
    on_desk = sheet.owner_desk_id in roles.desk_ids(request.user)
    try:
        consent_services.withdraw_consent(request.user, sheet.consent, form.cleaned_data["reason"])
    except consent_services.Refused as refused_error:
        explanation = refusals.explain(refused_error.decision)
        messages.error(request, f"{explanation.message} {explanation.hint}".strip())
    except consent_services.InvalidState as invalid:
        messages.error(request, invalid.message)
    else:
        messages.success(
            request, _("同意の撤回を記録しました。この同意による提供・閲覧はできなくなります。")
        )
        if on_desk:
            # The desk may no longer read the sheet: back to the inbox.
            return redirect("inbox")
    return redirect("sheet_detail", sheet_id=sheet_id)
