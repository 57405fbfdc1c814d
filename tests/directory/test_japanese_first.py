"""The UI opens in Japanese even for a browser that prefers English; the switch changes it."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_login_page_is_japanese_for_an_english_browser():
    html = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="ja"' in html and "ログイン" in html


def test_english_switch_changes_the_language():
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    html = client.get("/login/").content.decode()
    assert 'lang="en"' in html


def test_every_response_forbids_framing_by_policy():
    response = Client().get("/login/")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
