"""The shapes a client receives (DESIGN.md, WebSocket) and the rule that keeps them free of
personal data (invariant 8): ids, codes, statuses and counts only.

``extra`` is checked when an event is published, so a caller that passes a name or a sentence
fails loudly in its own transaction instead of leaking it to every open socket.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from referral_hub.inbox.models import Box, EventType, InboxEvent

# Keys the event itself owns; extra may not overwrite them.
RESERVED_KEYS = frozenset({"type", "seq", "sheet", "status", "at", "box"})
_EXTRA_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
# Codes, statuses and numbers such as "runaround", "urgent", "2026-000123": ASCII only, no spaces,
# so a name, an address or a free-text sentence cannot pass.
_CODE_VALUE = re.compile(r"^[A-Za-z0-9_.:\-]{0,64}$")
MAX_EXTRA_KEYS = 8


class UnsafeEventPayload(ValueError):
    """An event was published with a field that is not an id, a code, a status or a count."""


def check_event(event_type: str, box: str, status: str | None, extra: Mapping[str, Any]) -> None:
    if event_type not in EventType.values:
        raise UnsafeEventPayload(f"unknown inbox event type {event_type!r}")
    if box not in Box.values:
        raise UnsafeEventPayload(f"unknown inbox box {box!r}")
    if status is not None and not _CODE_VALUE.fullmatch(status):
        raise UnsafeEventPayload("status must be a status code")
    if len(extra) > MAX_EXTRA_KEYS:
        raise UnsafeEventPayload(f"at most {MAX_EXTRA_KEYS} extra fields")
    for key, value in extra.items():
        if not isinstance(key, str) or not _EXTRA_KEY.fullmatch(key) or key in RESERVED_KEYS:
            raise UnsafeEventPayload(f"extra key {key!r} is not allowed")
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise UnsafeEventPayload(f"extra[{key!r}] must be an int or a code")
        if isinstance(value, str) and not _CODE_VALUE.fullmatch(value):
            raise UnsafeEventPayload(f"extra[{key!r}] must be a code (ASCII, no spaces)")


def event_payload(event: InboxEvent) -> dict[str, Any]:
    """``{"type","seq","sheet","status","at","box", **extra}``: what a socket receives."""
    return {
        **event.extra,
        "type": event.type,
        "seq": event.seq,
        "sheet": event.sheet_id,
        "status": event.status or None,
        "at": event.at.isoformat(),
        "box": event.box,
    }


def unread_payload(counts: Mapping[str, int]) -> dict[str, Any]:
    return {"type": "unread", "counts": {box: int(counts.get(box, 0)) for box in Box.values}}
