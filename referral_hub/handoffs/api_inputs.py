"""Request bodies of the sheets API (``handoffs/api.py``): one serializer per operation, with
the field names, types, limits and help texts that the OpenAPI schema publishes."""

from __future__ import annotations

from rest_framework import serializers

from referral_hub.consent.categories import Basis
from referral_hub.handoffs import services
from referral_hub.handoffs.models import HandoffMethod, Outcome, Urgency


class SheetIn(serializers.Serializer):
    resident = serializers.IntegerField()
    to_desk = serializers.CharField(help_text="desk id or code")
    concerns = serializers.ListField(
        child=serializers.CharField(max_length=64), allow_empty=False, max_length=30
    )
    summary = serializers.CharField(max_length=services.MAX_TEXT, allow_blank=True, default="")
    resident_words = serializers.CharField(
        max_length=services.MAX_TEXT, allow_blank=True, default=""
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    legal_basis = serializers.ChoiceField(choices=Basis.choices, default=Basis.CONSENT)
    consent = serializers.IntegerField(allow_null=True, required=False, default=None)
    support_meeting = serializers.IntegerField(
        allow_null=True,
        required=False,
        default=None,
        min_value=1,
        help_text="the support meeting's id; required with legal_basis support_meeting",
    )
    justification = serializers.CharField(
        max_length=services.MAX_TEXT, allow_blank=True, default=""
    )
    handoff_method = serializers.ChoiceField(
        choices=HandoffMethod.choices, default=HandoffMethod.SHEET_ONLY
    )
    contact_preference = serializers.CharField(max_length=500, allow_blank=True, default="")
    details = serializers.DictField(
        child=serializers.CharField(max_length=services.MAX_TEXT, allow_blank=True),
        required=False,
        default=dict,
        help_text='optional {"tax","health","household"} details; each needs that consent category',
    )


class EmptyIn(serializers.Serializer):
    """An action without a body: an absent body or ``{}``; anything else is refused."""


class AcceptIn(serializers.Serializer):
    handler = serializers.IntegerField(required=False, allow_null=True, default=None)


class NoteIn(serializers.Serializer):
    note = serializers.CharField(max_length=services.MAX_TEXT, allow_blank=True, default="")


SHARE_HELP = (
    "show the note to the sending side (「送った職員に伝える」); needs consent to feedback, "
    "else 403 feedback_not_consented. Default false: the note stays with the desk."
)


class DeskNoteIn(NoteIn):
    share_with_sender = serializers.BooleanField(default=False, help_text=SHARE_HELP)


class RedirectIn(serializers.Serializer):
    to_desk = serializers.CharField(help_text="desk id or code")
    reason = serializers.CharField(max_length=services.MAX_TEXT)


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=services.MAX_TEXT)


class LeadApprovalIn(serializers.Serializer):
    reason = serializers.CharField(max_length=services.MAX_TEXT)


class CloseIn(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = serializers.CharField(max_length=services.MAX_TEXT, allow_blank=True, default="")
    share_with_sender = serializers.BooleanField(default=False, help_text=SHARE_HELP)
    lead_approval = LeadApprovalIn(
        required=False,
        allow_null=True,
        default=None,
        help_text="a lead of the owner desk approves `unreachable`/`declined` without the "
        "evidence of contact attempts (else 409 attempts_required; a non-lead 403 lead_required)",
    )


class MessageIn(serializers.Serializer):
    body = serializers.CharField(max_length=services.MAX_TEXT)
