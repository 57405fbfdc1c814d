"""Rights over a resident come from a current relationship (DESIGN.md invariant 9), not from an
id alone: choosing a resident, recording, reading, withdrawing a consent and adding its signed
form. Each test is one of the failing inputs of the relationships issue, in its order."""

from __future__ import annotations

import datetime

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from referral_hub.audit.models import AuditEvent
from referral_hub.consent.models import Consent, ConsentEvidence
from referral_hub.directory.models import Membership
from referral_hub.directory.services import add_membership, remove_membership
from referral_hub.handoffs.models import ConnectSheet
from referral_hub.inbox.models import InboxEvent
from tests.fixtures_sheets import (
    ALL_CATEGORIES,
    DEMO_PASSWORD,
    look_up,
    make_consent,
    make_resident,
    send_ok,
    sheet_body,
)

NO_RELATIONSHIP = (403, "no_relationship")
BORN = datetime.date(1980, 4, 1)


def consent_body(resident_id: int, desk_id: int) -> dict:
    return {
        "resident": resident_id,
        "recipients": [desk_id],
        "categories": ["identity", "concern", "feedback"],
        "purpose": "相談のため",
        "method": "verbal_witnessed",
        "witness": "同僚",
        "valid_until": (timezone.localdate() + datetime.timedelta(days=180)).isoformat(),
    }


def hogo_only_resident(demo, api):
    """Resident R whose only sheet is at 生活保護担当, sent by the tax clerk."""
    resident = make_resident(demo.user("tax_clerk"))
    consent = make_consent(demo.user("tax_clerk"), resident, ["seikatsu_hogo"])
    send_ok(api("tax_clerk"), resident, consent, to_desk="seikatsu_hogo")
    return resident, consent


# --- input 1: a desk cannot create its own right to a resident -------------------------------


def test_desk_cannot_record_a_consent_for_a_resident_it_has_no_relationship_with(demo, api):
    resident, _ = hogo_only_resident(demo, api)
    consult1 = api("consult1")
    assert consult1.get(f"/residents/{resident.pk}/").status == 403

    reply = consult1.post("/consents/", consent_body(resident.pk, demo.desk("jiritsu").pk))

    assert (reply.status, reply.code) == NO_RELATIONSHIP
    assert Consent.objects.filter(resident=resident).count() == 1
    assert consult1.get(f"/residents/{resident.pk}/").status == 403


def test_desk_never_sends_a_sheet_to_itself(demo, api):
    # Even with a relationship (consult1 registered the resident at the desk) and a consent.
    resident = make_resident(demo.user("consult1"))
    consent = make_consent(demo.user("consult1"), resident, ["jiritsu"])

    reply = api("consult1").post("/sheets/", sheet_body(resident, consent, to_desk="jiritsu"))

    assert (reply.status, reply.code) == (403, "self_send")
    assert not ConnectSheet.objects.filter(resident=resident).exists()
    assert api("consult1").get(f"/residents/{resident.pk}/").status == 403


def test_clerk_cannot_send_for_a_sequential_resident_id(demo, api):
    resident, consent = hogo_only_resident(demo, api)
    school = api("school_clerk")

    reply = school.post("/sheets/", sheet_body(resident, consent, to_desk="seikatsu_hogo"))

    assert (reply.status, reply.code) == NO_RELATIONSHIP
    assert ConnectSheet.objects.filter(resident=resident).count() == 1
    refusal = AuditEvent.objects.filter(action="sheet.send", allowed=False).last()
    assert (refusal.actor_username, refusal.refusal_code) == ("school_clerk", "no_relationship")


def test_unknown_and_unrelated_residents_are_refused_alike(demo, api):
    resident, consent = hogo_only_resident(demo, api)
    school = api("school_clerk")
    desk_id = demo.desk("jiritsu").pk

    unrelated = school.post("/consents/", consent_body(resident.pk, desk_id))
    unknown = school.post("/consents/", consent_body(9_999_999, desk_id))
    unrelated_list = school.get(f"/residents/{resident.pk}/consents/")
    unknown_list = school.get("/residents/9999999/consents/")

    assert (unrelated.status, unrelated.body) == (unknown.status, unknown.body)
    assert (unrelated_list.status, unrelated_list.body) == (unknown_list.status, unknown_list.body)
    assert unrelated.status == 403


def test_counter_lookup_by_kana_and_birth_date_gives_the_relationship(demo, api):
    resident, consent = hogo_only_resident(demo, api)
    school_clerk = demo.user("school_clerk")

    look_up(school_clerk, resident)
    reply = api("school_clerk").post(
        "/sheets/", sheet_body(resident, consent, to_desk="seikatsu_hogo")
    )

    assert reply.status == 201, reply.body
    search = AuditEvent.objects.filter(action="resident.search").last()
    assert search.details["residents"] == [resident.pk]


# --- input 2: withdrawal needs a relationship --------------------------------------------------


