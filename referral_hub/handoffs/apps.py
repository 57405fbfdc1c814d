from django.apps import AppConfig


class HandoffsConfig(AppConfig):
    name = "referral_hub.handoffs"
    label = "handoffs"
