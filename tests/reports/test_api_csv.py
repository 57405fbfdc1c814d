"""CSV for Excel: UTF-8 with BOM, Japanese headers, one figure per row; errors stay JSON."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from referral_hub.reports.csv_export import HEADER
from tests.reports.conftest import AS_OF

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.reports.urls")]


@pytest.fixture
def lead_client(client: Client, make_user, place, monkeypatch: pytest.MonkeyPatch) -> Client:
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: AS_OF)
    client.force_login(make_user("lead", desk=place.jiritsu))
    return client


def rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    text = content.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text)))


def figures(table: list[list[str]]) -> dict[tuple[str, str], str]:
    return {(row[0], row[1]): row[3] for row in table[1:]}


def test_monthly_csv_is_utf8_with_bom_and_japanese_headers(lead_client: Client, april) -> None:
    response = lead_client.get("/api/v1/reports/monthly/", {"month": "2026-04", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="referrals-2026-04.csv"'
    table = rows(response.content)
    assert table[0] == HEADER == ["区分", "項目", "コード", "値"]
    values = figures(table)
    assert values[("期間", "対象")] == "2026-04"
    assert values[("範囲", "対象")] == "市全体"
    assert values[("件数", "送付件数")] == "9"
    assert values[("送付元部署", "収納課")] == "4"
    assert values[("送付元部署", "部署以外(窓口・その他)")] == "1"
    assert values[("困りごと(複数選択)", "経済的困窮")] == "3"
    assert values[("緊急度", "緊急")] == "2"
    assert values[("終結の結果", "支援につながった")] == "1"
    assert values[("つながり率", "つながり率(%)")] == "50.0"
    assert values[("受付までの時間", "中央値(時間)")] == "5.01"  # 18030 s
    assert values[("受付までの時間", "90パーセンタイル(時間)")] == "91.10"  # 327960 s
    assert values[("受付までの時間", "期限内の割合(%)")] == "75.0"
    assert values[("初回連絡までの時間", "中央値(時間)")] == "32.25"  # 116100 s
    assert values[("期限超過", "期限超過となったシート")] == "3"
    assert values[("転送", "2回以上転送されたシート")] == "1"
    assert values[("月末時点", "未終結のシート(期間より前の送付分を含む)")] == "7"
    department_row = next(row for row in table if row[1] == "収納課")
    assert department_row == ["送付元部署", "収納課", "shuno", "4"]


def test_fiscal_year_csv_has_the_monthly_trend(lead_client: Client, april) -> None:
    response = lead_client.get("/api/v1/reports/fiscal-year/", {"year": "2026", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="referrals-fy2026.csv"'
    values = figures(rows(response.content))
    assert values[("期間", "対象")] == "2026年度"
    assert values[("件数", "送付件数")] == "10"
    assert values[("月別推移", "2026-04")] == "9"
    assert values[("月別推移", "2026-05")] == "1"
    assert values[("月別推移", "2027-03")] == "0"
    assert values[("年度末時点", "未終結のシート(期間より前の送付分を含む)")] != ""


def test_accept_header_text_csv_also_gives_csv(lead_client: Client, april) -> None:
    response = lead_client.get(
        "/api/v1/reports/monthly/", {"month": "2026-04"}, HTTP_ACCEPT="text/csv"
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert rows(response.content)[0] == HEADER


def test_json_is_the_default(lead_client: Client, april) -> None:
    response = lead_client.get("/api/v1/reports/monthly/", {"month": "2026-04"})
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "private, no-store"
    assert response.json()["sheets"] == 9


@pytest.mark.parametrize("month", ["2026-4", "2026-13", "2026-00", "April", "26-04", "1999-12", ""])
@pytest.mark.parametrize("fmt", [None, "csv"])
def test_bad_month_is_a_json_400_even_when_csv_was_asked_for(
    lead_client: Client, month: str, fmt: str | None
) -> None:
    params = {"month": month} | ({"format": fmt} if fmt else {})
    response = lead_client.get("/api/v1/reports/monthly/", params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == "invalid_month"
    assert body["detail"].startswith("month ")  # names the parameter to fix


@pytest.mark.parametrize("year", ["26", "2026-04", "FY2026", "1999"])
def test_bad_fiscal_year_is_a_json_400(lead_client: Client, year: str) -> None:
    response = lead_client.get("/api/v1/reports/fiscal-year/", {"year": year, "format": "csv"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_year"


def test_month_defaults_to_the_current_month_in_japan(lead_client: Client, april) -> None:
    # AS_OF is 20 May 2026 12:00 JST.
    report = lead_client.get("/api/v1/reports/monthly/").json()
    assert report["period"]["label"] == "2026-05"
    fy = lead_client.get("/api/v1/reports/fiscal-year/").json()
    assert fy["period"]["label"] == "2026"


def test_schema_documents_both_endpoints(lead_client: Client) -> None:
    response = lead_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/v1/reports/monthly/" in text
    assert "/api/v1/reports/fiscal-year/" in text
    assert "text/csv" in text
