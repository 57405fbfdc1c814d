"""A second PostgreSQL database standing in for a read replica, kept in sync by the tests.

A streaming replica needs a second PostgreSQL server and a replication role in the primary's
pg_hba.conf; the test machine's server is shared, so the tests cannot reconfigure it. Instead
``replica_database`` creates ``<test database>_replica`` with the primary's schema (pg_dump
--schema-only) and ``sync_replica()`` copies every table over, the way a replica catches up:
between two syncs the replica is stale, which is exactly what the tests exploit to prove where
a read went. The ``replica`` alias is added to Django's connections for the module's tests.
"""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from django.db import connections
from psycopg import sql

from referral_hub.replica import REPLICA_ALIAS


def _conninfo(settings: dict[str, Any], name: str) -> str:
    parts = {
        "dbname": name,
        "host": settings.get("HOST") or "",
        "port": str(settings.get("PORT") or ""),
        "user": settings.get("USER") or "",
        "password": settings.get("PASSWORD") or "",
    }
    return " ".join(f"{key}={value}" for key, value in parts.items() if value)


def sync_replica() -> None:
    """Make the replica an exact copy of the primary's committed rows (binary COPY per table,
    triggers off as in PostgreSQL's own replication apply)."""
    primary = connections.settings["default"]
    replica = connections.settings[REPLICA_ALIAS]
    with (
        psycopg.connect(_conninfo(primary, primary["NAME"])) as source,
        psycopg.connect(_conninfo(replica, replica["NAME"])) as target,
    ):
        tables = [
            row[0]
            for row in source.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        target.execute("SET session_replication_role = replica")
        target.execute(
            sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(map(sql.Identifier, tables)))
        )
        for table in tables:
            statement = sql.SQL("COPY {} {} STDIN (FORMAT binary)")
            with (
                source.cursor().copy(
                    sql.SQL("COPY {} TO STDOUT (FORMAT binary)").format(sql.Identifier(table))
                ) as out,
                target.cursor().copy(
                    statement.format(sql.Identifier(table), sql.SQL("FROM"))
                ) as into,
            ):
                for data in out:
                    into.write(data)
        for table, column in target.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_default LIKE 'nextval%%'"
        ).fetchall():
            target.execute(
                sql.SQL(
                    "SELECT setval(pg_get_serial_sequence({t}, {c}), "
                    "COALESCE((SELECT MAX({ci}) FROM {ti}), 0) + 1, false)"
                ).format(
                    t=sql.Literal(table),
                    c=sql.Literal(column),
                    ci=sql.Identifier(column),
                    ti=sql.Identifier(table),
                )
            )


@pytest.fixture(scope="module")
def replica_database(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """The ``replica`` alias, pointing at a fresh copy of the test database's schema."""
    primary = connections.settings["default"]
    if primary["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the replica tests need PostgreSQL")
    name = f"{primary['NAME']}_replica"
    with django_db_blocker.unblock():
        with psycopg.connect(_conninfo(primary, "postgres"), autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        schema = subprocess.run(
            [
                "pg_dump",
                "--schema-only",
                "--no-owner",
                "--no-privileges",
                "-d",
                _conninfo(primary, primary["NAME"]),
            ],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(
            ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", _conninfo(primary, name)],
            input=schema,
            check=True,
            capture_output=True,
        )
        replica = copy.deepcopy(primary)
        replica["NAME"] = name
        replica["OPTIONS"] = {k: v for k, v in replica.get("OPTIONS", {}).items() if k != "pool"}
        replica["CONN_MAX_AGE"] = 0
        connections.settings[REPLICA_ALIAS] = replica
        try:
            yield name
        finally:
            if hasattr(connections._connections, REPLICA_ALIAS):
                connections[REPLICA_ALIAS].close()
                del connections[REPLICA_ALIAS]
            del connections.settings[REPLICA_ALIAS]
            with psycopg.connect(_conninfo(primary, "postgres"), autocommit=True) as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
