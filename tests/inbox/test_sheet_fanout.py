"""End to end through the sheets API: a sent sheet reaches every member of the owner desk and
the sender, nobody at other desks, with no personal data in any frame; a member removed from
the desk stops receiving; a consent withdrawal reaches the open views at once."""

from __future__ import annotations

import json

import pytest

from referral_hub.consent import services as consent_services
from referral_hub.directory.models import Membership
from referral_hub.directory.services import remove_membership
from referral_hub.inbox.publish import disconnect_user
from tests.fixtures_sheets import Api, make_consent, make_resident, seed_demo, sheet_body
from tests.inbox.sockets import db, drain, open_inbox, receive_events, run_async

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("any_layer", "fast_hashing"),
]

JIRITSU_STAFF = ("consult1", "consult2", "consult_lead")
OUTSIDERS = ("hogo_staff", "nhi_clerk", "privacy_officer")


def set_up_sheet_sender():
    """The demo municipality, a resident with consent to jiritsu, and the tax clerk's client."""
    demo = seed_demo()
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk, family_name="山田", given_name="太郎")
    consent = make_consent(clerk, resident, ["jiritsu"], ["identity", "concern", "feedback"])
    return demo, resident, consent, Api(clerk)


def send_sheet(api: Api, resident, consent) -> int:
    reply = api.post("/sheets/", sheet_body(resident, consent))
    assert reply.status == 201, reply.body
    return reply.body["id"]


async def sockets_for(demo, usernames, token_headers) -> dict:
    sockets = {}
    for username in usernames:
        user = await db(demo.user)(username)
        sockets[username] = (await open_inbox(await db(token_headers)(user)))[0]
    return sockets


@run_async
async def test_sent_sheet_reaches_the_desk_and_the_sender_only(token_headers):
    demo, resident, consent, clerk_api = await db(set_up_sheet_sender)()
    sockets = await sockets_for(demo, [*JIRITSU_STAFF, "tax_clerk", *OUTSIDERS], token_headers)

    sheet_id = await db(send_sheet)(clerk_api, resident, consent)

    for username in JIRITSU_STAFF:
        [event] = await receive_events(sockets[username], 1)
        assert (event["type"], event["sheet"], event["status"], event["box"]) == (
            "sheet.received",
            sheet_id,
            "sent",
            "inbox",
        )
    [event] = await receive_events(sockets["tax_clerk"], 1)
    assert (event["type"], event["sheet"], event["box"]) == ("sheet.updated", sheet_id, "sent")
    for username in OUTSIDERS:
        assert await sockets[username].receive_nothing(timeout=0.2), username
    for socket in sockets.values():
        await socket.disconnect()


@run_async
async def test_no_frame_mentions_the_resident(token_headers):
    demo, resident, consent, clerk_api = await db(set_up_sheet_sender)()
    sockets = await sockets_for(demo, ["consult1", "tax_clerk"], token_headers)
    sheet_id = await db(send_sheet)(clerk_api, resident, consent)
    lead_api = await db(lambda: Api(demo.user("consult_lead")))()
    await db(lead_api.act)(sheet_id, "acknowledge")
    await db(lead_api.post)(f"/sheets/{sheet_id}/messages/", {"body": "山田さんに電話しました"})

    frames = []
    for socket in sockets.values():
        frames += await drain(socket)
        await socket.send_json_to({"type": "catch_up", "since": 0})
        while (frame := await socket.receive_json_from(timeout=3))["type"] != "caught_up":
            frames.append(frame)
        await socket.disconnect()

    text = json.dumps(frames, ensure_ascii=False)
    assert {"sheet.received", "sheet.updated", "sheet.message"} <= {f["type"] for f in frames}
    for secret in ("山田", "太郎", "ヤマダ", "本町", "046-123-4567", "差押え", "電話しました"):
        assert secret not in text


@run_async
async def test_member_removed_from_the_desk_stops_receiving(token_headers):
    demo, resident, consent, clerk_api = await db(set_up_sheet_sender)()
    sockets = await sockets_for(demo, ["consult1", "consult2"], token_headers)
    await db(send_sheet)(clerk_api, resident, consent)
    for socket in sockets.values():
        await receive_events(socket, 1)
        await drain(socket)

    def remove_consult2() -> None:
        user = demo.user("consult2")
        for membership in Membership.objects.filter(user=user, desk__code="jiritsu"):
            remove_membership(membership)
        disconnect_user(user.pk)

    await db(remove_consult2)()
    second = await db(send_sheet)(clerk_api, resident, consent)

    [event] = await receive_events(sockets["consult1"], 1)
    assert event["sheet"] == second
    assert await sockets["consult2"].receive_nothing(timeout=0.3)
    for socket in sockets.values():
        await socket.disconnect()


@run_async
async def test_consent_withdrawal_reaches_open_views_at_once(token_headers):
    demo, resident, consent, clerk_api = await db(set_up_sheet_sender)()
    sheet_id = await db(send_sheet)(clerk_api, resident, consent)
    sockets = await sockets_for(demo, ["consult1", "tax_clerk"], token_headers)

    await db(
        lambda: consent_services.withdraw_consent(demo.user("tax_clerk"), consent, "本人の申出")
    )()

    for socket in sockets.values():
        [event] = await receive_events(socket, 1)
        assert (event["type"], event["sheet"], event["consent"]) == (
            "consent.withdrawn",
            sheet_id,
            consent.pk,
        )
        await socket.disconnect()
