"""Residents (本人), their consents (本人同意) and the legal bases for disclosure."""

from __future__ import annotations

import datetime
import hashlib
import unicodedata
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from referral_hub.consent.categories import Basis, Method
from referral_hub.vault.fields import EncryptedDateField, EncryptedTextField
from referral_hub.vault.keys import new_data_key


class Signatory(models.TextChoices):
    SELF = "self", _("本人")
    LEGAL_REPRESENTATIVE = "legal_representative", _("法定代理人")
    PROXY = "proxy", _("代理人(任意)")


class ConsentNotice(models.Model):
    """One version of the consent notice (同意の説明文) in one language. Never edited: a new
    wording is a new version, so a receipt shows the words the resident actually heard."""

    version = models.CharField(_("版"), max_length=32)
    language = models.CharField(_("言語"), max_length=16)
    text = models.TextField(_("本文"))
    sha256 = models.CharField(max_length=64, editable=False)
    published_at = models.DateTimeField(_("公開日時"), default=timezone.now)

    class Meta:
        verbose_name = _("同意の説明文")
        verbose_name_plural = _("同意の説明文")
        ordering = ["language", "-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "language"], name="consent_notice_unique")
        ]

    def __str__(self) -> str:
        return f"{self.version} ({self.language})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("a published notice is never edited; publish a new version")
        self.sha256 = notice_digest(self.text)
        super().save(*args, **kwargs)


def notice_digest(text: str) -> str:
    """SHA-256 (hex) of the notice text as UTF-8, normalised to NFC with LF line ends."""
    normal = unicodedata.normalize("NFC", text).replace("\r\n", "\n")
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


