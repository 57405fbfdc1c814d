"""Page tests with Django's test client: fast checks of what each page does and refuses.
The same flows run in a real browser in tests/e2e/."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.fixtures_sheets import (  # noqa: F401 - pytest finds fixtures by name
    demo,
    demo_module,
    fast_hashers,
)


@pytest.fixture
def browser_as(demo: Any):  # noqa: F811 - the fixture above, by name
    """A logged-in test client for a demo user (session cookie, like a browser)."""

    def make(username: str) -> Client:
        client = Client()
        client.force_login(demo.user(username))
        return client

    return make


def text(response: Any) -> str:
    return response.content.decode()