def test_unrelated_clerk_cannot_withdraw_another_places_consent(
    demo, api, resident, jiritsu_consent
):
    reply = api("school_clerk").post(f"/consents/{jiritsu_consent.pk}/withdraw/", {"reason": "x"})

    assert (reply.status, reply.code) == NO_RELATIONSHIP
    assert Consent.objects.get(pk=jiritsu_consent.pk).withdrawn_at is None
    assert not AuditEvent.objects.filter(action="consent.withdraw", allowed=True).exists()


def test_resident_may_withdraw_at_any_counter_after_being_found(
    demo, api, resident, jiritsu_consent
):
    look_up(demo.user("school_clerk"), resident)

    reply = api("school_clerk").post(
        f"/consents/{jiritsu_consent.pk}/withdraw/", {"reason": "本人の申し出"}
    )

    assert (reply.status, reply.body["status"]) == (200, "withdrawn")


def test_desk_named_by_the_consent_may_record_its_withdrawal(demo, api, resident, jiritsu_consent):
    reply = api("consult1").post(f"/consents/{jiritsu_consent.pk}/withdraw/", {"reason": "本人"})

    assert reply.status == 200


# --- input 3: reading consents needs a relationship ------------------------------------------


def test_unrelated_clerk_cannot_read_a_consent_or_a_residents_consents(demo, api):
    resident, consent = hogo_only_resident(demo, api)
    school = api("school_clerk")

    reply = school.get(f"/consents/{consent.pk}/")
    assert (reply.status, reply.code) == NO_RELATIONSHIP
    assert school.get(f"/residents/{resident.pk}/consents/").code == "no_relationship"
    # The send page's consent fragment offers nothing either (who it names, what it covers).
    client = Client()
    assert client.login(username="school_clerk", password=DEMO_PASSWORD)
    page = client.get("/send/consents/", {"resident": resident.pk}).content.decode()
    assert "生活保護" not in page
    assert f'value="{consent.pk}"' not in page


def test_related_places_read_consents_and_each_read_is_audited(demo, api):
    resident, consent = hogo_only_resident(demo, api)

    for username in ("tax_clerk", "hogo_staff", "privacy_officer"):
        reply = api(username).get(f"/consents/{consent.pk}/")
        assert (reply.status, reply.body["id"]) == (200, consent.pk), username
    readers = AuditEvent.objects.filter(action="consent.read", allowed=True)
    assert sorted(readers.values_list("actor_username", flat=True)) == [
        "hogo_staff",
        "privacy_officer",
        "tax_clerk",
    ]
    assert api("tax_clerk").get(f"/residents/{resident.pk}/consents/").status == 200


# --- input 4: evidence only from the recording place, never on a withdrawn consent -------------


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def upload(username: str, consent_id: int):
    client = Client()
    assert client.login(username=username, password=DEMO_PASSWORD)
    return client.post(
        f"/api/v1/consents/{consent_id}/evidence/",
        {"file": SimpleUploadedFile("form.pdf", PDF, content_type="application/pdf")},
    )


def test_unrelated_clerk_cannot_add_evidence(demo, resident, jiritsu_consent):
    reply = upload("school_clerk", jiritsu_consent.pk)

    assert (reply.status_code, reply.json()["code"]) == (403, "not_consent_place")
    assert not ConsentEvidence.objects.exists()


def test_evidence_is_refused_on_a_withdrawn_consent(demo, api, resident, jiritsu_consent):
    api("tax_clerk").post(f"/consents/{jiritsu_consent.pk}/withdraw/", {"reason": "本人"})

    reply = upload("tax_clerk", jiritsu_consent.pk)

    assert (reply.status_code, reply.json()["code"]) == (403, "consent_withdrawn")
    assert not ConsentEvidence.objects.exists()


def test_recording_place_adds_evidence(demo, resident, jiritsu_consent):
    reply = upload("tax_clerk", jiritsu_consent.pk)

    assert reply.status_code == 201, reply.content
    assert ConsentEvidence.objects.get().consent_id == jiritsu_consent.pk


# --- input 5: the sender's rights follow the current post ---------------------------------------


def transfer(demo, username: str, to_department: str) -> None:
    """人事異動: the administrator moves a clerk to another department."""
    user = demo.user(username)
    for membership in Membership.objects.filter(user=user):
        remove_membership(membership, actor=demo.user("admin"))
    add_membership(user, "clerk", department=demo.department(to_department))


def test_transferred_clerk_loses_the_sender_view_and_the_colleague_gains_it(demo, api):
    resident = make_resident(demo.user("tax_clerk"))
    consent = make_consent(demo.user("tax_clerk"), resident, ["jiritsu"], ALL_CATEGORIES)
    sheet_id = send_ok(api("tax_clerk"), resident, consent)
    api("consult1").act(sheet_id, "acknowledge")
    colleague = demo.add_staff("tax_clerk_new", "clerk", department="shuno")

    transfer(demo, "tax_clerk", "gakko_kyoiku")
    moved = api("tax_clerk")

    assert moved.get(f"/sheets/{sheet_id}/").status == 403
    assert moved.get(f"/sheets/{sheet_id}/events/").status == 403
    assert moved.get(f"/sheets/{sheet_id}/messages/").status == 403
    assert sheet_id not in [s["id"] for s in moved.get("/sheets/", box="sent").body["results"]]
    successor = api(colleague.username)
    assert successor.get(f"/sheets/{sheet_id}/").body["view"] == "sender"
    assert sheet_id in [s["id"] for s in successor.get("/sheets/", box="sent").body["results"]]


