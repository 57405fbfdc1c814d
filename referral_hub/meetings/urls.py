from django.urls import path

from referral_hub.meetings import api

urlpatterns = [
    path("support-meetings/", api.support_meetings, name="api-support-meetings"),
    path("support-meetings/<id:meeting_id>/", api.support_meeting, name="api-support-meeting"),
    path(
        "support-meetings/<id:meeting_id>/pledge/",
        api.pledge,
        name="api-support-meeting-pledge",
    ),
    path("support-meetings/<id:meeting_id>/cases/", api.cases, name="api-support-meeting-cases"),
    path("support-meetings/<id:meeting_id>/close/", api.close, name="api-support-meeting-close"),
]
