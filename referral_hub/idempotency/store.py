"""The one place that makes a creating request happen once per key (DESIGN.md invariant 11).

A client (``Idempotency-Key`` header) or a page (a one-time form nonce) names its attempt with a
key. For 24 hours after the first success, a repeat by the same user with the same key and the
same request gets the first answer again, status and body; the same key with another request
is refused (:class:`Conflict`, 409 ``idempotency_conflict``). Failed attempts store nothing:
a refusal or bad input can be retried under the same key.

Concurrent duplicates take turns on a lock named by (user, key): on PostgreSQL a session-level
advisory lock, taken before any row lock of the action (it is first in the lock order of
docs/operations/locks.md); in the embedded single-process setup a process-local lock. The
second one in waits until the first has answered, then replays that answer.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from referral_hub.domain_errors import DomainError
from referral_hub.idempotency.models import IdempotencyRecord
from referral_hub.vault.keys import new_data_key

TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255
# How long a duplicate waits for the first attempt before it is told to retry later.
WAIT_SECONDS = 30.0
_POLL_SECONDS = 0.02


class InvalidKey(DomainError):
    """The key is empty, too long or not printable ASCII (HTTP 400)."""

    code = "idempotency_key_invalid"
    http_status = 400
    message = (
        "Idempotency-Key は1〜255文字の半角英数記号です。"
        "/ Idempotency-Key must be 1-255 printable ASCII characters."
    )


class Conflict(DomainError):
    """The key was used for another request, or its first attempt is still running (409)."""

    code = "idempotency_conflict"
    http_status = 409

    def __init__(self, in_progress: bool = False) -> None:
        super().__init__("idempotency_conflict")
        self.in_progress = in_progress
        if in_progress:
            self.message = (
                "同じキーの要求をまだ処理しています。しばらくして同じ内容で再送してください。"
                "/ A request with this key is still being processed; retry shortly."
            )
        else:
            self.message = (
                "このキーは別の内容の要求に使われています。新しいキーで送ってください。"
                "/ This key was used for a different request; use a new key."
            )


@dataclass(frozen=True)
class Answer:
    status_code: int
    body: Any  # JSON value


def check_key(key: str) -> str:
    """Raise :class:`InvalidKey` unless 1-255 printable ASCII characters."""
    if not key or len(key) > MAX_KEY_LENGTH or not all(" " < ch <= "~" for ch in key):
        raise InvalidKey(key[:20])
    return key


def digest(*parts: str | bytes) -> str:
    """SHA-256 hex of the parts, each length-prefixed (no two part lists collide)."""
    sha = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        sha.update(len(data).to_bytes(8, "big"))
        sha.update(data)
    return sha.hexdigest()


class Attempt:
    """Inside :func:`attempt`: ``replay`` is the stored answer to return, or None when this
    attempt must do the work and then :meth:`store` its answer if it succeeded."""

    def __init__(self, user_id: int, key_hash: str, scope: str, fingerprint: str) -> None:
        self.user_id = user_id
        self.key_hash = key_hash
        self.scope = scope
        self.fingerprint = fingerprint
        self.replay: Answer | None = None

    def store(self, status_code: int, body: Any) -> None:
        """Keep the first successful answer (``body`` must be JSON-encodable as given)."""
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        with transaction.atomic():
            # The user's expired records go now (a key may be reused after 24 hours).
            expired = IdempotencyRecord.objects.filter(
                user_id=self.user_id, created_at__lt=timezone.now() - TTL
            )
            expired_keys = list(expired.values_list("data_key_id", flat=True))
            expired.delete()
            if expired_keys:
                from referral_hub.vault.models import DataKey

                DataKey.objects.filter(pk__in=expired_keys).delete()
            IdempotencyRecord.objects.create(  # type: ignore[misc]
                user_id=self.user_id,
                key_hash=self.key_hash,
                scope=self.scope,
                fingerprint=self.fingerprint,
                status_code=status_code,
                data_key=new_data_key(),
                body=text,
            )


@contextmanager
def attempt(user_id: int, key: str, scope: str, fingerprint: str) -> Iterator[Attempt]:
    """Serialise attempts with one (user, key) and tell this one what to do.

    Raises :class:`InvalidKey` and :class:`Conflict` (before yielding)."""
    key_hash = digest("idempotency-key", check_key(key))
    with _turn(user_id, key_hash):
        current = Attempt(user_id, key_hash, scope, fingerprint)
        record = IdempotencyRecord.objects.filter(
            user_id=user_id, key_hash=key_hash, created_at__gte=timezone.now() - TTL
        ).first()
        if record is not None:
            if record.fingerprint != fingerprint:
                raise Conflict()
            current.replay = Answer(record.status_code, json.loads(record.body))
        yield current


_local_locks: dict[tuple[int, str], threading.Lock] = {}
_local_guard = threading.Lock()


@contextmanager
def _turn(user_id: int, key_hash: str) -> Iterator[None]:
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        lock_id = int(digest(str(user_id), key_hash)[:15], 16)  # fits a signed bigint
        _wait_for(lambda: _try_advisory(lock_id))
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [lock_id])
        return
    with _local_guard:
        lock = _local_locks.setdefault((user_id, key_hash), threading.Lock())
    _wait_for(lambda: lock.acquire(blocking=False))
    try:
        yield
    finally:
        lock.release()


def _try_advisory(lock_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock_id])
        return bool(cursor.fetchone()[0])


def _wait_for(try_once: Any) -> None:
    """Poll ``try_once`` until it is true; :class:`Conflict` (in progress) after WAIT_SECONDS.
    Polling instead of a blocking wait: a stuck first attempt cannot hold a worker forever."""
    deadline = time.monotonic() + WAIT_SECONDS
    while not try_once():
        if time.monotonic() > deadline:
            raise Conflict(in_progress=True)
        time.sleep(_POLL_SECONDS)


def purge_expired(now: Any = None) -> int:
    """Delete every record older than 24 hours, with its data key; return how many."""
    from referral_hub.vault.models import DataKey

    cutoff = (now or timezone.now()) - TTL
    with transaction.atomic():
        old = IdempotencyRecord.objects.filter(created_at__lt=cutoff)
        keys = list(old.values_list("data_key_id", flat=True))
        count, _ = old.delete()
        DataKey.objects.filter(pk__in=keys).delete()
    return count
