"""つなぐシートを作る: one submit registers the resident, records consent and sends the sheet,
all through the services; nothing is created when the form has an error; a desk outside the
consent is refused with the reason in Japanese, next to the desk choice."""

from __future__ import annotations

import datetime

from django.utils import timezone

from referral_hub.consent.models import Consent, Resident
from referral_hub.handoffs.models import ConnectSheet
from tests.fixtures_sheets import make_consent, make_resident
from tests.meetings.helpers import meeting_ready

from .conftest import text


def _form(demo, **overrides):
    jiritsu = demo.desk("jiritsu")
    data = {
        "family_name_kana": "ツナギ",
        "given_name_kana": "ハナコ",
        "birth_date": "1971-02-03",
        "resident": "new",
        "family_name": "繋",
        "given_name": "花子",
        "address": "デモ市1-1",
        "phone": "090-0000-1111",
        "consent": "new",
        "recipients": [str(jiritsu.pk), str(demo.desk("seikatsu_hogo").pk)],
        "categories": ["identity", "concern", "feedback"],
        "purpose": "相談のため",
        "method": "verbal_witnessed",
        "witness": "収納 次郎",
        "valid_until": (timezone.localdate() + datetime.timedelta(days=90)).isoformat(),
        "concerns": [str(c.pk) for c in jiritsu.concerns.filter(code__in=["debt", "no_food"])],
        "to_desk": str(jiritsu.pk),
        "urgency": "urgent",
        "handoff_method": "phoned",
        "resident_words": "食べるものがない",
    }
    data.update(overrides)
    return data


def test_new_resident_consent_and_sheet_in_one_submit(demo, browser_as):
    response = browser_as("tax_clerk").post("/send/", _form(demo))
    assert response.status_code == 302
    sheet = ConnectSheet.objects.get()
    assert response["Location"] == f"/sheets/{sheet.pk}/"
    assert sheet.urgency == "urgent" and sheet.handoff_method == "phoned"
    assert sheet.owner_desk.code == "jiritsu"
    assert sheet.from_department.code == "shuno"
    consent = Consent.objects.get()
    assert consent.method == "verbal_witnessed" and consent.witness == "収納 次郎"
    assert sorted(d.code for d in consent.recipients.all()) == ["jiritsu", "seikatsu_hogo"]
    assert Resident.objects.get().family_name == "繋"


def test_a_form_error_creates_nothing_and_is_shown_next_to_the_field(demo, browser_as):
    response = browser_as("tax_clerk").post("/send/", _form(demo, witness=""))
    assert response.status_code == 400
    page = text(response)
    assert 'id="error-summary"' in page
    assert "口頭同意には立会人の氏名が必要です。" in page
    assert 'id="id_witness_error"' in page
    assert 'aria-invalid="true"' in page
    assert Resident.objects.count() == Consent.objects.count() == ConnectSheet.objects.count() == 0


def test_desk_outside_consent_is_refused_and_nothing_is_duplicated_on_retry(demo, browser_as):
    clerk = browser_as("tax_clerk")
    kakei = demo.desk("kakei")
    response = clerk.post("/send/", _form(demo, to_desk=str(kakei.pk)))
    assert response.status_code == 400
    page = text(response)
    assert "本人同意の範囲外です" in page
    assert "「家計改善支援」は本人同意で情報を伝えてよい窓口に含まれていません。" in page
    assert ConnectSheet.objects.count() == 0
    # The resident and the consent were recorded and come back selected.
    resident, consent = Resident.objects.get(), Consent.objects.get()
    assert f'value="{resident.pk}" checked' in page
    assert f'value="{consent.pk}" checked' in page

    retry = _form(demo, resident=str(resident.pk), consent=str(consent.pk))
    response = clerk.post("/send/", retry)
    assert response.status_code == 302
    assert Resident.objects.count() == Consent.objects.count() == ConnectSheet.objects.count() == 1


def test_returning_resident_needs_only_the_sheet(demo, browser_as):
    clerk_user = demo.user("nhi_clerk")
    resident = make_resident(clerk_user)
    consent = make_consent(clerk_user, resident, ["jiritsu"])
    jiritsu = demo.desk("jiritsu")
    response = browser_as("nhi_clerk").post(
        "/send/",
        {
            "resident": str(resident.pk),
            "consent": str(consent.pk),
            "concerns": [str(jiritsu.concerns.first().pk)],
            "to_desk": str(jiritsu.pk),
            "urgency": "normal",
            "handoff_method": "sheet_only",
            "summary": "国保の窓口で相談",
        },
    )
    assert response.status_code == 302
    sheet = ConnectSheet.objects.get()
    assert sheet.consent_id == consent.pk and sheet.resident_id == resident.pk


def test_tax_details_need_the_tax_category(demo, browser_as):
    response = browser_as("tax_clerk").post("/send/", _form(demo, tax_details="市県民税 3期分"))
    assert response.status_code == 400
    assert "本人同意に「税・滞納の詳細」が含まれていません。" in text(response)
    assert ConnectSheet.objects.count() == 0


def test_support_meeting_basis_needs_a_reason_and_sends_without_consent(demo, browser_as):
    """Issue 17: the form offers the open meetings where the resident is on the agenda and the
    clerk pledged; the sheet names the chosen meeting."""
    resident = make_resident(demo.user("tax_clerk"), family_kana="カイギ")
    meeting = meeting_ready(demo, resident)
    clerk = browser_as("tax_clerk")
    offered = clerk.get("/send/consents/", {"resident": resident.pk})
    assert f'value="{meeting.pk}"' in offered.content.decode() and meeting.name in text(offered)
    form = _form(
        demo,
        resident=str(resident.pk),
        consent="other_basis",
        legal_basis="support_meeting",
        support_meeting=str(meeting.pk),
    )
    response = clerk.post("/send/", form)
    assert response.status_code == 400
    assert "理由" in text(response) and ConnectSheet.objects.count() == 0
    form["justification"] = "支援会議(第2回)で支援方針を共有済み"
    response = clerk.post("/send/", form)
    assert response.status_code == 302
    sheet = ConnectSheet.objects.get()
    assert sheet.legal_basis == "support_meeting" and sheet.consent is None
    assert sheet.support_meeting_id == meeting.pk
    assert Consent.objects.count() == 0


def test_support_meeting_basis_without_a_meeting_is_refused_on_the_page(demo, browser_as):
    resident = make_resident(demo.user("tax_clerk"), family_kana="カイギ")
    form = _form(
        demo,
        resident=str(resident.pk),
        consent="other_basis",
        legal_basis="support_meeting",
        justification="支援会議で共有済み",
    )
    response = browser_as("tax_clerk").post("/send/", form)
    assert response.status_code == 400
    assert "開催中の支援会議を選んでください" in text(response)
    assert ConnectSheet.objects.count() == 0
