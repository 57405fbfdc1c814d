"""Inbox API routes, included under ``api/v1/`` by ``referral_hub/urls.py``."""

from django.urls import path

from referral_hub.inbox import api

urlpatterns = [
    path("inbox/unread/", api.unread, name="api-inbox-unread"),
    path("inbox/events/", api.events, name="api-inbox-events"),
    path("inbox/read/", api.mark_read, name="api-inbox-read"),
]
