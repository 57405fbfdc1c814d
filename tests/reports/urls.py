"""The project's URL map plus the report routes, as ``referral_hub/urls.py`` will include them."""

from django.urls import include, path

from referral_hub.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("api/v1/", include("referral_hub.reports.urls")),
    path("", include("referral_hub.reports.urls_pages")),
    *project_urlpatterns,
]
