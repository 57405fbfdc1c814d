"""The municipality's directory: departments that send sheets, desks that receive them,
concern categories (困りごと) and staff memberships with their roles."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from referral_hub.directory.desk_hours import validate_language_codes, validate_opening_hours


class EnglishNamed(models.Model):
    """A name kept in Japanese (``name``, the source of truth) with an optional English name
    (``name_en``) for the English UI. Blank ``name_en`` falls back to the Japanese name, so a
    desk an administrator adds without an English name still shows, in Japanese."""

    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(
        _("英語名"),
        max_length=100,
        blank=True,
        help_text=_("英語表示で使う名称。空欄なら日本語の名称を表示します。"),
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language: ``name_en`` when English is active and it is set."""
        if self.name_en and (get_language() or "").startswith("en"):
            return self.name_en
        return self.name


class Role(models.TextChoices):
    CLERK = "clerk", _("窓口職員")
    CONSULTANT = "consultant", _("相談支援員")
    LEAD = "lead", _("主任相談支援員")
    PRIVACY_OFFICER = "privacy_officer", _("個人情報保護担当")
    ADMIN = "admin", _("管理者")


class Municipality(models.Model):
    code = models.CharField(_("コード"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=100)

    class Meta:
        verbose_name = _("自治体")
        verbose_name_plural = _("自治体")

    def __str__(self) -> str:
        return self.name


class Department(EnglishNamed):
    """A sending organisational unit (部署・課), e.g. 収納課."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="departments", verbose_name=_("自治体")
    )
    code = models.SlugField(_("コード"), max_length=64, unique=True)
    support_meeting_member = models.BooleanField(_("支援会議の構成員"), default=False)
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta(EnglishNamed.Meta):
        verbose_name = _("部署")
        verbose_name_plural = _("部署")
        ordering = ["code"]


class Concern(EnglishNamed):
    """A concern category (困りごと) chosen on a sheet; reference data seeded by migration."""

    code = models.SlugField(_("コード"), max_length=64, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("表示順"), default=0)
    emergency = models.BooleanField(_("緊急性が高い"), default=False)

    class Meta(EnglishNamed.Meta):
        verbose_name = _("困りごと")
        verbose_name_plural = _("困りごと")
        ordering = ["sort_order", "code"]


class Desk(EnglishNamed):
    """A receiving window (窓口), inside the municipality or at a partner organisation."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="desks", verbose_name=_("自治体")
    )
    code = models.SlugField(_("コード"), max_length=64, unique=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="desks",
        verbose_name=_("部署"),
    )
    external_organisation = models.CharField(_("外部機関"), max_length=100, blank=True)
    phone = models.CharField(_("電話番号"), max_length=32, blank=True)
    office_hours = models.CharField(_("受付時間"), max_length=64, blank=True, default="08:30-17:15")
    # What the resident's handout (つなぎ先のご案内, handoffs/handout.py) prints. Entered in
    # Japanese by the municipality; the handout's own words come from its translation catalogues.
    building = models.CharField(_("建物"), max_length=100, blank=True)
    floor = models.CharField(_("階"), max_length=32, blank=True)
    room = models.CharField(_("部屋・窓口番号"), max_length=64, blank=True)
    opening_hours = models.JSONField(
        _("受付時間(曜日ごと)"),
        default=list,
        blank=True,
        validators=[validate_opening_hours],
        help_text=_(
            '例: [{"weekdays": [0, 1, 2, 3, 4], "opens": "08:30", "closes": "17:15"}]'
            "(0=月曜 … 6=日曜)。祝日と年末年始(12月29日〜1月3日)は休みです。"
        ),
    )
    required_documents = models.TextField(
        _("持ち物"), blank=True, help_text=_("1行に1つ。例: 本人確認書類、印鑑")
    )
    languages_spoken = models.JSONField(
        _("対応できる言語"),
        default=list,
        blank=True,
        validators=[validate_language_codes],
        help_text=_('言語コードの一覧。例: ["ja", "en", "vi"]'),
    )
    accessibility_notes = models.TextField(
        _("バリアフリー・配慮"), blank=True, help_text=_("例: 車いす用スロープは北側入口")
    )
    temporary_notice = models.TextField(
        _("臨時のお知らせ"), blank=True, help_text=_("例: 5月7日は午後のみ受付")
    )
    temporary_notice_until = models.DateField(_("臨時のお知らせの掲載期限"), null=True, blank=True)
    concerns = models.ManyToManyField(
        Concern, blank=True, related_name="desks", verbose_name=_("対応する困りごと")
    )
    support_meeting_member = models.BooleanField(_("支援会議の構成員"), default=False)
    is_active = models.BooleanField(_("有効"), default=True)
    # The last rung of the first-contact escalation ladder (docs/operations/escalation.md).
    section_chief = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chief_of_desks",
        verbose_name=_("課長(督促の最終段)"),
    )

    class Meta(EnglishNamed.Meta):
        verbose_name = _("窓口")
        verbose_name_plural = _("窓口")
        ordering = ["code"]


class Membership(models.Model):
    """A staff member's place and role. A clerk belongs to a department; consultation staff and
    leads to a desk; privacy officers and administrators to the municipality as a whole."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("職員"),
    )
    role = models.CharField(_("役割"), max_length=32, choices=Role.choices)
    desk = models.ForeignKey(
        Desk,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("窓口"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("部署"),
    )

    class Meta:
        verbose_name = _("所属")
        verbose_name_plural = _("所属")
        constraints = [
            models.CheckConstraint(
                name="membership_place_fits_role",
                condition=(
                    Q(role="clerk", department__isnull=False, desk__isnull=True)
                    | Q(
                        role__in=["consultant", "lead"], desk__isnull=False, department__isnull=True
                    )
                    | Q(
                        role__in=["privacy_officer", "admin"],
                        desk__isnull=True,
                        department__isnull=True,
                    )
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "desk", "department"], name="membership_unique"
            ),
        ]

    def __str__(self) -> str:
        place = self.desk or self.department or "—"
        return f"{self.user} / {place} / {self.get_role_display()}"


class ApiToken(models.Model):
    """An API token. Only its SHA-256 is stored; the key is shown once, at issue."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(
        max_length=8, help_text="First characters of the key, to tell tokens apart."
    )
    # HMAC of the user's password hash at issue (tokens.password_fingerprint): a password
    # change by any path ends the token. Tokens stored before this field have "" and are dead.
    password_fingerprint = models.CharField(max_length=64, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("APIトークン")
        verbose_name_plural = _("APIトークン")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class LoginThrottle(models.Model):
    """Failed sign-ins per username, for lock-out. Kept in the database so every worker agrees.

    ``username`` holds a keyed hash of what was typed (services.throttle_key), never the text:
    people type passwords into the username box, and an unknown name must lock out exactly
    like a real one so the lock-out does not reveal which accounts exist."""

    username = models.CharField(
        max_length=150, unique=True, help_text="HMAC-SHA256 of the typed username, hex."
    )
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
