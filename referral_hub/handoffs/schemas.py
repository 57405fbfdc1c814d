"""What the sheets API returns, for the OpenAPI schema (``@extend_schema`` in handoffs/api.py).

The views build their bodies with plain functions (``api.sheet_summary``, ``sheet_detail``,
``event_out``, ``message_out``); these serializers describe those shapes field by field and
serialize nothing. tests/test_openapi_typed.py checks real responses against them, so a field
added to a body without being described here fails there.
"""

from __future__ import annotations

from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from referral_hub.consent.categories import Basis, Category
from referral_hub.handoffs.models import EventKind, HandoffMethod, Outcome, SheetMessage, Status
from referral_hub.handoffs.models import Urgency as UrgencyChoices


class SheetSummaryOut(serializers.Serializer):
    """A list row and every action's answer: ids, codes, statuses and times (no personal data)."""

    id = serializers.IntegerField()
    number = serializers.CharField(allow_null=True, help_text="e.g. 2026-000123")
    status = serializers.ChoiceField(choices=Status.choices)
    urgency = serializers.ChoiceField(choices=UrgencyChoices.choices)
    owner_desk = serializers.CharField(help_text="desk code")
    from_department = serializers.CharField(allow_null=True, help_text="department code")
    from_desk = serializers.CharField(allow_null=True, help_text="desk code")
    concerns = serializers.ListField(child=serializers.CharField(), help_text="concern codes")
    handoff_method = serializers.ChoiceField(choices=HandoffMethod.choices)
    legal_basis = serializers.ChoiceField(choices=Basis.choices)
    support_meeting = serializers.IntegerField(
        allow_null=True, help_text="the support meeting the sheet was disclosed under"
    )
    sent_at = serializers.DateTimeField()
    ack_due_at = serializers.DateTimeField()
    overdue = serializers.BooleanField()
    redirect_count = serializers.IntegerField(min_value=0)
    handler = serializers.IntegerField(allow_null=True, help_text="user id")
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_null=True)
    version = serializers.IntegerField()
    arrival_code = serializers.CharField(help_text="the handout's arrival code (26-0123-5)")
    arrived_at = serializers.DateTimeField(
        allow_null=True, help_text="来所: when the owner desk recorded the resident's arrival"
    )
    consent_withdrawn = serializers.BooleanField(
        help_text="the resident withdrew the consent: close with outcome consent_withdrawn"
    )


class SheetPageOut(serializers.Serializer):
    """``GET /sheets/``: one page of a box."""

    count = serializers.IntegerField(min_value=0)
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SheetSummaryOut(many=True)


class ResidentOut(serializers.Serializer):
    """A resident's identity (desk view, ``GET /residents/{id}/``): personal data, audited."""

    id = serializers.IntegerField()
    family_name = serializers.CharField()
    given_name = serializers.CharField()
    family_name_kana = serializers.CharField()
    given_name_kana = serializers.CharField()
    birth_date = serializers.DateField()
    address = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)


class ResidentNameOut(serializers.Serializer):
    """The sender's view names the resident only when the consent covers feedback."""

    id = serializers.IntegerField()
    family_name = serializers.CharField()
    given_name = serializers.CharField()


