from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "referral_hub.vault"
    label = "vault"
    verbose_name = "Vault (envelope encryption)"

    def ready(self) -> None:
        # Registers the key-ring system checks (vault.E001/E002).
        from referral_hub.vault import checks  # noqa: F401
