"""The disclosure package (issue 18 acceptance): offices and job titles in Japanese, never
login ids or codes; repeated reads grouped; a completeness proof that checks, and fails when a
listed record is altered."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.core.management import call_command

from referral_hub.audit.models import AuditEvent
from referral_hub.directory.models import Department, Desk
from referral_hub.rights.models import RightsRequest
from referral_hub.rights.proof import check_package
from tests.audit.conftest import attacker_cursor
from tests.fixtures_sheets import send_ok
from tests.rights.conftest import register

pytestmark = pytest.mark.django_db


@pytest.fixture
def disclosed(demo, api, resident, full_consent) -> dict[str, Any]:
    """tax_clerk sends two sheets (to 自立相談支援窓口 and 生活保護担当); consult1 opens the
    first three times, hogo_staff the second once."""
    to_jiritsu = send_ok(api("tax_clerk"), resident, full_consent)
    to_hogo = send_ok(api("tax_clerk"), resident, full_consent, to_desk="seikatsu_hogo")
    for _ in range(3):
        assert api("consult1").get(f"/sheets/{to_jiritsu}/").status == 200
    assert api("hogo_staff").get(f"/sheets/{to_hogo}/").status == 200
    officer = demo.user("privacy_officer")
    request = register(officer, resident.pk)
    return {"officer": officer, "request": request, "resident": resident}


def _package(api, request_id: int, output: str = "json") -> Any:
    """JSON: the parsed body; CSV and HTML: the text."""
    response = api("privacy_officer").client.get(
        f"/api/v1/rights-requests/{request_id}/package/", {"format": output}
    )
    assert response.status_code == 200, response.content
    return response.json() if output == "json" else response.content.decode("utf-8")


def _forbidden_words() -> set[str]:
    codes = set(Department.objects.values_list("code", flat=True))
    codes |= set(Desk.objects.values_list("code", flat=True))
    return codes | {"tax_clerk", "consult1", "hogo_staff", "consult_lead", "privacy_officer"}


def test_package_names_offices_and_job_titles_never_logins_or_codes(api, disclosed):
    package = _package(api, disclosed["request"].pk)
    rows = [row for row in package["rows"] if not row["withheld"]]
    offices = {row["staff_office"] for row in rows} | {row["receiving_office"] for row in rows}
    assert {"収納課", "自立相談支援窓口", "生活保護担当"} <= offices
    by_office = {(row["staff_office"], row["staff_title"]) for row in rows}
    assert ("収納課", "窓口担当職員") in by_office
    assert ("自立相談支援窓口", "相談支援員") in by_office
    assert ("生活保護担当", "相談支援員") in by_office
    assert package["resident_name"] == "山田 太郎"
    assert package["municipality"] == "デモ市"
    assert package["issuing_officer"] == "保護担当 守"
    assert "令和" in rows[0]["date"] and "年" in rows[0]["date"]
    assert all("本人の同意" in row["legal_basis"] for row in rows)
    assert {"ご相談の内容(困りごと)"} <= {c for row in rows for c in row["categories"]}

    html = _package(api, disclosed["request"].pk, "html")
    csv_text = _package(api, disclosed["request"].pk, "csv")
    everything = json.dumps(package, ensure_ascii=False) + html + csv_text
    for word in _forbidden_words():
        assert word not in everything, word
    for office in ("収納課", "自立相談支援窓口", "生活保護担当"):
        assert office in html and office in csv_text
    header = next(csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))))
    assert header[:3] == ["日時(和暦・西暦)", "最後の日時", "内容"]


def test_repeated_reads_by_one_person_are_one_row(api, disclosed):
    package = _package(api, disclosed["request"].pk)
    reads = [r for r in package["rows"] if r.get("staff_office") == "自立相談支援窓口"]
    assert [r["what"] for r in reads] == ["閲覧 ×3"]
    assert reads[0]["count"] == 3 and len(reads[0]["records"]) == 3


def test_every_package_read_is_audited(api, disclosed):
    request = disclosed["request"]
    for output in ("json", "csv", "html"):
        _package(api, request.pk, output)
    reads = AuditEvent.objects.filter(action="rights_request.package_read", target_id=request.pk)
    assert [e.details["format"] for e in reads.order_by("seq")] == ["json", "csv", "html"]
    assert {e.resident_id for e in reads} == {disclosed["resident"].pk}


def test_the_package_is_drawn_from_one_checkpoint_and_stays_the_same(api, disclosed, resident):
    first = _package(api, disclosed["request"].pk)
    assert api("consult1").get("/sheets/").status == 200  # more activity after drawing
    again = _package(api, disclosed["request"].pk)
    assert first["proof"] == again["proof"]
    assert (
        RightsRequest.objects.get(pk=disclosed["request"].pk).checkpoint_seq
        == (first["proof"]["checkpoint"]["seq"])
    )


def test_proof_names_a_checkpoint_audit_verify_accepts(api, disclosed, capsys):
    package = _package(api, disclosed["request"].pk)
    checkpoint = package["proof"]["checkpoint"]
    assert check_package(package).ok
    call_command("audit_verify")
    out = capsys.readouterr().out
    assert "audit chain OK" in out
    head = AuditEvent.objects.get(seq=checkpoint["seq"]).hash
    assert head == checkpoint["head"]
    assert len(package["proof"]["listed"]) == package["disclosures"] == 6  # 2 sends, 4 reads


def test_altering_one_listed_row_breaks_the_proof(api, disclosed):
    package = _package(api, disclosed["request"].pk)
    seq = package["proof"]["listed"][1]["seq"]
    with attacker_cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_desk = %s WHERE seq = %s", ["kakei", seq])
    result = check_package(package)
    assert not result.ok
    assert "does not verify" in result.reason or str(seq) in result.reason


def test_a_package_missing_a_row_does_not_check(api, disclosed):
    package = _package(api, disclosed["request"].pk)
    package["proof"]["listed"] = package["proof"]["listed"][1:]
    from referral_hub.rights.package import rows_digest

    package["proof"]["rows_sha256"] = rows_digest(
        [(item["seq"], item["hash"]) for item in package["proof"]["listed"]]
    )
    result = check_package(package)
    assert not result.ok and "missing" in result.reason


def test_withheld_rows_are_listed_with_their_ground(api, disclosed):
    package = _package(api, disclosed["request"].pk)
    hogo = next(r for r in package["rows"] if r.get("staff_office") == "生活保護担当")
    reply = api("privacy_officer").post(
        f"/rights-requests/{disclosed['request'].pk}/decide/",
        {
            "decision": "partial",
            "note": "第三者の情報を含むため",
            "withheld": [{"seq": hogo["records"][0], "ground": "art78_1_2"}],
        },
    )
    assert reply.status == 200, reply.body
    after = _package(api, disclosed["request"].pk)
    withheld = [r for r in after["rows"] if r["withheld"]]
    assert len(withheld) == 1
    assert withheld[0]["ground_label"].startswith("本人以外の個人に関する情報")
    assert "staff_office" not in withheld[0]
    assert check_package(after).ok


def test_package_as_pdf_carries_the_japanese_text(api, disclosed, tmp_path):
    import shutil
    import subprocess

    response = api("privacy_officer").client.get(
        f"/api/v1/rights-requests/{disclosed['request'].pk}/package/", {"format": "pdf"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "package.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout.replace("\n", "")  # a table cell may wrap a word
    for words in ("収納課", "自立相談支援窓口", "生活保護担当", "令和", "窓口担当職員"):
        assert words in text, words
    assert "tax_clerk" not in text


def test_rights_verify_package_command_checks_a_saved_package(api, disclosed, tmp_path, capsys):
    from django.core.management.base import CommandError

    package = _package(api, disclosed["request"].pk)
    path = tmp_path / "package.json"
    path.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    call_command("rights_verify_package", str(path))
    assert "package proof OK: 6 records" in capsys.readouterr().out
    package["proof"]["listed"][0]["hash"] = "0" * 64
    path.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError, match="package proof FAILED"):
        call_command("rights_verify_package", str(path))


def test_withholding_a_record_not_in_the_package_is_refused(api, disclosed):
    request_id = disclosed["request"].pk
    _package(api, request_id)
    reply = api("privacy_officer").post(
        f"/rights-requests/{request_id}/decide/",
        {
            "decision": "partial",
            "note": "第三者の情報を含むため",
            "withheld": [{"seq": 999999, "ground": "art78_1_2"}],
        },
    )
    assert reply.status == 400 and reply.code == "invalid", reply.body
    disclosed["request"].refresh_from_db()
    assert disclosed["request"].is_open and not disclosed["request"].withheld.exists()


def test_a_decision_note_with_nul_is_refused_not_stripped(api, disclosed):
    request_id = disclosed["request"].pk
    reply = api("privacy_officer").post(
        f"/rights-requests/{request_id}/decide/",
        {"decision": "refuse", "note": "理由\x00を書く"},
    )
    assert reply.status == 400 and reply.code == "malformed_request", reply.body
    disclosed["request"].refresh_from_db()
    assert disclosed["request"].is_open


def test_agenda_reads_are_in_the_package_and_the_officer_has_an_office(demo, api, resident):
    """A member reading a support meeting's agenda learns the resident is on it and why: a
    disclosure (支援会議). The privacy officer, who has no desk, is named by the role's office."""
    from django.db import transaction

    from referral_hub.audit.log import record
    from referral_hub.directory import roles
    from referral_hub.meetings import selectors as meeting_selectors
    from tests.meetings.helpers import meeting_ready

    meeting = meeting_ready(demo, resident)
    with transaction.atomic():
        assert meeting_selectors.agenda_for(
            demo.user("consult1"), meeting, "support_meeting.agenda_read"
        )
    officer = demo.user("privacy_officer")
    with transaction.atomic():
        record(
            "resident.read",
            actor=officer,
            actor_desk=roles.place_label(officer),
            target_type="resident",
            target_id=resident.pk,
            resident_id=resident.pk,
            legal_basis="consent",
            details={"categories": ["identity"]},
        )
    request = register(officer, resident.pk)

    rows = _package(api, request.pk)["rows"]

    agenda = [r for r in rows if r.get("purpose", "").startswith("支援会議の検討事例の閲覧")]
    assert len(agenda) == 1, rows
    assert agenda[0]["staff_office"] == "自立相談支援窓口"
    assert agenda[0]["legal_basis"].startswith("支援会議")
    assert agenda[0]["what"] == "支援会議の検討事例の閲覧"
    officer_rows = [r for r in rows if r.get("staff_title") == "個人情報保護担当職員"]
    assert officer_rows and officer_rows[0]["staff_office"] == "個人情報保護担当"
    assert not any("廃止" in r.get("staff_office", "") for r in rows)


def test_a_deactivated_desk_is_named_as_abolished(api, disclosed):
    Desk.objects.filter(code="seikatsu_hogo").update(is_active=False)
    rows = _package(api, disclosed["request"].pk)["rows"]
    assert "生活保護担当(廃止)" in {r.get("receiving_office") for r in rows}
