"""Fixtures for the strong sign-in tests (issue 21)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from django.test import Client
from django.utils import timezone

from tests.fixtures_sheets import (  # noqa: F401 - pytest finds fixtures by name
    API,
    DEMO_PASSWORD,
    api,
    demo,
    demo_module,
    fast_hashers,
    full_consent,
    jiritsu_consent,
    resident,
)

PRIVILEGED = ["privacy_officer", "admin", "lead"]
ALL_STEP_UP = [
    "sensitive_read",
    "attachment_download",
    "disclosure_export",
    "vital_interest_send",
    "support_meeting_send",
]


class Clock:
    """The TOTP verifier's clock, moved by whole 30-second steps."""

    def __init__(self) -> None:
        # The middle of a step, so a test's own run time never crosses a boundary.
        now = timezone.now()
        self.now = now - timedelta(seconds=now.timestamp() % 30) + timedelta(seconds=15)

    def __call__(self) -> Any:
        return self.now

    def step(self, steps: int = 1) -> None:
        self.now += timedelta(seconds=30 * steps)

    def code(self, secret: str, steps: int = 0) -> str:
        """The app's code ``steps`` 30-second steps from the verifier's now."""
        return pyotp.TOTP(secret).at(self.now + timedelta(seconds=30 * steps))


@pytest.fixture
def clock(monkeypatch: Any) -> Clock:
    clock = Clock()
    monkeypatch.setattr("referral_hub.signin.totp._now", clock)
    return clock


def post_json(client: Client, path: str, body: Any = None, **headers: Any) -> Any:
    return client.post(
        f"{API}{path}",
        data=json.dumps(body if body is not None else {}),
        content_type="application/json",
        **headers,
    )


def token_for(username: str, otp: str | None = None) -> Any:
    body = {"username": username, "password": DEMO_PASSWORD}
    if otp is not None:
        body["otp"] = otp
    return post_json(Client(), "/auth/token/", body)


def enrol_totp(client: Client, clock: Clock) -> str:
    """Enrol an authenticator app through the API; return its secret."""
    started = post_json(client, "/me/mfa/totp/")
    assert started.status_code == 201, started.content
    secret = started.json()["secret"]
    confirmed = post_json(client, "/me/mfa/totp/confirm/", {"code": clock.code(secret)})
    assert confirmed.status_code == 200, confirmed.content
    return secret


def token_client(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {key}")
