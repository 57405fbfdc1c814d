"""The consent explanation in plain words, to read aloud at the counter or print and sign.

Literacy problems are common among the people who reach these desks (DOMAIN.md), so the text
uses short sentences and everyday words for each data category instead of the legal terms.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from referral_hub.consent.categories import Category
from referral_hub.directory.models import Desk

PLAIN_CATEGORY: dict[str, Promise] = {
    Category.IDENTITY: _("お名前・ご住所・生年月日・電話番号"),
    Category.CONCERN: _("いま困っていることの内容"),
    Category.TAX: _("税金や保険料の滞納のこと"),
    Category.HEALTH: _("体やこころの健康のこと"),
    Category.HOUSEHOLD: _("ご家族・世帯のこと"),
    Category.ATTACHMENTS: _("お預かりした書類の写し"),
    Category.FEEDBACK: _("相談がどうなったかを、いまお話ししている職員にお知らせすること"),
}


@dataclass(frozen=True)
class ConsentText:
    desks: list[Desk]
    categories: list[Promise]
    purpose: str
    valid_until: datetime.date | None


def build(
    desk_ids: list[int],
    categories: list[str],
    purpose: str = "",
    valid_until: datetime.date | None = None,
) -> ConsentText:
    desks = list(Desk.objects.filter(pk__in=desk_ids, is_active=True).order_by("pk"))
    wanted = set(categories)
    return ConsentText(
        desks=desks,
        categories=[text for code, text in PLAIN_CATEGORY.items() if code in wanted],
        purpose=purpose.strip(),
        valid_until=valid_until,
    )
