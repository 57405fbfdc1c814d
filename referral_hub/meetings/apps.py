from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "referral_hub.meetings"
    label = "meetings"

    def ready(self) -> None:
        from referral_hub.consent import policy
        from referral_hub.handoffs.periodic import register_periodic
        from referral_hub.meetings import selectors, services

        # The gate asks this app for a meeting's facts (it may not import it).
        policy.register_meeting_source(selectors.meeting_facts)
        # sweep_overdue (and the demo server's loop) close meetings whose access has ended.
        register_periodic("support_meetings_closed", services.sweep_meetings)
