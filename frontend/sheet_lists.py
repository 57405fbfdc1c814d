"""The inbox and sent lists as the pages show them: urgent and overdue sheets first, filters,
and which rows have news the user has not opened yet.

Rows come from ``handoffs.selectors`` (which decide *which* sheets a user's lists hold); this
module only orders, filters and annotates them. List rows carry no personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from referral_hub.handoffs import keyset, selectors
from referral_hub.handoffs.models import ConnectSheet, Status, Urgency
from referral_hub.inbox.models import InboxEvent

PAGE_SIZE = 50

OPEN_STATUS_CHOICES = [
    (Status.SENT, Status.SENT.label),
    (Status.ACKNOWLEDGED, Status.ACKNOWLEDGED.label),
    (Status.ACCEPTED, Status.ACCEPTED.label),
    (Status.CONTACTED, Status.CONTACTED.label),
    (Status.CONNECTED, Status.CONNECTED.label),
    (Status.RETURNED, Status.RETURNED.label),
]


class ListFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状態"), required=False, choices=[("", _("すべて"))] + OPEN_STATUS_CHOICES
    )
    urgency = forms.ChoiceField(
        label=_("緊急度"), required=False, choices=[("", _("すべて")), *Urgency.choices]
    )
    overdue = forms.BooleanField(label=_("期限超過のみ"), required=False)


class SentFilterForm(ListFilterForm):
    status = forms.ChoiceField(
        label=_("状態"),
        required=False,
        choices=[("", _("すべて")), ("open", _("対応中")), *Status.choices],
    )


class DeskFilterForm(ListFilterForm):
    """受信箱: every status, closed and withdrawn included, consent withdrawn, and a search by
    sheet number or by the resident's kana and birth date (issue 20; audited)."""

    status = forms.ChoiceField(
        label=_("状態"),
        required=False,
        choices=[
            ("", _("対応中すべて")),
            *Status.choices,
            ("consent_withdrawn", _("同意撤回")),
        ],
    )
    number = forms.CharField(label=_("シート番号"), required=False, max_length=16)
    kana = forms.CharField(label=_("本人のカナ氏名"), required=False, max_length=60)
    birth_date = forms.DateField(
        label=_("生年月日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def wants_whole_record(self) -> bool:
        """Closed or withdrawn sheets, or a search: the desk's whole record, not the inbox."""
        if not self.is_valid():
            return False
        data = self.cleaned_data
        return data.get("status") in (Status.CLOSED, Status.WITHDRAWN) or bool(
            data.get("number") or (data.get("kana") and data.get("birth_date"))
        )


# Page orders, each ending in the unique id (keyset pagination, handoffs/keyset.py).
INBOX_ORDER = ("urgency_rank", "ack_due_at", "pk")
SENT_ORDER = ("-sent_at", "-pk")


def urgent_first(rows: QuerySet[ConnectSheet]) -> QuerySet[ConnectSheet]:
    """緊急 before 早め before 通常; within each, the earliest deadline first, so overdue sheets
    (past their deadline) lead. Ordered by ``INBOX_ORDER``: keys that do not change while a
    sheet stays in the inbox (a status-dependent "overdue" rank would move a row mid-walk)."""
    return rows.annotate(
        urgency_rank=Case(
            When(urgency=Urgency.URGENT, then=Value(0)),
            When(urgency=Urgency.SOON, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
    ).order_by(*INBOX_ORDER)


def apply_filters(rows: QuerySet[ConnectSheet], form: ListFilterForm) -> QuerySet[ConnectSheet]:
    if not form.is_valid():
        return rows
    data = form.cleaned_data
    status = data.get("status", "")
    if status == "consent_withdrawn":
        rows = rows.filter(consent__withdrawn_at__isnull=False)
        status = ""
    if status == "open":
        rows = rows.exclude(status__in=[Status.CLOSED, Status.WITHDRAWN])
        status = ""
    return selectors.filter_sheets(
        rows,
        status=status,
        urgency=data.get("urgency", ""),
        overdue=True if data.get("overdue") else None,
    )


def unread_sheet_ids(user_id: int, sheet_ids: list[int]) -> set[int]:
    """Sheets on this page with an event the user has not seen (opening a sheet marks it read)."""
    return set(
        InboxEvent.objects.filter(
            user_id=user_id, sheet_id__in=sheet_ids, read_at__isnull=True
        ).values_list("sheet_id", flat=True)
    )


@dataclass(frozen=True)
class ListPage:
    """One keyset page of a list page: ``next``/``previous`` are cursor tokens (or "")."""

    count: int
    next: str
    previous: str


def page_of(
    user: Any,
    rows: QuerySet[ConnectSheet],
    cursor: str | None,
    ordering: tuple[str, ...],
    *,
    arrived_field: str | None = None,
) -> tuple[ListPage, list]:
    """One page of rows after ``cursor`` (a token from a previous page; a damaged one starts
    again at the first page), each with its overdue and unread marks."""
    try:
        position = keyset.decode(cursor) if cursor else None
        page = keyset.paginate(rows, ordering, position, PAGE_SIZE, arrived_field=arrived_field)
    except keyset.BadCursor:
        page = keyset.paginate(rows, ordering, None, PAGE_SIZE, arrived_field=arrived_field)
    sheets = list(page.rows)
    unread = unread_sheet_ids(user.pk, [s.pk for s in sheets])
    marked = [
        {"sheet": s, "overdue": selectors.is_overdue(s), "unread": s.pk in unread} for s in sheets
    ]
    listing = ListPage(
        count=rows.count(),
        next=page.next.encode() if page.next else "",
        previous=page.previous.encode() if page.previous else "",
    )
    return listing, marked
