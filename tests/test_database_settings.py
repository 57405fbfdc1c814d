"""PostgreSQL gets a connection pool per worker process (persistent per-thread connections leak
under ASGI, where every request runs in a thread of its own); SQLite and DB_POOL_MAX_SIZE=0 get
none. With the pool, statements are prepared (server-side binding) unless turned off."""

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
    ours = ("DATABASE_URL", "DB_POOL_MAX_SIZE", "DB_PREPARED_STATEMENTS")
    base = {k: v for k, v in os.environ.items() if k not in ours}
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


def test_the_pool_prepares_statements_unless_turned_off(tmp_path):
    url = "postgres://app@db.internal:5432/hub"
    prepared = database_settings(tmp_path, DATABASE_URL=url)["options"]
    off = database_settings(tmp_path, DATABASE_URL=url, DB_PREPARED_STATEMENTS="0")["options"]
    unpooled = database_settings(tmp_path, DATABASE_URL=url, DB_POOL_MAX_SIZE="0")["options"]

    assert (prepared["server_side_binding"], prepared["prepare_threshold"]) == (True, 2)
    assert "server_side_binding" not in off and "prepare_threshold" not in off
    assert "server_side_binding" not in unpooled  # PgBouncer: statements do not follow clients
