"""The ASGI module freezes the imported code's objects (issue 22, sockets at prefecture scale):
a full garbage-collector pass of a worker then scans only what requests and sockets made, not
the ~150,000 objects of Django, DRF and the views, which stopped the whole worker for tens of
milliseconds each time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import gc, json, time
import referral_hub.asgi
begin = time.perf_counter()
gc.collect()
print(json.dumps({"frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects()),
                  "full_pass_ms": (time.perf_counter() - begin) * 1000}))
"""


def test_a_worker_starts_with_the_imported_code_frozen():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    output = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    found = json.loads(output.strip().splitlines()[-1])
    assert found["frozen"] > 50_000, found  # the views, Django, DRF: all of them
    assert found["tracked"] < found["frozen"] / 10, found  # a full pass sees little
