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

from referral_hub.audit.log import record
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


def log_read(user: Any, action: str, **audit: Any) -> None:
    with transaction.atomic():
        record(action, actor=user, **audit)


def place_names() -> dict[str, str]:
    """Desk and department codes (as the log stores them) to their names."""
    names = dict(Department.objects.values_list("code", "name"))
    names.update(Desk.objects.values_list("code", "name"))
    return names


def staff_names(usernames: set[str]) -> dict[str, str]:
    rows = get_user_model().objects.filter(username__in=usernames)
    return {u.username: (f"{u.last_name} {u.first_name}".strip() or u.username) for u in rows}


def describe_places(label: str, names: dict[str, str]) -> str:
    """ "jiritsu,shuno" → "自立相談支援窓口、収納課"."""
    if not label:
        return ""
    return "、".join(names.get(code, code) for code in label.split(","))
