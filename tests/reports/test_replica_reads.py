"""Report and audit-search reads go to the replica when one is configured (REPLICA_DATABASE_URL);
writes, the audit row of the search and reads inside a transaction stay on the primary.

The replica is a second PostgreSQL database synced by the test (tests/replica.py): a sheet
written after the last sync is on the primary only, so a read that misses it came from the
replica."""

from __future__ import annotations

import datetime

import pytest
from django.db import connections, router, transaction
from django.test import Client

from referral_hub.audit.models import AuditEvent
from referral_hub.handoffs.models import ConnectSheet
from referral_hub.replica import REPLICA_ALIAS, ReplicaRouter, replica_reads
from referral_hub.reports import figures
from tests.replica import replica_database, sync_replica

from .conftest import AS_OF, jst

__all__ = ["replica_database"]

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", REPLICA_ALIAS]),
    pytest.mark.usefixtures("replica_database"),
]
MONTHLY = "/api/v1/reports/monthly/"
FISCAL_YEAR = "/api/v1/reports/fiscal-year/"
AUDIT_SEARCH = "/api/v1/audit/events/"


def _rows_on(alias: str, model: type) -> int:
    return model.objects.using(alias).count()


def test_reports_are_read_from_the_replica_and_equal_the_primarys_after_sync(
    client: Client, make_user, place, april, make_sheet
) -> None:
    lead = make_user("lead", desk=place.jiritsu)
    sync_replica()
    synced = figures.monthly_report(datetime.date(2026, 4, 1), department_ids=None, as_of=AS_OF)
    with transaction.atomic():  # inside a transaction every read is the primary's
        on_primary = figures.monthly_report(
            datetime.date(2026, 4, 1), department_ids=None, as_of=AS_OF
        )
    assert synced == on_primary
    assert synced["sheets"] == 9

    make_sheet(jst(2026, 4, 20, 10, 0), department=place.shuno)  # primary only: not synced yet
    assert _rows_on("default", ConnectSheet) == _rows_on(REPLICA_ALIAS, ConnectSheet) + 1
    client.force_login(lead)
    stale = client.get(MONTHLY, {"month": "2026-04"}).json()
    stale_year = client.get(FISCAL_YEAR, {"year": "2026"}).json()
    assert stale["sheets"] == 9  # the replica's figure: it has not seen the tenth sheet yet
    assert sum(month["sheets"] for month in stale_year["months"]) == stale_year["sheets"]

    sync_replica()
    fresh = client.get(MONTHLY, {"month": "2026-04"}).json()
    assert fresh["sheets"] == 10
    assert client.get(FISCAL_YEAR, {"year": "2026"}).json()["sheets"] == stale_year["sheets"] + 1


def test_audit_search_reads_the_replica_but_records_itself_on_the_primary(
    client: Client, django_user_model
) -> None:
    from django.contrib.auth.models import Permission

    officer = django_user_model.objects.create_user(
        username="privacy_officer", password="x-long-password-4"
    )
    officer.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    client.force_login(officer)
    sync_replica()
    before = _rows_on(REPLICA_ALIAS, AuditEvent)

    first = client.get(AUDIT_SEARCH, {"action": "audit.search"}).json()
    assert first["count"] == 0  # the replica holds no search yet
    searches_on_primary = AuditEvent.objects.using("default").filter(action="audit.search")
    assert searches_on_primary.count() == 1  # the audit row of the search: on the primary
    assert _rows_on(REPLICA_ALIAS, AuditEvent) == before  # nothing was written to the replica

    assert client.get(AUDIT_SEARCH, {"action": "audit.search"}).json()["count"] == 0  # stale
    sync_replica()
    assert client.get(AUDIT_SEARCH, {"action": "audit.search"}).json()["count"] == 2


def test_only_reads_inside_replica_reads_outside_a_transaction_go_to_the_replica() -> None:
    assert router.db_for_read(ConnectSheet) == "default"
    with replica_reads():
        assert router.db_for_read(ConnectSheet) == REPLICA_ALIAS
        assert router.db_for_write(ConnectSheet) == "default"
        with transaction.atomic():
            assert router.db_for_read(ConnectSheet) == "default"
    assert router.db_for_read(AuditEvent) == "default"
    assert not router.allow_migrate(REPLICA_ALIAS, "handoffs")
    assert router.allow_migrate("default", "handoffs")


def test_without_a_replica_the_router_leaves_every_read_on_the_primary() -> None:
    saved = connections.settings.pop(REPLICA_ALIAS)
    try:
        with replica_reads():
            assert ReplicaRouter().db_for_read(ConnectSheet) is None
            assert router.db_for_read(ConnectSheet) == "default"
    finally:
        connections.settings[REPLICA_ALIAS] = saved
