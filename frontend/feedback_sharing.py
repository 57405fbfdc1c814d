"""What the sheet page tells the desk before it types: who will read a note or a message, and
whether anything may go to the sending side at all (the gate's rule, asked without audit through
``policy.to_sender_refusal``; the service asks the gate again when the desk submits)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from referral_hub.consent import policy
from referral_hub.consent.categories import Category
from referral_hub.handoffs.models import ConnectSheet

# Content a shared note must not carry unless the consent covers it (DOMAIN.md; tax secrecy).
SENSITIVE = (Category.TAX, Category.HEALTH, Category.HOUSEHOLD)

_WHY_NOT = {
    policy.FEEDBACK_NOT_CONSENTED: gettext_lazy(
        "本人が「つないだ職員への経過報告」に同意していないため、送った職員には伝えられません。"
        "送った職員には状態と結果だけが伝わります。"
    ),
    "consent_withdrawn": gettext_lazy("本人が同意を撤回したため、送った職員には伝えられません。"),
    "consent_expired": gettext_lazy(
        "本人同意の有効期限が切れているため、送った職員には伝えられません。"
    ),
}
_MESSAGE_WHY_NOT = {
    policy.FEEDBACK_NOT_CONSENTED: gettext_lazy(
        "本人が「つないだ職員への経過報告」に同意していないため、送った職員へのメッセージは"
        "送れません。送った職員には状態と結果だけが伝わります。"
    ),
    "consent_withdrawn": gettext_lazy(
        "本人が同意を撤回したため、このシートではメッセージを送れません。"
    ),
    "consent_expired": gettext_lazy(
        "本人同意の有効期限が切れているため、このシートではメッセージを送れません。"
    ),
}


@dataclass(frozen=True)
class Sharing:
    """May the desk's words reach the sending side on this sheet, and what to warn about."""

    allowed: bool
    reason: str  # why not, in Japanese ("" when allowed)
    uncovered: tuple[str, ...]  # labels of tax / health / household the consent leaves out

    @property
    def warning(self) -> str:
        """Shown next to the 「送った職員に伝える」 box and the desk's message box."""
        text = _("送った職員に伝える内容は、関わっていることや状態など必要最小限にしてください。")
        if self.uncovered:
            text += _("本人同意に含まれていない情報(%(categories)s)は書かないでください。") % {
                "categories": "、".join(self.uncovered)
            }
        return text


def _uncovered(sheet: ConnectSheet) -> tuple[str, ...]:
    covered = set(sheet.consent.categories) if sheet.consent is not None else set()
    return tuple(str(c.label) for c in SENSITIVE if c.value not in covered)


def note_sharing(sheet: ConnectSheet) -> Sharing:
    """For the note boxes of 連絡済 / つながった / 終結."""
    code = policy.to_sender_refusal("contacted", sheet.legal_basis, sheet.consent, to_sender=True)
    return Sharing(not code, str(_WHY_NOT.get(code, "")) if code else "", _uncovered(sheet))


def message_sharing(sheet: ConnectSheet, *, on_desk: bool) -> Sharing:
    """For the thread's message box: the desk writes to the sender, the sender to the desk."""
    action = "desk_message" if on_desk else "sender_message"
    code = policy.to_sender_refusal(action, sheet.legal_basis, sheet.consent, to_sender=on_desk)
    reason = str(_MESSAGE_WHY_NOT.get(code, _WHY_NOT.get(code, ""))) if code else ""
    return Sharing(not code, reason, _uncovered(sheet) if on_desk else ())
