"""API routes; the project includes them under ``api/v1/``."""

from django.urls import path

from referral_hub.reports import api

urlpatterns = [
    path("reports/monthly/", api.monthly, name="api-reports-monthly"),
    path("reports/fiscal-year/", api.fiscal_year, name="api-reports-fiscal-year"),
    path("reports/support-meetings/", api.support_meetings, name="api-reports-support-meetings"),
]
