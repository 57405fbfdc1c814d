"""The residents' rights desk (issue 18): requests under 個人情報保護法 Part V (第76条 開示請求,
第90条 訂正請求, 第98条 利用停止請求), their statutory clocks and decisions, and suspensions of
use.

``resident_id`` is a plain integer like the audit log's: a request must outlive the resident's
crypto-shredding, and the register is evidence. No identity document number is ever stored:
only which kind of document was seen and who checked it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from referral_hub.vault.fields import EncryptedTextField


class Kind(models.TextChoices):
    DISCLOSURE = "disclosure", _("開示請求")
    CORRECTION = "correction", _("訂正請求")
    SUSPENSION = "suspension", _("利用停止請求")


class DecisionKind(models.TextChoices):
    DISCLOSE = "disclose", _("開示")
    PARTIAL = "partial", _("部分開示")
    REFUSE = "refuse", _("不開示")
    CORRECTED = "corrected", _("訂正")
    SUSPENDED = "suspended", _("利用停止")
    NO_SUCH_INFORMATION = "no_such_information", _("保有していない")


class IdentityDocument(models.TextChoices):
    MY_NUMBER_CARD = "my_number_card", _("マイナンバーカード")
    DRIVING_LICENCE = "driving_licence", _("運転免許証")
    PASSPORT = "passport", _("旅券")
    RESIDENCE_CARD = "residence_card", _("在留カード")
    HEALTH_INSURANCE = "health_insurance", _("資格確認書・健康保険証")
    OTHER = "other", _("その他")


class WithholdingGround(models.TextChoices):
    """個人情報保護法 第78条第1項 (不開示情報), the grounds this office uses."""

    LIFE_OR_SAFETY = "art78_1_1", _("本人の生命・健康・生活・財産を害するおそれ(第78条第1項第1号)")
    THIRD_PARTY = "art78_1_2", _("本人以外の個人に関する情報(第78条第1項第2号)")
    PUBLIC_SAFETY = "art78_1_5", _("犯罪の予防・捜査等に支障を及ぼすおそれ(第78条第1項第5号)")
    OFFICE_WORK = "art78_1_7", _("事務又は事業の適正な遂行に支障を及ぼすおそれ(第78条第1項第7号)")


class RightsRequest(models.Model):
    resident_id = models.BigIntegerField(_("本人の内部管理番号"), db_index=True)
    kind = models.CharField(_("請求の種類"), max_length=16, choices=Kind.choices)
    received_on = models.DateField(_("受付日"))
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    identity_document = models.CharField(
        _("本人確認書類"), max_length=32, choices=IdentityDocument.choices
    )
    identity_checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    scope_from = models.DateField(_("対象期間(から)"), null=True, blank=True)
    scope_until = models.DateField(_("対象期間(まで)"), null=True, blank=True)
    due_on = models.DateField(_("決定期限"))
    extended_until = models.DateField(_("延長後の期限"), null=True, blank=True)
    extension_reason = models.TextField(_("延長の理由"), blank=True)
    extension_notified_on = models.DateField(_("延長の通知日"), null=True, blank=True)
    # What the resident says is wrong (訂正請求) may name health or family facts: encrypted.
    data_key = models.OneToOneField("vault.DataKey", on_delete=models.PROTECT, related_name="+")
    statement = EncryptedTextField(_("請求の内容"), key_field="data_key", blank=True)
    decision = models.CharField(_("決定"), max_length=32, choices=DecisionKind.choices, blank=True)
    decision_note = EncryptedTextField(_("決定の理由"), key_field="data_key", blank=True)
    decided_on = models.DateField(_("決定日"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    letter_sha256 = models.CharField(_("通知書のハッシュ値"), max_length=64, blank=True)
    # The signed audit checkpoint the disclosure package was drawn from (set when first built).
    checkpoint_seq = models.BigIntegerField(null=True, blank=True)
    checkpoint_head = models.CharField(max_length=64, blank=True)
    checkpoint_key_id = models.CharField(max_length=64, blank=True)
    checkpoint_at = models.CharField(max_length=40, blank=True)
    # The periodic sweep alerts the privacy officers once per state (``rights.alerts``).
    due_soon_alerted_on = models.DateField(null=True, blank=True)
    overdue_alerted_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("開示等の請求")
        verbose_name_plural = _("開示等の請求")
        ordering = ["due_on", "pk"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["decided_on", "due_on"], name="rights_open_due")]

    def __str__(self) -> str:
        return f"rights request #{self.pk} ({self.kind})"

    @property
    def deadline(self):  # noqa: ANN201 - a date
        """The date the decision is due: the extended date when extended."""
        return self.extended_until or self.due_on

    @property
    def is_open(self) -> bool:
        return not self.decision


class WithheldDisclosure(models.Model):
    """A disclosure row the decision withholds, with its legal ground (第78条第1項)."""

    request = models.ForeignKey(RightsRequest, on_delete=models.PROTECT, related_name="withheld")
    event_seq = models.BigIntegerField()
    ground = models.CharField(max_length=16, choices=WithholdingGround.choices)

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(fields=["request", "event_seq"], name="rights_withheld_once")
        ]


class CorrectionLink(models.Model):
    """A field corrected for a 訂正請求, and the audit row of the service that changed it."""

    request = models.ForeignKey(RightsRequest, on_delete=models.PROTECT, related_name="corrections")
    field = models.CharField(max_length=64)
    audit_seq = models.BigIntegerField()

    class Meta:
        default_permissions = ()


class UseSuspension(models.Model):
    """利用停止: the gate refuses disclosures of ``resident_id`` (except vital_interest) while
    ``lifted_at`` is empty."""

    resident_id = models.BigIntegerField(db_index=True)
    request = models.ForeignKey(RightsRequest, on_delete=models.PROTECT, related_name="suspensions")
    started_at = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        default_permissions = ()
        constraints = [
            models.UniqueConstraint(
                fields=["resident_id"],
                condition=models.Q(lifted_at__isnull=True),
                name="rights_one_active_suspension",
            )
        ]
