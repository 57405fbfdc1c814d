"""Before registering a resident, the counter searches for a possible duplicate by kana and
birth date. The search matches spelling variants through keyed blind indexes: the database
never holds the kana (or any name) in a readable form."""

from __future__ import annotations

import pytest
from django.db import connection

from referral_hub.audit.models import AuditEvent
from referral_hub.consent.models import Resident
from tests.fixtures_sheets import make_consent

BORN = "1980-05-05"


def register(
    api, family_kana: str, given_kana: str, birth_date: str | None = BORN, family_name: str = "山田"
) -> int:
    reply = api.post(
        "/residents/",
        {
            "family_name": family_name,
            "given_name": "太郎",
            "family_name_kana": family_kana,
            "given_name_kana": given_kana,
            "birth_date": birth_date,
            "address": "デモ市緑ヶ丘2-3-4",
            "phone": "046-999-8888",
        },
    )
    assert reply.status == 201, reply.body
    return reply.body["id"]


def search(api, q: str, birth_date: str | None = BORN) -> list[int]:
    params = {"q": q}
    if birth_date:
        params["birth_date"] = birth_date
    reply = api.get("/residents/", **params)
    assert reply.status == 200, reply.body
    return [row["id"] for row in reply.body]


def readable(value) -> str:
    """A column value as text; bytes are decoded as UTF-8 so stored plaintext would show."""
    if isinstance(value, memoryview):
        value = bytes(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


@pytest.mark.parametrize(
    "query",
    [
        "ヤマダ タロウ",
        "やまだ たろう",
        "ﾔﾏﾀﾞ ﾀﾛｳ",
        "ヤマダ\u3000タロウ",
        "ヤマダタロウ",
        "ヤマダ",  # family name alone
        "やまだ",
        "ﾔﾏﾀﾞ",
    ],
)
def test_spelling_variants_find_the_registered_resident(demo, api, query):
    clerk = api("tax_clerk")
    resident_id = register(clerk, "ヤマダ", "タロウ")

    assert search(clerk, query) == [resident_id]


@pytest.mark.parametrize("query", ["バレンタイン ジョン", "ヴァレンタイン ジョン", "ﾊﾞﾚﾝﾀｲﾝ"])
def test_vu_and_bu_spellings_find_each_other(demo, api, query):
    clerk = api("nhi_clerk")
    resident_id = register(clerk, "ヴァレンタイン", "ジョン")

    assert search(clerk, query) == [resident_id]


@pytest.mark.parametrize(
    ("query", "birth_date"),
    [
        ("ヤマダ タロウ", "1980-05-06"),  # another birth date
        ("ヤマダ タロウ", None),  # no birth date
        ("ヤマタ タロウ", BORN),  # another name
        ("タロウ", BORN),  # given name alone
        ("", BORN),
    ],
)
def test_other_people_are_not_found(demo, api, query, birth_date):
    clerk = api("tax_clerk")
    register(clerk, "ヤマダ", "タロウ")

    assert search(clerk, query, birth_date) == []


def test_search_returns_kana_birth_date_and_active_consents_only(demo, api):
    clerk = api("tax_clerk")
    resident_id = register(clerk, "ヤマダ", "タロウ")
    consent = make_consent(
        demo.user("tax_clerk"), Resident.objects.get(pk=resident_id), ["jiritsu"]
    )

    [row] = clerk.get("/residents/", q="やまだ たろう", birth_date=BORN).body

    assert row == {
        "id": resident_id,
        "match": "full_name",
        "family_name_kana": "ヤマダ",
        "given_name_kana": "タロウ",
        "birth_date": BORN,
        "registered_at_place": "収納課",  # issue 16: the registering place tells people apart
        "active_consents": [consent.pk],
    }


def test_search_is_audited_without_the_query(demo, api):
    clerk = api("tax_clerk")
    register(clerk, "ヤマダ", "タロウ")

    search(clerk, "やまだ たろう")

    event = AuditEvent.objects.filter(action="resident.search").last()
    assert (event.actor_username, event.details["matches"]) == ("tax_clerk", 1)
    assert "ヤマダ" not in str(event.details) and "やまだ" not in str(event.details)


@pytest.mark.parametrize("username", ["privacy_officer", "admin"])
def test_only_counter_and_desk_staff_may_search_or_register(demo, api, username):
    reply = api(username).get("/residents/", q="ヤマダ", birth_date=BORN)
    assert (reply.status, reply.code) == (403, "role_not_allowed")

    reply = api(username).post(
        "/residents/", {"family_name": "山田", "family_name_kana": "ヤマダ", "birth_date": BORN}
    )
    assert (reply.status, reply.code) == (403, "role_not_allowed")
    assert Resident.objects.count() == 0


def test_the_database_never_holds_the_kana_or_the_name(demo, api):
    clerk = api("tax_clerk")
    resident_id = register(clerk, "ヤマダ", "タロウ")
    table = Resident._meta.db_table

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id = %s", [resident_id])  # noqa: S608
        columns = [c[0] for c in cursor.description]
        row = dict(zip(columns, cursor.fetchone(), strict=True))

    stored = " ".join(readable(value) for value in row.values())
    for plaintext in (
        "ヤマダ",
        "タロウ",
        "ヤマダタロウ",
        "山田",
        "太郎",
        "緑ヶ丘",
        "046-999-8888",
        "1980-05-05",
    ):
        assert plaintext not in stored, plaintext
    # The search columns hold keyed digests, not the normalised kana.
    assert row["name_birth_index"] and row["family_birth_index"]
    assert row["name_birth_index"] != row["family_birth_index"]


# Issue 16, input 5: ー is a mora. Deleting it made オーノ ユーコ the key of 小野 (オノ ユウコ).
ONO_BORN = "1990-07-07"


def test_long_vowel_mark_finds_ohno_and_not_ono_issue_16_input_5(demo, api):
    clerk = api("tax_clerk")
    ono = register(clerk, "オノ", "ユウコ", ONO_BORN, family_name="小野")
    ohno = register(api("nhi_clerk"), "オオノ", "ユウコ", ONO_BORN, family_name="大野")

    rows = clerk.get("/residents/", q="オーノ ユーコ", birth_date=ONO_BORN).body

    assert [(row["id"], row["match"], row["registered_at_place"]) for row in rows] == [
        (ohno, "full_name", "国保年金課")
    ]
    assert ono not in {row["id"] for row in rows}


@pytest.mark.parametrize("query", ["オーノ", "オオノ", "おおの", "ｵｰﾉ", "オ-ノ"])
def test_ohno_registered_in_full_is_found_by_the_long_vowel_mark_and_by_oo(demo, api, query):
    clerk = api("tax_clerk")
    ohno = register(clerk, "オオノ", "ユウコ", ONO_BORN)
    register(clerk, "オノ", "ユウコ", ONO_BORN)

    assert search(clerk, f"{query} ユウコ", ONO_BORN) == [ohno]


@pytest.mark.parametrize(
    ("registered", "query"),
    [
        ("サトー", "サトウ"),  # registered with ー, searched spelled out
        ("サトウ", "サトー"),
        ("オータ", "オオタ"),
        ("オオタ", "オータ"),
    ],
)
def test_a_long_vowel_written_either_way_finds_the_resident(demo, api, registered, query):
    clerk = api("tax_clerk")
    resident_id = register(clerk, registered, "ヨウコ")

    assert search(clerk, f"{query} ヨーコ") == [resident_id]


def test_spelled_out_oo_and_ou_stay_apart(demo, api):
    clerk = api("tax_clerk")
    register(clerk, "オウノ", "ユウコ", ONO_BORN)

    assert search(clerk, "オオノ ユウコ", ONO_BORN) == []


def test_full_name_matches_rank_above_family_name_only_matches(demo, api):
    clerk = api("tax_clerk")
    namesake = register(clerk, "オオノ", "ユウコ", ONO_BORN)
    only_family = register(api("nhi_clerk"), "オオノ", "", ONO_BORN)

    rows = clerk.get("/residents/", q="オーノ", birth_date=ONO_BORN).body

    assert [(row["id"], row["match"]) for row in rows] == [
        (only_family, "full_name"),
        (namesake, "family_name"),
    ]
    # A family-name-only row withholds the given name and the registering place.
    assert (rows[1]["given_name_kana"], rows[1]["registered_at_place"]) == ("", None)
    assert rows[0]["registered_at_place"] == "国保年金課"
