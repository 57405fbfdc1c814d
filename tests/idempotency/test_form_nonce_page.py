"""つなぐシートを作る carries a one-time form nonce: submitting the same page twice (a double
click, two tabs, a retry after a lost answer) makes one resident, one consent and one sheet,
and the second submit lands on the first one's sheet (issue 14 input 3)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from referral_hub.consent.models import Consent, Resident
from referral_hub.handoffs.models import ConnectSheet
from tests.frontend.test_send_sheet_page import _form


@pytest.fixture
def clerk(demo) -> Client:
    client = Client()
    client.force_login(demo.user("tax_clerk"))
    return client


def nonce_of(page: str) -> str:
    found = re.search(r'name="form_nonce" value="([^"]+)"', page)
    assert found, "the send page has no form nonce"
    return found.group(1)


def test_the_send_page_gives_each_form_its_own_nonce(clerk):
    first = nonce_of(clerk.get("/send/").content.decode())
    second = nonce_of(clerk.get("/send/").content.decode())
    assert first != second and len(first) >= 24


def test_two_submits_of_one_form_make_one_resident_consent_and_sheet(demo, clerk):
    nonce = nonce_of(clerk.get("/send/").content.decode())

    first = clerk.post("/send/", _form(demo, form_nonce=nonce))
    second = clerk.post("/send/", _form(demo, form_nonce=nonce))

    sheet = ConnectSheet.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/sheets/{sheet.pk}/"
    assert Resident.objects.count() == Consent.objects.count() == 1


def test_a_form_that_came_back_with_an_error_keeps_its_nonce(demo, clerk):
    nonce = nonce_of(clerk.get("/send/").content.decode())
    response = clerk.post("/send/", _form(demo, witness="", form_nonce=nonce))
    assert response.status_code == 400
    assert nonce_of(response.content.decode()) == nonce
    assert clerk.post("/send/", _form(demo, form_nonce=nonce)).status_code == 302
    assert clerk.post("/send/", _form(demo, form_nonce=nonce)).status_code == 302
    assert ConnectSheet.objects.count() == 1


def test_two_forms_make_two_sheets(demo, clerk):
    for _ in range(2):
        nonce = nonce_of(clerk.get("/send/").content.decode())
        assert clerk.post("/send/", _form(demo, form_nonce=nonce)).status_code == 302
    assert ConnectSheet.objects.count() == 2
