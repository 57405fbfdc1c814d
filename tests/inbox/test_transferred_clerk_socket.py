"""人事異動 on an open socket (issue 13, input 5, the socket side): an administrator moves
tax_clerk from 収納課 to 学校教育課 in the admin while her inbox is open. Her socket re-checks at
once and stays open (she is still signed in), the colleague who replaced her at 収納課 hears
about 収納課's sheet, and she does not."""

from __future__ import annotations

import pytest
from django.test import Client

from referral_hub.directory.models import Membership
from tests.fixtures_sheets import Api, make_consent, make_resident, seed_demo, sheet_body
from tests.inbox.sockets import db, drain, open_inbox, receive_events, run_async

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("any_layer", "fast_hashing"),
]


def sheet_from_shuno():
    demo = seed_demo()
    clerk = demo.user("tax_clerk")
    successor = demo.add_staff("shuno_clerk2", "clerk", department="shuno")
    resident = make_resident(clerk, family_name="山田", given_name="太郎")
    consent = make_consent(clerk, resident, ["jiritsu"], ["identity", "concern", "feedback"])
    reply = Api(clerk).post("/sheets/", sheet_body(resident, consent))
    assert reply.status == 201, reply.body
    return demo, clerk, successor, reply.body["id"]


def transfer_in_admin(demo, clerk) -> int:
    admin = Client()
    admin.force_login(demo.user("admin"))
    membership = Membership.objects.get(user=clerk, department__code="shuno")
    return admin.post(
        f"/admin/directory/membership/{membership.pk}/change/",
        {
            "user": clerk.pk,
            "role": "clerk",
            "department": demo.department("gakko_kyoiku").pk,
            "desk": "",
        },
    ).status_code


@run_async
async def test_a_transferred_clerk_stops_receiving_live_events_of_her_old_department(
    token_headers,
):
    demo, clerk, successor, sheet_id = await db(sheet_from_shuno)()
    socket, _, _ = await open_inbox(await db(token_headers)(clerk))
    successor_socket, _, _ = await open_inbox(await db(token_headers)(successor))
    await drain(socket)
    await drain(successor_socket)

    assert await db(transfer_in_admin)(demo, clerk) == 302
    lead = await db(lambda: Api(demo.user("consult_lead")))()
    assert (await db(lead.act)(sheet_id, "acknowledge")).status == 200

    [event] = await receive_events(successor_socket, 1)
    assert (event["sheet"], event["box"]) == (sheet_id, "sent")
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()
    await successor_socket.disconnect()


@run_async
async def test_a_transferred_clerks_socket_stays_open_and_her_successor_hears(token_headers):
    demo, clerk, successor, sheet_id = await db(sheet_from_shuno)()
    socket, _, _ = await open_inbox(await db(token_headers)(clerk))
    successor_socket, _, _ = await open_inbox(await db(token_headers)(successor))
    await drain(socket)
    await drain(successor_socket)

    assert await db(transfer_in_admin)(demo, clerk) == 302
    assert await db(
        lambda: list(
            Membership.objects.filter(user=clerk).values_list("department__code", flat=True)
        )
    )() == ["gakko_kyoiku"]
    lead = await db(lambda: Api(demo.user("consult_lead")))()
    assert (await db(lead.act)(sheet_id, "acknowledge")).status == 200

    [event] = await receive_events(successor_socket, 1)
    assert (event["type"], event["sheet"], event["box"]) == ("sheet.updated", sheet_id, "sent")
    # Still signed in: the re-check after the transfer did not close her socket.
    await socket.send_json_to({"type": "catch_up", "since": 0})
    frames = await drain(socket, quiet=0.5)
    assert frames and frames[-1]["type"] == "caught_up"
    await socket.disconnect()
    await successor_socket.disconnect()
