"""Desks and concerns are kept per worker (directory/reference_cache.py), keyed by a version that
PostgreSQL bumps with every change to them: a send sees an administrator's change from its
commit on, however it was made, and a rolled-back change never hands its version on."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from referral_hub.directory import reference_cache
from referral_hub.directory.models import Concern, Desk
from tests.fixtures_sheets import send, send_ok

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the version trigger is PostgreSQL's"
)


def test_a_desk_closed_by_a_bulk_update_refuses_the_next_send(demo, api, resident, jiritsu_consent):
    clerk = api("tax_clerk")
    send_ok(clerk, resident, jiritsu_consent)

    Desk.objects.filter(code="jiritsu").update(is_active=False)  # no signal is sent

    reply = send(clerk, resident, jiritsu_consent)
    assert (reply.status, reply.body["code"]) == (400, "desk_inactive")


def test_a_concern_renamed_in_plain_sql_is_unknown_under_its_old_code(
    demo, api, resident, jiritsu_consent
):
    clerk = api("tax_clerk")
    send_ok(clerk, resident, jiritsu_consent, concerns=["debt"])

    with connection.cursor() as cursor:
        cursor.execute("UPDATE directory_concern SET code = 'debts' WHERE code = 'debt'")

    reply = send(clerk, resident, jiritsu_consent, concerns=["debt"])
    assert (reply.status, reply.body["code"]) == (400, "unknown_concern")
    renamed = send(clerk, resident, jiritsu_consent, concerns=["debts"])
    assert (renamed.status, renamed.body["concerns"]) == (201, ["debts"])


def test_a_new_desk_is_found_by_its_code(demo, api, resident):
    clerk = api("tax_clerk")
    assert reference_cache.current().desk(code="shinsetsu") is None

    jiritsu = Desk.objects.get(code="jiritsu")
    Desk.objects.create(municipality_id=jiritsu.municipality_id, code="shinsetsu", name="新設窓口")

    found = reference_cache.current().desk(code="shinsetsu")
    assert found is not None and found.name == "新設窓口"
    assert clerk is not None


def test_a_rolled_back_change_never_lends_its_version_to_a_later_one(demo):
    before = reference_cache.current()
    assert before.desk(code="jiritsu").name == "自立相談支援窓口"
    with pytest.raises(RuntimeError), transaction.atomic():
        Desk.objects.filter(code="jiritsu").update(name="取り消される名前")
        reference_cache.current()  # kept under the rolled-back version
        raise RuntimeError

    Desk.objects.filter(code="jiritsu").update(name="新しい名前")

    assert reference_cache.current().desk(code="jiritsu").name == "新しい名前"


def test_concerns_come_in_display_order_and_as_new_instances(demo):
    codes = ["tax_arrears", "economic_hardship", "rent_arrears"]
    first = reference_cache.current().concerns(codes)
    expected = list(Concern.objects.filter(code__in=codes))

    assert [c.code for c in first] == [c.code for c in expected]
    first[0].name = "書き換え"
    assert reference_cache.current().concerns(codes)[0].name == expected[0].name
