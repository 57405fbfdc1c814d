"""Issue 16, input 5, for residents registered before the fix: their blind indexes were
computed with ー deleted, so data migration consent 0007 decrypts each resident's kana and
recomputes both indexes with the folding that keeps ー (and its reverse restores the old ones)."""

from __future__ import annotations

import datetime
import importlib

from django.apps import apps

from referral_hub.consent import services
from referral_hub.consent.models import Resident
from tests.fixtures_sheets import make_resident

migration = importlib.import_module("referral_hub.consent.migrations.0007_reindex_resident_kana")

BORN = datetime.date(1990, 7, 7)


def old_indexes(family: str, given: str) -> dict[str, str]:
    """What the old folding stored: the same keys with ー deleted."""
    family, given = family.replace("ー", ""), given.replace("ー", "")
    return {
        "name_birth_index": services.name_birth_index(family, given, BORN),
        "family_birth_index": services.family_birth_index(family, BORN),
    }


def found(clerk, kana: str) -> list[int]:
    return [r.pk for r in services.find_possible_duplicates(clerk, kana, BORN)]


def test_migration_recomputes_the_indexes_of_residents_registered_with_the_old_folding(demo):
    clerk = demo.user("tax_clerk")
    ohno = make_resident(clerk, family_kana="オーノ", given_kana="ユーコ", birth_date=BORN)
    ono = make_resident(clerk, family_kana="オノ", given_kana="ユウコ", birth_date=BORN)
    new = Resident.objects.filter(pk=ohno.pk).values("name_birth_index", "family_birth_index")[0]
    Resident.objects.filter(pk=ohno.pk).update(**old_indexes("オーノ", "ユーコ"))
    assert found(clerk, "オオノ ユウコ") == []  # stored as オノユコ: nobody finds it

    migration.reindex(apps, None)

    assert Resident.objects.filter(pk=ohno.pk).values(*new)[0] == new
    assert found(clerk, "オオノ ユウコ") == [ohno.pk]
    assert found(clerk, "オーノ ユーコ") == [ohno.pk]
    assert found(clerk, "オノ ユウコ") == [ono.pk]


def test_migration_reverse_restores_the_old_indexes(demo):
    clerk = demo.user("tax_clerk")
    ohno = make_resident(clerk, family_kana="オーノ", given_kana="ユーコ", birth_date=BORN)

    migration.reindex_old_folding(apps, None)

    stored = Resident.objects.filter(pk=ohno.pk).values("name_birth_index", "family_birth_index")
    assert stored[0] == old_indexes("オーノ", "ユーコ")
