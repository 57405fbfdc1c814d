"""The consent's share lock also moves foreign-key checks from COMMIT to each statement
(consent/locks.py: the lock order of issue 14), although both now travel in one round trip."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from referral_hub.consent.locks import share_consent

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL defers foreign-key checks"
)


def test_after_the_share_lock_a_dangling_reference_fails_its_own_statement(demo, jiritsu_consent):
    jiritsu = demo.desk("jiritsu")
    with pytest.raises(IntegrityError), transaction.atomic():
        locked = share_consent(jiritsu_consent.pk)
        assert locked is not None and locked.names_desk(jiritsu.pk)
        with connection.cursor() as cursor:
            cursor.execute(  # deferred, this would only fail at a COMMIT that never comes here
                "INSERT INTO consent_consent_recipients (consent_id, desk_id) VALUES (%s, %s)",
                [jiritsu_consent.pk, 10**12],
            )
        pytest.fail("the foreign key was not checked at the statement")


def test_the_locked_consent_knows_its_recipients_without_a_query(
    demo, jiritsu_consent, django_assert_num_queries
):
    jiritsu, kakei = demo.desk("jiritsu"), demo.desk("kakei")
    # The lock carries SET CONSTRAINTS along, except under server-side binding (settings).
    separate = bool(connection.settings_dict["OPTIONS"].get("server_side_binding"))
    with transaction.atomic(), django_assert_num_queries(2 if separate else 1):
        locked = share_consent(jiritsu_consent.pk)
        assert locked is not None
        assert (locked.names_desk(jiritsu.pk), locked.names_desk(kakei.pk)) == (True, False)
