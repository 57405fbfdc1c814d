"""Support meetings (支援会議): the members who pledged confidentiality, the agenda of residents
discussed, and how long information shared under the meeting may be used (``access_until``).

Personal free text (an external member's organisation and name, the reason a resident is on
the agenda) is encrypted under the meeting's data key (DESIGN.md invariant 7)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from referral_hub.vault.fields import EncryptedTextField


class Law(models.TextChoices):
    ART9_JIRITSU = "art9_jiritsu", _("生活困窮者自立支援法 第9条")
    SW_106_6 = "sw_106_6", _("社会福祉法 第106条の6")
    CHILD_25_2 = "child_25_2", _("児童福祉法 第25条の2")


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("開催予定")
    HELD = "held", _("開催済")
    CLOSED = "closed", _("終了")


class SupportMeeting(models.Model):
    data_key = models.OneToOneField("vault.DataKey", on_delete=models.PROTECT, related_name="+")
    law = models.CharField(_("根拠法"), max_length=16, choices=Law.choices)
    # A title such as 「第3回 自立支援 支援会議」: never a resident's name (shown in lists).
    name = models.CharField(_("会議名"), max_length=100)
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    held_on = models.DateField(_("開催日"))
    access_until = models.DateTimeField(_("情報共有の期限"))
    status = models.CharField(
        _("状態"), max_length=16, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Null when ``sweep_meetings`` closed it at the end of ``access_until``.
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Set by the sweep: the convener has a notice to read on the meetings page until seen.
    convener_notice_at = models.DateTimeField(null=True, blank=True)
    convener_notice_seen = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("支援会議")
        verbose_name_plural = _("支援会議")
        indexes = [models.Index(fields=["status", "access_until"])]

    def __str__(self) -> str:
        return f"SupportMeeting #{self.pk}"


class MeetingMember(models.Model):
    """A staff user (with the place they represent) or an external member (text)."""

    meeting = models.ForeignKey(SupportMeeting, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    desk = models.ForeignKey(
        "directory.Desk", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    department = models.ForeignKey(
        "directory.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    organisation = EncryptedTextField(_("所属機関"), key_field="meeting.data_key", blank=True)
    person = EncryptedTextField(_("氏名"), key_field="meeting.data_key", blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=models.Q(user__isnull=False),
                name="meetings_member_once",
            )
        ]

    @property
    def is_external(self) -> bool:
        return self.user_id is None


class Pledge(models.Model):
    """A member's signed confidentiality pledge: the text's version and its SHA-256."""

    member = models.OneToOneField(MeetingMember, on_delete=models.CASCADE, related_name="pledge")
    text_version = models.CharField(max_length=16)
    text_sha256 = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    # The member themself, or the lead who recorded an external member's paper pledge.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    on_paper = models.BooleanField(default=False)


class MeetingCase(models.Model):
    """A resident on the meeting's agenda (検討事例), added by a pledged member with a reason."""

    meeting = models.ForeignKey(SupportMeeting, on_delete=models.CASCADE, related_name="cases")
    resident = models.ForeignKey("consent.Resident", on_delete=models.PROTECT, related_name="+")
    reason = EncryptedTextField(_("検討する理由"), key_field="meeting.data_key")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "resident"], name="meetings_case_once")
        ]
