"""The HTTP catch-up answers in the shape the schema declares, the ids and codes services add
(``owner_desk`` as a desk code, issue 16 inputs 6 and 12) included."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from referral_hub.directory.tokens import create_token
from referral_hub.inbox.publish import publish
from tests.test_openapi_typed import check, generated_schema

pytestmark = pytest.mark.django_db(transaction=True)


def test_inbox_events_and_refusals_match_their_declared_schema(make_user):
    user = make_user()
    publish(
        [user.pk],
        "sheet.received",
        sheet_id=1,
        status="sent",
        extra={"owner_desk": "jiritsu", "urgency": "urgent"},
    )
    publish(
        [user.pk],
        "sheet.updated",
        sheet_id=1,
        status="sent",
        extra={"owner_desk": "kakei", "urgency": "normal", "alert": "runaround", "redirects": 2},
    )
    publish([user.pk], "consent.withdrawn", sheet_id=1, status="sent", extra={"consent": 3})
    key, _ = create_token(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    schema = generated_schema()

    page = client.get("/api/v1/inbox/events/", {"since": 0})
    assert page.status_code == 200
    assert [e.get("owner_desk") for e in page.json()["events"]] == ["jiritsu", "kakei", None]
    check(schema, "/api/v1/inbox/events/", "get", 200, page.json())

    invalid = client.get("/api/v1/inbox/events/", {"since": -1})
    assert invalid.status_code == 400
    check(schema, "/api/v1/inbox/events/", "get", 400, invalid.json())
