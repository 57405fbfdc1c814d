"""``/healthz``: is the database reachable, and is the channel layer (Redis) reachable?"""

from __future__ import annotations

import asyncio
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

CHANNEL_LAYER_TIMEOUT_SECONDS = 2.0


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


async def _channel_round_trip() -> bool:
    layer = get_channel_layer()
    if layer is None:
        return False
    channel = await layer.new_channel("healthz.")
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "healthz.ping", "token": token})
    message = await layer.receive(channel)
    return message.get("token") == token


def channel_layer_ok() -> bool:
    async def bounded() -> bool:
        try:
            return await asyncio.wait_for(_channel_round_trip(), CHANNEL_LAYER_TIMEOUT_SECONDS)
        except Exception:
            return False

    return async_to_sync(bounded)()


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": database_ok(), "channel_layer": channel_layer_ok()}
    healthy = all(checks.values())
    return JsonResponse({"ok": healthy, "checks": checks}, status=200 if healthy else 503)
