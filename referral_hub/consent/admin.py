"""Admin: only the legal-basis reference data, which the privacy officer maintains. Residents and
consents are never shown here: every read of resident data must pass the policy gate."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from referral_hub import account_lock
from referral_hub.audit.log import record
from referral_hub.consent.models import ConsentNotice, LegalBasis
from referral_hub.directory import roles

CHANGE_PERMISSION = "consent.change_legalbasis"  # the privacy officer's (roles.ROLE_PERMISSIONS)


@admin.register(LegalBasis)
class LegalBasisAdmin(admin.ModelAdmin):
    list_display = ["basis", "label", "requires_justification", "requires_review", "is_active"]
    # The model's ``code`` has no Japanese verbose name (the admin would print "Code"); it is
    # read-only anyway, so it is shown through ``basis`` and kept out of the form.
    fields = ["basis", "label", "description", "requires_justification", "requires_review"]
    fields += ["is_active"]
    readonly_fields = ["basis"]

    @admin.display(description=_("根拠"), ordering="code")
    def basis(self, obj: LegalBasis) -> str:
        return obj.get_code_display()

    def has_add_permission(self, request):
        return False  # the set of bases is fixed by law; only their texts and flags change

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # The privacy officer's right to change a basis is decided again on their locked
        # account (docs/operations/locks.md): one whose role was removed while the form was
        # open is refused, and the refusal recorded.
        action = "directory.legal_basis_changed"
        target = {"target_type": "legal_basis", "target_id": obj.pk}
        with transaction.atomic():
            allowed = account_lock.permitted_now(request.user, CHANGE_PERMISSION, action, **target)
            if allowed:
                super().save_model(request, obj, form, change)
                record(
                    action,
                    actor=request.user,
                    actor_desk=roles.place_label(request.user),
                    details={"code": obj.code, "fields": sorted(form.changed_data)},
                    **target,
                )
        if not allowed:
            raise PermissionDenied


@admin.register(ConsentNotice)
class ConsentNoticeAdmin(admin.ModelAdmin):
    """The consent notice texts: a new wording is added as a new version; a published text is
    shown read-only (a receipt must reproduce what the resident heard, consent/notices.py)."""

    list_display = ["version", "language", "published_at", "sha256"]
    list_filter = ["language"]
    fields = ["version", "language", "text", "published_at", "sha256"]

    def get_readonly_fields(self, request, obj=None):
        return ["sha256"] if obj is None else self.fields

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return  # read-only: nothing to save
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            record(
                "consent_notice.published",
                actor=request.user,
                actor_desk=roles.place_label(request.user),
                target_type="consent_notice",
                target_id=obj.version,
                details={"languages": [obj.language], "sha256": {obj.language: obj.sha256}},
            )
