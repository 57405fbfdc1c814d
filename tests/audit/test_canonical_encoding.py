"""The hash covers a canonical encoding that Python (record) and PostgreSQL (the verifier's fast
path) produce byte for byte alike, whatever the text in the fields."""

from __future__ import annotations

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referral_hub.audit import chain
from referral_hub.audit.log import record
from referral_hub.audit.models import AuditEvent
from referral_hub.audit.verify import verify_chain

from .conftest import attacker_cursor

pytestmark = pytest.mark.django_db

# Any Unicode text PostgreSQL can store: no NUL, no lone surrogates; control characters,
# quotes, backslashes, emoji and Japanese included.
text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20
)
scalars = st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63) | text
details = st.dictionaries(
    text,
    scalars | st.lists(scalars, max_size=3) | st.dictionaries(text, scalars, max_size=3),
    max_size=4,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    action_suffix=text,
    desk=text,
    target_id=text,
    refusal=text,
    event_details=details,
    resident=st.none() | st.integers(min_value=1, max_value=2**62),
)
def test_any_text_verifies_without_falling_back(
    user, action_suffix, desk, target_id, refusal, event_details, resident
):
    record(
        "x." + action_suffix[:50],
        actor=user,
        actor_desk=desk,
        target_type="t",
        target_id=target_id,
        resident_id=resident,
        allowed=not refusal,
        refusal_code=refusal,
        details=event_details,
    )
    result = verify_chain()
    assert result.ok, result.reason
    assert result.rechecked == 0


def test_details_are_stored_in_canonical_form(user):
    event = record(
        "sheet.read",
        actor=user,
        details={"zeta": 1, "alpha": ["b", "a"], "mid": {"y": 2, "x": None}},
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT details FROM audit_auditevent WHERE seq = %s", [event.seq])
        (stored,) = cursor.fetchone()
    if not isinstance(stored, str):  # psycopg parses json columns; ask for the text itself
        with connection.cursor() as cursor:
            cursor.execute("SELECT details::text FROM audit_auditevent WHERE seq = %s", [event.seq])
            (stored,) = cursor.fetchone()
    assert stored == '{"alpha":["b","a"],"mid":{"x":null,"y":2},"zeta":1}'
    assert AuditEvent.objects.get(seq=event.seq).details == {
        "zeta": 1,
        "alpha": ["b", "a"],
        "mid": {"y": 2, "x": None},
    }


def test_reformatted_but_equal_details_still_verify(user):
    # Events written before details were stored canonically hold jsonb's formatting; the
    # verifier falls back to parsing them rather than calling them altered.
    event = record("sheet.read", actor=user, details={"b": 1, "a": 2})
    with attacker_cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET details = %s WHERE seq = %s",
            ['{"b": 1, "a": 2}', event.seq],
        )
    result = verify_chain()
    assert result.ok, result.reason
    assert result.rechecked == 1
    with attacker_cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET details = %s WHERE seq = %s",
            ['{"b": 1, "a": 3}', event.seq],
        )
    assert verify_chain().first_bad_seq == event.seq


def test_genesis_and_versions_are_fixed():
    assert chain.GENESIS_HASH == "0" * 64
    assert chain.HASH_VERSION == 1
