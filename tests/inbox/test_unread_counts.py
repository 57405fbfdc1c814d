"""Unread counts: distinct sheets with an unread event, per box, kept exact by publish and
mark-read, and pushed to the user's sockets when they change."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referral_hub.inbox.models import InboxEvent
from referral_hub.inbox.publish import publish
from referral_hub.inbox.read_state import mark_sheet_read, unread_counts
from tests.inbox.sockets import db, open_inbox, run_async


def counted_from_rows(user_id: int) -> dict[str, int]:
    unread = InboxEvent.objects.filter(
        user_id=user_id, read_at__isnull=True, sheet_id__isnull=False
    )
    return {
        box: unread.filter(box=box).values("sheet_id").distinct().count()
        for box in ("inbox", "sent", "overdue")
    }


@pytest.mark.django_db(transaction=True)
def test_counts_are_distinct_sheets_per_box(make_user):
    user = make_user()
    publish([user.pk], "sheet.received", box="inbox", sheet_id=1, status="sent")
    publish([user.pk], "sheet.message", box="inbox", sheet_id=1, status="sent")
    publish([user.pk], "sheet.received", box="inbox", sheet_id=2, status="sent")
    publish([user.pk], "sheet.updated", box="sent", sheet_id=3, status="accepted")
    publish([user.pk], "sheet.overdue", box="overdue", sheet_id=2, status="sent")
    publish([user.pk], "sheet.updated", box="inbox", sheet_id=None, status="sent")

    assert unread_counts(user.pk) == {"inbox": 2, "sent": 1, "overdue": 1}


@pytest.mark.django_db(transaction=True)
def test_reading_a_sheet_clears_it_in_every_box_for_that_user_only(make_user):
    reader, colleague = make_user(), make_user()
    publish([reader.pk, colleague.pk], "sheet.received", box="inbox", sheet_id=1, status="sent")
    publish([reader.pk, colleague.pk], "sheet.overdue", box="overdue", sheet_id=1, status="sent")
    publish([reader.pk], "sheet.received", box="inbox", sheet_id=2, status="sent")

    assert mark_sheet_read(reader.pk, 1) == 2
    assert mark_sheet_read(reader.pk, 1) == 0

    assert unread_counts(reader.pk) == {"inbox": 1, "sent": 0, "overdue": 0}
    assert unread_counts(colleague.pk) == {"inbox": 1, "sent": 0, "overdue": 1}


@pytest.mark.django_db(transaction=True)
def test_a_new_event_on_a_read_sheet_makes_it_unread_again(make_user):
    user = make_user()
    publish([user.pk], "sheet.received", sheet_id=1, status="sent")
    mark_sheet_read(user.pk, 1)
    publish([user.pk], "sheet.message", sheet_id=1, status="accepted")
    assert unread_counts(user.pk)["inbox"] == 1


@pytest.mark.django_db(transaction=True)
def test_user_without_events_has_zero_counts(make_user):
    user = make_user()
    assert unread_counts(user.pk) == {"inbox": 0, "sent": 0, "overdue": 0}
    assert mark_sheet_read(user.pk, 1) == 0


operation = st.one_of(
    st.tuples(
        st.just("publish"),
        st.sets(st.integers(0, 2), min_size=1),
        st.sampled_from(["inbox", "sent", "overdue"]),
        st.one_of(st.none(), st.integers(1, 4)),
    ),
    st.tuples(st.just("read"), st.integers(0, 2), st.integers(1, 4)),
)


@pytest.mark.django_db(transaction=True)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=st.lists(operation, max_size=25))
def test_counters_always_equal_a_recount_of_unread_rows(make_user, operations):
    users = [make_user() for _ in range(3)]
    for op in operations:
        if op[0] == "publish":
            _, who, box, sheet = op
            publish(
                [users[i].pk for i in who], "sheet.updated", box=box, sheet_id=sheet, status="sent"
            )
        else:
            _, who, sheet = op
            mark_sheet_read(users[who].pk, sheet)
    for user in users:
        assert unread_counts(user.pk) == counted_from_rows(user.pk)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("memory_layer")
@run_async
async def test_every_tab_receives_new_counts_when_a_sheet_is_read(make_user, token_headers):
    user = await db(make_user)()
    await db(publish)([user.pk], "sheet.received", sheet_id=1, status="sent")
    await db(publish)([user.pk], "sheet.received", sheet_id=2, status="sent")
    tab_1, _, unread_1 = await open_inbox(await db(token_headers)(user))
    tab_2, _, _ = await open_inbox(await db(token_headers)(user))
    assert unread_1["counts"]["inbox"] == 2

    await db(mark_sheet_read)(user.pk, 1)

    for tab in (tab_1, tab_2):
        assert await tab.receive_json_from(timeout=3) == {
            "type": "unread",
            "counts": {"inbox": 1, "sent": 0, "overdue": 0},
        }
        await tab.disconnect()
