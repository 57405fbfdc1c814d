"""Connect sheets (つなぐシート), their timeline, the thread between sender and desk, and attachments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from referral_hub.consent.categories import Basis
from referral_hub.vault.fields import EncryptedTextField


class Status(models.TextChoices):
    # A context of their own: 終結 as a state is "Closed", as a button it is "Close".
    SENT = "sent", pgettext_lazy("sheet status", "送信済")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("sheet status", "受付済")
    ACCEPTED = "accepted", pgettext_lazy("sheet status", "担当決定")
    CONTACTED = "contacted", pgettext_lazy("sheet status", "連絡済")
    CONNECTED = "connected", pgettext_lazy("sheet status", "つながった")
    RETURNED = "returned", pgettext_lazy("sheet status", "差戻し")
    CLOSED = "closed", pgettext_lazy("sheet status", "終結")
    WITHDRAWN = "withdrawn", pgettext_lazy("sheet status", "取下げ")


OPEN_STATUSES = (
    Status.SENT,
    Status.ACKNOWLEDGED,
    Status.ACCEPTED,
    Status.CONTACTED,
    Status.CONNECTED,
)


class Urgency(models.TextChoices):
    URGENT = "urgent", _("緊急")
    SOON = "soon", _("早め")
    NORMAL = "normal", _("通常")


class HandoffMethod(models.TextChoices):
    SHEET_ONLY = "sheet_only", _("シートのみ")
    PHONED = "phoned", _("電話でつないだ")
    ACCOMPANIED = "accompanied", _("同行した")


class Outcome(models.TextChoices):
    CONNECTED_TO_SUPPORT = "connected_to_support", _("支援につながった")
    REFERRED_ELSEWHERE = "referred_elsewhere", _("他機関につないだ")
    RESOLVED_BY_INFORMATION = "resolved_by_information", _("情報提供で解決")
    DECLINED = "declined", _("本人が希望しない")
    UNREACHABLE = "unreachable", _("連絡がとれない")
    DUPLICATE = "duplicate", _("重複")
    # The resident withdrew consent: the desk closes without a further disclosure (issue 20).
    CONSENT_WITHDRAWN = "consent_withdrawn", _("同意撤回")


class SheetCounter(models.Model):
    """The last sheet number issued per year (numbers look like 2026-000123)."""

    year = models.PositiveIntegerField(unique=True)
    last = models.PositiveIntegerField(default=0)


class ConnectSheet(models.Model):
    # Null only inside the sending transaction: services._assign_number sets it just before
    # the commit, so that concurrent sends hold the counter lock as briefly as possible. Null,
    # not "", because the column is unique and concurrent sends are each unnumbered at once.
    number = models.CharField(_("シート番号"), max_length=16, unique=True, null=True)  # noqa: DJ001
    data_key = models.OneToOneField("vault.DataKey", on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey(
        "consent.Resident", on_delete=models.PROTECT, related_name="sheets"
    )
    from_department = models.ForeignKey(
        "directory.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sent_sheets",
    )
    from_desk = models.ForeignKey(
        "directory.Desk",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sent_sheets",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sent_sheets"
    )
    owner_desk = models.ForeignKey(
        "directory.Desk", on_delete=models.PROTECT, related_name="owned_sheets"
    )
    concerns = models.ManyToManyField(
        "directory.Concern", related_name="sheets", verbose_name=_("困りごと")
    )
    # Narrative fields are encrypted under the sheet's own data key (crypto-shredded at retention).
    summary = EncryptedTextField(_("状況"), key_field="data_key", blank=True)
    resident_words = EncryptedTextField(_("本人の言葉(主訴)"), key_field="data_key", blank=True)
    tax_details = EncryptedTextField(_("税・滞納の詳細"), key_field="data_key", blank=True)
    health_details = EncryptedTextField(_("健康に関する情報"), key_field="data_key", blank=True)
    household_details = EncryptedTextField(_("世帯の情報"), key_field="data_key", blank=True)
    contact_preference = EncryptedTextField(_("連絡方法の希望"), key_field="data_key", blank=True)
    justification = EncryptedTextField(
        _("同意によらない提供の理由"), key_field="data_key", blank=True
    )
    categories = models.JSONField(_("載っている情報"), default=list)
    urgency = models.CharField(_("緊急度"), max_length=16, choices=Urgency.choices)
    handoff_method = models.CharField(_("つなぎ方"), max_length=16, choices=HandoffMethod.choices)
    legal_basis = models.CharField(_("法的根拠"), max_length=32, choices=Basis.choices)
    consent = models.ForeignKey(
        "consent.Consent", on_delete=models.PROTECT, null=True, blank=True, related_name="sheets"
    )
    # The meeting a ``support_meeting`` sheet was disclosed under. Null for every other basis,
    # and for support-meeting sheets sent before meetings existed (consent/meeting_rule.py).
    support_meeting = models.ForeignKey(
        "meetings.SupportMeeting",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sheets",
        verbose_name=_("支援会議"),
    )
    status = models.CharField(
        _("状態"), max_length=16, choices=Status.choices, default=Status.SENT, db_index=True
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handled_sheets",
    )
    outcome = models.CharField(_("結果"), max_length=32, choices=Outcome.choices, blank=True)
    sent_at = models.DateTimeField(db_index=True)
    owner_since = models.DateTimeField()
    ack_due_at = models.DateTimeField(db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    contacted_at = models.DateTimeField(null=True, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    # 来所: the resident showed the handout's arrival code at the owner desk (handoffs/arrival.py).
    # The code is derived from the number (arrival_codes.py): printed for the resident, checked
    # by the desk; a typing check, not a secret.
    arrival_code = models.CharField(_("来所コード"), max_length=16, blank=True, db_index=True)
    arrived_at = models.DateTimeField(_("来所日時"), null=True, blank=True)
    redirect_count = models.PositiveSmallIntegerField(default=0)
    # No drop (issue 20): the first-contact deadline set on accept, the escalation ladder's rung
    # reached by the periodic sweep (0 none, 1 handler, 2 desk leads, 3 section chief), the
    # last contact attempt, and when the sheet was flagged stalled (no attempt for 30 days).
    first_contact_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    escalation_rung = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    stalled_at = models.DateTimeField(null=True, blank=True)
    # A parallel sheet for the same resident at the same desk joins the open case it found:
    # the desk sees one case; each sender sees only its own sheet (never this field).
    linked_to = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="linked_sheets"
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("つなぐシート")
        verbose_name_plural = _("つなぐシート")
        indexes = [
            models.Index(fields=["owner_desk", "status"]),
            models.Index(fields=["from_department", "sent_at"]),
            models.Index(fields=["status", "ack_due_at"]),
        ]

    def __str__(self) -> str:
        return self.number or ""


class EventKind(models.TextChoices):
    # Timeline entries read as what happened ("Closed"), not as the button ("Close").
    SENT = "sent", pgettext_lazy("sheet event", "送信")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("sheet event", "受付")
    ACCEPTED = "accepted", pgettext_lazy("sheet event", "担当決定")
    CONTACTED = "contacted", pgettext_lazy("sheet event", "連絡済")
    CONNECTED = "connected", pgettext_lazy("sheet event", "つながった")
    ARRIVED = "arrived", pgettext_lazy("sheet event", "来所")
    REDIRECTED = "redirected", pgettext_lazy("sheet event", "転送")
    RETURNED = "returned", pgettext_lazy("sheet event", "差戻し")
    RESENT = "resent", pgettext_lazy("sheet event", "再送")
    WITHDRAWN = "withdrawn", pgettext_lazy("sheet event", "取下げ")
    CLOSED = "closed", pgettext_lazy("sheet event", "終結")
    OVERDUE = "overdue", pgettext_lazy("sheet event", "期限超過")
    RUNAROUND_ALERT = "runaround_alert", pgettext_lazy("sheet event", "たらい回し警告")
    CONSENT_WITHDRAWN = "consent_withdrawn", pgettext_lazy("sheet event", "同意撤回")
    CONTACT_ATTEMPT = "contact_attempt", pgettext_lazy("sheet event", "連絡を試みた")
    ESCALATED = "escalated", pgettext_lazy("sheet event", "初回連絡期限の督促")
    STALLED = "stalled", pgettext_lazy("sheet event", "連絡が途絶えている")
    CLOSE_APPROVED = "close_approved", pgettext_lazy("sheet event", "主任が終結を承認")


class SheetEvent(models.Model):
    """One entry of the sheet's timeline. The timeline travels with the sheet (invariant 3)."""

    sheet = models.ForeignKey(ConnectSheet, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    from_desk = models.ForeignKey(
        "directory.Desk", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_desk = models.ForeignKey(
        "directory.Desk", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=32, blank=True)
    note = EncryptedTextField(key_field="sheet.data_key", blank=True)
    # A desk's note stays with the desk unless it chose 「送った職員に伝える」 (and the consent
    # covers feedback): the sender's default is the fact of involvement, status and outcome.
    shared_with_sender = models.BooleanField(default=False)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            # Reports read each sheet's first milestone of a kind, and count events by kind and time.
            models.Index(fields=["sheet", "kind", "at"], name="handoffs_event_sheet_kind_at"),
            models.Index(fields=["kind", "at"], name="handoffs_event_kind_at"),
        ]


class SheetMessage(models.Model):
    """The thread between the sending side and the owner desk."""

    class Side(models.TextChoices):
        SENDER = "sender", _("送った側")
        DESK = "desk", _("窓口")

    sheet = models.ForeignKey(ConnectSheet, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=8, choices=Side.choices)
    desk = models.ForeignKey(
        "directory.Desk", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    body = EncryptedTextField(key_field="sheet.data_key")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]


class Attachment(models.Model):
    """A file on a sheet. Content is stored as ciphertext through Django's storage API under the
    attachment's own data key; the filename is encrypted too (it often contains a name)."""

    sheet = models.ForeignKey(ConnectSheet, on_delete=models.PROTECT, related_name="attachments")
    data_key = models.OneToOneField("vault.DataKey", on_delete=models.PROTECT, related_name="+")
    filename = EncryptedTextField(key_field="data_key")
    content_type = models.CharField(max_length=100)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=255)
    encrypted = models.BooleanField(default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]


