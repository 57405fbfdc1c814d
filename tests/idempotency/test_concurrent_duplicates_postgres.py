"""Concurrent duplicates with one key make one object (issue 14 input 3, PostgreSQL): the
retries that arrive while the first attempt runs wait for it and replay its answer."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from referral_hub.consent.models import Consent, Resident
from referral_hub.handoffs.models import ConnectSheet
from tests.fixtures_sheets import API, Api, make_consent, make_resident, seed_demo, sheet_body
from tests.frontend.test_send_sheet_page import _form
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DUPLICATES = 6


def test_concurrent_sends_with_one_key_make_one_sheet(on_postgres, fast_hashers):
    demo = seed_demo()
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk)
    body = json.dumps(sheet_body(resident, make_consent(clerk, resident, ["jiritsu"])))
    clients = [Api(clerk) for _ in range(DUPLICATES)]

    def send(client: Api):
        return lambda: client.client.post(
            f"{API}/sheets/",
            data=body,
            content_type="application/json",
            headers={"Idempotency-Key": "one-send"},
        )

    replies = run_together([send(client) for client in clients])

    assert [r.status_code for r in replies] == [201] * DUPLICATES
    assert len({r.content for r in replies}) == 1
    assert ConnectSheet.objects.filter(resident=resident).count() == 1


def test_concurrent_page_submits_with_one_nonce_make_one_sheet(on_postgres, fast_hashers):
    demo = seed_demo()
    browser = Client()
    browser.force_login(demo.user("tax_clerk"))
    page = browser.get("/send/").content.decode()
    nonce = re.search(r'name="form_nonce" value="([^"]+)"', page).group(1)
    form = _form(demo, form_nonce=nonce)
    tabs = []
    for _ in range(3):
        tab = Client()
        tab.cookies = browser.cookies  # the same session, like a second tab
        tabs.append(tab)

    replies = run_together([(lambda tab=tab: tab.post("/send/", form)) for tab in tabs])

    assert [r.status_code for r in replies] == [302] * 3
    assert len({r["Location"] for r in replies}) == 1
    assert ConnectSheet.objects.count() == Resident.objects.count() == Consent.objects.count() == 1
