"""Who sees which figures: leads, privacy officers, consultants and administrators see the whole
municipality; clerks only the sheets their departments sent; others nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.reports.conftest import AS_OF

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.reports.urls")]
MONTHLY = "/api/v1/reports/monthly/"
FISCAL_YEAR = "/api/v1/reports/fiscal-year/"


@pytest.fixture(autouse=True)
def frozen_report_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # The API reports "as of now"; pin now to the scenario's report time.
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: AS_OF)


def get(client: Client, user, url: str, **params) -> dict:
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize(
    ("role", "at_desk"),
    [("lead", True), ("consultant", True), ("privacy_officer", False), ("admin", False)],
)
def test_municipality_wide_roles_see_every_department(
    client: Client, make_user, place, april, role: str, at_desk: bool
) -> None:
    user = make_user(role, desk=place.jiritsu if at_desk else None)
    report = get(client, user, MONTHLY, month="2026-04")
    assert report["scope"] == {"municipality_wide": True, "department_ids": None}
    assert report["sheets"] == 9
    assert {row["code"] for row in report["by_department"]} == {
        "shuno",
        "kenchiku_jutaku",
        "kokuho_nenkin",
        "",
    }


def test_clerk_sees_only_the_sheets_of_their_own_department(
    client: Client, make_user, place, april
) -> None:
    clerk = make_user("clerk", department=place.shuno)
    report = get(client, clerk, MONTHLY, month="2026-04")
    # shuno sent A B F H in April.
    assert report["scope"] == {"municipality_wide": False, "department_ids": [place.shuno.pk]}
    assert report["sheets"] == 4
    assert report["by_department"] == [
        {"department_id": place.shuno.pk, "code": "shuno", "name": "収納課", "sheets": 4}
    ]
    assert report["connection_rate"] == {"connected": 2, "closed": 2, "rate": 1.0}
    assert report["redirects"]["total"] == 2  # F, H
    # Open at month end among shuno's sheets: F H X (A and B were closed).
    assert report["open_at_period_end"]["sheets"] == 3
    by_concern = {row["code"]: row["sheets"] for row in report["by_concern"] if row["sheets"]}
    assert by_concern == {
        "economic_hardship": 3,
        "tax_arrears": 1,
        "no_food": 1,
        "debt": 1,
        "household_budget": 1,
    }


def test_clerk_of_another_department_does_not_see_shunos_sheets(
    client: Client, make_user, place, april
) -> None:
    clerk = make_user("clerk", department=place.kokuho)
    report = get(client, clerk, MONTHLY, month="2026-04")
    assert report["sheets"] == 1  # E
    assert [row["code"] for row in report["by_department"]] == ["kokuho_nenkin"]
    fy = get(client, clerk, FISCAL_YEAR, year="2025")
    assert fy["sheets"] == 1  # Z
    assert fy["scope"]["department_ids"] == [place.kokuho.pk]


def test_clerk_who_is_also_a_lead_gets_the_wider_scope(
    client: Client, make_user, place, april
) -> None:
    from referral_hub.directory.models import Membership

    user = make_user("clerk", department=place.shuno)
    Membership.objects.create(user=user, role="lead", desk=place.jiritsu)
    assert get(client, user, MONTHLY, month="2026-04")["sheets"] == 9


def test_user_without_a_role_is_refused(client: Client, make_user, april) -> None:
    client.force_login(make_user(None))
    for url in (MONTHLY, FISCAL_YEAR):
        response = client.get(url)
        assert response.status_code == 403
        assert response.json()["code"] == "reports_forbidden"


def test_anonymous_request_is_refused(client: Client) -> None:
    response = client.get(MONTHLY, {"month": "2026-04"})
    assert response.status_code in (401, 403)
    assert response.json()["code"] in ("not_authenticated", "authentication_failed")


def test_report_has_counts_only_never_names(client: Client, make_user, place, april) -> None:
    lead = make_user("lead", desk=place.jiritsu)
    client.force_login(lead)
    for params in ({"month": "2026-04"}, {"month": "2026-04", "format": "csv"}):
        body = client.get(MONTHLY, params).content.decode("utf-8")
        assert "試験" not in body and "シケン" not in body  # the resident's name
        assert lead.username not in body
        assert "T-000001" not in body  # sheet numbers
