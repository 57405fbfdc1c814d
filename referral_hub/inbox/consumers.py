"""``/ws/inbox/``: one socket per open tab, in the group of its user.

Frames to the client (ids, statuses and counts only, DESIGN.md invariant 8):
- ``{"type":"hello","last_seq":N}`` then ``{"type":"unread","counts":{...}}`` on connect;
- events ``{"type":"sheet.received|...","seq":N,"sheet":id,"status":...,"at":...,"box":...}``;
- ``{"type":"unread","counts":{...}}`` whenever the counts change;
- ``{"type":"caught_up","last_seq":N}`` after the events a ``catch_up`` asked for;
- ``{"type":"error","code":"malformed"}`` for a client message it cannot use (the socket stays open).

Close codes: 4401 not (or no longer) authenticated, 4403 the account is inactive, 1013 the
channel layer is unavailable (reconnect later, then catch up).

Every event stored after the hello's ``last_seq`` reaches the socket exactly once: live through
the channel layer, or, if that push was lost (a publishing process without Redis, a channel
over capacity, a Redis blip), from the database by the periodic resync. A ``catch_up`` sends
only what this socket has not sent yet, so a client following the gap rule (catch up when a
seq skips ahead) never gets a frame twice (issue 14, input 6). Credentials are
checked again every few minutes, so an expired token or ended session closes the socket.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model

from referral_hub.directory.authentication import audit_refused_token
from referral_hub.inbox.auth import authenticate_credentials
from referral_hub.inbox.delivered import DeliveredSeqs, SentSeqs
from referral_hub.inbox.delivery import PUSH, send_to_users, user_group
from referral_hub.inbox.numbering import number_stale, resync_state
from referral_hub.inbox.payloads import unread_payload
from referral_hub.inbox.publish import push_messages
from referral_hub.inbox.read_state import inbox_state
from referral_hub.inbox.selectors import CATCH_UP_BATCH, events_after

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TRY_AGAIN_LATER = 1013
MAX_CLIENT_MESSAGE_BYTES = 1024
# A layer that cannot subscribe the socket this fast is treated as down (1013, retry later).
JOIN_TIMEOUT_SECONDS = 2.0


class InboxConsumer(AsyncJsonWebsocketConsumer):
    # How often a socket compares what it sent with what is stored, and re-checks credentials.
    resync_seconds: float = 30.0
    recheck_seconds: float = 300.0

    user_id: int | None = None
    group: str | None = None
    delivered: DeliveredSeqs
    sent: SentSeqs
    # Set once this side has sent the close frame: nothing may be sent after it.
    closing: bool = False
    _periodic: asyncio.Task | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delivered = DeliveredSeqs(0)
        # What this socket actually transmitted (history included): catch_up skips these.
        self.sent = SentSeqs()
        # Serialises sending between message handlers and the periodic resync task.
        self.send_lock = asyncio.Lock()

    async def connect(self) -> None:
        user = self.scope.get("user")
        await self.accept()
        if user is None or not user.is_authenticated:
            credentials = self.scope.get("inbox_credentials")
            if credentials is not None and credentials.kind == "token" and credentials.key:
                # A bad or expired token is a refusal like any other: audited.
                await database_sync_to_async(audit_refused_token)(
                    credentials.key, method="WEBSOCKET", path=self.scope.get("path", "")
                )
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        group = user_group(user.pk)
        try:
            await asyncio.wait_for(
                self.channel_layer.group_add(group, self.channel_name), JOIN_TIMEOUT_SECONDS
            )
        except Exception as exc:  # noqa: BLE001 - no live delivery possible: tell the client to retry
            logger.warning(
                "inbox socket refused: channel layer unavailable (%s)", type(exc).__name__
            )
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return
        self.user_id, self.group = user.pk, group
        await self.number_stale_events()
        # Read after joining the group: an event committed in between arrives live as well,
        # never not at all.
        seq, counts = await database_sync_to_async(inbox_state)(user.pk)
        self.delivered = DeliveredSeqs(seq)
        await self.send_json({"type": "hello", "last_seq": seq})
        await self.send_json(unread_payload(counts))
        self._periodic = asyncio.create_task(self.resync_periodically())

    async def disconnect(self, code: int) -> None:
        if self._periodic is not None:
            self._periodic.cancel()
        if self.group is not None:
            try:
                await self.channel_layer.group_discard(self.group, self.channel_name)
            except Exception as exc:  # noqa: BLE001 - group membership expires on its own
                logger.info("inbox group_discard failed (%s)", type(exc).__name__)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.user_id is None or self.closing:
            return
        if text_data is None or len(text_data) > MAX_CLIENT_MESSAGE_BYTES:
            await self.send_error()
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.send_error()
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or content.get("type") != "catch_up":
            await self.send_error()
            return
        since = content.get("since")
        if isinstance(since, bool) or not isinstance(since, int) or since < 0:
            await self.send_error()
            return
        async with self.send_lock:
            if await self.refuse_if_no_longer_authorized():
                return
            await self.catch_up(since)

    async def catch_up(self, since: int) -> None:
        """Send every stored event after ``since`` that this socket has not sent yet, in order,
        a bounded batch at a time; ``caught_up`` then names the last seq covered."""
        await self.number_stale_events()
        # A ``since`` beyond the end (a seq from another device, a reset inbox) reads from the
        # real end, so ``caught_up`` reports the server's last seq, never the client's number.
        assert self.user_id is not None
        latest, _ = await database_sync_to_async(resync_state)(self.user_id)
        cursor, _ = await self.send_stored_after(min(since, latest), history=True)
        await self.send_json({"type": "caught_up", "last_seq": cursor})

    async def send_stored_after(self, since: int, *, history: bool) -> tuple[int, int]:
        """Send stored events after ``since`` that this socket has not sent (with ``history``,
        also those before its hello); return the last seq read and how many were sent."""
        assert self.user_id is not None
        cursor, sent = since, 0
        while True:
            batch = await database_sync_to_async(events_after)(self.user_id, cursor, CATCH_UP_BATCH)
            for payload in batch:
                seq = payload["seq"]
                if seq not in self.sent and (history or seq not in self.delivered):
                    await self.send_json(payload)
                    self.delivered.add(seq)
                    self.sent.add(seq)
                    sent += 1
            if batch:
                cursor = batch[-1]["seq"]
            if len(batch) < CATCH_UP_BATCH:
                return cursor, sent

    async def resync_periodically(self) -> None:
        last_recheck = time.monotonic()
        # Spread the sockets' ticks: a worker restart reconnects them all in the same second.
        await asyncio.sleep(random.uniform(0, self.resync_seconds))
        while not self.closing:
            try:
                async with self.send_lock:
                    if self.closing:
                        return
                    if time.monotonic() - last_recheck >= self.recheck_seconds:
                        last_recheck = time.monotonic()
                        if await self.refuse_if_no_longer_authorized():
                            return
                    await self.resync()
            except Exception as exc:  # noqa: BLE001 - try again at the next tick
                logger.warning("inbox resync failed (%s)", type(exc).__name__)
            await asyncio.sleep(self.resync_seconds)

    async def resync(self) -> None:
        """Send stored events whose live push never reached this socket, then fresh counts."""
        assert self.user_id is not None
        # The common case (nothing missed, nothing stale) costs one query: every open socket
        # runs this twice a minute.
        latest, stale = await database_sync_to_async(resync_state)(self.user_id)
        if stale:
            await self.number_stale_events()
            latest, _ = await database_sync_to_async(resync_state)(self.user_id)
        if latest <= self.delivered.floor:
            return
        _, sent = await self.send_stored_after(self.delivered.floor, history=False)
        if sent:  # their unread counts were lost with them
            _, counts = await database_sync_to_async(inbox_state)(self.user_id)
            await self.send_json(unread_payload(counts))

    async def number_stale_events(self) -> None:
        """Number (and push to every tab) events of this user whose numbering run was lost."""
        assert self.user_id is not None
        events, inboxes = await database_sync_to_async(number_stale)(self.user_id)
        if events:
            await send_to_users(push_messages(events, inboxes))

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        self.closing = True
        await super().close(code=code, reason=reason)

    async def send_error(self) -> None:
        await self.send_json({"type": "error", "code": "malformed"})

    # --- group messages (delivery.PUSH and delivery.RECHECK) ---------------------------------

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels closes stale database connections, in a worker thread, before every handler.
        # A push touches no database, and it is the message every event brings to every socket
        # of every recipient: skip that thread hop for it. Every query of this consumer runs
        # through database_sync_to_async, which closes stale connections around itself.
        if message.get("type") == PUSH:
            await self.inbox_push(message)
            return
        await super().dispatch(message)

    async def inbox_push(self, message: dict[str, Any]) -> None:
        async with self.send_lock:
            if self.closing:
                return
            for frame in message["frames"]:
                seq = frame.get("seq")
                if isinstance(seq, int):
                    # A catch-up or resync read the committed row before this push arrived:
                    # the event (and the counts that came with it) went out already.
                    if seq in self.delivered:
                        return
                    self.delivered.add(seq)
                    self.sent.add(seq)
                await self.send_json(frame)

    async def inbox_recheck(self, message: dict[str, Any]) -> None:
        async with self.send_lock:
            if self.closing:
                return
            await self.refuse_if_no_longer_authorized()

    async def refuse_if_no_longer_authorized(self) -> bool:
        code = await database_sync_to_async(self.refusal_code)()
        if code is None:
            return False
        await self.close(code=code)
        return True

    def refusal_code(self) -> int | None:
        """Blocking: 4403 for an inactive or deleted account, 4401 for credentials that no
        longer authenticate this user (logout, password change, revoked or expired token)."""
        if self.user_id is None:  # never joined: no account to check (as a pk=None filter)
            return CLOSE_FORBIDDEN
        if not get_user_model().objects.filter(pk=self.user_id, is_active=True).exists():
            return CLOSE_FORBIDDEN
        user = authenticate_credentials(self.scope.get("inbox_credentials"))
        if not user.is_authenticated or user.pk != self.user_id:
            return CLOSE_UNAUTHENTICATED
        return None
