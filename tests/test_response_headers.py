"""Responses that carry personal data are not kept (issue 15, failing input 10): no-store on
every signed-in response, a Content-Security-Policy with ``default-src`` and ``script-src`` on
every HTML response (admin, API docs, the printable disclosure report), ``__Host-`` cookies in
production, and the schema and docs behind sign-in unless a setting opens them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client

from tests import fixtures_sheets
from tests.fixtures_sheets import send_ok
from tests.servers import ROOT

# pytest finds fixtures by name in the module (the folder conftests import them the same way).
api = fixtures_sheets.api
demo = fixtures_sheets.demo
demo_module = fixtures_sheets.demo_module
fast_hashers = fixtures_sheets.fast_hashers
jiritsu_consent = fixtures_sheets.jiritsu_consent
resident = fixtures_sheets.resident


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_not_kept(response) -> None:
    assert response.status_code == 200, response.content[:200]
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert response["Pragma"] == "no-cache"


def csp(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {
        part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()
    }


# --- Cache-Control: no-store ---------------------------------------------------------------------


def test_personal_data_through_the_api_is_not_kept_in_the_browser_cache(
    demo, api, resident, jiritsu_consent
):
    clerk = api("tax_clerk")
    sheet_id = send_ok(clerk, resident, jiritsu_consent)

    assert_not_kept(clerk.client.get(f"/api/v1/sheets/{sheet_id}/"))
    assert_not_kept(api("consult1").client.get(f"/api/v1/sheets/{sheet_id}/"))
    assert_not_kept(api("consult1").client.get(f"/api/v1/residents/{resident.pk}/"))


def test_sheet_page_is_not_kept_in_the_browser_cache(demo, api, resident, jiritsu_consent):
    sheet_id = send_ok(api("tax_clerk"), resident, jiritsu_consent)

    assert_not_kept(signed_in(demo.user("tax_clerk")).get(f"/sheets/{sheet_id}/"))


@pytest.mark.parametrize("output", ["json", "csv", "html"])
def test_disclosure_report_in_every_format_is_not_kept(demo, resident, output):
    officer = signed_in(demo.user("privacy_officer"))

    response = officer.get(f"/api/v1/residents/{resident.pk}/disclosures/?format={output}")

    assert_not_kept(response)


def test_audit_search_is_not_kept(demo):
    assert_not_kept(signed_in(demo.user("privacy_officer")).get("/api/v1/audit/events/"))


def test_anonymous_static_pages_stay_cacheable(db):
    response = Client().get("/login/")

    assert "no-store" not in response.get("Cache-Control", "")


# --- Content-Security-Policy header on every HTML response ---------------------------------------


def assert_strict_csp(response) -> None:
    directives = csp(response)
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


def test_admin_pages_carry_the_policy_header(demo):
    assert_strict_csp(Client().get("/admin/login/"))
    assert_strict_csp(signed_in(demo.user("admin")).get("/admin/"))


def test_printable_disclosure_report_carries_the_policy_header(demo, resident):
    response = signed_in(demo.user("privacy_officer")).get(
        f"/api/v1/residents/{resident.pk}/disclosures/?format=html"
    )

    assert response["Content-Type"].startswith("text/html")
    assert_strict_csp(response)


def test_swagger_ui_works_under_the_policy_without_inline_script(demo):
    client = signed_in(demo.user("consult1"))

    page = client.get("/api/v1/docs/")
    html = page.content.decode()

    assert page.status_code == 200
    assert_strict_csp(page)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    assert scripts, html
    assert all("src=" in attributes and not body.strip() for attributes, body in scripts)
    init_src = [
        re.search(r'src="([^"]+)"', a).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
        for a, _ in scripts
    ]
    assert all(src.startswith("/") for src in init_src)  # same origin: script-src 'self'
    init = client.get(next(src for src in init_src if "script" in src))
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in init.content and b"/api/v1/schema/" in init.content


# --- schema and docs need sign-in ----------------------------------------------------------------


def test_schema_needs_sign_in_and_refuses_in_json(db):
    response = Client().get("/api/v1/schema/")

    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_authenticated"


def test_docs_send_an_anonymous_browser_to_sign_in(db):
    response = Client().get("/api/v1/docs/")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_signed_in_staff_read_the_schema(demo):
    response = signed_in(demo.user("tax_clerk")).get("/api/v1/schema/?format=json")

    assert response.status_code == 200
    assert "/api/v1/sheets/" in response.json()["paths"]


# --- production settings: cookies, docs, proxy --------------------------------------------------

PRINT = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'session': settings.SESSION_COOKIE_NAME, "
    "'csrf': settings.CSRF_COOKIE_NAME, "
    "'docs': settings.SPECTACULAR_SETTINGS['SERVE_PERMISSIONS'], "
    "'proxy_ssl': settings.SECURE_PROXY_SSL_HEADER}))"
)


def production_settings(tmp_path, **env: str) -> dict:
    base = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG")}
    base.update(
        DJANGO_SETTINGS_MODULE="referral_hub.settings",
        DEBUG="0",
        SECRET_KEY="x" * 50,
        DATA_DIR=str(tmp_path),
        **env,
    )
    result = subprocess.run(
        [sys.executable, "-c", PRINT],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_cookies_carry_the_host_prefix(tmp_path):
    values = production_settings(tmp_path)

    assert values["session"] == "__Host-sessionid"
    assert values["csrf"] == "__Host-csrftoken"


def test_signing_in_sets_a_host_prefixed_cookie_for_the_whole_host(demo):
    client = Client()
    client.get("/login/")

    response = client.post(
        "/login/", {"username": "tax_clerk", "password": fixtures_sheets.DEMO_PASSWORD}
    )

    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert settings.SESSION_COOKIE_NAME == "__Host-sessionid"
    assert cookie["path"] == "/" and not cookie["domain"]


def test_docs_are_signed_in_only_in_production_unless_opened(tmp_path):
    closed = production_settings(tmp_path)
    opened = production_settings(tmp_path, API_DOCS_PUBLIC="1")

    assert closed["docs"] == ["rest_framework.permissions.IsAuthenticated"]
    assert opened["docs"] == ["rest_framework.permissions.AllowAny"]


def test_forwarded_proto_is_trusted_only_with_the_proxy_setting(tmp_path):
    without_proxy = production_settings(tmp_path, TRUST_X_FORWARDED_FOR="0")
    behind_proxy = production_settings(tmp_path, TRUST_X_FORWARDED_FOR="1")

    assert without_proxy["proxy_ssl"] is None
    assert behind_proxy["proxy_ssl"] == ["HTTP_X_FORWARDED_PROTO", "https"]
