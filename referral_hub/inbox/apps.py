from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "referral_hub.inbox"
    label = "inbox"
