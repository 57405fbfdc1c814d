"""A state change, its timeline event, its inbox events and its audit event commit together or
not at all (DESIGN.md invariant 5): if writing the audit event fails, nothing changed."""

from __future__ import annotations

import pytest

from referral_hub.audit import log
from referral_hub.handoffs import services, steps
from referral_hub.handoffs.models import ConnectSheet, SheetEvent
from referral_hub.inbox.models import InboxEvent
from tests.fixtures_sheets import send, send_ok


class AuditDown(Exception):
    pass


def failing_record(action: str):
    real = log.record

    def record(name, **kwargs):
        if name == action:
            raise AuditDown(name)
        return real(name, **kwargs)

    return record


@pytest.mark.parametrize(
    ("action", "call"),
    [
        ("sheet.acknowledged", lambda demo, sid: services.acknowledge(demo.user("consult1"), sid)),
        (
            "sheet.redirected",
            lambda demo, sid: services.redirect_sheet(
                demo.user("consult1"), sid, demo.desk("seikatsu_hogo"), "保護相談"
            ),
        ),
        (
            "sheet.withdrawn",
            lambda demo, sid: services.withdraw_sheet(demo.user("tax_clerk"), sid, "取下げ"),
        ),
    ],
)
def test_failed_audit_write_leaves_the_sheet_unchanged(
    demo, api, resident, full_consent, monkeypatch, action, call
):
    sheet_id = send_ok(api("tax_clerk"), resident, full_consent)
    before = (
        ConnectSheet.objects.filter(pk=sheet_id).values()[0],
        SheetEvent.objects.count(),
        InboxEvent.objects.count(),
    )
    monkeypatch.setattr(steps, "record", failing_record(action))

    with pytest.raises(AuditDown):
        call(demo, sheet_id)

    after = (
        ConnectSheet.objects.filter(pk=sheet_id).values()[0],
        SheetEvent.objects.count(),
        InboxEvent.objects.count(),
    )
    assert after == before


def test_failed_audit_write_sends_no_sheet(demo, api, resident, full_consent, monkeypatch):
    monkeypatch.setattr(steps, "record", failing_record("sheet.sent"))

    with pytest.raises(AuditDown):
        send(api("tax_clerk"), resident, full_consent)

    assert ConnectSheet.objects.count() == 0
    assert SheetEvent.objects.count() == 0
    assert InboxEvent.objects.filter(type="sheet.received").count() == 0
