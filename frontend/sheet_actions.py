"""The actions a page offers on a sheet, their dialogs, and the service each one calls.

Which actions appear comes from ``SheetView.allowed_actions`` (the state machine and the side
of the reader); the choices inside a dialog (redirect targets) and the upload form come from the
gate's answer for this reader and sheet (``policy.redirect_targets``, ``policy.may_upload``),
with the reason shown for what is unavailable. Whether an action really runs is decided by the
service, whose refusal the page explains.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from frontend import feedback_sharing, refusals
from frontend.forms.actions import (
    SHOWN_TO_SENDER,
    AcceptForm,
    CloseForm,
    ContactAttemptForm,
    DeskNoteForm,
    EmptyForm,
    NoteForm,
    ReasonForm,
    RedirectForm,
)
from referral_hub.consent import policy, refusal_texts
from referral_hub.directory.models import Desk
from referral_hub.handoffs import contact_attempts, selectors, services
from referral_hub.handoffs.models import ConnectSheet


@dataclass(frozen=True)
class Action:
    name: str
    label: Promise
    form_class: type[forms.Form]
    submit: Promise  # the dialog's submit button
    done: Promise  # success message; %(number)s is the sheet number
    dialog: bool = True
    danger: bool = False


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        Action(
            "acknowledge",
            _("受付"),
            EmptyForm,
            _("受付する"),
            _("%(number)s を受付しました。"),
            dialog=False,
        ),
        Action(
            "accept",
            _("担当する"),
            AcceptForm,
            _("担当を決める"),
            _("%(number)s の担当者が決まりました。"),
        ),
        Action(
            "contacted",
            _("連絡済"),
            DeskNoteForm,
            _("連絡済にする"),
            _("%(number)s を「連絡済」にしました。"),
        ),
        Action(
            "connected",
            _("つながった"),
            DeskNoteForm,
            _("「つながった」にする"),
            _("%(number)s を「つながった」にしました。"),
        ),
        Action(
            "redirect", _("転送"), RedirectForm, _("転送する"), _("%(number)s を転送しました。")
        ),
        Action(
            "return",
            _("差戻し"),
            ReasonForm,
            _("差し戻す"),
            _("%(number)s を送った部署へ差し戻しました。"),
        ),
        Action(
            "contact_attempt",
            _("連絡を記録"),
            ContactAttemptForm,
            _("記録する"),
            _("%(number)s に連絡の記録を追加しました。"),
        ),
        Action("close", _("終結"), CloseForm, _("終結する"), _("%(number)s を終結しました。")),
        Action("resend", _("再送"), NoteForm, _("再送する"), _("%(number)s を再送しました。")),
        Action(
            "withdraw",
            _("取下げ"),
            ReasonForm,
            _("取り下げる"),
            _("%(number)s を取り下げました。"),
            danger=True,
        ),
    ]
}


# Who reads a reason: each box says so (the desk's question goes back to the sender).
REASON_AUDIENCE = {
    "return": _("差戻しの理由は送った職員に表示されます。"),
    "withdraw": _("取下げの理由は受け取った窓口に表示されます。"),
}


def build_form(
    action: str, sheet: ConnectSheet, data: Any = None, *, actor: Any = None
) -> forms.Form:
    """The dialog's form; with ``actor``, its choices say which ones the gate would refuse."""
    spec = ACTIONS[action]
    prefix = action
    if spec.form_class is AcceptForm:
        return AcceptForm(data, prefix=prefix, desk_id=sheet.owner_desk_id)
    if spec.form_class is RedirectForm:
        unavailable = redirect_unavailable(actor, sheet) if actor is not None else None
        return RedirectForm(
            data, prefix=prefix, exclude_desk_id=sheet.owner_desk_id, unavailable=unavailable
        )
    if issubclass(spec.form_class, DeskNoteForm):
        return _desk_note_form(spec.form_class, sheet, data, prefix)
    form = spec.form_class(data, prefix=prefix)
    if action in REASON_AUDIENCE:
        form.fields["reason"].help_text = REASON_AUDIENCE[action]
        if action == "return":
            warning = feedback_sharing.note_sharing(sheet).warning
            form.fields["reason"].help_text = f"{REASON_AUDIENCE[action]}{warning}"
    return form


