"""Fixtures shared by every test folder."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db.backends.signals import connection_created


@pytest.fixture
def fast_hashing(settings):
    """Seeding ten demo users with Argon2 at production cost takes seconds; tests that only need
    the users use a cheap hasher. The Argon2 tests in tests/directory keep the real one."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def storage_dir(settings, tmp_path):
    """Attachments stored on the local disk under the test's own temporary folder; returns
    the folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "attachments")},
        },
    }
    return tmp_path / "attachments"


@pytest.fixture
def on_postgres() -> None:
    """Skip on SQLite: row locks, their waits and deadlocks need PostgreSQL (the README's test
    command runs on it; DATABASE_URL=postgres://...)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row-lock races need PostgreSQL (DATABASE_URL=postgres://...)")


@pytest.fixture
def demo(db, fast_hashing):
    """デモ市 as seed_demo builds it."""
    call_command("seed_demo", force=True, verbosity=0)
    # Transactional tests flush the tables, migration-seeded reference data included.
    from referral_hub.consent.models import LegalBasis
    from referral_hub.consent.reference_data import ensure_legal_bases

    ensure_legal_bases(LegalBasis)


def _allow_audit_truncate(sender, connection, **kwargs) -> None:
    """Transactional tests flush tables with TRUNCATE, which the audit trigger refuses unless
    the session opts in (audit migration 0002). Production sessions never do."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET referral_hub.audit_allow_truncate = 'on'")


connection_created.connect(_allow_audit_truncate, dispatch_uid="tests_allow_audit_truncate")


def _tables_with_rows(connection: Any, tables: list[str]) -> list[str]:
    """Those of ``tables`` that hold at least one row (one query)."""
    quote = connection.ops.quote_name
    probes = " UNION ALL ".join(
        f"SELECT '{name.replace(chr(39), chr(39) * 2)}' WHERE EXISTS (SELECT 1 FROM {quote(name)})"
        for name in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(probes)
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture(scope="session", autouse=True)
def _flush_only_tables_with_rows() -> Any:
    """Transactional tests (``transaction=True``) end with Django's flush, one TRUNCATE of every
    table. On PostgreSQL a TRUNCATE gives each table and index a new file, so it costs about the
    same whether a table holds rows or not, and the suite flushed ~100 tables after each of ~190
    tests. The flush here truncates only the tables that hold rows, CASCADE reaching the (empty)
    tables that reference them: every table is empty afterwards, as before. A flush that resets
    sequences keeps Django's own statement."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(
        self: Any,
        style: Any,
        tables: Any,
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        if reset_sequences or not tables:
            return original(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        written = _tables_with_rows(self.connection, list(tables))
        return original(self, style, written, reset_sequences=False, allow_cascade=True)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", sql_flush)
        yield


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """DRF's per-address sign-in throttle counts in the (in-process) cache: each test starts
    from zero, so a test's outcome never depends on how many sign-ins ran before it."""
    from django.core.cache import cache

    cache.clear()


# --- parallel runs (pytest-xdist, ``-n auto --dist loadscope`` in scripts/test.sh) ----------------

# The authorisation matrix is half of the suite's tests: one work unit per role, so that both
# workers share it. Its module-scoped world is then built once per role instead of once.
MATRIX_CELLS = "tests/test_authorization_matrix.py::test_cell["
# The browser tests share one seeded server and one Chromium (package-scoped fixtures in
# tests/e2e/conftest.py, stopped when a worker moves on: Playwright's event loop must not outlive
# them, or Django refuses synchronous queries in the tests that follow): one unit, so only one
# worker seeds that server. The idle-timeout test brings its own server: a unit of its own.
BROWSER_TESTS = "tests/e2e/"
OWN_SERVER_BROWSER_TESTS = ("tests/e2e/test_idle_timeout.py",)
# Units that take longest start first (the browser tests, the stateful relationship property,
# the API fuzzer): started last, a long unit would leave the other workers idle at the end. None
# of them may hold transactional tests (see ``segments``).
LONG_UNITS = (
    BROWSER_TESTS,
    *OWN_SERVER_BROWSER_TESTS,
    "tests/consent/test_relationship_hypothesis.py",
    "tests/test_api_fuzz.py",
)


def work_unit(nodeid: str) -> str:
    """The xdist work unit of a test: its module (as ``--dist loadscope``: module-scoped data is
    seeded once), except the matrix cells (one unit per role) and the browser tests on the shared
    server (one)."""
    module = nodeid.split("::", 1)[0]
    if nodeid.startswith(BROWSER_TESTS) and module not in OWN_SERVER_BROWSER_TESTS:
        return BROWSER_TESTS
    if nodeid.startswith(MATRIX_CELLS):
        role = nodeid.rsplit("-", 1)[1].rstrip("]")
        return f"{MATRIX_CELLS}{role}]"
    return module


def segments(collection: list[str]) -> dict[str, int]:
    """Node id -> its segment of pytest-django's order: 0 tests in a rolled-back transaction,
    1 transactional tests, 2 tests without the database.

    pytest-django runs transactional tests after all the others because their flush also empties
    what migrations seeded (concerns, legal bases), which the others read. A worker must keep
    that order on its own database, so work units never mix segments and are handed out
    segment by segment. The collection is sorted by segment and, within one, by path (pytest
    collects files in name order), so a segment starts where the path goes back."""
    found: dict[str, int] = {}
    segment, previous = 0, ""
    for nodeid in collection:
        path = nodeid.split("::", 1)[0]
        if path < previous:
            segment += 1
        found[nodeid], previous = segment, path
    return found


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadscope`` with the work units of ``work_unit`` within each of ``segments``:
    ``LONG_UNITS`` first, then segment by segment, larger units first."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Scheduler(LoadScopeScheduling):
        segment_of: dict[str, int] = {}
        ordered = False

        def schedule(self) -> None:
            if self.collection is None and self.collection_is_completed:
                collection = next(iter(self.registered_collections.values()))
                self.segment_of = segments(list(collection))
            super().schedule()

        def _split_scope(self, nodeid: str) -> str:
            return f"{self.segment_of.get(nodeid, 0)}:{work_unit(nodeid)}"

        def _assign_work_unit(self, node: Any) -> None:
            if not self.ordered:
                self.ordered = True
                units = sorted(
                    self.workqueue.items(),
                    key=lambda item: (
                        item[0].split(":", 1)[1] not in LONG_UNITS,
                        int(item[0].split(":", 1)[0]),
                        -len(item[1]),
                    ),
                )
                self.workqueue.clear()
                self.workqueue.update(units)
            super()._assign_work_unit(node)

    return Scheduler(config, log)
