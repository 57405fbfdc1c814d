"""Stopping one request right after a decision while a change commits (race tests on
PostgreSQL; docs/operations/locks.md).

A test wraps the function that decides (:func:`pause_after`), runs the request on a thread
named :data:`PAUSED` and, once it has decided, runs the change on another thread for
``grace`` seconds (:func:`race`). Decided on locked facts, the change must wait for the
decision's commit; otherwise it commits during the pause and the request then acts on a basis
already gone. The real window is a few milliseconds; the pause only makes it certain.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connections

from referral_hub.audit.models import AuditEvent
from referral_hub.directory.models import Membership
from referral_hub.directory.services import remove_membership

PAUSED = "decided-and-paused"


@dataclass
class Race:
    """What the stopped request answered, and whether the change committed under it."""

    answer: Any = None
    change_committed_during_pause: bool = False
    changed: Any = None  # what the change returned


@dataclass
class Pause:
    decided: threading.Event
    go: threading.Event


def pause_after(
    monkeypatch: pytest.MonkeyPatch, *targets: tuple[Any, str], before: bool = False
) -> Pause:
    """Wrap each ``(owner, attribute)`` function so that the thread named :data:`PAUSED`
    stops right after the first of them returns (with ``before``: right before it runs),
    until the race lets it go."""
    pause = Pause(threading.Event(), threading.Event())

    def stop() -> None:
        if threading.current_thread().name == PAUSED and not pause.decided.is_set():
            pause.decided.set()
            pause.go.wait(timeout=15)

    def pausing(original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if before:
                stop()
            result = original(*args, **kwargs)
            if not before:
                stop()
            return result

        return wrapped

    for owner, name in targets:
        monkeypatch.setattr(owner, name, pausing(getattr(owner, name)))
    return pause


def race(
    pause: Pause, decision: Callable[[], Any], change: Callable[[], Any], grace: float = 1.0
) -> Race:
    """Run ``decision`` until it pauses, then ``change`` for up to ``grace`` seconds, then let
    the decision finish. Each thread has its own connection; an exception in either (a
    deadlock surfaces as one) fails the test, as does a thread that never ends."""
    outcome = Race()
    errors: list[BaseException] = []

    def run(call: Callable[[], Any], keep: bool) -> None:
        try:
            result = call()
            if keep:
                outcome.answer = result
            else:
                outcome.changed = result
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    deciding = threading.Thread(target=run, args=(decision, True), name=PAUSED)
    changing = threading.Thread(target=run, args=(change, False))
    deciding.start()
    try:
        assert pause.decided.wait(timeout=15), "the request never reached its decision"
        changing.start()
        changing.join(timeout=grace)
        outcome.change_committed_during_pause = not changing.is_alive()
    finally:
        pause.go.set()
        deciding.join(timeout=30)
        if changing.ident is not None:
            changing.join(timeout=30)
    assert not deciding.is_alive() and not changing.is_alive(), "deadlock: a thread never ended"
    assert not errors, errors
    return outcome


def removal(user: Any, admin: Any) -> Callable[[], None]:
    """Remove every membership of ``user`` through the directory service (a transfer)."""

    def remove() -> None:
        for membership in Membership.objects.filter(user_id=user.pk):
            remove_membership(membership, actor=admin)

    return remove


def removed_seq() -> int:
    """The audit ``seq`` of the first membership removal (commit order)."""
    rows = AuditEvent.objects.filter(action="directory.membership_removed")
    return min(rows.values_list("seq", flat=True))


def allowed_after(actor_id: int, cutoff: int, actions: tuple[str, ...] = ()) -> list[Any]:
    """Allowed audit events by ``actor_id`` committed after ``cutoff`` (optionally only
    ``actions``): a decision recorded on a basis already gone."""
    rows = AuditEvent.objects.filter(actor_id=actor_id, allowed=True, seq__gt=cutoff)
    if actions:
        rows = rows.filter(action__in=actions)
    return list(rows.values_list("action", "seq"))
