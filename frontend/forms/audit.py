"""Search forms of the privacy officer's pages."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontend.forms.base import AccessibleForm
from frontend.forms.send import DateInput
from referral_hub.api_input import MAX_ID, plausible_query_date
from referral_hub.audit.anomalies import DEFAULT_THRESHOLD
from referral_hub.audit.selectors import EventFilters

ACTION_CHOICES = [
    ("", _("すべて")),
    ("sheet.read", _("シート閲覧")),
    ("sheet.send", _("シート送付")),
    ("sheet.redirect", _("シート転送")),
    ("sheet.*", _("シートに関するすべて")),
    ("resident.*", _("本人に関するすべて")),
    ("attachment.*", _("添付書類に関するすべて")),
    ("consent.*", _("同意に関するすべて")),
    ("auth.*", _("ログイン")),
    ("audit.*", _("監査ログの閲覧")),
]


class DisclosureLookupForm(AccessibleForm):
    resident = forms.IntegerField(
        label=_("内部管理番号"),
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text=_("開示記録や監査ログに表示される番号です。"),
    )
    sheet_number = forms.CharField(
        label=_("またはシート番号"),
        required=False,
        max_length=16,
        help_text=_("例: 2026-000123。そのシートの本人の記録を表示します。"),
    )

    def clean(self):
        data = super().clean()
        if not data.get("resident") and not (data.get("sheet_number") or "").strip():
            raise forms.ValidationError(_("内部管理番号かシート番号を入力してください。"))
        return data


class AuditSearchForm(AccessibleForm):
    resident = forms.IntegerField(
        label=_("内部管理番号"), required=False, min_value=1, max_value=MAX_ID
    )
    actor = forms.CharField(label=_("職員(ユーザー名)"), required=False, max_length=150)
    desk = forms.CharField(
        label=_("所属コード"),
        required=False,
        max_length=64,
        help_text=_("例: jiritsu, shuno"),
    )
    action = forms.ChoiceField(label=_("操作"), required=False, choices=ACTION_CHOICES)
    since = forms.DateField(
        label=_("開始日"), required=False, validators=[plausible_query_date], widget=DateInput()
    )
    until = forms.DateField(
        label=_("終了日"), required=False, validators=[plausible_query_date], widget=DateInput()
    )
    allowed = forms.ChoiceField(
        label=_("結果"),
        required=False,
        choices=[("", _("すべて")), ("true", _("許可")), ("false", _("拒否"))],
    )

    def filters(self) -> EventFilters:
        data = self.cleaned_data
        allowed = data.get("allowed") or None
        return EventFilters(
            resident=data.get("resident"),
            actor=(data.get("actor") or "").strip(),
            desk=(data.get("desk") or "").strip(),
            action=data.get("action") or "",
            since=data.get("since"),
            until=data.get("until"),
            allowed=None if allowed is None else allowed == "true",
        )


class ReviewDecisionForm(AccessibleForm):
    decision = forms.ChoiceField(
        label=_("判断"),
        choices=[("approve", _("承認する")), ("flag", _("問題を指摘する"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("メモ"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("指摘するときは、何が問題かを書いてください(主任に通知されます)。"),
    )


class AnomalyForm(AccessibleForm):
    date = forms.DateField(
        label=_("日付"), required=False, validators=[plausible_query_date], widget=DateInput()
    )
    threshold = forms.IntegerField(
        label=_("閲覧人数のしきい値"), required=False, min_value=1, max_value=10000
    )

    def day(self):
        return (self.cleaned_data.get("date") if self.is_valid() else None) or timezone.localdate()

    def limit(self) -> int:
        return (
            self.cleaned_data.get("threshold") if self.is_valid() else None
        ) or DEFAULT_THRESHOLD
