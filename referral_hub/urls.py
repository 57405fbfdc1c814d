"""URL map: pages (frontend), the API v1, OpenAPI, admin and health."""

from django.contrib import admin
from django.urls import include, path

from referral_hub import api_docs, health, url_converters  # noqa: F401 - registers <id:…>
from referral_hub.consent import api as consent_api
from referral_hub.consent import api_receipt
from referral_hub.directory import api as directory_api
from referral_hub.handoffs import api as sheets_api
from referral_hub.handoffs import api_attempts
from referral_hub.handoffs import api_loop as loop_api
from referral_hub.handoffs import attachments as attachments_api
from referral_hub.signin import api as signin_api

sheet_actions = [
    path("acknowledge/", sheets_api.acknowledge, name="api-sheet-acknowledge"),
    path("accept/", sheets_api.accept, name="api-sheet-accept"),
    path("contacted/", sheets_api.contacted, name="api-sheet-contacted"),
    path("connected/", sheets_api.connected, name="api-sheet-connected"),
    path("redirect/", sheets_api.redirect, name="api-sheet-redirect"),
    path("return/", sheets_api.return_to_sender, name="api-sheet-return"),
    path("resend/", sheets_api.resend, name="api-sheet-resend"),
    path("close/", sheets_api.close, name="api-sheet-close"),
    path("withdraw/", sheets_api.withdraw, name="api-sheet-withdraw"),
    path("events/", sheets_api.sheet_events, name="api-sheet-events"),
    path("messages/", sheets_api.sheet_messages, name="api-sheet-messages"),
    path(
        "contact-attempts/",
        api_attempts.sheet_contact_attempts,
        name="api-sheet-contact-attempts",
    ),
    path("attachments/", attachments_api.sheet_attachments, name="api-sheet-attachments"),
    path("handout/", loop_api.sheet_handout, name="api-sheet-handout"),
    path("arrived/", loop_api.sheet_arrived, name="api-sheet-arrived"),
]

api_v1 = [
    path("auth/token/", directory_api.issue_token, name="api-token"),
    path("auth/token/revoke/", directory_api.revoke_token, name="api-token-revoke"),
    path("me/", directory_api.me, name="api-me"),
    path("me/mfa/", signin_api.mfa_status, name="api-mfa"),
    path("me/mfa/totp/", signin_api.mfa_totp, name="api-mfa-totp"),
    path("me/mfa/totp/confirm/", signin_api.mfa_totp_confirm, name="api-mfa-totp-confirm"),
    path("me/mfa/recovery-codes/", signin_api.mfa_recovery_codes, name="api-mfa-recovery-codes"),
    path("me/mfa/step-up/", signin_api.mfa_step_up, name="api-mfa-step-up"),
    path("me/sign-ins/", signin_api.sign_ins, name="api-sign-ins"),
    path("me/sign-ins/<id:sign_in_id>/", signin_api.sign_in_end, name="api-sign-in"),
    path("departments/", directory_api.departments, name="api-departments"),
    path("desks/", directory_api.desks, name="api-desks"),
    path("concerns/", directory_api.concerns, name="api-concerns"),
    path("legal-bases/", consent_api.legal_bases, name="api-legal-bases"),
    path("residents/", consent_api.residents, name="api-residents"),
    path("residents/<id:resident_id>/", sheets_api.resident_detail, name="api-resident"),
    path(
        "residents/<id:resident_id>/consents/",
        consent_api.resident_consents,
        name="api-resident-consents",
    ),
    path("consents/", consent_api.consents, name="api-consents"),
    path("consents/<id:consent_id>/", consent_api.consent_detail, name="api-consent"),
    path(
        "consents/<id:consent_id>/evidence/",
        consent_api.consent_evidence,
        name="api-consent-evidence",
    ),
    path(
        "consent-evidence/<id:evidence_id>/content/",
        consent_api.consent_evidence_content,
        name="api-consent-evidence-content",
    ),
    path(
        "consents/<id:consent_id>/receipt/",
        api_receipt.consent_receipt,
        name="api-consent-receipt",
    ),
    path("consents/<id:consent_id>/record/", api_receipt.consent_record, name="api-consent-record"),
    path(
        "consents/<id:consent_id>/withdraw/",
        consent_api.consent_withdraw,
        name="api-consent-withdraw",
    ),
    path("sheets/", sheets_api.sheets, name="api-sheets"),
    path("sheets/<id:sheet_id>/", sheets_api.sheet_detail_view, name="api-sheet"),
    path("sheets/<id:sheet_id>/", include(sheet_actions)),
    path(
        "attachments/<id:attachment_id>/content/",
        attachments_api.attachment_content,
        name="api-attachment-content",
    ),
    path("", include("referral_hub.audit.urls")),
    path("", include("referral_hub.inbox.urls")),
    path("", include("referral_hub.reports.urls")),
    path("", include("referral_hub.meetings.urls")),
    path("", include("referral_hub.rights.urls")),
    path("schema/", api_docs.SchemaView.as_view(), name="api-schema"),
    path("docs/", api_docs.DocsView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "referral_hub.error_views.bad_request"
handler403 = "referral_hub.error_views.permission_denied"
handler404 = "referral_hub.error_views.page_not_found"
handler500 = "referral_hub.error_views.server_error"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("referral_hub.reports.urls_pages")),
    path("", include("frontend.urls")),
]
