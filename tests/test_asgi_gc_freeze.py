"""A worker freezes the imported code's objects at the server's lifespan startup (issue 22,
sockets at prefecture scale): a full garbage-collector pass then scans only what requests and
sockets made, not the ~150,000 objects of Django, DRF and the views, which stopped the whole
worker for tens of milliseconds each time. Merely importing the module (as the tests do)
freezes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import asyncio, gc, json
import referral_hub.asgi
imported = gc.get_freeze_count()

async def lifespan():
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message["type"])

    await referral_hub.asgi.application({"type": "lifespan"}, receive, send)
    return sent

sent = asyncio.run(lifespan())
print(json.dumps({"imported": imported, "sent": sent, "frozen": gc.get_freeze_count(),
                  "tracked": len(gc.get_objects())}))
"""


def test_a_worker_starts_with_the_imported_code_frozen():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    output = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    found = json.loads(output.strip().splitlines()[-1])
    assert found["imported"] == 0, found  # importing alone leaves the process as it was
    assert found["sent"] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert found["frozen"] > 50_000, found  # the views, Django, DRF: all of them
    assert found["tracked"] < found["frozen"] / 10, found  # a full pass sees little
