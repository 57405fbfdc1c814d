"""Reading stored events: catch-up by sequence number (DESIGN.md invariant 5)."""

from __future__ import annotations

from typing import Any

from referral_hub.inbox.models import InboxEvent
from referral_hub.inbox.payloads import event_payload

CATCH_UP_BATCH = 200


def events_after(user_id: int, since: int, limit: int = CATCH_UP_BATCH) -> list[dict[str, Any]]:
    """The payloads of ``user_id``'s events with ``seq > since``, oldest first, at most ``limit``."""
    events = InboxEvent.objects.filter(user_id=user_id, seq__gt=since).order_by("seq")[:limit]
    return [event_payload(event) for event in events]
