"""API tokens: issued for a password, stored hashed, expiring and revocable."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from referral_hub.directory.models import ApiToken
from referral_hub.directory.tokens import hash_key

pytestmark = pytest.mark.django_db

PASSWORD = "demo-pass-2026"


def issue(client: APIClient, username: str = "consult1", password: str = PASSWORD):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


def test_token_is_issued_for_valid_credentials_and_stored_only_as_a_hash(demo):
    client = APIClient()
    response = issue(client)
    assert response.status_code == 201
    key = response.json()["token"]
    assert response.json()["expires_at"]
    token = ApiToken.objects.get()
    assert token.key_hash == hash_key(key)
    assert key not in token.key_hash and token.prefix == key[:8]


def test_token_authenticates_api_requests(demo):
    client = APIClient()
    key = issue(client).json()["token"]
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "consult1"
    assert body["memberships"] == [{"desk": "jiritsu", "department": None, "role": "consultant"}]


def test_wrong_password_gets_401_with_json_code(demo):
    response = issue(APIClient(), password="wrong")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert not ApiToken.objects.exists()


def test_expired_token_is_refused(demo):
    client = APIClient()
    key = issue(client).json()["token"]
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_revoked_token_is_refused(demo):
    client = APIClient()
    key = issue(client).json()["token"]
    assert (
        client.delete("/api/v1/auth/token/revoke/", HTTP_AUTHORIZATION=f"Token {key}").status_code
        == 204
    )
    assert ApiToken.objects.get().revoked_at is not None
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_unknown_token_is_refused(demo):
    response = APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 401


def test_token_of_deactivated_user_is_refused(demo, django_user_model):
    client = APIClient()
    key = issue(client).json()["token"]
    django_user_model.objects.filter(username="consult1").update(is_active=False)
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_malformed_token_request_gets_400(demo):
    client = APIClient()
    response = client.post("/api/v1/auth/token/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"
    response = client.post("/api/v1/auth/token/", {"username": ["a"], "password": 3}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
