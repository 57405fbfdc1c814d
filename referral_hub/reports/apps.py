from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "referral_hub.reports"
    label = "reports"
