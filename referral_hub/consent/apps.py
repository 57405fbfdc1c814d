from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "referral_hub.consent"
    label = "consent"
    verbose_name = _("本人同意")  # the admin's app heading; without it, "Consent"
