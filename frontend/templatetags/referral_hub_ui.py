"""Template helpers: the site header and Japanese labels for the codes the domain stores."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from frontend import navigation
from referral_hub import wareki
from referral_hub.consent.categories import Basis, Category, Method
from referral_hub.handoffs.models import EventKind, HandoffMethod, Outcome, Status, Urgency
from referral_hub.inbox.read_state import last_seq, unread_counts

register = template.Library()

_LABELS: dict[str, dict[str, Any]] = {
    "status": dict(Status.choices),
    "urgency": dict(Urgency.choices),
    "outcome": dict(Outcome.choices),
    "handoff": dict(HandoffMethod.choices),
    "category": dict(Category.choices),
    "basis": dict(Basis.choices),
    "method": dict(Method.choices),
    "event": dict(EventKind.choices),
    # Consent.status_on(): derived from the dates, not stored as a choice.
    "consent_status": {"active": _("有効"), "expired": _("期限切れ"), "withdrawn": _("撤回済み")},
}


@register.filter
def label(code: str | None, kind: str) -> str:
    """``{{ sheet.status|label:"status" }}`` → 受付済. Unknown codes are shown as they are."""
    if not code:
        return ""
    return str(_LABELS[kind].get(code, code))


def _separator() -> str:
    return "、" if get_language() in (None, "ja") else ", "


@register.filter
def listing(items: Iterable[Any]) -> str:
    """Names joined as the language writes a list: 「A、B」 or "A, B"."""
    return _separator().join(str(item) for item in items)


@register.filter
def labels(codes: Iterable[str], kind: str) -> str:
    """Codes as labels, in the order the choices define (not the order they were stored)."""
    wanted = set(codes or ())
    known = [str(text) for code, text in _LABELS[kind].items() if code in wanted]
    unknown = sorted(wanted - set(_LABELS[kind]))
    return _separator().join(known + unknown)


@register.filter
def long_date(value: datetime.date | None) -> str:
    """「2027年3月31日」 in Japanese, "31 March 2027" otherwise."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date()
    if get_language() in (None, "ja"):
        return f"{value.year}年{value.month}月{value.day}日"
    return date_format(value, "j F Y")


@register.filter
def both_eras(value: datetime.date | None) -> str:
    """「1980年4月1日(昭和55年4月1日)」: 西暦 and 和暦, as clerks read dates back."""
    if not value:
        return ""
    if get_language() in (None, "ja"):
        return wareki.both_eras(value)
    era = wareki.era_text(value)
    return f"{date_format(value, 'j F Y')} ({era})" if era else date_format(value, "j F Y")


@register.inclusion_tag("frontend/partials/header.html", takes_context=True)
def site_header(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    data: dict[str, Any] = {"request": request, "user": user, "LANG": context.get("LANG")}
    if user.is_authenticated:
        data.update(
            display_name=navigation.display_name(user),
            places=navigation.place_labels(user),
            nav=navigation.nav_items(user),
            counts=unread_counts(user.pk),
            current=request.resolver_match.url_name if request.resolver_match else "",
        )
    return data


@register.simple_tag(takes_context=True)
def inbox_seq(context: template.Context) -> int:
    """The user's last inbox event number when the page was rendered: inbox.js catches up from
    here, so an event that lands between render and socket connect still refreshes the page."""
    user = context["request"].user
    return last_seq(user.pk) if user.is_authenticated else 0


@register.simple_tag
def idle_seconds() -> int:
    """``SESSION_IDLE_MINUTES`` in seconds, for idle.js (issue 21)."""
    return int(float(settings.SESSION_IDLE_MINUTES) * 60)
