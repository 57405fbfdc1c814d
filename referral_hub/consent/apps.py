from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "referral_hub.consent"
    label = "consent"
    verbose_name = _("本人同意")  # the admin's app heading; without it, "Consent"

    def ready(self) -> None:
        from referral_hub import held_locks
        from referral_hub.consent.models import Consent

        # A withdrawal (or any change) saved in the transaction that locked the consent: the
        # next decision reads the row again (consent.locks.share_consent).
        held_locks.release_on_change(Consent, lambda c: ("consent", c.pk))
