"""The actions a page offers on a sheet, their dialogs, and the service each one calls.

Which actions appear comes from ``SheetView.allowed_actions`` (the state machine and the side
of the reader); whether one may really run is decided by the service, whose refusal the page
shows in Japanese.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from frontend.forms.actions import (
    AcceptForm,
    CloseForm,
    EmptyForm,
    NoteForm,
    ReasonForm,
    RedirectForm,
)
from referral_hub.handoffs import services
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
            NoteForm,
            _("連絡済にする"),
            _("%(number)s を「連絡済」にしました。"),
        ),
        Action(
            "connected",
            _("つながった"),
            NoteForm,
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


def build_form(action: str, sheet: ConnectSheet, data: Any = None) -> forms.Form:
    spec = ACTIONS[action]
    prefix = action
    if spec.form_class is AcceptForm:
        return AcceptForm(data, prefix=prefix, desk_id=sheet.owner_desk_id)
    if spec.form_class is RedirectForm:
        return RedirectForm(data, prefix=prefix, exclude_desk_id=sheet.owner_desk_id)
    return spec.form_class(data, prefix=prefix)


def perform(actor: Any, sheet_id: int, action: str, data: dict[str, Any]) -> ConnectSheet:
    """Call the one service that performs ``action``."""
    if action == "acknowledge":
        return services.acknowledge(actor, sheet_id)
    if action == "accept":
        handler = data.get("handler")
        return services.accept(actor, sheet_id, handler.pk if handler else None)
    if action == "contacted":
        return services.mark_contacted(actor, sheet_id, data.get("note", ""))
    if action == "connected":
        return services.mark_connected(actor, sheet_id, data.get("note", ""))
    if action == "redirect":
        return services.redirect_sheet(actor, sheet_id, data["to_desk"], data["reason"])
    if action == "return":
        return services.return_sheet(actor, sheet_id, data["reason"])
    if action == "close":
        return services.close_sheet(actor, sheet_id, data["outcome"], data.get("note", ""))
    if action == "resend":
        return services.resend_sheet(actor, sheet_id, data.get("note", ""))
    if action == "withdraw":
        return services.withdraw_sheet(actor, sheet_id, data["reason"])
    raise KeyError(action)