def test_transferred_clerk_gets_no_more_live_events_of_the_old_department(demo, api):
    resident = make_resident(demo.user("tax_clerk"))
    consent = make_consent(demo.user("tax_clerk"), resident, ["jiritsu"])
    sheet_id = send_ok(api("tax_clerk"), resident, consent)
    transfer(demo, "tax_clerk", "gakko_kyoiku")
    before = InboxEvent.objects.filter(user=demo.user("tax_clerk")).count()

    api("consult1").act(sheet_id, "acknowledge")
    api("consult1").act(sheet_id, "accept")

    assert InboxEvent.objects.filter(user=demo.user("tax_clerk")).count() == before
    assert api("tax_clerk").post(f"/sheets/{sheet_id}/withdraw/", {"reason": "x"}).status == 403


def test_reading_an_unknown_resident_is_refused_like_an_unrelated_one(demo, api):
    resident, _ = hogo_only_resident(demo, api)

    unrelated = api("consult1").get(f"/residents/{resident.pk}/")
    unknown = api("consult1").get("/residents/9999999/")

    assert (unrelated.status, unrelated.body) == (unknown.status, unknown.body)
    assert unknown.code == "not_desk_member"
    refusal = AuditEvent.objects.filter(action="resident.read", target_id="9999999").get()
    assert (refusal.allowed, refusal.resident_id) == (False, None)


# --- found by the attacker review: the search must not hand out relationships -----------------


def test_a_wrong_given_name_finds_nobody_and_relates_nothing(demo, api):
    # ヤマダ ハナコ, born 1980-04-01; an outsider knows only the surname and the birth date.
    resident = make_resident(
        demo.user("tax_clerk"), given_name="花子", given_kana="ハナコ", birth_date=BORN
    )
    school = api("school_clerk")

    found = school.get("/residents/", q="ヤマダ ジロウ", birth_date=BORN.isoformat()).body

    assert found == []
    assert school.get(f"/residents/{resident.pk}/consents/").code == "no_relationship"


def test_a_family_name_alone_lists_namesakes_without_given_name_or_relationship(demo, api):
    resident = make_resident(
        demo.user("tax_clerk"), given_name="花子", given_kana="ハナコ", birth_date=BORN
    )
    make_consent(demo.user("tax_clerk"), resident, ["jiritsu"])
    school = api("school_clerk")

    [row] = school.get("/residents/", q="ヤマダ", birth_date=BORN.isoformat()).body

    assert row == {
        "id": resident.pk,
        "match": "family_name",
        "family_name_kana": "ヤマダ",
        "given_name_kana": "",
        "birth_date": BORN.isoformat(),
        "registered_at_place": None,  # issue 16 added the field; withheld like the given name
        "active_consents": [],
    }
    assert school.get(f"/residents/{resident.pk}/consents/").code == "no_relationship"
    page = Client()
    assert page.login(username="school_clerk", password=DEMO_PASSWORD)
    html = page.get(
        "/send/residents/",
        {"family_name_kana": "ヤマダ", "birth_date": BORN.isoformat()},
    ).content.decode()
    assert "ハナコ" not in html and f'value="{resident.pk}"' not in html


def test_the_full_name_relates_and_shows_the_consents(demo, api):
    resident = make_resident(
        demo.user("tax_clerk"), given_name="花子", given_kana="ハナコ", birth_date=BORN
    )
    consent = make_consent(demo.user("tax_clerk"), resident, ["jiritsu"])

    [row] = (
        api("school_clerk").get("/residents/", q="ヤマダ ハナコ", birth_date=BORN.isoformat()).body
    )

    assert (row["match"], row["given_name_kana"], row["active_consents"]) == (
        "full_name",
        "ハナコ",
        [consent.pk],
    )


def test_searches_are_limited_per_staff_member(demo, api, settings):
    settings.RESIDENT_SEARCH_PER_HOUR = 3
    school = api("school_clerk")
    for day in range(3):
        assert school.get("/residents/", q="ヤマダ", birth_date=f"1980-04-0{day + 1}").status == 200

    reply = school.get("/residents/", q="ヤマダ", birth_date="1980-04-09")

    assert (reply.status, reply.code) == (403, "search_limit")
    assert api("tax_clerk").get("/residents/", q="ヤマダ", birth_date="1980-04-09").status == 200


def test_listing_a_residents_consents_is_audited(demo, api, resident, jiritsu_consent):
    before = AuditEvent.objects.filter(action="consent.list", allowed=True).count()

    assert api("consult_lead").get(f"/residents/{resident.pk}/consents/").status == 200

    rows = AuditEvent.objects.filter(action="consent.list", allowed=True)
    assert rows.count() == before + 1
    assert (rows.last().actor_username, rows.last().resident_id) == ("consult_lead", resident.pk)
