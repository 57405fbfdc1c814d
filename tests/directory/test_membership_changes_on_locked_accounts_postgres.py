"""Membership changes on locked accounts (issue 14; docs/operations/locks.md, lock 1a).

``add_membership`` / ``remove_membership`` lock the changed accounts (``FOR NO KEY UPDATE``)
and the administrator's (``FOR SHARE``) one id at a time in ascending order, before any
membership row or audit row, and decide the administrator's right again under that lock. The
admin's "move" (``MembershipAdmin.save_model`` with ``change``: a removal and an addition)
locks both holders first. Found by an attack on the first version of the account lock, each
case failed there: a removed administrator still granted a privacy-officer membership; a move
deadlocked with the new holder's sign-in, two administrators swapping posts deadlocked, and a
lead assigning a sheet to an administrator colleague deadlocked with that administrator
removing the lead.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin as django_admin
from django.db import transaction
from django.test import Client, RequestFactory

from referral_hub.directory import roles, services
from referral_hub.directory.admin import MembershipAdmin
from referral_hub.directory.models import Membership, Role
from referral_hub.directory.services import add_membership, remove_membership, sign_in
from referral_hub.handoffs import desk_actions
from tests.fixtures_sheets import (
    DEMO_PASSWORD,
    Api,
    make_consent,
    make_resident,
    seed_demo,
    send_ok,
)
from tests.races import allowed_after, pause_after, race, removed_seq

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def move(admin_user: Any, membership_pk: int, to_user: Any) -> None:
    """What the admin's change view does: ``save_model(change=True)`` in its transaction."""
    with transaction.atomic():
        obj = Membership.objects.get(pk=membership_pk)
        obj.user = to_user
        request = RequestFactory().post("/admin/directory/membership/")
        request.user = admin_user
        MembershipAdmin(Membership, django_admin.site).save_model(request, obj, None, True)


def test_a_removed_administrator_grants_nothing(on_postgres, fast_hashing, monkeypatch):
    demo = seed_demo()
    admin_a = demo.user("admin")
    admin_b = demo.add_staff("second_admin", Role.ADMIN)
    grantee = demo.user("consult1")
    browser = Client()
    browser.force_login(admin_a)
    assert browser.get("/admin/directory/membership/add/").status_code == 200

    def remove_admin_a() -> None:
        for membership in Membership.objects.filter(user=admin_a, role=Role.ADMIN):
            remove_membership(membership, actor=admin_b)

    outcome = race(
        pause_after(monkeypatch, (MembershipAdmin, "save_model"), before=True),
        lambda: (
            browser.post(
                "/admin/directory/membership/add/",
                {"user": grantee.pk, "role": Role.PRIVACY_OFFICER, "desk": "", "department": ""},
            ).status_code
        ),
        remove_admin_a,
        grace=2.0,
    )

    assert outcome.change_committed_during_pause
    assert outcome.answer == 403, outcome
    assert not Membership.objects.filter(user=grantee, role=Role.PRIVACY_OFFICER).exists()
    assert allowed_after(admin_a.pk, removed_seq()) == []


def test_a_move_to_a_user_who_signs_in_does_not_deadlock(on_postgres, fast_hashing, monkeypatch):
    demo = seed_demo()
    x, y = demo.user("consult1"), demo.user("hogo_staff")
    moved = Membership.objects.get(user=x, role=Role.CONSULTANT)

    race(  # the sign-in holds hogo_staff's account when the move starts
        pause_after(monkeypatch, (roles, "place_label")),
        lambda: sign_in(None, "hogo_staff", DEMO_PASSWORD),
        lambda: move(demo.user("admin"), moved.pk, y),
    )

    assert Membership.objects.filter(pk__gt=moved.pk, role=Role.CONSULTANT, user=y).exists()


def test_two_administrators_swapping_posts_do_not_deadlock(on_postgres, fast_hashing, monkeypatch):
    demo = seed_demo()
    admin_a = demo.user("admin")
    admin_b = demo.add_staff("second_admin", Role.ADMIN)
    x, y = demo.user("consult1"), demo.user("hogo_staff")
    first = Membership.objects.get(user=x, role=Role.CONSULTANT)
    second = Membership.objects.get(user=y, role=Role.CONSULTANT)

    race(  # A has removed x's post and is about to give it to y
        pause_after(monkeypatch, (services, "add_membership"), before=True),
        lambda: move(admin_a, first.pk, y),
        lambda: move(admin_b, second.pk, x),
    )

    assert Membership.objects.filter(role=Role.CONSULTANT, user__in=[x, y]).count() >= 2


def test_assigning_to_an_administrator_colleague_who_removes_the_lead_does_not_deadlock(
    on_postgres, fast_hashing, monkeypatch
):
    demo = seed_demo()
    admin = demo.user("admin")
    lead = demo.add_staff("second_lead", Role.LEAD, desk="jiritsu")
    assert admin.pk < lead.pk  # the removal locks the administrator's row first
    add_membership(admin, Role.CONSULTANT, desk=demo.desk("jiritsu"), actor=admin)
    clerk = demo.user("tax_clerk")
    resident = make_resident(clerk)
    sheet_id = send_ok(Api(clerk), resident, make_consent(clerk, resident, ["jiritsu"]))
    desk_actions.acknowledge(lead, sheet_id)

    race(  # the assignment holds the lead's account and asks about the administrator's
        pause_after(monkeypatch, (roles, "is_desk_staff_now"), before=True),
        lambda: desk_actions.accept(lead, sheet_id, handler_id=admin.pk),
        lambda: remove_membership(Membership.objects.get(user=lead, role=Role.LEAD), actor=admin),
    )
