from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "referral_hub.vault"
    label = "vault"
