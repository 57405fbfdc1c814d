"""``SESSION_IDLE_MINUTES`` accepts a fraction of a minute (e.g. ``0.25`` for browser tests):
the page, the status answer and the middleware all use the same seconds."""

from __future__ import annotations

import re
import time
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from referral_hub.environment import ConfigurationError, env_float
from referral_hub.signin import records

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-counter-password-2026"


@pytest.fixture
def counter(django_user_model: Any, settings: Any) -> Client:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SESSION_IDLE_MINUTES = 0.25
    django_user_model.objects.create_user(username="counter1", password=PASSWORD)
    client = Client()
    assert client.post("/login/", {"username": "counter1", "password": PASSWORD}).status_code == 302
    return client


def _age(client: Client, seconds: float) -> None:
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    store[records.SESSION_LAST_SEEN] = time.time() - seconds
    store.save()


def test_a_quarter_minute_is_fifteen_seconds_everywhere(counter):
    page = counter.get("/inbox/")
    assert page.status_code == 200
    assert re.search(rb'data-idle-seconds="15"', page.content)
    assert counter.get("/account/session/status/").json()["remaining"] in (14, 15)
    assert counter.post("/account/session/keepalive/").json()["remaining"] == 15

    _age(counter, 10)
    assert counter.get("/account/session/status/").json()["remaining"] in (4, 5)
    _age(counter, 16)
    ended = counter.get("/inbox/")
    assert ended.status_code == 302 and ended["Location"] == "/login/?idle=1"


@pytest.mark.parametrize(
    ("raw", "expected"), [("0.25", 0.25), ("30", 30.0), (" 1.5 ", 1.5), ("", 30.0)]
)
def test_env_float_reads_fractions(monkeypatch, raw, expected):
    monkeypatch.setenv("SESSION_IDLE_MINUTES", raw)
    assert env_float("SESSION_IDLE_MINUTES", 30.0, positive=True) == expected


@pytest.mark.parametrize("raw", ["0", "-1", "nan", "inf", "half", "1,5"])
def test_env_float_refuses_what_is_no_positive_number(monkeypatch, raw):
    monkeypatch.setenv("SESSION_IDLE_MINUTES", raw)
    with pytest.raises(ConfigurationError, match="SESSION_IDLE_MINUTES"):
        env_float("SESSION_IDLE_MINUTES", 30.0, positive=True)
