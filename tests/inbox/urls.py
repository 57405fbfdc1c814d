"""The project's URL map plus the inbox API, as ``referral_hub/urls.py`` includes it."""

from django.urls import include, path

from referral_hub.urls import urlpatterns as project_urlpatterns

urlpatterns = [path("api/v1/", include("referral_hub.inbox.urls")), *project_urlpatterns]
