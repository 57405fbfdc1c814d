"""A worker's desks and concerns are keyed by a version (reference_cache.py). With versions from
a sequence, a database restored from a dump (or recovered to a point in time) handed the
numbers after its state out again, so a worker that kept the tables of version N before the
restore, and served no request until the first change after it, took the changed tables for
the ones it kept: a desk closed after the restore still received sheets there (helper review
"attack2"). The version is now 64 random bits (migration directory.0007)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F

from referral_hub.directory import reference_cache
from referral_hub.directory.models import Desk

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the version trigger is PostgreSQL's"
)


def _version() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM directory_referenceversion WHERE id = 1")
        return cursor.fetchone()[0]


def test_a_desk_closed_after_a_restore_is_seen_by_a_worker_that_kept_the_old_tables(demo):
    in_the_dump = _version()
    Desk.objects.filter(code="kakei").update(name=F("name"))  # a change after the dump: N
    assert reference_cache.current().desk(code="jiritsu").is_active  # kept: version N
    with connection.cursor() as cursor:
        # The restore: the row (and a sequence, where versions came from one) as in the dump.
        cursor.execute("SELECT to_regclass('directory_reference_version_seq') IS NOT NULL")
        if cursor.fetchone()[0]:
            cursor.execute("SELECT setval('directory_reference_version_seq', %s)", [in_the_dump])
        cursor.execute("UPDATE directory_referenceversion SET version = %s", [in_the_dump])

    Desk.objects.filter(code="jiritsu").update(is_active=False)  # the first change after it

    assert not reference_cache.current().desk(code="jiritsu").is_active
