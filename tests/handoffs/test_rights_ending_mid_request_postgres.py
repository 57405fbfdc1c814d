"""A person's rights that end while their request is being decided end for that request too
(issue 14 "Decisions are made on locked facts"; docs/operations/locks.md, lock 1a; DESIGN.md
invariant 9: a clerk who has moved on keeps nothing).

Found by two attacks on the first version of the account lock; each case failed there:

- the sending side's views (feedback with the resident's name, timeline, messages, handout with
  the arrival code) and an attachment upload were decided by ``policy.sender_relation`` on
  memberships read without a lock, so a clerk transferred or deactivated meanwhile was served;
- a request that authenticated just before its password changed (which ends every token)
  still decided and was answered 200;
- removing someone's last privacy-officer membership (which also updates ``is_staff`` on the
  user row) deadlocked with that person's read, which had share-locked the user row and one
  membership and waited for the removed one.

Each request is stopped at the named point while the change commits on another connection
(``tests/races.py``); nothing by the person may be recorded as allowed after the change.
"""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from referral_hub.audit.log import record
from referral_hub.audit.models import AuditEvent
from referral_hub.consent import policy
from referral_hub.consent.categories import Category
from referral_hub.directory import roles
from referral_hub.directory.models import Membership, Role
from referral_hub.directory.services import add_membership, remove_membership
from referral_hub.directory.tokens import create_token
from referral_hub.handoffs import selectors
from referral_hub.handoffs.models import ConnectSheet
from tests.fixtures_sheets import Api, seed_demo, sent_to_jiritsu
from tests.races import allowed_after, pause_after, race, removal

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CHANGES = ("directory.membership_removed", "auth.credentials_ended", "test.deactivated")


def changed_seq() -> int:
    return min(AuditEvent.objects.filter(action__in=CHANGES).values_list("seq", flat=True))


def transfer_or_deactivation(demo: Any, user: Any, change: str) -> Any:
    admin = demo.user("admin")
    if change == "transfer":
        return removal(user, admin)

    def deactivate() -> None:
        account = demo.user(user.username)
        account.is_active = False
        account.save(update_fields=["is_active"])
        record("test.deactivated", actor=admin, target_type="user", target_id=account.pk)

    return deactivate


@pytest.mark.parametrize("change", ["transfer", "deactivation"])
def test_no_feedback_after_the_sender_is_transferred_or_deactivated(
    on_postgres, fast_hashers, monkeypatch, change
):
    demo = seed_demo()
    clerk, sheet_id, _ = sent_to_jiritsu(demo, ["identity", "concern", "feedback"])
    reader = Api(demo.user("tax_clerk"))
    assert reader.get(f"/sheets/{sheet_id}/").body["feedback"] is True

    outcome = race(
        pause_after(monkeypatch, (policy, "sender_relation")),
        lambda: reader.get(f"/sheets/{sheet_id}/"),
        transfer_or_deactivation(demo, clerk, change),
    )

    assert outcome.answer.status < 500, outcome.answer
    assert allowed_after(clerk.pk, changed_seq(), ("sheet.feedback",)) == []


@pytest.mark.parametrize("view", ["events", "messages", "handout"])
def test_no_sender_view_after_the_sender_is_transferred(
    on_postgres, fast_hashers, monkeypatch, view
):
    demo = seed_demo()
    clerk, sheet_id, _ = sent_to_jiritsu(demo)  # no feedback: the relation alone decides
    reader = Api(demo.user("tax_clerk"))
    assert reader.get(f"/sheets/{sheet_id}/{view}/").status == 200

    outcome = race(
        pause_after(monkeypatch, (policy, "sender_relation")),
        lambda: reader.get(f"/sheets/{sheet_id}/{view}/"),
        removal(clerk, demo.user("admin")),
    )

    assert not (outcome.answer.status == 200 and outcome.change_committed_during_pause), (
        outcome.answer
    )
    assert allowed_after(clerk.pk, changed_seq()) == []


