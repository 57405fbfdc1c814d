"""After sign-in each role lands on its work: the desk on the inbox, the counter on the form."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.fixtures_sheets import DEMO_PASSWORD


@pytest.mark.parametrize(
    ("username", "landing"),
    [
        ("tax_clerk", "/send/"),
        ("consult1", "/inbox/"),
        ("consult_lead", "/inbox/"),
        ("privacy_officer", "/audit/"),
        ("admin", "/admin/"),
    ],
)
def test_sign_in_lands_on_the_role_page(demo, username, landing):
    client = Client()
    response = client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    home = client.get(response["Location"])
    assert home.status_code == 302
    assert home["Location"] == landing


def test_wrong_password_is_refused_in_japanese_with_the_error_announced(demo):
    response = Client().post("/login/", {"username": "tax_clerk", "password": "nope"})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert "ユーザー名またはパスワードが正しくありません" in response.content.decode()


def test_pages_need_sign_in(demo):
    response = Client().get("/inbox/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/inbox/")
