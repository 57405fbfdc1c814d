"""The dialogs of a sheet's actions (受付, 担当する, 連絡済, つながった, 転送, 差戻し, 終結, and the
sender's 取下げ and 再送) and the thread's message box."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from frontend.forms.base import AccessibleForm, IdChoiceField
from frontend.forms.files import ScansField
from frontend.forms.send import DeskChoiceField
from referral_hub.directory.models import Desk, Role
from referral_hub.handoffs.models import ContactChannel, ContactResult, Outcome

NOTE_MAX = 4000


class StaffChoiceField(IdChoiceField):
    def label_from_instance(self, obj) -> str:
        full = f"{obj.last_name} {obj.first_name}".strip()
        return full or obj.get_username()


class EmptyForm(AccessibleForm):
    """受付: nothing to fill in."""


class AcceptForm(AccessibleForm):
    handler = StaffChoiceField(
        label=_("担当者"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("自分が担当する"),
        help_text=_("主任相談支援員は、窓口の他の職員を担当者にできます。"),
    )

    def __init__(self, *args, desk_id: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if desk_id is not None:
            self.fields["handler"].queryset = (
                get_user_model()
                .objects.filter(
                    is_active=True,
                    memberships__desk_id=desk_id,
                    memberships__role__in=[Role.CONSULTANT, Role.LEAD],
                )
                .distinct()
                .order_by("last_name", "first_name", "username")
            )


# Who reads what a box says (DOMAIN.md: feedback to the referrer is minimal by default).
DESK_ONLY = _("この欄は窓口内の記録です。送った職員には表示されません。")
SHOWN_TO_SENDER = _("送った職員にも表示されます。")


class NoteForm(AccessibleForm):
    """再送: the sender's optional note for the timeline (the desk reads it)."""

    note = forms.CharField(
        label=_("メモ"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("受け取った窓口に表示されます。"),
    )


class DeskNoteForm(AccessibleForm):
    """連絡済 / つながった (and 終結's note): a note that stays with the desk unless the desk
    ticks 「送った職員に伝える」. ``sharing`` (``frontend.feedback_sharing``) says whether it
    may and what to warn about; when it may not, the box is disabled and its value ignored."""

    note = forms.CharField(
        label=_("経過メモ"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=DESK_ONLY,
    )
    share_with_sender = forms.BooleanField(
        label=_("送った職員に伝える"),
        required=False,
    )

    def __init__(self, *args, sharing=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sharing = sharing
        if sharing is None or not sharing.allowed:
            self.fields["share_with_sender"].disabled = True

    @property
    def shared(self) -> bool:
        """Ticked in the submitted form (shown again after an error)."""
        if self.fields["share_with_sender"].disabled or not self.is_bound:
            return False
        return bool(self["share_with_sender"].value())


class ReasonForm(AccessibleForm):
    """差戻し / 取下げ: the reason is required and the other side sees it."""

    reason = forms.CharField(
        label=_("理由"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("理由を記入してください。")},
    )


class OptionsWithReasons(forms.Select):
    """A select whose options the gate would refuse are shown disabled, with the reason after
    the name (「家計改善支援(同意の対象外)」): the desk sees why a desk is not available."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.unavailable: dict[str, str] = {}  # option value -> reason

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        reason = self.unavailable.get(str(value))
        if reason:
            option["label"] = gettext("%(choice)s(%(reason)s)") % {
                "choice": label,
                "reason": reason,
            }
            option["attrs"]["disabled"] = True
        return option


class RedirectForm(AccessibleForm):
    to_desk = DeskChoiceField(
        label=_("転送先の窓口"),
        queryset=Desk.objects.filter(is_active=True).order_by("pk"),
        empty_label=_("選んでください"),
        widget=OptionsWithReasons,
        error_messages={"required": _("転送先の窓口を選んでください。")},
    )
    reason = forms.CharField(
        label=_("転送の理由"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("転送先の窓口に伝わります。送った職員には表示されません。"),
        error_messages={"required": _("転送の理由を記入してください。")},
    )

    def __init__(
        self,
        *args,
        exclude_desk_id: int | None = None,
        unavailable: dict[int, str] | None = None,
        **kwargs,
    ) -> None:
        """``unavailable``: desk id -> why the gate would refuse a redirect there now; those
        desks are shown disabled with the reason. A submitted one still reaches the service,
        whose refusal (recorded) the page then explains in full."""
        super().__init__(*args, **kwargs)
        if exclude_desk_id is not None:
            self.fields["to_desk"].queryset = self.fields["to_desk"].queryset.exclude(
                pk=exclude_desk_id
            )
        widget = self.fields["to_desk"].widget
        widget.unavailable = {str(pk): reason for pk, reason in (unavailable or {}).items()}
        if unavailable and not self.fields["to_desk"].queryset.exclude(pk__in=unavailable):
            self.fields["to_desk"].help_text = _(
                "いま転送できる窓口はありません。理由は各窓口の後ろに表示しています。"
            )


class CloseForm(DeskNoteForm):
    outcome = forms.ChoiceField(
        label=_("結果"),
        choices=[("", _("選んでください")), *Outcome.choices],
        error_messages={"required": _("終結の結果を選んでください。")},
        help_text=_(
            "「連絡がとれない」は別の日に3回以上、最初の試みから14日以上にわたる連絡の記録が、"
            "「本人が希望しない」は本人が断った連絡の記録が必要です(または主任相談支援員の承認)。"
        ),
    )
    lead_approval_reason = forms.CharField(
        label=_("主任相談支援員の承認理由"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "主任相談支援員だけが記入できます。窓口の記録として残り、送った職員には表示されません。"
        ),
    )
    field_order = ["outcome", "note", "share_with_sender", "lead_approval_reason"]


class ContactAttemptForm(AccessibleForm):
    """連絡の記録 (issue 20): one try to reach the resident, now."""

    channel = forms.ChoiceField(
        label=_("方法"),
        choices=[("", _("選んでください")), *ContactChannel.choices],
        error_messages={"required": _("連絡の方法を選んでください。")},
    )
    result = forms.ChoiceField(
        label=_("結果"),
        choices=[("", _("選んでください")), *ContactResult.choices],
        error_messages={"required": _("連絡の結果を選んでください。")},
    )
    note = forms.CharField(
        label=_("メモ"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("窓口の記録です。送った職員には表示されません。"),
    )


class MessageForm(AccessibleForm):
    body = forms.CharField(
        label=_("メッセージ"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("メッセージを入力してください。")},
    )


class AttachmentForm(AccessibleForm):
    files = ScansField(
        label=_("ファイル"),
        help_text=_("PDF・JPEG・PNG・TIFF・HEIC のスキャンや写真。暗号化して保存されます。"),
        error_messages={"required": _("添付するファイルを選んでください。")},
    )


class ConsentWithdrawForm(AccessibleForm):
    reason = forms.CharField(
        label=_("撤回の理由・本人の言葉"),
        required=False,
        max_length=500,
        help_text=_("同意の記録に残り、個人情報保護担当が確認します。"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
