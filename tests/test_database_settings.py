"""PostgreSQL gets a connection pool per worker process (persistent per-thread connections leak
under ASGI, where every request runs in a thread of its own); SQLite and DB_POOL_MAX_SIZE=0 get
none."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRINT_DATABASE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "db = settings.DATABASES['default']; "
    "print(json.dumps({'options': db.get('OPTIONS', {}), 'conn_max_age': db['CONN_MAX_AGE']}))"
)


def database_settings(tmp_path: Path, **env: str) -> dict:
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DB_POOL_MAX_SIZE")}
    base.update(DJANGO_SETTINGS_MODULE="tests.settings", DATA_DIR=str(tmp_path), **env)
    result = subprocess.run(
        [sys.executable, "-c", PRINT_DATABASE],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_postgresql_gets_a_bounded_pool_and_no_persistent_connections(tmp_path):
    db = database_settings(
        tmp_path, DATABASE_URL="postgres://app@db.internal:5432/hub", DB_CONN_MAX_AGE="60"
    )
    assert db["options"]["pool"] == {"min_size": 2, "max_size": 10, "timeout": 10}
    assert db["conn_max_age"] == 0  # Django refuses persistent connections with a pool


@pytest.mark.parametrize(
    "env",
    [
        {"DATABASE_URL": "postgres://app@db.internal:5432/hub", "DB_POOL_MAX_SIZE": "0"},
        {"DATABASE_URL": "sqlite:////tmp/hub.sqlite3"},
    ],
)
def test_no_pool_when_turned_off_or_on_sqlite(tmp_path, env):
    assert "pool" not in database_settings(tmp_path, **env)["options"]
