from django.apps import AppConfig


class HandoffsConfig(AppConfig):
    name = "referral_hub.handoffs"
    label = "handoffs"

    def ready(self) -> None:
        from referral_hub.consent import policy
        from referral_hub.consent.signals import consent_withdrawn
        from referral_hub.handoffs import selectors

        policy.register_open_sheet_places(selectors.open_sheet_places)
        from referral_hub.audit.reviews import register_review_facts

        register_review_facts(selectors.review_facts)

        def _notify(sender, consent_id: int, **kwargs) -> None:
            from referral_hub.handoffs import services

            services.on_consent_withdrawn(consent_id)

        consent_withdrawn.connect(_notify, dispatch_uid="handoffs.consent_withdrawn", weak=False)

        from referral_hub.audit.signals import disclosure_flagged

        def _flagged(sender, review, **kwargs) -> None:
            from referral_hub.handoffs import services

            services.on_disclosure_flagged(review.event)

        disclosure_flagged.connect(_flagged, dispatch_uid="handoffs.disclosure_flagged", weak=False)
