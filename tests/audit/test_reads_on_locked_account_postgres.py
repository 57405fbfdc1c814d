"""The audit API decides each read of the log, and each review decision, on the privacy
officer's locked account (docs/operations/locks.md, lock 1a; issue 14).

A privacy officer's request is stopped after its first permission check; meanwhile the
administrator removes the privacy-officer membership (which takes the audit permission away).
The read must not be recorded as allowed after ``directory.membership_removed``: it answers 403
and the refusal is recorded instead. Before the fix the read was recorded allowed after the
removal and the log went out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from referral_hub.audit import views
from referral_hub.audit.models import AuditEvent, DisclosureReview
from tests.fixtures_sheets import Api, seed_demo
from tests.races import allowed_after, pause_after, race, removal, removed_seq

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _removal_during(monkeypatch: pytest.MonkeyPatch, request: Callable[[], Any]) -> Any:
    """Run ``request`` (as the privacy officer), stopped after its first permission check
    while the administrator removes the officer's memberships; nothing by the officer may be
    recorded as allowed after the removal."""
    demo = seed_demo()
    officer = demo.user("privacy_officer")
    outcome = race(
        pause_after(monkeypatch, (views, "_require")),
        request,
        removal(officer, demo.user("admin")),
    )
    late = [
        row for row in allowed_after(officer.pk, removed_seq()) if not row[0].startswith("auth.")
    ]
    assert late == [], late
    return outcome.answer


@pytest.mark.parametrize(
    "path", ["/audit/events/", "/audit/verify/", "/audit/reviews/", "/audit/anomalies/"]
)
def test_a_read_of_the_log_waits_for_no_removal(on_postgres, fast_hashing, monkeypatch, path):
    def read() -> Any:
        return Api(seed_user("privacy_officer")).get(path)

    reply = _removal_during(monkeypatch, read)

    assert reply.status in (200, 403), reply
    assert isinstance(reply.body, dict), reply
    if reply.status == 403:
        refused = AuditEvent.objects.filter(allowed=False, refusal_code="permission_denied")
        assert refused.exists()


def test_a_review_decision_is_refused_once_the_role_is_gone(on_postgres, fast_hashing, monkeypatch):
    def decide() -> Any:
        officer = seed_user("privacy_officer")
        event = _reviewed_event()
        review = DisclosureReview.objects.filter(event=event).first()
        review = review or DisclosureReview.objects.create(event=event)
        return Api(officer).post(f"/audit/reviews/{review.pk}/", {"decision": "approve"})

    reply = _removal_during(monkeypatch, decide)

    assert reply.status in (200, 403), reply
    if reply.status == 403:
        assert reply.code == "permission_denied", reply.body
        assert DisclosureReview.objects.get().status == DisclosureReview.Status.PENDING


def seed_user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def _reviewed_event() -> AuditEvent:
    from referral_hub.audit.log import record

    return record(
        "sheet.send",
        target_type="sheet",
        target_id=1,
        legal_basis="life_protection",
        details={"categories": ["identity"]},
    )
