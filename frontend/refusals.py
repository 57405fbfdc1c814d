"""Turning a refusal from the services into words a member of staff can act on.

The message is the gate's own text (``consent.refusal_texts``, the same the API answers with,
purpose-specific remedy included, translated to the reader's language); the detail the decision
carries (which desk, which category) is a code, so this module spells it out:
「家計改善支援」は本人同意で情報を伝えてよい窓口に含まれていません.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from referral_hub.consent import refusal_texts
from referral_hub.consent.categories import Category
from referral_hub.consent.policy import Decision
from referral_hub.directory.models import Desk
from referral_hub.handoffs.errors import InvalidTransition
from referral_hub.handoffs.models import Status

_DETAIL_HINTS = {
    "runaround": gettext_noop(
        "このシートはすでに2回転送されています(たらい回しの防止)。主任相談支援員に相談してください。"
    ),
    "redirect_back": gettext_noop(
        "以前このシートを持っていた窓口へ戻す転送は、主任相談支援員が行います。"
    ),
    "assign": gettext_noop(
        "他の職員を担当者にできるのは主任相談支援員です。自分が担当する場合は担当者を選ばずに操作してください。"
    ),
    "sender": gettext_noop("送る側の部署が支援会議の構成員ではありません。"),
}


@dataclass(frozen=True)
class Explanation:
    code: str
    message: str
    hint: str = ""
    field: str = ""  # the form field the refusal is about, when there is one


def explain(decision: Decision) -> Explanation:
    message = refusal_texts.text(decision.purpose, decision.code) or _(
        "この操作は認められませんでした。"
    )
    hint, field = "", ""
    detail = decision.detail
    if detail.startswith("desk:"):
        code = detail.split(":", 1)[1]
        desk = Desk.objects.filter(code=code).first()
        name = desk.display_name if desk else code
        if decision.code == "self_send":
            hint = _("「%(desk)s」はあなたが所属する窓口です。ほかの窓口を選んでください。") % {
                "desk": name
            }
        else:
            hint = _("「%(desk)s」は本人同意で情報を伝えてよい窓口に含まれていません。") % {
                "desk": name
            }
        if decision.code == "consent_scope" and not refusal_texts.has_purpose_text(
            decision.purpose, decision.code
        ):
            # The generic next step; a purpose with its own (a redirect) already says it.
            hint += _(
                "本人に確認して同意を記録し直すか、同意の範囲に含まれる窓口を選んでください。"
            )
        field = "to_desk"
    elif detail.startswith("category:"):
        codes = detail.split(":", 1)[1].split(",")
        labels = "、".join(str(Category(c).label) if c in Category.values else c for c in codes)
        hint = _("本人同意に「%(categories)s」が含まれていません。") % {"categories": labels}
    elif detail in _DETAIL_HINTS:
        hint = _(_DETAIL_HINTS[detail])
    return Explanation(decision.code, message, hint, field)


def explain_transition(error: InvalidTransition) -> Explanation:
    status = Status(error.status).label if error.status in Status.values else error.status
    if error.action.startswith("close:"):
        return Explanation(
            "invalid_transition",
            _("「支援につながった」で終結できるのは、状態が「つながった」のシートだけです。"),
            field="outcome",
        )
    return Explanation(
        "invalid_transition",
        _("いまの状態(%(status)s)ではこの操作はできません。") % {"status": status},
        _("他の職員が先に操作した可能性があります。画面を更新して最新の状態を確認してください。"),
    )