def _desk_note_form(
    form_class: type[DeskNoteForm], sheet: ConnectSheet, data: Any, prefix: str
) -> DeskNoteForm:
    """The note box says who will read it; 「送った職員に伝える」 is offered with a warning
    naming what the consent leaves out, or disabled with the reason."""
    sharing = feedback_sharing.note_sharing(sheet)
    form = form_class(data, prefix=prefix, sharing=sharing)
    share = form.fields["share_with_sender"]
    share.help_text = sharing.warning if sharing.allowed else sharing.reason
    note = form.fields["note"]
    private = str(note.help_text)
    if form.shared:
        note.help_text = SHOWN_TO_SENDER
    # The page's script swaps the note's help text when the box is ticked (app.js). Bound
    # fields copy the help text when first built, so this comes after the help texts are set.
    share.widget.attrs.update(
        {
            "data-share-note": f"{form['note'].auto_id}_helptext",
            "data-text-shared": str(SHOWN_TO_SENDER),
            "data-text-private": private,
        }
    )
    return form


def redirect_unavailable(actor: Any, sheet: ConnectSheet) -> dict[int, str]:
    """Desk id -> why the gate would refuse redirecting the sheet there now (「同意の対象外」,
    「主任相談支援員のみ」), from ``policy.redirect_targets``; allowed desks are absent."""
    answers = policy.redirect_targets(
        actor,
        selectors.facts_of(sheet),
        sheet.resident,
        Desk.objects.filter(is_active=True).order_by("pk"),
        categories=sheet.categories,
        basis=sheet.legal_basis,
        consent=sheet.consent,
        justification=sheet.justification,
        support_meeting=sheet.support_meeting_id,
    )
    return {
        desk.pk: refusal_texts.option_reason(decision.code)
        for desk, decision in answers
        if not decision.allowed
    }


def upload_refusal(actor: Any, sheet: ConnectSheet) -> refusals.Explanation | None:
    """Why this reader may not attach files to the sheet now (``policy.may_upload``), or None
    when the upload form may be shown."""
    decision = policy.may_upload(
        actor,
        selectors.facts_of(sheet),
        sheet.resident,
        sheet.owner_desk,
        basis=sheet.legal_basis,
        consent=sheet.consent,
        justification=sheet.justification,
        support_meeting=sheet.support_meeting_id,
    )
    return None if decision.allowed else refusals.explain(decision)


def perform(actor: Any, sheet_id: int, action: str, data: dict[str, Any]) -> ConnectSheet:
    """Call the one service that performs ``action``."""
    if action == "acknowledge":
        return services.acknowledge(actor, sheet_id)
    if action == "accept":
        handler = data.get("handler")
        return services.accept(actor, sheet_id, handler.pk if handler else None)
    share = bool(data.get("share_with_sender"))
    if action == "contacted":
        return services.mark_contacted(
            actor, sheet_id, data.get("note", ""), share_with_sender=share
        )
    if action == "connected":
        return services.mark_connected(
            actor, sheet_id, data.get("note", ""), share_with_sender=share
        )
    if action == "redirect":
        return services.redirect_sheet(actor, sheet_id, data["to_desk"], data["reason"])
    if action == "return":
        return services.return_sheet(actor, sheet_id, data["reason"])
    if action == "close":
        return services.close_sheet(
            actor,
            sheet_id,
            data["outcome"],
            data.get("note", ""),
            share_with_sender=share,
            lead_approval_reason=data.get("lead_approval_reason", ""),
        )
    if action == "contact_attempt":
        attempt = contact_attempts.record_attempt(
            actor,
            sheet_id,
            channel=data["channel"],
            result=data["result"],
            note=data.get("note", ""),
        )
        return attempt.sheet
    if action == "resend":
        return services.resend_sheet(actor, sheet_id, data.get("note", ""))
    if action == "withdraw":
        return services.withdraw_sheet(actor, sheet_id, data["reason"])
    raise KeyError(action)
