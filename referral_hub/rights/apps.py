from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "referral_hub.rights"
    label = "rights"

    def ready(self) -> None:
        from referral_hub.consent import rights_hooks
        from referral_hub.handoffs.periodic import register_periodic
        from referral_hub.rights import alerts, holds

        rights_hooks.register_use_suspension(holds.is_use_suspended)
        rights_hooks.register_legal_hold(holds.legal_holds)
        register_periodic("rights_deadline_alerts", alerts.sweep_rights_deadlines)
