"""A worker's desks and concerns are keyed by a number from a sequence (reference_cache.py). A
database restored from a dump (or recovered to a point in time) hands the numbers after its
state out again, so a worker that kept the tables of number N before the restore, and served
no request until the first change after it, takes the changed tables for the ones it kept: a
desk closed after the restore still receives sheets there (helper review "attack2").
Proposed fix: a version that never repeats, e.g. ``gen_random_uuid()`` in the trigger."""

from __future__ import annotations

import pytest
from django.db import connection

from referral_hub.directory import reference_cache
from referral_hub.directory.models import Desk

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the version trigger is PostgreSQL's"
)


def test_a_desk_closed_after_a_restore_is_seen_by_a_worker_that_kept_the_old_tables(demo):
    assert reference_cache.current().desk(code="jiritsu").is_active  # kept: version N
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM directory_referenceversion WHERE id = 1")
        (kept,) = cursor.fetchone()
        # The restore: the sequence (and the row) as they were in the dump, before N.
        cursor.execute("SELECT setval('directory_reference_version_seq', %s)", [kept - 1])
        cursor.execute("UPDATE directory_referenceversion SET version = %s", [kept - 1])

    Desk.objects.filter(code="jiritsu").update(is_active=False)  # the first change after it

    assert not reference_cache.current().desk(code="jiritsu").is_active
