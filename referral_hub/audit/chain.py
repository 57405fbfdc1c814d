"""The canonical, versioned encoding of an audit event and its SHA-256 chain hash.

The hash covers every field of the event plus the previous event's hash, so changing,
removing, inserting or reordering any event breaks the chain from that point on. The
encoding is versioned so a later format can coexist with events already written.

Version 1: ``b"v1:" + JSON`` where JSON is the event's fields with sorted keys, compact
separators and UTF-8 text; ``at`` is UTC ISO 8601 with microseconds and a ``Z`` suffix;
``target_id`` is a string; ``details`` is a JSON object of ids, codes and counts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

HASH_VERSION = 1
GENESIS_HASH = "0" * 64

_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def canonical_json(value: Any) -> str:
    """Sorted keys, compact separators, UTF-8 text: the form ``details`` is hashed *and stored*
    in, so the verifier can use the stored text as it is."""
    return _dumps(value)


def format_time(at: datetime) -> str:
    """UTC ISO 8601 with microseconds, e.g. ``2026-04-01T00:30:00.000123Z``."""
    if at.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(
    *,
    seq: int,
    at: str,
    actor_id: int | None,
    actor_username: str,
    actor_desk: str,
    action: str,
    target_type: str,
    target_id: str,
    resident_id: int | None,
    legal_basis: str,
    allowed: bool,
    refusal_code: str,
    request_id: str,
    client_ip: str,
    details: Mapping[str, Any],
    prev_hash: str,
    version: int = HASH_VERSION,
) -> bytes:
    if version != 1:
        raise ValueError(f"unknown audit hash version {version}")
    body = _dumps(
        {
            "action": action,
            "actor_desk": actor_desk,
            "actor_id": actor_id,
            "actor_username": actor_username,
            "allowed": allowed,
            "at": at,
            "client_ip": client_ip,
            "details": details,
            "legal_basis": legal_basis,
            "prev_hash": prev_hash,
            "refusal_code": refusal_code,
            "request_id": request_id,
            "resident_id": resident_id,
            "seq": seq,
            "target_id": target_id,
            "target_type": target_type,
        }
    )
    return b"v1:" + body.encode("utf-8")


def event_hash(**fields: Any) -> str:
    """Hex SHA-256 of :func:`canonical_bytes` for the given fields."""
    return hashlib.sha256(canonical_bytes(**fields)).hexdigest()


def check_details(details: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return ``details`` as a plain dict, refusing values whose JSON form the database would
    not give back byte for byte (floats change shape in PostgreSQL's jsonb) and anything that
    is not ids, codes or counts."""
    if details is None:
        return {}
    if not isinstance(details, Mapping):
        raise TypeError("audit details must be a mapping")
    result = {}
    for key, value in details.items():
        if not isinstance(key, str):
            raise TypeError("audit details keys must be strings")
        result[key] = _check_value(key, value)
    return result


def _check_value(key: str, value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        if isinstance(value, str) and "\x00" in value:
            raise ValueError(f"audit details[{key!r}] contains a NUL character")
        return value
    if isinstance(value, list | tuple):
        return [_check_value(key, item) for item in value]
    if isinstance(value, Mapping):
        return {str(k): _check_value(key, v) for k, v in check_details(value).items()}
    raise TypeError(
        f"audit details[{key!r}] is {type(value).__name__}: only ids, codes and counts "
        "(str, int, bool, None, lists and objects of them) are recorded"
    )
