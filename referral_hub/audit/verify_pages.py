"""The audit verifier's fast row source: pages of events in ``seq`` order, each event's hash
checked by rebuilding its canonical text from the stored columns (no model instances, no JSON
decoding), one page in memory at a time (keyset pagination).

``pages(start_seq, batch_size)`` yields lists of ``Row`` = ``(seq, prev_hash, stored_hash,
hash_ok)``. ``hash_ok`` False means only that this fast check could not confirm the hash;
``verify._Walker`` then decides with the authoritative encoder (``AuditEvent.computed_hash``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any

from django.db import connection

from referral_hub.audit.models import AuditEvent

_ZERO = timedelta(0)

# A row source yields pages of ``(seq, prev_hash, stored_hash, hash_ok)``; ``hash_ok`` is False
# when the fast check could not confirm the hash, and the walker then re-checks that one event
# with the authoritative encoder (AuditEvent.computed_hash) before calling it altered.
Row = tuple[int, str, str, bool]

# The fast check rebuilds the v1 canonical text from the stored columns by string splicing:
# ``details`` is stored as canonical JSON text (fields.CanonicalJSONField) and PostgreSQL
# formats ``at`` itself, so no value is parsed or re-encoded except the strings' JSON escaping.
# The splice equals the canonical text exactly when the fields are unchanged (every piece is a
# complete JSON token, so equal text means equal fields).
_FAST_COLUMNS = (
    "seq, version, prev_hash, hash, action, actor_desk, actor_id, actor_username, allowed, {at}, "
    "client_ip, {details}, legal_basis, refusal_code, request_id, resident_id, target_id, "
    "target_type"
)
_PG_AT = """to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


def _fetch(
    sql: str, start_seq: int, batch_size: int, end_seq: int | None = None
) -> Iterator[list[tuple[Any, ...]]]:
    """Keyset pagination: one page in memory at a time, whatever the chain's length. With
    ``end_seq``, ``sql`` takes ``(start, end, limit)`` and the pages stop before ``end_seq``."""
    next_seq = start_seq
    while True:
        with connection.cursor() as cursor:
            bounds = [next_seq] if end_seq is None else [next_seq, end_seq]
            cursor.execute(sql, [*bounds, batch_size])
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        if len(rows) < batch_size:
            return
        next_seq = int(rows[-1][0]) + 1


def select_sql(postgres: bool) -> str:
    """``SELECT`` of the fast check's columns (``check_rows``' input) without a ``WHERE``."""
    columns = _FAST_COLUMNS.format(
        at=_PG_AT if postgres else "at", details="details::text" if postgres else "details"
    )
    return f"SELECT {columns} FROM {AuditEvent._meta.db_table}"  # noqa: S608


def pages(start_seq: int, batch_size: int, end_seq: int | None = None) -> Iterator[list[Row]]:
    """Checked pages of the events from ``start_seq`` on (before ``end_seq`` when given)."""
    postgres = connection.vendor == "postgresql"
    upper = "" if end_seq is None else " AND seq < %s"
    sql = f"{select_sql(postgres)} WHERE seq >= %s{upper} ORDER BY seq LIMIT %s"
    for rows in _fetch(sql, start_seq, batch_size, end_seq):
        yield check_rows(rows, postgres)


def check_rows(rows: list[tuple[Any, ...]], postgres: bool) -> list[Row]:
    quote = _quote
    checked = []
    for (seq, version, prev_hash, stored, action, actor_desk, actor_id, actor_username, allowed,
         at, client_ip, details, legal_basis, refusal_code, request_id, resident_id, target_id,
         target_type) in rows:  # fmt: skip
        if not postgres:
            at = _format_at(at)
        text = (
            f'v1:{{"action":{quote(action)},"actor_desk":{quote(actor_desk)},'
            f'"actor_id":{"null" if actor_id is None else actor_id},'
            f'"actor_username":{quote(actor_username)},"allowed":{"true" if allowed else "false"},'
            f'"at":"{at}","client_ip":{quote(client_ip)},"details":{details},'
            f'"legal_basis":{quote(legal_basis)},"prev_hash":{quote(prev_hash)},'
            f'"refusal_code":{quote(refusal_code)},"request_id":{quote(request_id)},'
            f'"resident_id":{"null" if resident_id is None else resident_id},"seq":{seq},'
            f'"target_id":{quote(target_id)},"target_type":{quote(target_type)}}}'
        )
        hash_ok = version == 1 and _sha256(text.encode()).hexdigest() == stored
        checked.append((seq, prev_hash, stored, hash_ok))
    return checked


def _format_at(value: Any) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    elif value.utcoffset() != _ZERO:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


_quote = encode_basestring
_sha256 = hashlib.sha256
