from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "referral_hub.audit"
    label = "audit"
