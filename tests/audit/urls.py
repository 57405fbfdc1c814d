"""Only the audit API (and the admin), mounted where the project mounts them, so these tests do
not depend on the other apps' URLs."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("referral_hub.audit.urls")),
    path("admin/", admin.site.urls),
]
