from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "referral_hub.inbox"
    label = "inbox"

    def ready(self) -> None:
        from django.core.signals import request_finished, request_started
        from django.db import close_old_connections

        from referral_hub.inbox.publish import defer_until_response, deliver_after_response

        request_started.connect(defer_until_response, dispatch_uid="inbox.defer_until_response")
        # Deliver before Django's close_old_connections runs for the request: it must find the
        # connection the delivery used and hand it back to the pool (connected at import time,
        # it would otherwise run first, and the delivery's connection would outlive the request
        # thread). Receivers run in the order they were connected.
        request_finished.disconnect(close_old_connections)
        request_finished.connect(
            deliver_after_response, dispatch_uid="inbox.deliver_after_response"
        )
        request_finished.connect(close_old_connections)