class Resident(models.Model):
    """The person a sheet is about. Identity fields are encrypted under the resident's own
    data key; duplicate search uses keyed blind indexes of normalised kana + birth date."""

    data_key = models.OneToOneField("vault.DataKey", on_delete=models.PROTECT, related_name="+")
    family_name = EncryptedTextField(_("氏"), key_field="data_key")
    given_name = EncryptedTextField(_("名"), key_field="data_key", blank=True)
    family_name_kana = EncryptedTextField(_("氏(カナ)"), key_field="data_key")
    given_name_kana = EncryptedTextField(_("名(カナ)"), key_field="data_key", blank=True)
    birth_date = EncryptedDateField(_("生年月日"), key_field="data_key", null=True, blank=True)
    address = EncryptedTextField(_("住所"), key_field="data_key", blank=True)
    phone = EncryptedTextField(_("電話番号"), key_field="data_key", blank=True)
    # Blind indexes: HMAC(normalised kana ‖ birth date). Equal inputs give equal digests;
    # the digests reveal nothing without VAULT_INDEX_KEY.
    name_birth_index = models.CharField(max_length=64, db_index=True, editable=False)
    family_birth_index = models.CharField(max_length=64, db_index=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The place that registered the resident keeps a relationship to them (DESIGN.md, invariant
    # 9): a department for a counter clerk, a desk for consultation staff.
    registered_department = models.ForeignKey(
        "directory.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    registered_desk = models.ForeignKey(
        "directory.Desk", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # Not stored: set on the rows a duplicate search returns (services.find_possible_duplicates).
    full_name_match: bool = True

    class Meta:
        verbose_name = _("本人")
        verbose_name_plural = _("本人")

    def __str__(self) -> str:
        # Never the name: __str__ ends up in logs and admin.
        return f"Resident #{self.pk}"


class Consent(models.Model):
    """What the resident agreed to: which desks may receive which categories, why and until when.

    The free text (purpose, witness, withdrawal reason) is encrypted under the consent's own
    data key: clerks type names and health reasons there (issue 15, input 12). The key is
    created on first save and shredded with the resident's at the end of retention."""

    resident = models.ForeignKey(Resident, on_delete=models.PROTECT, related_name="consents")
    data_key = models.OneToOneField("vault.DataKey", on_delete=models.PROTECT, related_name="+")
    recipients = models.ManyToManyField(
        "directory.Desk", related_name="consents", verbose_name=_("提供先")
    )
    categories = models.JSONField(_("提供する情報"), default=list)
    purpose = EncryptedTextField(_("目的"), key_field="data_key")
    method = models.CharField(_("方法"), max_length=32, choices=Method.choices)
    witness = EncryptedTextField(_("立会人"), key_field="data_key", blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    # Where it was recorded: that place may read it, add the signed form and record a withdrawal.
    recorded_department = models.ForeignKey(
        "directory.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_desk = models.ForeignKey(
        "directory.Desk", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    valid_until = models.DateField(_("有効期限"))
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawal_reason = EncryptedTextField(_("撤回の理由"), key_field="data_key", blank=True)
    # The exact notice shown or read aloud (the receipt reproduces it, consent/notices.py):
    # its version and SHA-256 are kept on the consent, the text once per version.
    notice = models.ForeignKey(
        "consent.ConsentNotice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="consents",
        verbose_name=_("説明文"),
    )
    notice_version = models.CharField(_("説明文の版"), max_length=32, blank=True)
    notice_sha256 = models.CharField(_("説明文のハッシュ"), max_length=64, blank=True)
    language = models.CharField(_("説明の言語"), max_length=16, blank=True)
    read_aloud = models.BooleanField(_("読み上げた"), default=False)
    signatory = models.CharField(
        _("署名した人"), max_length=32, choices=Signatory.choices, default=Signatory.SELF
    )
    signatory_name = EncryptedTextField(_("署名者の氏名"), key_field="data_key", blank=True)
    signatory_document = EncryptedTextField(_("確認した書類"), key_field="data_key", blank=True)

    class Meta:
        verbose_name = _("本人同意")
        verbose_name_plural = _("本人同意")

    def __str__(self) -> str:
        return f"Consent #{self.pk} (resident #{self.resident_id})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Every consent gets its data key before its encrypted fields are sealed.
        if self.data_key_id is None:
            self.data_key = new_data_key()
        super().save(*args, **kwargs)

    def status_on(self, today: datetime.date) -> str:
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.valid_until < today:
            return "expired"
        return "active"

    @property
    def status(self) -> str:
        return self.status_on(timezone.localdate())

    def names_desk(self, desk_id: int) -> bool:
        """Whether the consent names the desk as a recipient. A consent read under its lock
        (``consent.locks.share_consent``) carries its recipients' ids, read in the same
        statement (``recipient_desk_ids``); any other is asked with a query. The recipients are
        set when the consent is recorded and never change."""
        read: list[int] | None = getattr(self, "recipient_desk_ids", None)
        if read is not None:
            return desk_id in read
        return self.recipients.filter(pk=desk_id).exists()


class CounterLookup(models.Model):
    """本人確認 at a counter: this staff member, at this place, found the resident by kana and
    birth date in the duplicate search (audited as ``resident.search`` with the ids it revealed).
    It relates them to the resident for one working day (``policy.COUNTER_LOOKUP_VALID``)."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(
        "directory.Department", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    desk = models.ForeignKey(
        "directory.Desk", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "resident", "at"])]


class ConsentEvidence(models.Model):
    """The scanned signed form, encrypted like any attachment."""

    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="evidence")
    data_key = models.OneToOneField("vault.DataKey", on_delete=models.PROTECT, related_name="+")
    filename = EncryptedTextField(key_field="data_key")
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)


class LegalBasis(models.Model):
    """Reference data the privacy officer maintains: which bases exist and what they demand."""

    code = models.CharField(max_length=32, unique=True, choices=Basis.choices)
    label = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("説明"), blank=True)
    requires_justification = models.BooleanField(_("理由の記載が必要"), default=False)
    requires_review = models.BooleanField(_("個人情報保護担当の確認が必要"), default=False)
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta:
        verbose_name = _("法的根拠")
        verbose_name_plural = _("法的根拠")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.label
