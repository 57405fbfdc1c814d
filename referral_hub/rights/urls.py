from django.urls import path

from referral_hub.rights import api

urlpatterns = [
    path("rights-requests/", api.rights_requests, name="api-rights-requests"),
    path(
        "rights-requests/resident-search/",
        api.rights_resident_search,
        name="api-rights-resident-search",
    ),
    path(
        "rights-requests/<id:request_id>/",
        api.rights_request_detail,
        name="api-rights-request",
    ),
    path(
        "rights-requests/<id:request_id>/package/",
        api.rights_request_package,
        name="api-rights-request-package",
    ),
    path(
        "rights-requests/<id:request_id>/extend/",
        api.rights_request_extend,
        name="api-rights-request-extend",
    ),
    path(
        "rights-requests/<id:request_id>/decide/",
        api.rights_request_decide,
        name="api-rights-request-decide",
    ),
    path(
        "rights-requests/<id:request_id>/lift/",
        api.rights_request_lift,
        name="api-rights-request-lift",
    ),
]
