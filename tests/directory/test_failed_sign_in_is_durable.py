"""A failed sign-in is counted in a transaction of its own, committed before anything else is
written, so nothing later in the request can undo it (issue 15, input 5, the sign-in part).

The injected failure is the one the issue found: a client address over 64 characters that the audit
row's ``client_ip`` column refuses on PostgreSQL (SQLite does not enforce the length). Before,
the counter shared that transaction: seven wrong passwords were seven 500s and the account never
locked. Now the count stands whatever happens to the audit row after it.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from referral_hub.directory.models import LoginThrottle

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "demo-pass-2026"
# What a proxy passing the client's X-Forwarded-For on may hand over as the client address.
LONG_ADDRESS = ", ".join(["203.0.113.77"] * 5) + ", 198.51"  # 76 characters


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("the column length is only enforced on PostgreSQL")
    # The API's per-address rate limit counts in the cache across tests: start from zero, so
    # a 429 here can only be the lock-out.
    cache.clear()


@pytest.mark.filterwarnings("ignore::django.core.cache.backends.base.CacheKeyWarning")
def test_seven_wrong_passwords_lock_the_account_even_when_their_audit_rows_fail(
    demo, settings, postgres_only
):
    assert len(LONG_ADDRESS) > 64  # the audit row's client_ip column
    settings.LOGIN_MAX_FAILURES = 7
    client = APIClient(REMOTE_ADDR=LONG_ADDRESS)
    client.raise_request_exception = False
    for _ in range(7):
        client.post(
            "/api/v1/auth/token/", {"username": "tax_clerk", "password": "wrong"}, format="json"
        )

    throttle = LoginThrottle.objects.get()  # one username was tried
    assert throttle.locked_until is not None

    right = APIClient().post(
        "/api/v1/auth/token/", {"username": "tax_clerk", "password": PASSWORD}, format="json"
    )
    assert right.status_code == 429
    assert right.json()["code"] == "locked_out"


def test_a_failure_on_the_login_page_is_counted_before_its_audit_row_is_written(
    demo, postgres_only
):
    client = Client(REMOTE_ADDR=LONG_ADDRESS, raise_request_exception=False)
    client.post("/login/", {"username": "consult1", "password": "wrong"})
    client.post("/login/", {"username": "consult1", "password": "wrong"})
    assert LoginThrottle.objects.get().failures == 2
