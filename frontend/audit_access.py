"""How the privacy officer's pages reach the audit app: the same permission the audit API
requires, a refused attempt left in the log, and every read of the log recorded in the log
(the audit app's rule: reading the audit log is itself audited).

The pages call the audit app's selectors and functions; this module adds only the access rule
and the record, with the action names the audit API uses, so both entrances look alike in the
log.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from referral_hub import account_lock
from referral_hub.audit.log import record
from referral_hub.audit.selectors import action_label
from referral_hub.directory.models import Department, Desk

VIEW_PERMISSION = "audit.view_auditevent"
REVIEW_PERMISSION = "audit.review_disclosure"


def require(user: Any, permission: str, action: str, **audit: Any) -> None:
    """Refuse with 403, and record the refusal, unless ``user`` holds ``permission``."""
    if user.has_perm(permission):
        return
    with transaction.atomic():
        record(
            action,
            actor=user,
            allowed=False,
            refusal_code="permission_denied",
            details={"permission": permission},
            **audit,
        )
    raise PermissionDenied


# Actions the audit app does not label (it labels the disclosures); codes stay visible next to
# the label on the search page, so nothing is hidden by a wrong translation.
# A sheet's state changes are past tense (``sheet.redirected``); the gate's decision on the same
# step keeps the request's name (``sheet.redirect``: a disclosure, or a refusal). Rows written
# before issue 16 used the request's name for both; their labels stay for those rows.
ACTION_LABELS: dict[str, Promise] = {
    "sheet.sent": _("シート送付(記録)"),
    "sheet.feedback": _("経過の閲覧(送付元)"),
    "sheet.acknowledged": _("受付"),
    "sheet.accepted": _("担当決定"),
    "sheet.marked_contacted": _("連絡済"),
    "sheet.marked_connected": _("つながった"),
    "sheet.redirected": _("シート転送"),
    "sheet.returned": _("差戻し"),
    "sheet.closed": _("終結"),
    "sheet.resent": _("再送"),
    "sheet.withdrawn": _("取下げ"),
    "sheet.message_posted": _("メッセージ"),
    "sheet.acknowledge": _("受付"),
    "sheet.accept": _("担当決定"),
    "sheet.contacted": _("連絡済"),
    "sheet.connected": _("つながった"),
    "sheet.return": _("差戻し"),
    "sheet.close": _("終結"),
    "sheet.withdraw": _("取下げ"),
    "sheet.desk_message": _("メッセージ"),
    "sheet.sender_message": _("メッセージ"),
    "sheet.message": _("メッセージ"),
    "sheet.overdue": _("期限超過"),
    "sheet.runaround_alert": _("たらい回し警告"),
    "sheet.attachment_added": _("添付書類の追加"),
    "sheet.retention_shredded": _("保存期間終了による消去"),
    "resident.create": _("本人の登録"),
    "resident.search": _("本人の検索"),
    "resident.retention_shredded": _("保存期間終了による消去"),
    "consent.record": _("同意の記録"),
    "consent.withdraw": _("同意の撤回"),
    "consent.list": _("同意の一覧"),
    "consent.evidence_added": _("同意書の保存"),
    "consent.evidence_read": _("同意書の閲覧"),
    "attachment.upload": _("添付書類の追加"),
    "attachment.send": _("添付書類の送付"),
    "attachment.integrity_failure": _("添付書類の改ざん・破損"),
    "auth.login": _("ログイン"),
    "auth.login_failed": _("ログイン失敗"),
    "auth.login_refused": _("ログイン拒否(ロック中)"),
    "auth.password_ok": _("パスワード確認済み(2段階目の確認待ち)"),
    "auth.token_issued": _("APIトークン発行"),
    "auth.token_revoked": _("APIトークン失効"),
    "audit.search": _("監査ログの検索"),
    "audit.disclosure_report": _("開示記録の作成"),
    "audit.review_list": _("確認待ちの閲覧"),
    "audit.verify": _("改ざん検知"),
    "audit.anomalies": _("異常の兆候の閲覧"),
    "disclosure_review.approve": _("同意によらない提供の承認"),
    "disclosure_review.flag": _("同意によらない提供の指摘"),
    "disclosure_review.decide": _("同意によらない提供の判断"),
    "directory.membership_added": _("所属の追加"),
    "directory.membership_removed": _("所属の削除"),
    "directory.legal_basis_changed": _("法的根拠の変更"),
}

TARGET_LABELS: dict[str, Promise] = {
    "resident": _("本人"),
    "sheet": _("シート"),
    "consent": _("同意"),
    "consent_evidence": _("同意書"),
    "attachment": _("添付書類"),
    "audit_log": _("監査ログ"),
    "disclosure_review": _("確認"),
    "user": _("職員"),
    "desk": _("窓口"),
}


def describe_action(action: str) -> str:
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    return action_label(action)


def describe_target(target_type: str, target_id: str) -> str:
    if not target_type:
        return ""
    return f"{TARGET_LABELS.get(target_type, target_type)} {target_id}".strip()


def log_read(user: Any, action: str, *, permission: str = VIEW_PERMISSION, **audit: Any) -> None:
    """Record the page's read of the log, with ``permission`` decided again on the locked
    account in the same transaction (``account_lock.has_perm_now``): a privacy officer whose
    membership was removed while the page was being prepared gets 403 and the refusal is
    recorded, never the read (docs/operations/locks.md)."""
    with transaction.atomic():
        allowed = account_lock.permitted_now(user, permission, action, **audit)
        if allowed:
            record(action, actor=user, **audit)
    if not allowed:
        raise PermissionDenied


def place_names() -> dict[str, str]:
    """Desk and department codes (as the log stores them) to their names."""
    names = {d.code: d.display_name for d in Department.objects.only("code", "name", "name_en")}
    names.update((d.code, d.display_name) for d in Desk.objects.only("code", "name", "name_en"))
    return names


def display_name(user: Any) -> str:
    """「収納 花子」, or the username for an account without a name."""
    return f"{user.last_name} {user.first_name}".strip() or user.username


def staff_names(usernames: set[str]) -> dict[str, str]:
    rows = get_user_model().objects.filter(username__in=usernames)
    return {u.username: display_name(u) for u in rows}


def describe_places(label: str, names: dict[str, str]) -> str:
    """ "jiritsu,shuno" → "自立相談支援窓口、収納課"."""
    if not label:
        return ""
    return "、".join(names.get(code, code) for code in label.split(","))
