from django.urls import path

from frontend.views import (
    account,
    lead,
    lists,
    loop,
    meetings,
    privacy,
    rights,
    security,
    send,
    sheet,
    signin,
)
from referral_hub import url_converters  # noqa: F401 - registers <id:…>

urlpatterns = [
    path("login/", account.login_page, name="login"),
    path("logout/", account.logout_page, name="logout"),
    # Strong sign-in (issue 21): the factor after the password, step-up, enrolment, sessions
    path("login/factor/", signin.factor_page, name="signin-factor"),
    path("login/passkey/options/", signin.passkey_options, name="signin-passkey-options"),
    path("login/passkey/", signin.passkey_verify, name="signin-passkey"),
    path("account/step-up/", signin.step_up_page, name="account-step-up"),
    path("account/security/", security.security_page, name="account-security"),
    path("account/security/totp/", security.totp_start, name="account-totp"),
    path("account/security/totp/confirm/", security.totp_confirm, name="account-totp-confirm"),
    path("account/security/totp/remove/", security.totp_remove, name="account-totp-remove"),
    path(
        "account/security/recovery-codes/",
        security.recovery_codes,
        name="account-recovery-codes",
    ),
    path(
        "account/security/passkeys/options/",
        security.passkey_register_options,
        name="account-passkey-options",
    ),
    path("account/security/passkeys/", security.passkey_register, name="account-passkey-add"),
    path(
        "account/security/passkeys/<id:passkey_id>/remove/",
        security.passkey_remove,
        name="account-passkey-remove",
    ),
    path("account/sessions/", security.sessions_page, name="account-sessions"),
    path("account/sessions/<id:sign_in_id>/end/", security.session_end, name="account-session-end"),
    path("account/session/status/", security.session_status, name="account-session-status"),
    path(
        "account/session/keepalive/", security.session_keepalive, name="account-session-keepalive"
    ),
    path("", account.home, name="home"),
    # Clerk: つなぐシートを作る
    path("send/", send.send_sheet_page, name="send_sheet"),
    path("send/residents/", send.resident_matches, name="send_resident_matches"),
    path("send/consents/", send.consent_options, name="send_consent_options"),
    path("send/guide/", send.desk_guide_fragment, name="send_desk_guide"),
    path("send/consent-text/", send.consent_text_fragment, name="send_consent_text"),
    path("send/consent-text/print/", send.consent_text_print, name="send_consent_print"),
    # Lists
    path("inbox/", lists.inbox_page, name="inbox"),
    path("sent/", lists.sent_page, name="sent_list"),
    # One sheet
    path("sheets/<id:sheet_id>/", sheet.sheet_detail, name="sheet_detail"),
    path("sheets/<id:sheet_id>/actions/<slug:action>/", sheet.sheet_action, name="sheet_action"),
    path("sheets/<id:sheet_id>/messages/", sheet.sheet_message, name="sheet_message"),
    path("sheets/<id:sheet_id>/arrived/", loop.sheet_arrived, name="sheet_arrived"),
    path("sheets/<id:sheet_id>/attachments/", sheet.sheet_attachment, name="sheet_attachment"),
    path(
        "sheets/<id:sheet_id>/consent/withdraw/",
        sheet.consent_withdraw,
        name="sheet_consent_withdraw",
    ),
    # Desk lead
    path("lead/", lead.lead_board_page, name="lead_board"),
    path("lead/assign/<id:sheet_id>/", lead.assign_handler, name="lead_assign"),
    # 支援会議 (support meetings)
    path("meetings/", meetings.meetings_page, name="meetings"),
    path("meetings/<id:meeting_id>/", meetings.meeting_detail, name="meeting_detail"),
    path("meetings/<id:meeting_id>/pledge/", meetings.meeting_pledge, name="meeting_pledge"),
    path("meetings/<id:meeting_id>/cases/", meetings.meeting_case_add, name="meeting_case_add"),
    path(
        "meetings/<id:meeting_id>/members/", meetings.meeting_member_add, name="meeting_member_add"
    ),
    path("meetings/<id:meeting_id>/close/", meetings.meeting_close, name="meeting_close"),
    path("meetings/<id:meeting_id>/record/", meetings.meeting_record, name="meeting_record"),
    path("lead/runaround/<id:sheet_id>/", lead.acknowledge_runaround, name="lead_runaround_ack"),
    # Privacy officer
    path("audit/", privacy.disclosures_page, name="audit_disclosures"),
    path("audit/search/", privacy.search_page, name="audit_search"),
    path("audit/reviews/", privacy.reviews_page, name="audit_reviews"),
    path("audit/reviews/<id:review_id>/", privacy.review_decide, name="audit_review_decide"),
    path(
        "audit/reviews/<id:review_id>/disclosed/",
        privacy.review_disclosed,
        name="audit_review_disclosed",
    ),
    path("audit/integrity/", privacy.integrity_page, name="audit_integrity"),
    path("audit/anomalies/", privacy.anomalies_page, name="audit_anomalies"),
    path("audit/consents/<id:consent_id>/", privacy.consent_page, name="audit_consent"),
    # Privacy officer: the residents' rights desk (開示・訂正・利用停止)
    path("rights/", rights.register_page, name="rights_register"),
    path("rights/<id:request_id>/", rights.request_page, name="rights_request"),
    path(
        "rights/<id:request_id>/actions/<slug:action>/",
        rights.request_action,
        name="rights_request_action",
    ),
    path("rights/<id:request_id>/package/", rights.package_page, name="rights_package"),
    path("rights/<id:request_id>/letter/", rights.letter_page, name="rights_letter"),
]