class AttachmentMetaOut(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    size = serializers.IntegerField(min_value=0, help_text="bytes")
    content_type = serializers.CharField()
    sha256 = serializers.CharField()


class MilestonesOut(serializers.Serializer):
    sent_at = serializers.DateTimeField(allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    accepted_at = serializers.DateTimeField(allow_null=True)
    contacted_at = serializers.DateTimeField(allow_null=True)
    connected_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class DetailsOut(serializers.Serializer):
    tax = serializers.CharField(allow_blank=True)
    health = serializers.CharField(allow_blank=True)
    household = serializers.CharField(allow_blank=True)


class SentDetailsOut(serializers.Serializer):
    """Only the details that were filled in."""

    tax = serializers.CharField(required=False)
    health = serializers.CharField(required=False)
    household = serializers.CharField(required=False)


class SentContentOut(serializers.Serializer):
    """The sending side's copy of what it sent (``sent_copy.sent_content``), no identity."""

    summary = serializers.CharField(allow_blank=True)
    resident_words = serializers.CharField(allow_blank=True)
    concerns = serializers.ListField(child=serializers.CharField())
    urgency = serializers.ChoiceField(choices=UrgencyChoices.choices)
    handoff_method = serializers.ChoiceField(choices=HandoffMethod.choices)
    details = SentDetailsOut()
    contact_preference = serializers.CharField(allow_blank=True)


class CaseWordsOut(serializers.Serializer):
    """One sender's words in the desk's case view (this sheet first)."""

    sheet = serializers.IntegerField()
    number = serializers.CharField(allow_null=True)
    from_department = serializers.CharField(allow_null=True)
    from_desk = serializers.CharField(allow_null=True)
    sent_at = serializers.DateTimeField()
    summary = serializers.CharField(allow_blank=True)
    resident_words = serializers.CharField(allow_blank=True)


class _SheetDetailBase(SheetSummaryOut):
    allowed_actions = serializers.ListField(child=serializers.CharField())
    milestones = MilestonesOut()
    consent_status = serializers.CharField(allow_null=True)


class SheetDeskViewOut(_SheetDetailBase):
    """``"view": "desk"``: the owner desk's full sheet (audited read)."""

    view = serializers.ChoiceField(choices=[("desk", "desk")])
    resident = ResidentOut()
    summary = serializers.CharField(allow_blank=True)
    resident_words = serializers.CharField(allow_blank=True)
    details = DetailsOut()
    contact_preference = serializers.CharField(allow_blank=True)
    justification = serializers.CharField(allow_blank=True)
    categories = serializers.ListField(child=serializers.ChoiceField(choices=Category.choices))
    consent = serializers.IntegerField(allow_null=True)
    first_contact_due_at = serializers.DateTimeField(allow_null=True)
    escalation_rung = serializers.IntegerField(
        min_value=0, max_value=3, help_text="0 none, 1 handler, 2 desk leads, 3 section chief"
    )
    stalled = serializers.BooleanField(help_text="no contact attempt for STALLED_AFTER_DAYS")
    linked_sheets = serializers.ListField(
        child=serializers.IntegerField(), help_text="ids of the other sheets of the case"
    )
    case_due_at = serializers.DateTimeField(help_text="the case's one SLA clock (earliest)")
    case_words = CaseWordsOut(many=True)
    attachments = AttachmentMetaOut(many=True)


class SheetSenderViewOut(_SheetDetailBase):
    """``"view": "sender"``: milestones, owner desk, outcome; the resident's name and case notes
    only with consent to feedback; ``sent_content`` None when the gate refuses or retention
    erased it."""

    view = serializers.ChoiceField(choices=[("sender", "sender")])
    feedback = serializers.BooleanField()
    sent_content = SentContentOut(allow_null=True)
    resident = ResidentNameOut(required=False)


SheetDetailOut = PolymorphicProxySerializer(
    component_name="SheetDetail",
    serializers={"desk": SheetDeskViewOut, "sender": SheetSenderViewOut},
    resource_type_field_name="view",
)


class SheetEventOut(serializers.Serializer):
    """One timeline entry; ``note`` is None where the reader may not see it."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=EventKind.choices)
    at = serializers.DateTimeField()
    actor = serializers.IntegerField(allow_null=True, help_text="user id")
    from_status = serializers.CharField(allow_null=True)
    to_status = serializers.CharField(allow_null=True)
    from_desk = serializers.CharField(allow_null=True, help_text="desk code")
    to_desk = serializers.CharField(allow_null=True, help_text="desk code")
    outcome = serializers.CharField(allow_null=True)
    note = serializers.CharField(allow_null=True, allow_blank=True)
    shared_with_sender = serializers.BooleanField()


class SheetMessageOut(serializers.Serializer):
    id = serializers.IntegerField()
    side = serializers.ChoiceField(choices=SheetMessage.Side.choices)
    author = serializers.IntegerField(help_text="user id")
    desk = serializers.CharField(allow_null=True, help_text="desk code")
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
