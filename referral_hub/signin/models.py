"""Second factors and the record of each sign-in.

- ``TotpDevice``: one per user (RFC 6238, 30-second steps, 6 digits); unconfirmed until the
  user types a code from the app; ``last_step`` refuses a code's reuse. The secret is encrypted
  under its own data key (vault), as other secrets at rest.
- ``PasskeyCredential``: WebAuthn credentials (several per user, each named); the public key
  and the signature counter, nothing secret.
- ``RecoveryCode``: one-time codes, stored hashed with the password hasher (Argon2).
- ``SignIn``: one row per browser session or API token: device description, address, last seen,
  the methods used (``amr``, RFC 8176 values) and when a second factor was last used (step-up).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from referral_hub.vault.fields import EncryptedTextField


class TotpDevice(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device"
    )
    data_key = models.OneToOneField("vault.DataKey", on_delete=models.PROTECT, related_name="+")
    secret = EncryptedTextField(_("秘密鍵"), key_field="data_key")
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The highest 30-second step a code was accepted for; a code of this or an earlier step is
    # refused (RFC 6238 section 5.2: a verifier must not accept the same OTP twice).
    last_step = models.BigIntegerField(default=0)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("認証アプリ(TOTP)")
        verbose_name_plural = _("認証アプリ(TOTP)")

    def __str__(self) -> str:
        return f"TOTP ({self.user})"


class PasskeyCredential(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="passkeys"
    )
    name = models.CharField(_("名前"), max_length=64)
    credential_id = models.BinaryField(unique=True)
    public_key = models.BinaryField()
    sign_count = models.BigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("パスキー")
        verbose_name_plural = _("パスキー")

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"


class RecoveryCode(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=256)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("回復コード")
        verbose_name_plural = _("回復コード")


class SignIn(models.Model):
    class Kind(models.TextChoices):
        SESSION = "session", _("ブラウザ")
        TOKEN = "token", _("APIトークン")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sign_ins"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The Django session's key (its primary key in the session table) so it can be ended.
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    token = models.OneToOneField(
        "directory.ApiToken",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sign_in",
    )
    user_agent = models.CharField(max_length=256, blank=True)
    address = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    amr = models.JSONField(default=list)
    factor_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("ログイン中の端末")
        verbose_name_plural = _("ログイン中の端末")
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} ({self.user})"
