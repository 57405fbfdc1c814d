"""The forms of つなぐシートを作る: find or register the resident, record consent, write the sheet.

They only check what a person typed. What the resident agreed to, and whether the sheet may
go to the chosen desk, is decided by the services (the policy gate) when the page submits.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from frontend.forms.base import (
    AccessibleForm,
    IdChoiceField,
    IdMultipleChoiceField,
    NormalisedField,
)
from frontend.forms.files import ScanField, ScansField
from referral_hub import wareki
from referral_hub.api_input import parse_id, plausible_birth_date, plausible_valid_until
from referral_hub.consent.categories import Basis, Category, Method
from referral_hub.consent.kana import to_katakana, to_phone
from referral_hub.consent.models import Signatory
from referral_hub.directory.models import Concern, Desk
from referral_hub.handoffs.models import HandoffMethod, Urgency
from referral_hub.resident_texts.languages import choices as resident_language_choices

NEW = "new"
OTHER_BASIS = "other_basis"
CONSENT_VALID_DAYS = 365
DEFAULT_PURPOSE = _("生活の困りごとについて、窓口で相談・支援を受けるため")
# Feedback to the referrer is minimal unless the resident chooses more (DOMAIN.md): the status
# and outcome always reach the clerk; 「つないだ職員への経過報告」 is ticked only on request.
DEFAULT_CATEGORIES = [Category.IDENTITY, Category.CONCERN]


class WarekiDateField(forms.DateField):
    """A date typed as a clerk writes it: 和暦 (昭和55年4月1日, S55.4.1, R2/1/1, 令和元年5月1日)
    or 西暦 (1980-04-01, 1980/4/1). The rules are ``referral_hub.wareki``'s, shared with the API."""

    widget = forms.TextInput

    def to_python(self, value: Any) -> datetime.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.date):
            return value
        try:
            return wareki.parse_date(str(value))
        except wareki.InvalidDate as invalid:
            raise forms.ValidationError(invalid.message, code="invalid") from None


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, str] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def active_desks():
    return Desk.objects.filter(is_active=True).order_by("pk")


class DeskChoiceField(IdChoiceField):
    def label_from_instance(self, obj: Desk) -> str:
        name = obj.display_name
        return f"{name}({obj.external_organisation})" if obj.external_organisation else name


class DeskMultipleChoiceField(IdMultipleChoiceField):
    def label_from_instance(self, obj: Desk) -> str:
        return DeskChoiceField.label_from_instance(self, obj)  # type: ignore[arg-type]


def _search_attrs(**more: str) -> dict[str, object]:
    """Typing kana or a birth date asks the server for possible duplicates (htmx).

    Only typing triggers the search, not ``change``: the fields are text inputs (和暦 is typed),
    whose ``change`` fires when the clerk leaves the field, which is the moment they click the
    resident they found; a search sent then would redraw the list without that choice."""
    return {
        "class": "resident-search",
        "autocomplete": "off",
        "hx-get": reverse_lazy("send_resident_matches"),
        "hx-trigger": "input changed delay:600ms",
        "hx-target": "#resident-matches",
        "hx-include": ".resident-search, [name=resident]:checked",
        "hx-sync": "closest .resident-section:queue last",
        **more,
    }


class ResidentSearchForm(AccessibleForm):
    """Kana and birth date: both find a returning resident and register a new one."""

    family_name_kana = NormalisedField(
        normalise=to_katakana,
        label=_("氏(フリガナ)"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs=_search_attrs()),
    )
    given_name_kana = NormalisedField(
        normalise=to_katakana,
        label=_("名(フリガナ)"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs=_search_attrs()),
    )
    birth_date = WarekiDateField(
        label=_("生年月日"),
        required=False,
        validators=[plausible_birth_date],
        help_text=_(
            "和暦でも入力できます(例: 昭和55年4月1日、S55.4.1、R2/1/1)。わからないときは空欄のままで登録できます。"
        ),
        widget=forms.TextInput(attrs=_search_attrs(placeholder=_("例: S55.4.1"), inputmode="text")),
    )

    def kana(self) -> str:
        if not self.is_valid():
            return ""
        data = self.cleaned_data
        return f"{data['family_name_kana'].strip()} {data['given_name_kana'].strip()}".strip()


