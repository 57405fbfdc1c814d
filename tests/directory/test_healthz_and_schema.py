"""/healthz reports the database and the channel layer; the OpenAPI schema and docs are served."""

import socket

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"ok": True, "checks": {"database": True, "channel_layer": True}}


def test_healthz_fails_when_the_channel_layer_is_down(client, settings):
    from channels.layers import channel_layers

    # A Redis that nothing listens on: the channel layer is unreachable.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{free_port()}/0"]},
        }
    }
    channel_layers.backends.clear()
    try:
        response = client.get("/healthz")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": True, "channel_layer": False}


def test_openapi_schema_describes_the_contract(demo):
    client = Client()
    client.login(username="consult1", password="demo-pass-2026")
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    text = response.content.decode()
    for route in ("/api/v1/sheets/", "/api/v1/auth/token/", "/api/v1/consents/", "/api/v1/me/"):
        assert route in text


def test_api_docs_are_served_without_a_cdn(demo):
    client = Client()
    client.login(username="consult1", password="demo-pass-2026")
    html = client.get("/api/v1/docs/").content.decode()
    assert "swagger" in html.lower()
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


def test_api_requires_authentication(client):
    response = client.get("/api/v1/sheets/")
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"
