"""The rights desk pages (issue 18): the register, a request, the package and the letter.
The browser walk-through is tests/e2e/test_rights_desk.py."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from referral_hub.audit.models import AuditEvent
from referral_hub.rights.models import RightsRequest
from tests.audit.conftest import new_signing_key
from tests.fixtures_sheets import Api, make_consent, make_resident, send_ok

from .conftest import text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _checkpoints(settings: Any, tmp_path: Path) -> None:
    settings.AUDIT_SIGNING_KEY = new_signing_key()
    settings.AUDIT_CHECKPOINT_PATH = tmp_path / "checkpoints.jsonl"


@pytest.mark.parametrize("path", ["/rights/"])
@pytest.mark.parametrize("user", ["consult_lead", "tax_clerk", "admin"])
def test_only_privacy_officers_open_the_rights_desk(demo, browser_as, path, user):
    assert browser_as(user).get(path).status_code == 403
    assert browser_as("privacy_officer").get(path).status_code == 200


def test_officer_finds_registers_builds_and_decides(demo, browser_as):
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk, birth_date=datetime.date(1970, 5, 6))
    consent = make_consent(clerk, resident, ["jiritsu"])
    send_ok(Api(clerk), resident, consent)
    officer = browser_as("privacy_officer")

    found = officer.get("/rights/", {"find-kana": "ヤマダ タロウ", "find-birth_date": "1970-05-06"})
    assert "山田 太郎" in text(found) and f"内部管理番号 {resident.pk}" in text(found)

    reply = officer.post(
        "/rights/",
        {
            "resident": resident.pk,
            "kind": "disclosure",
            "received_on": timezone.localdate().isoformat(),
            "identity_document": "my_number_card",
        },
    )
    assert reply.status_code == 302
    request = RightsRequest.objects.get(resident_id=resident.pk)
    page = text(officer.get(f"/rights/{request.pk}/"))
    assert "決定期限" in page and "令和" in page

    package = text(officer.get(f"/rights/{request.pk}/package/"))
    assert "収納課" in package and "自立相談支援窓口" in package and "tax_clerk" not in package
    reads = AuditEvent.objects.filter(action="rights_request.package_read", target_id=request.pk)
    assert [e.details["format"] for e in reads] == ["page"]

    decided = officer.post(
        f"/rights/{request.pk}/actions/decide/", {"decide-decision": "disclose", "decide-note": ""}
    )
    assert decided.status_code == 302
    request.refresh_from_db()
    assert request.decision == "disclose"
    letter = text(officer.get(f"/rights/{request.pk}/letter/"))
    assert "開示" in letter and request.letter_sha256 in letter


def test_disclosures_page_links_to_the_rights_desk_and_shows_alerts(demo, browser_as):
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk)
    from referral_hub.rights import services

    services.register_request(
        demo.user("privacy_officer"),
        services.NewRequest(
            resident_id=resident.pk,
            kind="disclosure",
            received_on=timezone.localdate() - datetime.timedelta(days=60),
            identity_document="passport",
        ),
    )
    page = text(browser_as("privacy_officer").get("/audit/", {"resident": resident.pk}))
    assert "rights-from-disclosures" in page
    assert "期限切れ 1 件" in page


def test_correction_page_links_a_corrected_field(demo, browser_as):
    from referral_hub.rights import services
    from referral_hub.rights.models import CorrectionLink

    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk)
    request = services.register_request(
        demo.user("privacy_officer"),
        services.NewRequest(
            resident_id=resident.pk,
            kind="correction",
            received_on=timezone.localdate(),
            identity_document="passport",
            statement="電話番号が古い",
        ),
    )
    seq = AuditEvent.objects.get(action="resident.create", resident_id=resident.pk).seq
    officer = browser_as("privacy_officer")
    assert "電話番号が古い" in text(officer.get(f"/rights/{request.pk}/"))
    reply = officer.post(
        f"/rights/{request.pk}/actions/link/", {"link-field": "phone", "link-audit_seq": seq}
    )
    assert reply.status_code == 302
    assert CorrectionLink.objects.filter(request=request, field="phone", audit_seq=seq).exists()
    assert f"記録 {seq}" in text(officer.get(f"/rights/{request.pk}/"))
