"""Passkeys in Chromium through a virtual authenticator (CDP ``WebAuthn.addVirtualAuthenticator``):
a member of staff registers a passkey on the security page, signs out, signs in with the
password and is asked for the second factor, which the passkey gives; the authenticator's
signature counter moves. http://localhost is a secure context, so WebAuthn is available."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD

pytestmark = pytest.mark.e2e

USER = "school_clerk"  # removed again at the end: other browser tests sign in without a factor


def _authenticator(context, page) -> tuple[object, str]:
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def _password_login(page, username: str = USER) -> None:
    page.goto("/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()


def test_register_a_passkey_then_sign_in_with_it(new_context, check_a11y, screenshot):
    context = new_context()
    page = context.new_page()
    cdp, authenticator = _authenticator(context, page)
    _password_login(page)
    page.wait_for_url(lambda url: "/login/" not in url)

    page.goto("/account/security/")
    check_a11y(page, "security")
    page.get_by_label("パスキーの名前(例: 窓口PCの顔認証)").fill("窓口PC")
    page.get_by_role("button", name="パスキーを登録").click()
    expect(page.locator("#passkey-list")).to_contain_text("窓口PC")
    [credential] = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})[
        "credentials"
    ]
    screenshot(page, "passkey-registered")

    page.get_by_role("button", name="ログアウト").click()
    # The live-update socket closes too and may reload the page first: /login/?next=…
    expect(page).to_have_url(re.compile(r"/login/"))
    _password_login(page)
    expect(page).to_have_url(re.compile(r"/login/factor/"))
    expect(page.get_by_role("button", name="パスキーで確認")).to_be_visible()
    check_a11y(page, "factor step")
    page.get_by_role("button", name="パスキーで確認").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))
    after = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert after[0]["signCount"] > credential["signCount"]

    # The passkey was just used, so removing it needs no further step-up.
    page.goto("/account/security/")
    page.locator("#passkey-list").get_by_role("button", name="削除").click()
    expect(page.locator("#passkey-list")).to_have_count(0)


def test_without_a_factor_the_login_has_no_second_step(new_context):
    """Without a factor the page login goes straight on (the demo default requires none)."""
    context = new_context()
    page = context.new_page()
    _password_login(page, "hogo_staff")
    page.wait_for_url(lambda url: "/login/" not in url)
    page.goto("/login/factor/")
    page.wait_for_url(lambda url: "/login/factor/" not in url)
