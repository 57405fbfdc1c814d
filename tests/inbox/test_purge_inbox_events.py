"""Purging old read events keeps unread ones, the counters and the seq numbering."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from referral_hub.inbox.models import InboxEvent
from referral_hub.inbox.publish import publish
from referral_hub.inbox.read_state import last_seq, mark_sheet_read, unread_counts

# Numbering and pushes run on commit, so these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


def test_only_old_read_events_are_deleted(make_user):
    user = make_user()
    for sheet in (1, 2, 3):
        publish([user.pk], "sheet.received", sheet_id=sheet, status="sent")
    mark_sheet_read(user.pk, 1)
    mark_sheet_read(user.pk, 3)
    long_ago = timezone.now() - timedelta(days=120)
    InboxEvent.objects.filter(sheet_id__in=[1, 2]).update(at=long_ago)

    out = StringIO()
    call_command("purge_inbox_events", "--days", "90", "--batch", "1", stdout=out)

    assert sorted(InboxEvent.objects.values_list("sheet_id", flat=True)) == [2, 3]
    assert "done: 1 events deleted" in out.getvalue()
    assert unread_counts(user.pk) == {"inbox": 1, "sent": 0, "overdue": 0}
    publish([user.pk], "sheet.received", sheet_id=4, status="sent")
    assert last_seq(user.pk) == 4
