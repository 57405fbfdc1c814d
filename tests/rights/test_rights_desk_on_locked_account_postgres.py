"""The rights desk decides "is this a privacy officer?" again on the locked account where it
hands something out or changes something (``rights.lookup.find_resident``, ``services._audit``;
issue 14, docs/operations/locks.md). Found by an attack: an officer whose membership was
removed while a resident search was pending got the resident's name and birth date, recorded
as an allowed ``rights.resident_search`` after ``directory.membership_removed``."""

from __future__ import annotations

import pytest

from referral_hub.rights import lookup
from tests.fixtures_sheets import Api, make_resident, seed_demo
from tests.races import allowed_after, pause_after, race, removal, removed_seq

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_removed_privacy_officer_finds_no_resident(on_postgres, fast_hashers, monkeypatch):
    demo = seed_demo()
    officer = demo.user("privacy_officer")
    resident = make_resident(demo.user("tax_clerk"))
    reader = Api(officer)

    outcome = race(
        pause_after(monkeypatch, (lookup, "name_birth_indexes")),
        lambda: reader.get(
            "/rights-requests/resident-search/",
            kana="やまだ たろう",
            birth_date=resident.birth_date.isoformat(),
        ),
        removal(officer, demo.user("admin")),
    )

    assert outcome.change_committed_during_pause
    assert outcome.answer.status == 403, outcome.answer
    assert allowed_after(officer.pk, removed_seq()) == []
