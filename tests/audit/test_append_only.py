"""Audit events can be appended, never changed or removed through Django."""

from __future__ import annotations

import pytest

from referral_hub.audit.log import record
from referral_hub.audit.models import AuditEvent, AuditLogImmutable

pytestmark = pytest.mark.django_db


def test_saving_an_existing_event_is_refused(user):
    event = record("sheet.read", actor=user, resident_id=1)
    event.action = "sheet.send"
    with pytest.raises(AuditLogImmutable):
        event.save()


def test_deleting_an_event_is_refused(user):
    event = record("sheet.read", actor=user, resident_id=1)
    with pytest.raises(AuditLogImmutable):
        event.delete()


def test_queryset_update_and_delete_are_refused(user):
    record("sheet.read", actor=user, resident_id=1)
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.filter(resident_id=1).update(allowed=False)
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.all().delete()
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.bulk_create([AuditEvent(seq=99, action="x.y")])


def test_events_are_written_only_through_record():
    with pytest.raises(AuditLogImmutable):
        AuditEvent.objects.create(seq=1000, action="sheet.read", prev_hash="0" * 64, hash="1" * 64)
    assert not AuditEvent.objects.filter(seq=1000).exists()
