from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "referral_hub.consent"
    label = "consent"
