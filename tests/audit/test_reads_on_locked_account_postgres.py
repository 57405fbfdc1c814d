"""The audit API decides each read of the log, and each review decision, on the privacy
officer's locked account (docs/operations/locks.md, lock 1a; issue 14).

A privacy officer's request is stopped after its first permission check; meanwhile the
administrator removes the privacy-officer membership (which takes the audit permission away).
The read must not be recorded as allowed after ``directory.membership_removed``: it answers 403
and the refusal is recorded instead. Before the fix the read was recorded allowed after the
removal and the log went out."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from referral_hub.audit import views
from referral_hub.audit.models import AuditEvent, DisclosureReview
from referral_hub.directory.models import Membership
from referral_hub.directory.services import remove_membership
from tests.fixtures_sheets import Api, seed_demo

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAUSED = "checked-and-paused"


@pytest.fixture
def on_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row-lock races need PostgreSQL (DATABASE_URL=postgres://...)")


def _removal_during(monkeypatch: pytest.MonkeyPatch, request: Callable[[], Any]) -> Any:
    demo = seed_demo()
    officer_id = demo.user("privacy_officer").pk
    admin = demo.user("admin")
    decided, go = threading.Event(), threading.Event()
    original = views._require

    def pausing(*args: Any, **kwargs: Any) -> None:
        original(*args, **kwargs)
        if threading.current_thread().name == PAUSED and not decided.is_set():
            decided.set()
            go.wait(timeout=15)

    monkeypatch.setattr(views, "_require", pausing)
    outcome: dict[str, Any] = {}
    errors: list[BaseException] = []

    def run(call: Callable[[], Any], key: str) -> None:
        try:
            outcome[key] = call()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def remove() -> None:
        for membership in Membership.objects.filter(user_id=officer_id):
            remove_membership(membership, actor=admin)

    reading = threading.Thread(target=run, args=(request, "reply"), name=PAUSED)
    changing = threading.Thread(target=run, args=(remove, "removed"))
    reading.start()
    try:
        assert decided.wait(timeout=15), "the request never reached the permission check"
        changing.start()
        changing.join(timeout=1.0)
    finally:
        go.set()
        reading.join(timeout=30)
        changing.join(timeout=30)
    assert not errors, errors
    cutoff = AuditEvent.objects.get(action="directory.membership_removed").seq
    late = AuditEvent.objects.filter(actor_id=officer_id, allowed=True, seq__gt=cutoff)
    assert not late.exclude(action__startswith="auth.").exists(), list(
        late.values_list("action", "seq")
    )
    return outcome["reply"]


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
