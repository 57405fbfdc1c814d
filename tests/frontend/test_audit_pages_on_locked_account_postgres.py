"""The privacy officer's audit pages decide on the locked account (issue 14; docs/operations/
locks.md, lock 1a). The page checks ``has_perm`` first (``audit_access.require``) and records
the read at the end (``audit_access.log_read``), re-asking ``has_perm`` on the share-locked
account in that transaction. A privacy officer whose membership is removed while the page is
being prepared gets 403, and the refusal is recorded instead of the read. Found by an attack:
the disclosure report went out, recorded as allowed after ``directory.membership_removed``."""

from __future__ import annotations

import pytest
from django.test import Client

from frontend import audit_access
from referral_hub.handoffs.models import ConnectSheet
from tests.fixtures_sheets import Api, make_consent, make_resident, seed_demo, send_ok
from tests.races import allowed_after, pause_after, race, removal, removed_seq

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_removed_privacy_officer_gets_no_disclosure_report(
    on_postgres, fast_hashers, monkeypatch
):
    demo = seed_demo()
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk)
    consent = make_consent(clerk, resident, ["jiritsu"])
    sheet = ConnectSheet.objects.get(pk=send_ok(Api(clerk), resident, consent))
    officer = demo.user("privacy_officer")
    browser = Client()
    browser.force_login(officer)
    assert browser.get("/audit/", {"sheet_number": sheet.number}).status_code == 200

    outcome = race(
        pause_after(monkeypatch, (audit_access, "require")),
        lambda: browser.get("/audit/", {"sheet_number": sheet.number}).status_code,
        removal(officer, demo.user("admin")),
    )

    assert outcome.answer in (200, 403), outcome
    late = allowed_after(officer.pk, removed_seq(), ("audit.disclosure_report",))
    assert late == [], (late, outcome.answer)


def test_a_removed_privacy_officer_gets_no_consent_page(on_postgres, fast_hashers, monkeypatch):
    """The consent page is recorded (``consent.read``, like the consent API's read) and decided
    again on the locked account; it used to be neither."""
    demo = seed_demo()
    clerk = demo.user("tax_clerk")
    consent = make_consent(clerk, make_resident(clerk), ["jiritsu"])
    officer = demo.user("privacy_officer")
    browser = Client()
    browser.force_login(officer)
    assert browser.get(f"/audit/consents/{consent.pk}/").status_code == 200

    outcome = race(
        pause_after(monkeypatch, (audit_access, "require")),
        lambda: browser.get(f"/audit/consents/{consent.pk}/").status_code,
        removal(officer, demo.user("admin")),
    )

    assert outcome.change_committed_during_pause
    assert outcome.answer == 403, outcome
    assert allowed_after(officer.pk, removed_seq(), ("consent.read",)) == []
