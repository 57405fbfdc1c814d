"""Forms of the rights desk pages (privacy officers)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontend.forms.base import AccessibleForm, NormalisedField
from frontend.forms.send import DateInput
from referral_hub.api_input import MAX_ID, plausible_birth_date
from referral_hub.consent.kana import to_katakana
from referral_hub.rights.models import DecisionKind, IdentityDocument, Kind, WithholdingGround

STATUS_CHOICES = [
    ("open", _("未決定")),
    ("due_soon", _("期限が近い")),
    ("overdue", _("期限切れ")),
    ("decided", _("決定済み")),
    ("all", _("すべて")),
]


class RegisterFilterForm(AccessibleForm):
    status = forms.ChoiceField(label=_("状態"), required=False, choices=STATUS_CHOICES)
    kind = forms.ChoiceField(
        label=_("請求の種類"), required=False, choices=[("", _("すべて")), *Kind.choices]
    )


class ResidentFindForm(AccessibleForm):
    kana = NormalisedField(
        normalise=to_katakana,
        label=_("氏名(カナ)"),
        max_length=200,
        help_text=_("氏と名を続けて入力します。例: ヤマダ タロウ"),
    )
    birth_date = forms.DateField(
        label=_("生年月日"), validators=[plausible_birth_date], widget=DateInput()
    )


class NewRequestForm(AccessibleForm):
    resident = forms.IntegerField(
        label=_("内部管理番号"),
        min_value=1,
        max_value=MAX_ID,
        help_text=_("この仕組みの中の番号です(住民票コードではありません)。上の検索で選べます。"),
    )
    kind = forms.ChoiceField(label=_("請求の種類"), choices=Kind.choices)
    received_on = forms.DateField(label=_("受付日"), widget=DateInput())
    identity_document = forms.ChoiceField(
        label=_("本人確認書類"),
        choices=IdentityDocument.choices,
        help_text=_("書類の種類だけを記録します。番号は記録しません。"),
    )
    scope_from = forms.DateField(label=_("対象期間(から)"), required=False, widget=DateInput())
    scope_until = forms.DateField(label=_("対象期間(まで)"), required=False, widget=DateInput())
    statement = forms.CharField(
        label=_("請求の内容"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("訂正請求では、本人が誤りだと言う内容を書きます。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()


class ExtendForm(AccessibleForm):
    reason = forms.CharField(
        label=_("延長の理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecideForm(AccessibleForm):
    decision = forms.ChoiceField(label=_("決定"), choices=DecisionKind.choices)
    note = forms.CharField(
        label=_("理由・補足"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    withheld_seq = forms.IntegerField(
        label=_("不開示とする記録番号"),
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text=_("部分開示のときだけ入力します。"),
    )
    withheld_ground = forms.ChoiceField(
        label=_("不開示の根拠"),
        required=False,
        choices=[("", "—"), *WithholdingGround.choices],
    )


class LiftForm(AccessibleForm):
    reason = forms.CharField(label=_("解除の理由"), required=False, max_length=2000)


class CorrectionLinkForm(AccessibleForm):
    field = forms.ChoiceField(
        label=_("訂正した項目"),
        choices=[
            ("family_name", _("氏")),
            ("given_name", _("名")),
            ("family_name_kana", _("氏(カナ)")),
            ("given_name_kana", _("名(カナ)")),
            ("birth_date", _("生年月日")),
            ("address", _("住所")),
            ("phone", _("電話番号")),
            ("sheet", _("シートの内容")),
        ],
    )
    audit_seq = forms.IntegerField(
        label=_("訂正を記録した監査ログの記録番号"),
        min_value=1,
        max_value=MAX_ID,
        help_text=_("訂正は通常の画面・機能で行い、その記録番号をここで結び付けます。"),
    )
