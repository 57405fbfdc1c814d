"""Request and response shapes of the privacy officer's API (also drive the OpenAPI schema)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from referral_hub.api_input import MAX_ID, plausible_query_date
from referral_hub.audit.models import AuditEvent, DisclosureReview
from referral_hub.audit.reviews import review_facts
from referral_hub.audit.selectors import EventFilters


def _date_or_datetime(value: str) -> date | datetime:
    value = value.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            plausible_query_date(day)
            return day
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise serializers.ValidationError("YYYY-MM-DD または ISO 8601 の日時で指定してください。")
    plausible_query_date(parsed)
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


class EventQuerySerializer(serializers.Serializer[EventFilters]):
    resident = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="resident id"
    )
    actor = serializers.CharField(
        required=False, max_length=150, help_text="staff user id or username"
    )
    desk = serializers.CharField(required=False, help_text="desk or department code of the actor")
    action = serializers.CharField(
        required=False, help_text="exact action (`sheet.read`) or a prefix (`sheet.*`)"
    )
    since = serializers.CharField(required=False, help_text="from this date (YYYY-MM-DD) or time")
    until = serializers.CharField(required=False, help_text="to this date (inclusive) or time")
    allowed = serializers.ChoiceField(
        choices=["true", "false"], required=False, help_text="only allowed or only refused events"
    )

    def validate_actor(self, value: str) -> str:
        # The search treats digits as a user id: only ASCII digits that fit bigint ("²" is
        # str.isdigit() too, and int("²") fails).
        if value.isdigit() and not (value.isascii() and int(value) <= MAX_ID):
            raise serializers.ValidationError("職員の番号が範囲外です。/ User id out of range.")
        return value

    def validate_since(self, value: str) -> date | datetime:
        return _date_or_datetime(value)

    def validate_until(self, value: str) -> date | datetime:
        return _date_or_datetime(value)

    def filters(self) -> EventFilters:
        data: dict[str, Any] = self.validated_data
        allowed = data.get("allowed")
        return EventFilters(
            resident=data.get("resident"),
            actor=data.get("actor", ""),
            desk=data.get("desk", ""),
            action=data.get("action", ""),
            since=data.get("since"),
            until=data.get("until"),
            allowed=None if allowed is None else allowed == "true",
        )


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    class Meta:
        model = AuditEvent
        # Every column but the hash format's version (the verifier's business, not the reader's).
        exclude = ["version"]
        read_only_fields = [field.name for field in AuditEvent._meta.concrete_fields]


class DisclosureSerializer(serializers.Serializer[dict[str, Any]]):
    seq = serializers.IntegerField()
    at = serializers.DateTimeField()
    action = serializers.CharField()
    action_label = serializers.CharField()
    actor_id = serializers.IntegerField(allow_null=True)
    actor_username = serializers.CharField()
    actor_desk = serializers.CharField()
    legal_basis = serializers.CharField()
    legal_basis_label = serializers.CharField()
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    recipient_desk = serializers.CharField()
    consent = serializers.IntegerField(
        allow_null=True, help_text="the consent the disclosure relied on, when its basis is consent"
    )


class DisclosureReportSerializer(serializers.Serializer[dict[str, Any]]):
    resident = serializers.IntegerField()
    generated_at = serializers.DateTimeField()
    count = serializers.IntegerField()
    results = DisclosureSerializer(many=True)


class UnverifiableCheckpointSerializer(serializers.Serializer[dict[str, Any]]):
    line = serializers.IntegerField(help_text="line number in the checkpoint file, from 1")
    seq = serializers.IntegerField(allow_null=True, help_text="the seq the line claims")
    key_id = serializers.CharField(help_text="the key id the line claims, `ed25519:<16 hex>`")
    reason = serializers.CharField(help_text="`unknown key`")


class VerifySerializer(serializers.Serializer[dict[str, Any]]):
    ok = serializers.BooleanField(help_text="false when something was altered or not checked")
    status = serializers.ChoiceField(choices=["ok", "unverifiable", "altered", "error"])
    entries = serializers.IntegerField(help_text="events verified")
    head = serializers.CharField(help_text="hash of the last verified event")
    first_bad_seq = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    last_seq = serializers.IntegerField()
    checkpoints_checked = serializers.IntegerField()
    warnings = serializers.ListField(child=serializers.CharField())
    unverifiable = UnverifiableCheckpointSerializer(many=True)
    trusted_keys = serializers.ListField(
        child=serializers.CharField(), help_text="key ids of the trusted key set"
    )
    signing_key_id = serializers.CharField(
        allow_blank=True, help_text="key id of AUDIT_SIGNING_KEY, which signs new checkpoints"
    )


class ReviewEventSerializer(serializers.ModelSerializer[AuditEvent]):
    class Meta:
        model = AuditEvent
        fields = [
            "seq",
            "at",
            "actor_id",
            "actor_username",
            "actor_desk",
            "action",
            "target_type",
            "target_id",
            "resident_id",
            "legal_basis",
            "details",
        ]
        read_only_fields = fields


class ReviewFactsSerializer(serializers.Serializer[dict[str, Any]]):
    sheet_number = serializers.CharField(allow_blank=True)
    justification = serializers.CharField(
        allow_blank=True, help_text="the written reason for disclosing without consent"
    )
    categories = serializers.ListField(child=serializers.CharField())
    sender = serializers.CharField(allow_blank=True, help_text="sending place and staff member")
    recipient = serializers.CharField(allow_blank=True, help_text="receiving desk")
    sheet_id = serializers.IntegerField(allow_null=True)


class DisclosureReviewSerializer(serializers.ModelSerializer[DisclosureReview]):
    event = ReviewEventSerializer(read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    facts = serializers.SerializerMethodField()

    class Meta:
        model = DisclosureReview
        fields = [
            "id",
            "status",
            "created_at",
            "decided_by",
            "decided_at",
            "note",
            "event",
            "facts",
        ]
        read_only_fields = fields

    @extend_schema_field(ReviewFactsSerializer)
    def get_facts(self, review: DisclosureReview) -> dict[str, Any]:
        return asdict(review_facts(review.event))


class ReviewQuerySerializer(serializers.Serializer[dict[str, Any]]):
    status = serializers.ChoiceField(choices=DisclosureReview.Status.choices, required=False)


class ReviewDecisionSerializer(serializers.Serializer[dict[str, Any]]):
    decision = serializers.ChoiceField(choices=["approve", "flag"])
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class AnomalyQuerySerializer(serializers.Serializer[dict[str, Any]]):
    date = serializers.DateField(
        required=False, validators=[plausible_query_date], help_text="local date, default today"
    )
    threshold = serializers.IntegerField(
        required=False, min_value=0, help_text="flag staff who opened more residents than this"
    )


class ActorVolumeSerializer(serializers.Serializer[dict[str, Any]]):
    actor_id = serializers.IntegerField(allow_null=True)
    actor_username = serializers.CharField()
    actor_desks = serializers.ListField(child=serializers.CharField())
    residents = serializers.IntegerField()


class AnomalousReadSerializer(serializers.Serializer[dict[str, Any]]):
    seq = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor_id = serializers.IntegerField(allow_null=True)
    actor_username = serializers.CharField()
    actor_desk = serializers.CharField()
    action = serializers.CharField()
    resident_id = serializers.IntegerField(allow_null=True)
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    owner_desk = serializers.CharField(required=False)


class SelfGrantedMembershipSerializer(AnomalousReadSerializer):
    role = serializers.CharField()
    desk = serializers.CharField()
    department = serializers.CharField()


class AnomalyReportSerializer(serializers.Serializer[dict[str, Any]]):
    date = serializers.DateField()
    threshold = serializers.IntegerField()
    office_hours = serializers.CharField()
    working_day = serializers.BooleanField()
    many_residents = ActorVolumeSerializer(many=True)
    outside_office_hours = AnomalousReadSerializer(many=True)
    foreign_desk_reads = AnomalousReadSerializer(many=True)
    self_granted_memberships = SelfGrantedMembershipSerializer(many=True)


class ErrorSerializer(serializers.Serializer[dict[str, Any]]):
    code = serializers.CharField()
    detail = serializers.CharField()


class _Page(serializers.Serializer[dict[str, Any]]):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)


class AuditEventPageSerializer(_Page):
    results = AuditEventSerializer(many=True)


class DisclosureReviewPageSerializer(_Page):
    results = DisclosureReviewSerializer(many=True)
