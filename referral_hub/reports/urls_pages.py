"""Page routes; the project includes them next to the frontend's pages."""

from django.urls import path

from referral_hub.reports import views

urlpatterns = [
    path("reports/monthly/", views.monthly_page, name="reports-monthly"),
]
