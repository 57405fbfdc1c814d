"""The audit verifier's parallel row source: seq ranges checked by worker processes.

Each range of ``batch_size`` seqs is read and checked by one of ``workers`` forked processes on
a connection of its own (the read, the canonical splice and the SHA-256 of ``check_rows``, side
by side on several cores). A range is self-contained: the worker checks every event's hash and
every link *inside* the range and sends back only a ``RangeCheck`` (its first event's
``prev_hash``, its last two hashes, the hashes at checkpoint seqs), never the rows. The verifier
then joins the ranges in order (``verify._Walker.accept_range``): the first event must link to
the previous range's last hash and the checkpoints must match, exactly as for a page it read
itself. A range that is not clean (a gap, a hash the fast check could not confirm, a broken
link, an empty range) is read again by the verifier and walked event by event, so a failure is
found and explained by the same code, with the same seq and words, as without workers.

Memory stays flat: a worker holds one range, the verifier holds summaries; ranges are handed
out as workers ask for them.

PostgreSQL only, outside a transaction (the workers read committed rows on connections of
their own), on platforms with ``fork`` (the workers start in milliseconds and need no Django
set-up). The workers never touch the parent's Django connections: they open a plain psycopg
connection from the same settings.
"""

from __future__ import annotations

import bisect
import itertools
import multiprocessing
import signal
from collections.abc import Generator
from dataclasses import dataclass, field
from multiprocessing.util import Finalize
from typing import Any

from django.db import connection

from referral_hub.audit.verify_pages import Row, check_rows, select_sql

# A worker's state: its own connection, the range query and the checkpoint seqs.
_worker: dict[str, Any] = {}


@dataclass(frozen=True)
class RangeCheck:
    """What a worker found in the seqs ``[first_seq, end_seq)``. ``clean``: every seq present,
    every hash confirmed by the fast check, every link inside the range intact; the other fields
    are only filled for a clean range."""

    first_seq: int
    end_seq: int
    rows: int
    clean: bool
    first_prev_hash: str = ""
    last_hash: str = ""
    before_last_hash: str = ""
    checkpoint_hashes: dict[int, str] = field(default_factory=dict)


def can_run_in_workers() -> bool:
    """Workers read committed rows on their own connections: PostgreSQL, no open transaction
    (its rows would be invisible to them), and ``fork``."""
    return (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and "fork" in multiprocessing.get_all_start_methods()
    )


def check_ranges(
    first_seq: int, last_seq: int, batch_size: int, workers: int, checkpoint_seqs: list[int]
) -> Generator[RangeCheck, None, None]:
    """``RangeCheck`` of every ``batch_size`` range of ``[first_seq, last_seq]``, in seq order.
    Closing the iterator stops the workers."""
    bounds = (
        (start, min(start + batch_size, last_seq + 1))
        for start in range(first_seq, last_seq + 1, batch_size)
    )
    params = _plain_connection_params()
    sql = f"{select_sql(postgres=True)} WHERE seq >= %s AND seq < %s ORDER BY seq"
    pool = multiprocessing.get_context("fork").Pool(
        workers, _start_worker, (params, sql, checkpoint_seqs)
    )
    finished = False
    try:
        yield from pool.imap(_check_range, bounds)
        finished = True
    finally:
        if finished:
            pool.close()  # the workers close their connections and exit
        else:
            pool.terminate()
        pool.join()


def summarize(
    rows: list[Row], first_seq: int, end_seq: int, checkpoint_seqs: list[int]
) -> RangeCheck:
    """The ``RangeCheck`` of the checked ``rows`` of ``[first_seq, end_seq)`` (seq order)."""
    # Seqs are unique and come ordered from inside the range, so the count tells whether any
    # is missing.
    clean = (
        len(rows) == end_seq - first_seq
        and all(row[3] for row in rows)
        and all(
            earlier[2] == later[1]
            for earlier, later in zip(rows, itertools.islice(rows, 1, None), strict=False)
        )
    )
    if not clean or not rows:
        return RangeCheck(first_seq, end_seq, len(rows), clean=False)
    start = bisect.bisect_left(checkpoint_seqs, first_seq)
    end = bisect.bisect_left(checkpoint_seqs, end_seq)
    return RangeCheck(
        first_seq,
        end_seq,
        len(rows),
        clean=True,
        first_prev_hash=rows[0][1],
        last_hash=rows[-1][2],
        before_last_hash=rows[-2][2] if len(rows) > 1 else "",
        checkpoint_hashes={seq: rows[seq - first_seq][2] for seq in checkpoint_seqs[start:end]},
    )


def _plain_connection_params() -> dict[str, Any]:
    """The settings' connection parameters for a plain ``psycopg.connect`` (no pool, no
    Django cursor class or adapters: the worker reads ints, booleans and text only)."""
    params = connection.get_connection_params()
    for django_only in ("context", "cursor_factory", "prepare_threshold"):
        params.pop(django_only, None)
    return params


def _start_worker(params: dict[str, Any], sql: str, checkpoint_seqs: list[int]) -> None:
    import psycopg

    # Ctrl-C reaches the whole process group: the verifier stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        worker_connection = psycopg.connect(**params, autocommit=True)
    except psycopg.Error as exc:
        # Raised by the first range instead: a pool restarts a worker whose start-up fails,
        # forever, and the verifier would wait forever.
        _worker["error"] = f"an audit verify worker cannot connect to the database: {exc}"
        return
    Finalize(worker_connection, worker_connection.close, exitpriority=10)
    _worker.update(connection=worker_connection, sql=sql, checkpoint_seqs=checkpoint_seqs)


def _check_range(bounds: tuple[int, int]) -> RangeCheck:
    if "error" in _worker:
        raise ConnectionError(_worker["error"])
    first_seq, end_seq = bounds
    with _worker["connection"].cursor() as cursor:
        cursor.execute(_worker["sql"], [first_seq, end_seq])
        rows = check_rows(cursor.fetchall(), postgres=True)
    return summarize(rows, first_seq, end_seq, _worker["checkpoint_seqs"])
