"""The gate's texts, in one translatable place: what a refusal means and what to do next.

The API (``Decision.message``) and the pages (``frontend.refusals``) both read them from here,
so a refusal reads the same everywhere, in the reader's language (Japanese by default:
``referral_hub.language``). Texts are lazy: they are translated when shown, not at import.

- ``MESSAGES``: refusal code -> the rule and the usual next step.
- ``PURPOSE_MESSAGES``: (purpose, code) -> a text with the next step for that purpose, where
  it differs (a redirect outside the consent goes back to the sender, not to a new consent
  form): no runaround.
- ``OPTION_REASONS``: refusal code -> the few words shown next to a choice a page offers but
  the gate would refuse (a disabled desk in the redirect dialog).
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

FEEDBACK_NOT_CONSENTED = "feedback_not_consented"

MESSAGES: dict[str, Promise] = {
    "consent_required": _(
        "本人同意が記録されていません。同意を記録するか、他の法的根拠を選んでください。"
    ),
    "consent_scope": _(
        "本人同意の範囲外です。同意の対象となっている窓口・情報の範囲を確認してください。"
    ),
    "consent_withdrawn": _("本人が同意を撤回しています。この情報はもう提供・閲覧できません。"),
    "consent_expired": _("本人同意の有効期限が切れています。改めて同意を得てください。"),
    "justification_required": _("同意によらない提供には理由の記載が必要です。"),
    "not_support_meeting_member": _(
        "支援会議の構成員どうしでなければ、同意なしに情報を共有できません(法第9条)。"
    ),
    "support_meeting_required": _(
        "支援会議を根拠にするときは、本人が検討事例に載っている開催中の支援会議を選んでください。"
        "会議がなければ、主任相談支援員に支援会議の開催を相談してください(法第9条)。"
    ),
    "support_meeting_closed": _(
        "この支援会議の情報共有の期間は終わっています。本人同意を得るか、"
        "改めて支援会議を開いてください。"
    ),
    "pledge_required": _(
        "送る職員と受け取る窓口の双方が、この支援会議の構成員として守秘義務の誓約を"
        "済ませている必要があります。支援会議のページで誓約してください。"
    ),
    "not_on_agenda": _(
        "本人はこの支援会議の検討事例に載っていません。構成員が理由を添えて検討事例に"
        "追加してから送ってください。"
    ),
    "basis_inactive": _("この法的根拠は現在使用できません。個人情報保護担当に確認してください。"),
    "not_desk_member": _("この窓口の職員ではないため閲覧できません。"),
    "not_owner_desk": _("このシートを担当している窓口の職員だけが操作できます。"),
    "not_sender": _("シートを送った職員(または同じ課の職員)だけが操作できます。"),
    "lead_required": _("この操作は主任相談支援員が行います。"),
    "handler_not_member": _("担当者はこの窓口の職員から選んでください。"),
    "role_not_allowed": _("この役割ではこの操作はできません。"),
    "search_limit": _(
        "本人検索の回数が上限に達しました。しばらくしてから検索してください。"
        "続けて必要な場合は個人情報保護担当に連絡してください。"
    ),
    "not_authenticated": _("ログインしてください。"),
    "step_up_required": _(
        "この情報を扱うには、直前の本人確認が必要です。認証アプリのコードかパスキーで確認してから"
        "もう一度開いてください。"
    ),
    "no_relationship": _(
        "この本人との関係を確認できません。本人に窓口で確認のうえ、カナ氏名と生年月日で"
        "本人を検索してから操作してください。"
    ),
    "self_send": _("自分が所属する窓口あてにはシートを送れません。"),
    "use_suspended": _(
        "本人から利用停止の請求があり、この方の情報の利用・提供は停止されています。"
        "生命・身体の保護のため緊急に必要な場合を除き、個人情報保護担当に相談してください。"
    ),
    "not_consent_place": _("同意書の追加は、その同意を記録した課・窓口の職員だけができます。"),
    FEEDBACK_NOT_CONSENTED: _(
        "本人が「つないだ職員への経過報告」に同意していないため、送った職員にはメモやメッセージを"
        "伝えられません。送った職員には状態と結果だけが伝わります。"
    ),
}

PURPOSE_MESSAGES: dict[tuple[str, str], Promise] = {
    ("sheet.send", "role_not_allowed"): _("この役割ではシートを送ることができません。"),
    ("sheet.redirect", "consent_scope"): _(
        "転送先の窓口は本人同意の範囲外です。送った職員に差し戻すか、"
        "本人に確認して転送先への同意を得てください。"
    ),
    ("sheet.redirect", "consent_withdrawn"): _(
        "本人が同意を撤回しているため転送できません。終結するか、送った職員に差し戻してください。"
    ),
}

# Next to a choice the gate would refuse; the code's full text explains it on submission.
OPTION_REASONS: dict[str, Promise] = {
    "consent_scope": _("同意の対象外"),
    "consent_required": _("同意の対象外"),
    "consent_withdrawn": _("同意撤回済み"),
    "consent_expired": _("同意の期限切れ"),
    "lead_required": _("主任相談支援員のみ"),
    "not_support_meeting_member": _("支援会議の構成員ではない"),
    "pledge_required": _("誓約した構成員ではない"),
    "not_on_agenda": _("検討事例にない"),
    "support_meeting_closed": _("共有期間の終了"),
    "support_meeting_required": _("支援会議を選んでください"),
}
OPTION_REASON_OTHER = _("選べません")


def text(purpose: str, code: str) -> str:
    """The refusal text for ``code`` when refusing ``purpose``, in the active language; "" for
    an unknown code (the caller then says something general)."""
    message = PURPOSE_MESSAGES.get((purpose, code)) or MESSAGES.get(code)
    return str(message) if message is not None else ""


def has_purpose_text(purpose: str, code: str) -> bool:
    """Does ``purpose`` have its own next step for ``code`` (so a generic one would repeat it)?"""
    return (purpose, code) in PURPOSE_MESSAGES


def option_reason(code: str) -> str:
    """The few words shown next to an unavailable choice refused with ``code``."""
    return str(OPTION_REASONS.get(code, OPTION_REASON_OTHER))
