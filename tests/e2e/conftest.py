"""Browser tests: Debian's Chromium driven by Python Playwright against a real ASGI server.

One uvicorn process per test session, with its own SQLite database, data directory and keys
(generated here, as tests/settings.py does), DEBUG off and the in-memory channel layer: the
same single-process shape as the quick-start demo. The server is prepared with the ordinary
management commands (migrate, seed_demo, collectstatic, compilemessages).

Screenshots go to artifacts/screenshots/ (git-ignored). Every page a test visits can be checked
with axe-core (axe-playwright-python) through the ``check_a11y`` fixture.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import ROOT, Api, manage, server_env, uvicorn

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
PASSWORD = "e2e-pass-2026-demo"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing (apt-get install chromium)")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


# The server's environment, for tests that run a management command against its database (the
# periodic sweep at a chosen moment): ``e2e_manage``.
SERVER_ENV: dict[str, str] = {}


@pytest.fixture(scope="package")
def e2e_manage(e2e_server: str) -> Callable[..., None]:
    """``e2e_manage("shell", "-c", code)``: a manage.py command on the server's database."""
    return lambda *args: manage(dict(SERVER_ENV), *args)


@pytest.fixture(scope="package")
def e2e_server() -> Iterator[str]:
    """``http://localhost:<port>``: a freshly seeded Referral Hub on uvicorn."""
    data_dir = Path(tempfile.mkdtemp(prefix="referral-hub-e2e-"))
    env = server_env(data_dir)
    SERVER_ENV.update(env)
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo", "--force", "--password", PASSWORD)
    manage(env, "collectstatic", "--noinput")
    if shutil.which("msgfmt") and (ROOT / "locale").is_dir():
        manage(env, "compilemessages", "--locale", "en", "--ignore", ".venv")
    try:
        with uvicorn(env, data_dir / "server.log") as port:
            # "localhost" rather than 127.0.0.1: Chromium keeps Secure cookies (DEBUG is off)
            # on http://localhost, which it treats as a secure context.
            yield f"http://localhost:{port}"
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Problems:
    """Console errors, page errors and CSP violations seen by one browser context.

    A page that answers a refused action with 403 (or a form error with 400) makes Chromium log
    "Failed to load resource"; those documents are expected and not reported."""

    def __init__(self) -> None:
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.refused_documents: set[str] = set()

    def watch(self, page: Any) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.console.append((message.text, message.location.get("url", "")))

    def _response(self, response: Any) -> None:
        if response.request.resource_type == "document" and 400 <= response.status < 500:
            self.refused_documents.add(response.url)

    @property
    def items(self) -> list[str]:
        found = list(self.errors)
        for text, url in self.console:
            if text.startswith("Failed to load resource") and url in self.refused_documents:
                continue
            found.append(f"console: {text} ({url})")
        return found


@pytest.fixture
def new_context(browser: Any, e2e_server: str) -> Iterator[Callable[..., Any]]:
    """Open a browser context (one user's browser). Pages carry their Content-Security-Policy
    (no inline script, handler or style), so a violation shows up here as a console error."""
    contexts: list[tuple[Any, Problems]] = []

    def make(viewport: dict[str, int] | None = None) -> Any:
        context = browser.new_context(
            base_url=e2e_server,
            locale="ja-JP",
            timezone_id="Asia/Tokyo",
            viewport=viewport or {"width": 1366, "height": 768},
        )
        problems = Problems()
        context.on("page", problems.watch)
        context.problems = problems
        contexts.append((context, problems))
        return context

    yield make
    for context, _ in contexts:
        context.close()
    reported = [p for _, problems in contexts for p in problems.items]
    assert not reported, "browser problems:\n" + "\n".join(reported)


def login(context: Any, username: str) -> Any:
    page = context.new_page()
    page.goto("/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    return page


def field(page: Any, label: str) -> Any:
    """A form field by its label; required fields announce 「必須」 after the label."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}( 必須)?$"))


def wait_live(page: Any) -> None:
    """Wait until the page's inbox socket is connected (live updates flow)."""
    page.locator("#live-status[data-state=live]").wait_for(timeout=5000)


@pytest.fixture(scope="package")
def screenshot() -> Callable[[Any, str], None]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take


@pytest.fixture(scope="package")
def check_a11y() -> Iterator[Callable[[Any, str], None]]:
    """Run axe-core on the page as it is now; serious or critical violations fail the test."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page: Any, name: str) -> None:
        results = axe.run(page)
        bad = [
            v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")
        ]
        details = "\n".join(
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] if n["target"] else "" for n in v["nodes"][:5])
            for v in bad
        )
        assert not bad, f"axe on {name}:\n{details}"

    yield check


@pytest.fixture(scope="package")
def api(e2e_server: str) -> Callable[[str], Api]:
    return lambda username: Api(e2e_server, username, PASSWORD)
