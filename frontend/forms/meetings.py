"""Forms of the support-meeting pages (支援会議): convene, add a member, add a case."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from frontend.forms.base import AccessibleForm
from referral_hub.directory.models import Membership, Role
from referral_hub.meetings.models import Law
from referral_hub.meetings.services import MAX_EXTERNAL_TEXT, MAX_REASON


def _staff_choices() -> list[tuple[int, str]]:
    """Staff with a place (counter or desk), labelled by name and place."""
    rows = (
        Membership.objects.filter(
            role__in=[Role.CLERK, Role.CONSULTANT, Role.LEAD], user__is_active=True
        )
        .select_related("user", "desk", "department")
        .order_by("user__username")
    )
    choices: dict[int, str] = {}
    for m in rows:
        place = (
            m.desk.display_name if m.desk else (m.department.display_name if m.department else "")
        )
        name = f"{m.user.last_name} {m.user.first_name}".strip() or m.user.get_username()
        choices.setdefault(m.user_id, f"{name}({place})")
    return list(choices.items())


class ConveneForm(AccessibleForm):
    law = forms.ChoiceField(label=_("根拠法"), choices=Law.choices)
    name = forms.CharField(
        label=_("会議名"),
        max_length=100,
        help_text=_("例: 第3回 支援会議。本人の氏名は書かないでください。"),
    )
    held_on = forms.DateField(label=_("開催日"), widget=forms.DateInput(attrs={"type": "date"}))
    access_until = forms.DateField(
        label=_("情報共有の期限"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "空欄なら開催日から既定の日数(設定)まで。この日を過ぎると共有した情報は読めなくなります。"
        ),
    )
    members = forms.TypedMultipleChoiceField(
        label=_("構成員(職員)"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("招集した主任は自動的に構成員になります。"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = _staff_choices()


class MemberForm(AccessibleForm):
    user = forms.TypedChoiceField(label=_("職員"), coerce=int, required=False, empty_value=None)
    organisation = forms.CharField(
        label=_("外部の構成員の所属機関"), max_length=MAX_EXTERNAL_TEXT, required=False
    )
    person = forms.CharField(
        label=_("外部の構成員の氏名"), max_length=MAX_EXTERNAL_TEXT, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", "—"), *_staff_choices()]


class CaseForm(AccessibleForm):
    resident = forms.IntegerField(
        label=_("住民番号"),
        min_value=1,
        help_text=_("本人を検索して確認した住民番号(シート・同意書に記載)。"),
    )
    reason = forms.CharField(
        label=_("検討する理由"), max_length=MAX_REASON, widget=forms.Textarea(attrs={"rows": 3})
    )


def user_label(user_id: int | None) -> str:
    if user_id is None:
        return ""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return ""
    return f"{user.last_name} {user.first_name}".strip() or user.get_username()
