"""Issue 15 input 2: query parameters and path ids are validated before any query or audit
write, so a NUL byte, an id beyond bigint or a far-future date is a 400/404, never a 500.
PostgreSQL refuses NUL in text and overflows bigint, so these run there (SQLite shows neither)."""

from __future__ import annotations

import pytest
from django.test import Client

from referral_hub.audit.models import AuditEvent
from tests import fixtures_sheets

# pytest finds fixtures by name in the module.
api = fixtures_sheets.api
demo = fixtures_sheets.demo
demo_module = fixtures_sheets.demo_module
fast_hashers = fixtures_sheets.fast_hashers

BIGINT_PLUS_ONE = 2**63


def test_nul_in_sheet_list_filter_is_a_400(api):
    response = api("consult1").client.get("/api/v1/sheets/?urgency=%00")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


def test_nul_in_any_api_query_param_is_a_400(api):
    for path in ["/api/v1/sheets/?status=a%00b", "/api/v1/residents/?q=%E3%83%A4%00"]:
        response = api("consult1").client.get(path)
        assert response.status_code == 400, path
        assert response.json()["code"] == "malformed_request"


def test_nul_in_a_page_query_is_a_400_page(demo):
    client = Client()
    client.force_login(demo.user("tax_clerk"))
    response = client.get("/inbox/?status=%00")
    assert response.status_code == 400
    assert "text/html" in response["Content-Type"]
    assert "使えない文字" in response.content.decode()
    anonymous = Client().get("/login/?next=%00")
    assert anonymous.status_code == 400
    assert "使えない文字" in anonymous.content.decode()


def test_resident_id_beyond_bigint_is_a_404_without_audit_write(api):
    before = AuditEvent.objects.count()
    response = api("tax_clerk").client.get(f"/api/v1/residents/{BIGINT_PLUS_ONE}/disclosures/")
    assert response.status_code == 404
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/residents/{BIGINT_PLUS_ONE}/",
        f"/api/v1/sheets/{BIGINT_PLUS_ONE}/",
        f"/api/v1/sheets/{BIGINT_PLUS_ONE}/events/",
        f"/api/v1/consents/{BIGINT_PLUS_ONE}/",
        f"/api/v1/attachments/{BIGINT_PLUS_ONE}/content/",
        f"/api/v1/consent-evidence/{BIGINT_PLUS_ONE}/content/",
        f"/api/v1/audit/reviews/{BIGINT_PLUS_ONE}/",
    ],
)
def test_path_ids_beyond_bigint_are_404(api, path):
    assert api("privacy_officer").client.get(path).status_code == 404


def test_page_sheet_id_beyond_bigint_is_404(demo):
    client = Client()
    client.force_login(demo.user("consult1"))
    assert client.get(f"/sheets/{BIGINT_PLUS_ONE}/").status_code == 404


def test_audit_search_resident_beyond_bigint_is_a_400(api):
    response = api("privacy_officer").client.get(
        "/api/v1/audit/events/", {"resident": str(BIGINT_PLUS_ONE)}
    )
    assert response.status_code == 400


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_anomalies_for_an_implausible_date_is_a_400(api, day):
    response = api("privacy_officer").client.get("/api/v1/audit/anomalies/", {"date": day})
    assert response.status_code == 400


@pytest.mark.parametrize("since", ["9999-12-31", "0001-01-01"])
def test_audit_search_with_an_implausible_date_is_a_400(api, since):
    response = api("privacy_officer").client.get("/api/v1/audit/events/", {"since": since})
    assert response.status_code == 400


def test_resident_search_with_an_implausible_birth_date_is_a_400(api):
    response = api("tax_clerk").client.get(
        "/api/v1/residents/", {"q": "ヤマダ", "birth_date": "9999-12-31"}
    )
    assert response.status_code == 400


