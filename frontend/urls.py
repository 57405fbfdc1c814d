from django.urls import path

from frontend.views import account, lead, lists, privacy, send, sheet
from referral_hub import url_converters  # noqa: F401 - registers <id:…>

urlpatterns = [
    path("login/", account.login_page, name="login"),
    path("logout/", account.logout_page, name="logout"),
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
    path("sheets/<id:sheet_id>/attachments/", sheet.sheet_attachment, name="sheet_attachment"),
    path(
        "sheets/<id:sheet_id>/consent/withdraw/",
        sheet.consent_withdraw,
        name="sheet_consent_withdraw",
    ),
    # Desk lead
    path("lead/", lead.lead_board_page, name="lead_board"),
    path("lead/assign/<id:sheet_id>/", lead.assign_handler, name="lead_assign"),
    path("lead/runaround/<id:sheet_id>/", lead.acknowledge_runaround, name="lead_runaround_ack"),
    # Privacy officer
    path("audit/", privacy.disclosures_page, name="audit_disclosures"),
    path("audit/search/", privacy.search_page, name="audit_search"),
    path("audit/reviews/", privacy.reviews_page, name="audit_reviews"),
    path("audit/reviews/<id:review_id>/", privacy.review_decide, name="audit_review_decide"),
    path("audit/integrity/", privacy.integrity_page, name="audit_integrity"),
    path("audit/anomalies/", privacy.anomalies_page, name="audit_anomalies"),
    path("audit/consents/<id:consent_id>/", privacy.consent_page, name="audit_consent"),
]
