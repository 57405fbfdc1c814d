"""The privacy officer's API; the project includes these under ``api/v1/``."""

from django.urls import path

from referral_hub import url_converters  # noqa: F401 - registers <id:…>
from referral_hub.audit import views

urlpatterns = [
    path("audit/events/", views.events, name="audit-events"),
    path("audit/verify/", views.verify, name="audit-verify"),
    path("audit/reviews/", views.reviews, name="audit-reviews"),
    path("audit/reviews/<id:pk>/", views.review_detail, name="audit-review-detail"),
    path("audit/anomalies/", views.anomalies, name="audit-anomalies"),
    path(
        "residents/<id:resident_id>/disclosures/",
        views.resident_disclosures,
        name="resident-disclosures",
    ),
]