def test_no_upload_by_a_sender_transferred_meanwhile(
    on_postgres, fast_hashers, storage_dir, monkeypatch
):
    demo = seed_demo()
    clerk, sheet_id, _ = sent_to_jiritsu(demo, ["identity", "concern", Category.ATTACHMENTS.value])
    key, _ = create_token(clerk)

    def upload() -> int:
        file = io.BytesIO(b"%PDF-1.7\n" + b"x" * 2000 + b"\n%%EOF\n")
        file.name = "notice.pdf"
        client = Client(HTTP_AUTHORIZATION=f"Token {key}")
        return client.post(f"/api/v1/sheets/{sheet_id}/attachments/", {"file": file}).status_code

    outcome = race(
        pause_after(monkeypatch, (policy, "sender_relation")),
        upload,
        removal(clerk, demo.user("admin")),
    )

    assert not (outcome.answer == 201 and outcome.change_committed_during_pause), outcome
    late = allowed_after(clerk.pk, changed_seq(), ("attachment.send", "sheet.attachment_added"))
    assert late == []


def test_no_decision_on_a_token_ended_by_a_password_change(on_postgres, fast_hashers, monkeypatch):
    demo = seed_demo()
    _, sheet_id, _ = sent_to_jiritsu(demo)
    reader = Api(demo.user("consult1"))

    def change_password() -> None:
        user = demo.user("consult1")
        user.set_password("a-brand-new-pass-2026")
        user.save()

    outcome = race(
        pause_after(monkeypatch, (roles, "lock_places"), before=True),
        lambda: reader.get(f"/sheets/{sheet_id}/"),
        change_password,
        grace=5,
    )

    assert outcome.answer.status != 200, outcome.answer
    assert allowed_after(reader.user.pk, changed_seq(), ("sheet.read",)) == []


def test_removing_the_last_privacy_officer_membership_does_not_deadlock_with_a_read(
    on_postgres, fast_hashers, monkeypatch
):
    """The removal is stopped between its DELETE and its ``is_staff`` update while the person
    (also a consultant of the desk) reads a sheet."""
    demo = seed_demo()
    _, sheet_id, _ = sent_to_jiritsu(demo)
    dual = demo.add_staff("dual", Role.CONSULTANT, desk="jiritsu")
    add_membership(dual, Role.PRIVACY_OFFICER, actor=demo.user("admin"))
    officer_membership = Membership.objects.get(user=dual, role=Role.PRIVACY_OFFICER)
    reader = Api(demo.user("dual"))
    deadlocks_before = deadlocks_so_far()

    outcome = race(
        pause_after(monkeypatch, (roles, "sync_role_groups"), before=True),
        lambda: remove_membership(
            Membership.objects.get(pk=officer_membership.pk), actor=demo.user("admin")
        ),
        lambda: reader.get(f"/sheets/{sheet_id}/"),
        grace=0.4,
    )

    answer = outcome.changed
    time.sleep(1.5)  # let the statistics collector flush
    deadlocks = deadlocks_so_far() - deadlocks_before
    assert deadlocks == 0, f"PostgreSQL detected {deadlocks} deadlock(s); read answered {answer}"
    assert answer.status < 500 and isinstance(answer.body, dict), answer


def deadlocks_so_far() -> int:
    """PostgreSQL's count of deadlocks detected in this database (cumulative statistics)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


def test_no_desk_list_after_the_consultant_is_transferred(on_postgres, fast_hashers, monkeypatch):
    demo = seed_demo()
    _, sheet_id, _ = sent_to_jiritsu(demo)
    consultant = demo.user("consult1")
    number = ConnectSheet.objects.get(pk=sheet_id).number
    reader = Api(consultant)

    outcome = race(
        pause_after(monkeypatch, (selectors, "filter_sheets"), before=True),
        lambda: reader.get("/sheets/", box="desk", number=number),
        removal(consultant, demo.user("admin")),
    )

    listed = [row["id"] for row in outcome.answer.body.get("results", [])]
    assert not (outcome.change_committed_during_pause and sheet_id in listed), listed
    assert allowed_after(consultant.pk, changed_seq()) == []
