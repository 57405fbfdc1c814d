"""ATTACK (atk2): ``GET /api/v1/sheets/?box=desk&number=...`` (and box=inbox / box=sent, the
lead board page) decides which sheets the caller may list with ``roles.desk_ids`` outside any
transaction (``desk_search.held_by_desk`` -> unlocked, cached ``places()``), and the number
search writes its allowed ``sheets.searched`` audit row in autocommit, never re-asking. A
consultant transferred off the desk while the list is pending gets the desk's sheet (number,
status, concern codes, handler) after the transfer committed, and an *allowed*
``sheets.searched`` by them lands after ``directory.membership_removed``; the transfer does not
wait. Claim under test (docs/operations/locks.md)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from referral_hub.audit.models import AuditEvent
from referral_hub.directory.models import Membership
from referral_hub.directory.services import remove_membership
from referral_hub.handoffs import selectors
from referral_hub.handoffs.models import ConnectSheet
from tests.fixtures_sheets import Api, make_consent, make_resident, seed_demo, send_ok

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAUSED = "atk2-decided-and-paused"


def test_transferred_consultant_lists_nothing_of_the_old_desk(fast_hashers, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    demo = seed_demo()
    clerk = demo.user("tax_clerk")
    consultant = demo.user("consult1")
    admin = demo.user("admin")
    resident = make_resident(clerk)
    consent = make_consent(clerk, resident, ["jiritsu"])
    sheet_id = send_ok(Api(clerk), resident, consent)
    number = ConnectSheet.objects.get(pk=sheet_id).number
    reader = Api(consultant)

    decided, go = threading.Event(), threading.Event()
    original = selectors.filter_sheets  # runs right after held_by_desk() decided the desks

    def pausing(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name == PAUSED and not decided.is_set():
            decided.set()
            go.wait(timeout=15)
        return original(*args, **kwargs)

    monkeypatch.setattr(selectors, "filter_sheets", pausing)
    answer: dict[str, Any] = {}
    errors: list[BaseException] = []

    def read() -> None:
        try:
            answer["reply"] = reader.get("/sheets/", box="desk", number=number)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    def transfer() -> None:
        try:
            for m in Membership.objects.filter(user=consultant):
                remove_membership(m, actor=admin)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    deciding = threading.Thread(target=read, name=PAUSED)
    changing = threading.Thread(target=transfer)
    deciding.start()
    try:
        assert decided.wait(timeout=15)
        changing.start()
        changing.join(timeout=2.0)
        committed_during_pause = not changing.is_alive()
    finally:
        go.set()
        deciding.join(timeout=30)
        changing.join(timeout=30)
    assert not errors, errors
    reply = answer["reply"]
    cutoff = AuditEvent.objects.filter(action="directory.membership_removed").latest("seq").seq
    late = list(
        AuditEvent.objects.filter(
            actor_id=consultant.pk, allowed=True, seq__gt=cutoff
        ).values_list("action", "seq")
    )
    listed = [row["id"] for row in reply.body.get("results", [])] if reply.status == 200 else []
    assert not (committed_during_pause and sheet_id in listed), (
        f"transfer committed while the desk list was pending; still listed {listed}; "
        f"allowed after removal: {late}"
    )
    assert not late, late
