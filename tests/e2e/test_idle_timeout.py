"""The idle timeout on a page (idle.js): with ``SESSION_IDLE_MINUTES=0.25`` (15 seconds, shorter
than the one-minute warning) the warning shows at once, 「ログインを続ける」 keeps the session, and
without it the page lands on the login page saying why once the 15 seconds are over, and the
session is over (its live-update socket closed with it)."""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PASSWORD
from tests.servers import manage, server_env, uvicorn

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def idle_server() -> Iterator[str]:
    data_dir = Path(tempfile.mkdtemp(prefix="referral-hub-e2e-idle-"))
    env = server_env(data_dir, SESSION_IDLE_MINUTES="0.25")
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo", "--force", "--password", PASSWORD)
    manage(env, "collectstatic", "--noinput")
    try:
        with uvicorn(env, data_dir / "server.log") as port:
            yield f"http://localhost:{port}"
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def test_warning_then_sign_out_after_fifteen_seconds_idle(browser, idle_server):
    context = browser.new_context(base_url=idle_server, locale="ja-JP")
    page = context.new_page()
    page.goto("/login/")
    page.get_by_label("ユーザー名").fill("consult1")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))
    page.locator("#live-status[data-state=live]").wait_for(timeout=10000)

    warning = page.locator("#idle-warning")
    expect(warning).to_be_visible(timeout=5000)  # one minute before the end: at once here
    page.get_by_role("button", name="ログインを続ける").click()
    expect(warning).to_be_hidden()
    kept_at = time.monotonic()

    # idle.js goes to /login/?idle=1; the closed socket may reload the page first.
    expect(page).to_have_url(re.compile(r"/login/\?"), timeout=30000)
    idle = time.monotonic() - kept_at
    assert 13 <= idle <= 25, idle  # the keep-alive restarted the 15 seconds
    expect(page.locator("#idle-signed-out")).to_be_visible()
    page.goto("/inbox/")
    expect(page).to_have_url(re.compile(r"/login/\?next="))
    context.close()
