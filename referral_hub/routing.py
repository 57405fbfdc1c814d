"""WebSocket URL routing."""

from django.urls import path

from referral_hub.inbox.consumers import InboxConsumer

websocket_urlpatterns = [path("ws/inbox/", InboxConsumer.as_asgi())]
