"""The inbox API: unread counts, HTTP catch-up and mark-read for the signed-in user only."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from referral_hub.directory.tokens import create_token
from referral_hub.inbox.publish import publish

# Numbering and pushes run on commit, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def api(make_user):
    def client_for(user) -> APIClient:
        key, _ = create_token(user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return client_for


def test_anonymous_requests_are_refused_with_a_json_error():
    response = APIClient().get("/api/v1/inbox/unread/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_unread_returns_counts_and_last_seq(make_user, api):
    user, other = make_user(), make_user()
    publish([user.pk], "sheet.received", sheet_id=1, status="sent")
    publish([user.pk, other.pk], "sheet.updated", box="sent", sheet_id=2, status="accepted")

    response = api(user).get("/api/v1/inbox/unread/")
    assert response.status_code == 200
    assert response.json() == {"counts": {"inbox": 1, "sent": 1, "overdue": 0}, "last_seq": 2}


def test_events_after_since_in_pages(make_user, api):
    user, other = make_user(), make_user()
    for sheet in range(1, 6):
        publish([user.pk, other.pk], "sheet.received", sheet_id=sheet, status="sent")
    client = api(user)

    first = client.get("/api/v1/inbox/events/", {"since": 1, "limit": 3}).json()
    assert [event["seq"] for event in first["events"]] == [2, 3, 4]
    assert (first["more"], first["last_seq"]) == (True, 5)
    rest = client.get("/api/v1/inbox/events/", {"since": 4, "limit": 3}).json()
    assert [event["seq"] for event in rest["events"]] == [5]
    assert rest["more"] is False
    assert set(rest["events"][0]) == {"type", "seq", "sheet", "status", "at", "box"}


@pytest.mark.parametrize("query", [{}, {"since": "x"}, {"since": -1}, {"since": 0, "limit": 501}])
def test_events_with_a_bad_query_is_a_400_naming_the_rule(make_user, api, query):
    response = api(make_user()).get("/api/v1/inbox/events/", query)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_mark_read_clears_the_sheet_for_the_caller_only(make_user, api):
    user, other = make_user(), make_user()
    publish([user.pk, other.pk], "sheet.received", sheet_id=7, status="sent")

    response = api(user).post("/api/v1/inbox/read/", {"sheet": 7}, format="json")
    assert response.status_code == 200
    assert response.json() == {"marked": 1, "counts": {"inbox": 0, "sent": 0, "overdue": 0}}
    assert api(other).get("/api/v1/inbox/unread/").json()["counts"]["inbox"] == 1


def test_mark_read_without_a_sheet_is_a_400(make_user, api):
    response = api(make_user()).post("/api/v1/inbox/read/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
