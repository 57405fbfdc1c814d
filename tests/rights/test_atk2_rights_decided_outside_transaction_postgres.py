"""ATTACK (atk2): the rights desk decides "is this a privacy officer?" outside any transaction
(``rights.services.require_officer`` -> ``roles.has_role`` -> ``roles.places`` unlocked and
cached on the user object), then reads and returns residents' names and records an *allowed*
``rights.resident_search`` in a later transaction. A privacy officer whose membership is removed
(committed) between the decision and the read still gets the residents' names, and the allowed
audit row lands after ``directory.membership_removed``; the removal never waits.

Claim under test (docs/operations/locks.md): no disclosure is decided on a membership that a
concurrently committed change already took away."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from referral_hub.audit.models import AuditEvent
from referral_hub.directory.models import Membership, Role
from referral_hub.directory.services import remove_membership
from referral_hub.rights import lookup
from tests.fixtures_sheets import Api, make_resident, seed_demo

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAUSED = "atk2-decided-and-paused"


def test_removed_officer_gets_no_resident_names_after_the_removal(fast_hashers, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    demo = seed_demo()
    officer = demo.user("privacy_officer")
    admin = demo.user("admin")
    resident = make_resident(demo.user("tax_clerk"))
    reader = Api(officer)

    decided, go = threading.Event(), threading.Event()
    original = lookup.name_birth_indexes  # called right after require_officer() decided

    def pausing(*args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name == PAUSED and not decided.is_set():
            decided.set()
            go.wait(timeout=15)
        return original(*args, **kwargs)

    monkeypatch.setattr(lookup, "name_birth_indexes", pausing)
    answer: dict[str, Any] = {}
    errors: list[BaseException] = []

    def read() -> None:
        try:
            answer["reply"] = reader.get(
                "/rights-requests/resident-search/",
                kana="やまだ たろう",
                birth_date=resident.birth_date.isoformat(),
            )
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    def remove() -> None:
        try:
            for m in Membership.objects.filter(user=officer, role=Role.PRIVACY_OFFICER):
                remove_membership(m, actor=admin)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    deciding = threading.Thread(target=read, name=PAUSED)
    changing = threading.Thread(target=remove)
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
        AuditEvent.objects.filter(actor_id=officer.pk, allowed=True, seq__gt=cutoff).values_list(
            "action", "seq"
        )
    )
    assert not (committed_during_pause and reply.status == 200), (
        f"removal committed while the search was pending ({committed_during_pause}); search "
        f"still answered {reply.status}: {reply.body!r:.200}; allowed after removal: {late}"
    )
    assert not late, late
