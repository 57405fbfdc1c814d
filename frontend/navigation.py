"""Where each role works: the header's links and the page a user lands on after sign-in.

This only decides what to *show*. Whether an action or a read is allowed is decided by the
policy gate inside the services and selectors the pages call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from referral_hub.directory import roles
from referral_hub.directory.models import Department, Desk, Role

SENDING_ROLES = (Role.CLERK, Role.CONSULTANT, Role.LEAD)
DESK_ROLES = (Role.CONSULTANT, Role.LEAD)
AUDIT_PERMISSION = "audit.view_auditevent"


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    badges: tuple[str, ...] = ()  # unread boxes shown next to the link: "inbox", "sent", "overdue"

    @property
    def url(self) -> str:
        return reverse(self.url_name)


@dataclass(frozen=True)
class PlaceLabel:
    where: str
    role: str


def nav_items(user: Any) -> list[NavItem]:
    items: list[NavItem] = []
    if roles.has_role(user, *DESK_ROLES):
        items.append(NavItem("inbox", _("受信箱"), ("inbox", "overdue")))
    if roles.has_role(user, Role.LEAD):
        items.append(NavItem("lead_board", _("主任ボード")))
    if roles.has_role(user, *SENDING_ROLES):
        items.append(NavItem("send_sheet", _("つなぐシートを作る")))
        items.append(NavItem("sent_list", _("送ったシート"), ("sent",)))
        items.append(NavItem("meetings", _("支援会議")))
    if user.has_perm(AUDIT_PERMISSION):
        items.append(NavItem("audit_disclosures", _("開示記録")))
        if roles.has_role(user, Role.PRIVACY_OFFICER):
            items.append(NavItem("rights_register", _("開示等の請求")))
        items.append(NavItem("audit_search", _("監査ログ")))
        items.append(NavItem("audit_reviews", _("確認待ち")))
        items.append(NavItem("audit_integrity", _("改ざん検知")))
        items.append(NavItem("audit_anomalies", _("異常の兆候")))
    if roles.places(user):
        # Counts only; the reports app narrows a clerk's figures to their own department.
        items.append(NavItem("reports-monthly", _("月次統計")))
    return items


def landing_url(user: Any) -> str:
    """The page a user needs first: the inbox at a desk, the send form at a counter."""
    if roles.has_role(user, *DESK_ROLES):
        return reverse("inbox")
    if roles.has_role(user, Role.CLERK):
        return reverse("send_sheet")
    if user.has_perm(AUDIT_PERMISSION):
        return reverse("audit_disclosures")
    if user.is_staff:
        return reverse("admin:index")
    return ""


def place_labels(user: Any) -> list[PlaceLabel]:
    """ "自立相談支援窓口 / 相談支援員" for each membership, for the header."""
    places = roles.places(user)
    # display_name: the English name in the English UI, the Japanese one otherwise.
    desk_names = {
        desk.pk: desk.display_name
        for desk in Desk.objects.filter(pk__in=[p.desk_id for p in places if p.desk_id])
    }
    department_names = {
        department.pk: department.display_name
        for department in Department.objects.filter(
            pk__in=[p.department_id for p in places if p.department_id]
        )
    }
    labels = []
    for place in places:
        where = ""
        if place.desk_id:
            where = desk_names.get(place.desk_id, place.desk_code)
        elif place.department_id:
            where = department_names.get(place.department_id, place.department_code)
        labels.append(PlaceLabel(where=where, role=str(Role(place.role).label)))
    return labels


def display_name(user: Any) -> str:
    """Family name first, as staff names are written in Japanese offices."""
    full = f"{user.last_name} {user.first_name}".strip()
    return full or user.get_username()
