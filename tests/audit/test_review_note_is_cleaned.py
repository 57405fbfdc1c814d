"""Issue 15, input 9: the privacy officer's review note loses bidi and other invisible
characters like every other narrative (referral_hub.api_input.clean_json)."""

from __future__ import annotations

import pytest

from tests.audit import test_review_queue

pytestmark = pytest.mark.django_db

# Fixtures of the review queue tests, found by pytest under these names.
without_consent = test_review_queue.without_consent
flagged_reviews = test_review_queue.flagged_reviews


def test_flag_note_with_a_bidi_override_is_stored_without_it(officer_client, without_consent):
    review = without_consent[1]
    response = officer_client.post(
        f"/api/v1/audit/reviews/{review.pk}/",
        {"decision": "flag", "note": "\u202e正当化の記載が不十分\u200b"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["note"] == "正当化の記載が不十分"


def test_a_note_that_is_only_a_bidi_override_counts_as_missing(officer_client, without_consent):
    response = officer_client.post(
        f"/api/v1/audit/reviews/{without_consent[1].pk}/",
        {"decision": "flag", "note": "\u202e"},
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (400, "note_required")
