"""A legal basis is changed in the admin only by a privacy officer as their account is now
(``LegalBasisAdmin.save_model`` re-asks ``consent.change_legalbasis`` on the locked account;
issue 14, docs/operations/locks.md). Found by an attack: an officer whose membership was
removed while the form was being saved switched ``requires_review`` off, recorded as allowed
after ``directory.membership_removed``."""

from __future__ import annotations

import pytest
from django.test import Client

from referral_hub.consent.admin import LegalBasisAdmin
from referral_hub.consent.models import LegalBasis
from tests.fixtures_sheets import seed_demo
from tests.races import allowed_after, pause_after, race, removal, removed_seq

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_removed_privacy_officer_changes_no_legal_basis(on_postgres, fast_hashers, monkeypatch):
    demo = seed_demo()
    officer = demo.user("privacy_officer")
    basis = LegalBasis.objects.order_by("pk").first()
    LegalBasis.objects.filter(pk=basis.pk).update(requires_review=True)
    basis.refresh_from_db()
    browser = Client()
    browser.force_login(officer)
    url = f"/admin/consent/legalbasis/{basis.pk}/change/"
    assert browser.get(url).status_code == 200
    form = {
        "label": basis.label,
        "description": basis.description,
        "requires_justification": "on" if basis.requires_justification else "",
        "is_active": "on" if basis.is_active else "",  # requires_review left out: off
    }

    outcome = race(
        pause_after(monkeypatch, (LegalBasisAdmin, "save_model"), before=True),
        lambda: browser.post(url, form).status_code,
        removal(officer, demo.user("admin")),
    )

    basis.refresh_from_db()
    assert outcome.change_committed_during_pause
    assert outcome.answer == 403, outcome
    assert basis.requires_review
    assert allowed_after(officer.pk, removed_seq()) == []
