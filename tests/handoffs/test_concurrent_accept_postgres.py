"""Two consultants press 担当決定 on the same sheet at the same moment: exactly one wins, the
other gets 409 ``invalid_transition`` (issue 3 acceptance; PostgreSQL row locks). Clerks
sending at the same moment all succeed and get distinct, consecutive sheet numbers."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from referral_hub.audit.models import AuditEvent
from referral_hub.handoffs import services
from referral_hub.handoffs.models import ConnectSheet, SheetEvent
from tests.fixtures_sheets import Api, make_consent, make_resident, seed_demo, send_ok, sheet_body

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 5


def accept_together(sheet_id: int, clients: list[Api]) -> list[tuple[str, int, str | None]]:
    """Fire ``accept`` from every client at once, each on its own thread and DB connection."""
    barrier = threading.Barrier(len(clients))
    results: list[tuple[str, int, str | None]] = []
    errors: list[BaseException] = []

    def run(client: Api) -> None:
        try:
            barrier.wait(timeout=10)
            reply = client.act(sheet_id, "accept", {})
            results.append((client.user.username, reply.status, reply.code))
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    return results


def test_two_concurrent_accepts_one_wins_the_other_gets_409(on_postgres, fast_hashers):
    demo = seed_demo()
    tax_clerk = demo.user("tax_clerk")
    sender = Api(tax_clerk)
    desk = [Api(demo.user("consult1")), Api(demo.user("consult2"))]

    for _ in range(ROUNDS):
        resident = make_resident(tax_clerk)
        consent = make_consent(tax_clerk, resident, ["jiritsu"])
        sheet_id = send_ok(sender, resident, consent)
        services.acknowledge(demo.user("consult_lead"), sheet_id)

        results = accept_together(sheet_id, desk)

        assert sorted(status for _, status, _ in results) == [200, 409], results
        winner = next(name for name, status, _ in results if status == 200)
        loser_code = next(code for _, status, code in results if status == 409)
        assert loser_code == "invalid_transition"
        sheet = ConnectSheet.objects.get(pk=sheet_id)
        assert (sheet.status, sheet.handler.username) == ("accepted", winner)
        assert SheetEvent.objects.filter(sheet=sheet, kind="accepted").count() == 1
        assert (
            AuditEvent.objects.filter(
                action="sheet.accepted", target_id=str(sheet_id), allowed=True
            ).count()
            == 1
        )


def test_concurrent_sends_get_distinct_consecutive_numbers(on_postgres, fast_hashers):
    demo = seed_demo()
    clerks = ["tax_clerk", "nhi_clerk", "housing_clerk", "school_clerk"]
    bodies = []
    for username in clerks:
        clerk = demo.user(username)
        resident = make_resident(clerk)
        consent = make_consent(clerk, resident, ["jiritsu"])
        bodies.append((Api(clerk), sheet_body(resident, consent)))
    barrier = threading.Barrier(len(bodies))
    statuses: list[int] = []

    def run(client: Api, body: dict) -> None:
        try:
            barrier.wait(timeout=10)
            statuses.append(client.post("/sheets/", body).status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [201] * len(clerks)
    serials = sorted(
        int(n.split("-")[1]) for n in ConnectSheet.objects.values_list("number", flat=True)
    )
    assert serials == list(range(serials[0], serials[0] + len(clerks)))
