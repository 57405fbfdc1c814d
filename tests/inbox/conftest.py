"""Fixtures for the inbox tests: users, credentials, and sockets on the real channel layers.

pytest-asyncio is not a dependency: async test bodies run through ``async_to_sync`` (see
``sockets.run_async``), which is also how Django runs async code from sync tests.
"""

from __future__ import annotations

import copy
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.test import Client

from referral_hub.directory.tokens import create_token

PROJECT_LAYERS = copy.deepcopy(django_settings.CHANNEL_LAYERS)
MEMORY_LAYER = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


def redis_layer(url: str) -> dict[str, Any]:
    """The Redis channel layer referral_hub/settings.py configures (the default channels-redis
    layer unless the project chose another channels-redis backend), pointed at ``url``.

    A fresh prefix per test keeps groups and channels of earlier tests out of the way."""
    backend = PROJECT_LAYERS["default"]["BACKEND"]
    if not backend.startswith("channels_redis."):
        backend = "channels_redis.core.RedisChannelLayer"
    return {
        "default": {
            "BACKEND": backend,
            "CONFIG": {
                **PROJECT_LAYERS["default"].get("CONFIG", {}),
                "hosts": [url],
                "prefix": f"rh-test-{uuid.uuid4().hex[:8]}",
            },
        }
    }


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("REDIS_URL is not set")
    return url


@pytest.fixture
def memory_layer(settings: Any) -> Iterator[str]:
    settings.CHANNEL_LAYERS = MEMORY_LAYER
    yield "memory"


@pytest.fixture
def redis_channel_layer(settings: Any, redis_url: str) -> Iterator[str]:
    """channels-redis configured as referral_hub/settings.py does, under a fresh key prefix."""
    settings.CHANNEL_LAYERS = layers = redis_layer(redis_url)
    yield "redis"
    # Group memberships live for a day in Redis; remove this test's keys.
    prefix = layers["default"]["CONFIG"]["prefix"]
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def any_layer(request: Any, settings: Any) -> Iterator[str]:
    """Run the test once on the in-memory layer and once on channels-redis."""
    if request.param == "redis":
        yield request.getfixturevalue("redis_channel_layer")
    else:
        settings.CHANNEL_LAYERS = MEMORY_LAYER
        yield "memory"


@pytest.fixture
def make_user(django_user_model: Any):
    counter = iter(range(1, 10_000))

    def make(username: str | None = None, **fields: Any) -> Any:
        # No password: sockets and the API authenticate with sessions and tokens here, and
        # skipping the Argon2 hash keeps the property tests fast.
        return django_user_model.objects.create_user(
            username=username or f"staff{next(counter)}", **fields
        )

    return make


@pytest.fixture
def token_headers():
    """``Authorization: Token <key>`` handshake headers for a user."""

    def headers(user: Any) -> list[tuple[bytes, bytes]]:
        key, _ = create_token(user)
        return [(b"authorization", f"Token {key}".encode())]

    return headers


@pytest.fixture
def session_headers(settings: Any):
    """The session cookie a browser would send after signing in."""

    def headers(user: Any) -> list[tuple[bytes, bytes]]:
        client = Client()
        client.force_login(user)
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        return [(b"cookie", f"{settings.SESSION_COOKIE_NAME}={key}".encode())]

    return headers
