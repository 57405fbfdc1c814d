from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "referral_hub.meetings"
    label = "meetings"

    def ready(self) -> None:
        from referral_hub.consent import policy
        from referral_hub.meetings import selectors

        # The gate asks this app for a meeting's facts (it may not import it).
        policy.register_meeting_source(selectors.meeting_facts)