class ResidentChoiceForm(AccessibleForm):
    resident = forms.CharField(
        label=_("本人"),
        error_messages={"required": _("候補から本人を選ぶか「新しく登録する」を選んでください。")},
    )

    def clean_resident(self) -> str:
        value = self.cleaned_data["resident"]
        if value != NEW and parse_id(value) is None:
            raise forms.ValidationError(_("候補から本人を選んでください。"))
        return value


class NewResidentForm(AccessibleForm):
    """The rest of a new resident's identity (kana and birth date come from the search)."""

    family_name = forms.CharField(label=_("氏"), max_length=100)
    given_name = forms.CharField(label=_("名"), max_length=100, required=False)
    address = forms.CharField(
        label=_("住所"),
        max_length=300,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    phone = NormalisedField(
        normalise=to_phone,
        label=_("電話番号"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )


class ConsentChoiceForm(AccessibleForm):
    consent = forms.CharField(
        label=_("本人同意"),
        error_messages={"required": _("使う同意を選ぶか、新しく同意を記録してください。")},
    )

    def clean_consent(self) -> str:
        value = self.cleaned_data["consent"]
        if value not in (NEW, OTHER_BASIS) and parse_id(value) is None:
            raise forms.ValidationError(_("使う同意を選んでください。"))
        return value


class ConsentForm(AccessibleForm):
    """What the resident agrees to, recorded on the spot."""

    recipients = DeskMultipleChoiceField(
        label=_("情報を伝えてよい窓口"),
        queryset=active_desks(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "consent-scope"}),
        error_messages={"required": _("伝えてよい窓口を1つ以上選んでください。")},
    )
    categories = forms.MultipleChoiceField(
        label=_("伝えてよい情報"),
        choices=Category.choices,
        initial=DEFAULT_CATEGORIES,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "consent-scope"}),
        help_text=_(
            "税・滞納の詳細は、本人が明示的に同意した場合だけ選んでください(税の守秘義務)。"
            "「つないだ職員への経過報告」は、本人が希望したときだけ選んでください。"
            "選ばなくても、受付・終結などの状態と結果はつないだ職員に伝わります。"
        ),
        error_messages={"required": _("伝えてよい情報を1つ以上選んでください。")},
    )
    purpose = forms.CharField(
        label=_("目的"),
        max_length=500,
        initial=DEFAULT_PURPOSE,
        widget=forms.Textarea(attrs={"rows": 2, "class": "consent-scope"}),
    )
    method = forms.ChoiceField(
        label=_("同意の方法"),
        choices=Method.choices,
        initial=Method.VERBAL_WITNESSED,
        widget=forms.RadioSelect,
    )
    witness = forms.CharField(
        label=_("立会人の氏名"),
        max_length=100,
        required=False,
        help_text=_("口頭同意のときは、同席した職員の氏名を記入します。"),
    )
    valid_until = forms.DateField(
        label=_("有効期限"),
        validators=[plausible_valid_until],
        widget=DateInput(attrs={"class": "consent-scope"}),
    )
    evidence = ScanField(
        label=_("署名した同意書(スキャン・写真)"),
        required=False,
        help_text=_("署名した同意書で同意を得たときに添付します。暗号化して保存されます。"),
    )
    # The notice as shown or read aloud, and who signed (issue 19; consent/notices.py).
    language = forms.ChoiceField(
        label=_("説明した言語"),
        choices=resident_language_choices(),
        initial="ja",
        required=False,
        help_text=_("同意書の控えもこの言語で印刷できます。"),
    )
    read_aloud = forms.BooleanField(label=_("説明文を読み上げた"), required=False)
    signatory = forms.ChoiceField(
        label=_("署名・同意した人"),
        choices=Signatory.choices,
        initial=Signatory.SELF,
        required=False,
        widget=forms.RadioSelect,
    )
    signatory_name = forms.CharField(
        label=_("代理人の氏名"),
        max_length=100,
        required=False,
        help_text=_("法定代理人・代理人が同意したときに記入します。暗号化して保存されます。"),
    )
    signatory_document = forms.CharField(
        label=_("確認した書類"),
        max_length=200,
        required=False,
        help_text=_("例: 委任状、成年後見登記事項証明書"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["valid_until"].initial = timezone.localdate() + datetime.timedelta(
            days=CONSENT_VALID_DAYS
        )

    def clean(self):
        data = super().clean()
        if data.get("method") == Method.VERBAL_WITNESSED and not data.get("witness", "").strip():
            self.add_error("witness", _("口頭同意には立会人の氏名が必要です。"))
        if (
            data.get("method") == Method.SIGNED_FORM
            and not data.get("evidence")
            and "evidence" not in self.errors
        ):
            self.add_error("evidence", _("署名した同意書のスキャンか写真を添付してください。"))
        if (data.get("signatory") or Signatory.SELF) != Signatory.SELF:
            if not data.get("signatory_name", "").strip():
                self.add_error(
                    "signatory_name", _("代理人が同意したときは、その人の氏名を記入してください。")
                )
            if not data.get("signatory_document", "").strip():
                self.add_error(
                    "signatory_document", _("代理の根拠として確認した書類を記入してください。")
                )
        return data


class OtherBasisForm(AccessibleForm):
    """Sending without consent: Art. 9 support meeting or an emergency, always with a reason."""

    legal_basis = forms.ChoiceField(
        label=_("同意によらない根拠"),
        choices=[
            (Basis.SUPPORT_MEETING, Basis.SUPPORT_MEETING.label),
            (Basis.VITAL_INTEREST, Basis.VITAL_INTEREST.label),
        ],
        widget=forms.RadioSelect,
    )
    justification = forms.CharField(
        label=_("理由"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "個人情報保護担当が確認します。同意が得られなかった事情を具体的に書いてください。"
        ),
    )


class SheetForm(AccessibleForm):
    concerns = IdMultipleChoiceField(
        label=_("困りごと"),
        queryset=Concern.objects.all(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "concern-choice"}),
        error_messages={"required": _("困りごとを1つ以上選んでください。")},
    )
    to_desk = DeskChoiceField(
        label=_("つなぐ先の窓口"),
        queryset=active_desks(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": _("つなぐ先の窓口を選んでください。")},
    )
    urgency = forms.ChoiceField(
        label=_("緊急度"),
        choices=[
            (Urgency.URGENT, _("緊急(今日中に対応)")),
            (Urgency.SOON, _("早め(翌営業日まで)")),
            (Urgency.NORMAL, _("通常(3営業日以内)")),
        ],
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect,
    )
    handoff_method = forms.ChoiceField(
        label=_("つなぎ方"),
        choices=HandoffMethod.choices,
        initial=HandoffMethod.SHEET_ONLY,
        widget=forms.RadioSelect,
    )
    summary = forms.CharField(
        label=_("状況"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("窓口で気づいたこと。本人が同じ話を繰り返さなくてよいように書きます。"),
    )
    resident_words = forms.CharField(
        label=_("本人の言葉(主訴)"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    contact_preference = forms.CharField(
        label=_("連絡方法の希望"),
        max_length=500,
        required=False,
        help_text=_("例: 平日の午後に携帯へ。家族に知られたくない、など。"),
    )
    tax_details = forms.CharField(
        label=_("税・滞納の詳細"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    health_details = forms.CharField(
        label=_("健康に関する情報"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    household_details = forms.CharField(
        label=_("世帯の情報"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    attachments = ScansField(
        label=_("添付するファイル(スキャン・写真)"),
        required=False,
        help_text=_(
            "PDF・JPEG・PNG・TIFF・HEIC。本人同意に「添付書類」が含まれているときだけ送れます。"
            "入力エラーのあとは、ファイルをもう一度選んでください。"
        ),
    )

    def clean(self):
        data = super().clean()
        if not (data.get("summary", "").strip() or data.get("resident_words", "").strip()):
            self.add_error("summary", _("状況か本人の言葉のどちらかを記入してください。"))
        return data

    def details(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            Category.TAX: data.get("tax_details", ""),
            Category.HEALTH: data.get("health_details", ""),
            Category.HOUSEHOLD: data.get("household_details", ""),
        }
