"""Running calls at once from threads, each with its own database connection (race tests on
PostgreSQL)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import connections

T = TypeVar("T")


def run_together(calls: list[Callable[[], T]], seed: int = 0) -> list[T]:
    """Run every call at once, each on its own thread and database connection, with a small
    random start offset so that the interleavings differ from round to round. An exception
    (a deadlock surfaces as one) fails the test in the main thread."""
    rng = random.Random(seed)
    delays = [rng.random() / 50 for _ in calls]
    barrier = threading.Barrier(len(calls))
    replies: list[T | None] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            time.sleep(delays[index])
            replies[index] = calls[index]()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert all(reply is not None for reply in replies), "a call never returned (deadlock?)"
    return [reply for reply in replies if reply is not None]
