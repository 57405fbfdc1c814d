"""The 月次集計 page: tables, server-side SVG charts, no inline script, scope by role."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.reports.conftest import AS_OF

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.reports.urls")]
PAGE = "/reports/monthly/"


@pytest.fixture(autouse=True)
def frozen_report_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: AS_OF)


def page(client: Client, user, **params) -> str:
    client.force_login(user)
    response = client.get(PAGE, params)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_lead_sees_tables_and_both_charts(client: Client, make_user, place, april) -> None:
    html = page(client, make_user("lead", desk=place.jiritsu), month="2026-04")
    assert "月次集計: 2026年4月" in html
    assert "市全体の件数です。" in html
    assert "集計時点: 2026年5月20日 12:00" in html
    svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    assert len(svgs) == 2
    departments, trend = svgs
    # Bars by source department, most referrals first: 収納課 4, 建築住宅課 3, 国保年金課 1,
    # and the desk-sent sheet.
    labels = re.findall(r'<text class="label"[^>]*>([^<]+)</text>', departments)
    assert labels == ["収納課", "建築住宅課", "国保年金課", "部署以外(窓口・その他)"]
    values = re.findall(r'<text class="value"[^>]*>(\d+)</text>', departments)
    assert values == ["4", "3", "1", "1"]
    # Twelve columns April–March, April highlighted.
    assert trend.count('<rect class="bar') == 12
    assert re.search(r'<rect class="bar current"', trend)
    assert ">4月</text>" in trend and ">3月</text>" in trend
    # The figures are also in tables (for screen readers and copying).
    assert '<th scope="row">収納課</th><td class="num">4</td>' in html
    assert "5.0時間" in html  # median time to acknowledge: 18030 s
    assert "75.0%" in html  # acknowledged within the SLA
    assert "50.0%" in html  # connection rate
    assert "/api/v1/reports/monthly/?month=2026-04&amp;format=csv" in html
    assert "/api/v1/reports/fiscal-year/?year=2026&amp;format=csv" in html


def test_page_has_no_inline_script_and_no_cdn(client: Client, make_user, place, april) -> None:
    html = page(client, make_user("lead", desk=place.jiritsu), month="2026-04")
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag, tag
    for body in re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.S):
        assert body.strip() == ""
    assert " on" not in re.sub(r"\s+", " ", "".join(re.findall(r"<svg .*?</svg>", html, re.S)))
    assert "https://" not in html and "http://" not in html
    assert "reports/reports.css" in html


def test_clerk_sees_only_their_department(client: Client, make_user, place, april) -> None:
    html = page(client, make_user("clerk", department=place.shuno), month="2026-04")
    assert "所属部署が送ったシートの件数だけを表示しています: 収納課" in html
    assert '<th scope="row">収納課</th><td class="num">4</td>' in html
    assert "建築住宅課" not in html and "国保年金課" not in html


def test_page_shows_no_names(client: Client, make_user, place, april) -> None:
    html = page(client, make_user("privacy_officer"), month="2026-04")
    assert "試験" not in html and "シケン" not in html and "T-0000" not in html


def test_month_defaults_to_the_current_one(client: Client, make_user, place) -> None:
    assert "2026年5月" in page(client, make_user("admin"))


def test_bad_month_explains_what_to_do(client: Client, make_user, place) -> None:
    client.force_login(make_user("lead", desk=place.jiritsu))
    response = client.get(PAGE, {"month": "2026-13"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "01〜12" in html
    assert "対象月を選び直して" in html


def test_user_without_a_role_is_refused(client: Client, make_user) -> None:
    client.force_login(make_user(None))
    assert client.get(PAGE).status_code == 403


def test_anonymous_user_is_sent_to_sign_in(client: Client) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/login/" in response["Location"]