class ContactChannel(models.TextChoices):
    PHONE = "phone", _("電話")
    VISIT = "visit", _("訪問")
    LETTER = "letter", _("手紙")
    EMAIL = "email", _("メール")
    VIA_SENDER = "via_sender", _("送った職員を通じて")


class ContactResult(models.TextChoices):
    REACHED = "reached", _("本人と話せた")
    NO_ANSWER = "no_answer", _("応答なし")
    WRONG_NUMBER = "wrong_number", _("番号違い")
    MESSAGE_LEFT = "message_left", _("伝言を残した")
    REFUSED = "refused", _("本人が支援を断った")


class ContactAttempt(models.Model):
    """One try of the owner desk to reach the resident (issue 20: no drop). The note is
    encrypted under the sheet's data key and stays with the desk."""

    sheet = models.ForeignKey(ConnectSheet, on_delete=models.CASCADE, related_name="attempts")
    desk = models.ForeignKey("directory.Desk", on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    channel = models.CharField(max_length=16, choices=ContactChannel.choices)
    result = models.CharField(max_length=16, choices=ContactResult.choices)
    note = EncryptedTextField(key_field="sheet.data_key", blank=True)
    next_try_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["sheet", "at"], name="handoffs_attempt_sheet_at")]


class RunaroundAcknowledgement(models.Model):
    """A lead of a desk the sheet passed through has seen its runaround alert (the alert stays
    on that desk's board until then)."""

    sheet = models.ForeignKey(ConnectSheet, on_delete=models.CASCADE, related_name="+")
    desk = models.ForeignKey("directory.Desk", on_delete=models.PROTECT, related_name="+")
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sheet", "desk"], name="handoffs_runaround_ack_once")
        ]
