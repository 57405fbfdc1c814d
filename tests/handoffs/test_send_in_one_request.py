"""Once the consent exists, sending a sheet is one request: the clerk at the counter gets the
sheet number and deadline back and the desk has it in its inbox (issue 3 acceptance)."""

from __future__ import annotations

import re

from django.db import connection

from referral_hub.audit.models import AuditEvent
from referral_hub.handoffs.models import ConnectSheet, SheetEvent
from referral_hub.inbox.models import InboxEvent
from tests.fixtures_sheets import sheet_body


def test_a_single_post_creates_the_sheet_and_delivers_it(demo, api, resident, jiritsu_consent):
    clerk = api("tax_clerk")
    assert ConnectSheet.objects.count() == 0

    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    # An execute wrapper, not CaptureQueriesContext: request_started resets the query log.
    with connection.execute_wrapper(count):
        reply = clerk.post("/sheets/", sheet_body(resident, jiritsu_consent))

    assert reply.status == 201, reply.body
    body = reply.body
    assert re.fullmatch(r"\d{4}-\d{6}", body["number"])
    assert (body["status"], body["owner_desk"], body["from_department"]) == (
        "sent",
        "jiritsu",
        "shuno",
    )
    assert body["ack_due_at"] and body["overdue"] is False
    sheet = ConnectSheet.objects.get()
    assert sheet.pk == body["id"]
    assert sheet.consent_id == jiritsu_consent.pk
    assert list(SheetEvent.objects.values_list("kind", flat=True)) == ["sent"]
    assert AuditEvent.objects.filter(action="sheet.send", allowed=True).count() == 1
    received = InboxEvent.objects.filter(type="sheet.received", sheet_id=sheet.pk)
    assert set(received.values_list("user__username", flat=True)) == {
        "consult1",
        "consult2",
        "consult_lead",
    }
    assert [s["id"] for s in api("consult1").get("/sheets/", box="inbox").body["results"]] == [
        sheet.pk
    ]
    assert [s["id"] for s in clerk.get("/sheets/", box="sent").body["results"]] == [sheet.pk]
    # 40 today; a bound that catches a per-recipient or per-concern query explosion.
    assert len(queries) < 60, len(queries)


def test_the_minimal_body_is_enough(demo, api, resident, jiritsu_consent):
    reply = api("tax_clerk").post(
        "/sheets/",
        {
            "resident": resident.pk,
            "to_desk": "jiritsu",
            "concerns": ["tax_arrears"],
            "resident_words": "相談したい",
            "urgency": "normal",
            "consent": jiritsu_consent.pk,
        },
    )

    assert reply.status == 201, reply.body
    assert (reply.body["legal_basis"], reply.body["handoff_method"]) == ("consent", "sheet_only")


def test_to_desk_may_be_given_by_id(demo, api, resident, jiritsu_consent):
    reply = api("tax_clerk").post(
        "/sheets/", sheet_body(resident, jiritsu_consent, to_desk=demo.desk("jiritsu").pk)
    )

    assert (reply.status, reply.body["owner_desk"]) == (201, "jiritsu")