def test_reports_month_far_in_the_future_is_a_400(api):
    response = api("privacy_officer").client.get("/api/v1/reports/monthly/", {"month": "9999-12"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        {"since": str(BIGINT_PLUS_ONE)},
        {"since": "0", "limit": str(BIGINT_PLUS_ONE)},
    ],
)
def test_inbox_events_with_huge_numbers_is_not_a_500(api, query):
    response = api("consult1").client.get("/api/v1/inbox/events/", query)
    assert response.status_code in (200, 400), response.content


@pytest.mark.parametrize("actor", [str(BIGINT_PLUS_ONE), "²"])
def test_audit_search_by_an_impossible_user_id_is_a_400(api, actor):
    response = api("privacy_officer").client.get("/api/v1/audit/events/", {"actor": actor})
    assert response.status_code == 400


def test_audit_pages_refuse_implausible_dates_and_ids(demo):
    client = Client()
    client.force_login(demo.user("privacy_officer"))
    for path, query in [
        ("/audit/search/", {"since": "9999-12-31"}),
        ("/audit/search/", {"resident": str(BIGINT_PLUS_ONE)}),
        ("/audit/anomalies/", {"date": "9999-12-31"}),
        ("/audit/", {"resident": str(BIGINT_PLUS_ONE)}),
    ]:
        response = client.get(path, query)
        assert response.status_code in (200, 400), (path, query, response.status_code)


# "²" passes str.isdigit() and fails int(); a number beyond bigint overflows an audit row.
ODD_IDS = ["²", str(BIGINT_PLUS_ONE)]


@pytest.mark.parametrize("odd", ODD_IDS)
def test_send_page_fragments_ignore_ids_that_are_not_ids(demo, odd):
    client = Client()
    client.force_login(demo.user("tax_clerk"))
    for path, query in [
        ("/send/guide/", {"concerns": odd}),
        ("/send/consent-text/", {"recipients": odd, "categories": "identity"}),
        ("/send/consents/", {"resident": odd}),
        ("/send/residents/", {"family_name_kana": "ヤマダ", "resident": odd}),
    ]:
        response = client.get(path, query)
        assert response.status_code == 200, (path, odd, response.status_code)


@pytest.mark.parametrize("odd", ODD_IDS)
def test_sending_to_a_desk_id_that_is_not_an_id_is_a_400(demo, api, odd):
    clerk = demo.user("tax_clerk")
    resident = fixtures_sheets.make_resident(clerk)
    consent = fixtures_sheets.make_consent(clerk, resident, ["jiritsu"])
    reply = api("tax_clerk").post(
        "/sheets/",
        {
            "resident": resident.pk,
            "to_desk": odd,
            "concerns": ["debt"],
            "summary": "相談",
            "urgency": "normal",
            "legal_basis": "consent",
            "consent": consent.pk,
            "handoff_method": "sheet_only",
        },
    )
    assert reply.status == 400, reply.body


@pytest.mark.parametrize("odd", ODD_IDS)
def test_lead_assigning_a_handler_that_is_not_an_id_is_refused_politely(demo, odd):
    client = Client()
    client.force_login(demo.user("consult_lead"))
    response = client.post("/lead/assign/1/", {"handler": odd})
    assert response.status_code == 302


def test_audit_search_page_by_a_superscript_user_id_is_not_a_500(demo):
    client = Client()
    client.force_login(demo.user("privacy_officer"))
    assert client.get("/audit/search/", {"actor": "²"}).status_code == 200


@pytest.mark.parametrize("odd", ODD_IDS)
def test_page_choice_fields_refuse_values_that_are_not_ids(demo, odd):
    from django.http import QueryDict

    from frontend.forms.send import ConsentForm, SheetForm

    consent = ConsentForm(QueryDict(f"recipients={odd}&valid_until=2030-01-01"))
    assert not consent.is_valid() and "recipients" in consent.errors
    sheet = SheetForm(QueryDict(f"concerns={odd}&to_desk={odd}&summary=x"))
    assert not sheet.is_valid()
    assert {"concerns", "to_desk"} <= set(sheet.errors)
