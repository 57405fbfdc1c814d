"""seed_demo builds デモ市 exactly as DESIGN.md says, and running it twice changes nothing."""

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from referral_hub.directory.models import Concern, Department, Desk, Membership, Municipality

pytestmark = pytest.mark.django_db

DESKS = {"jiritsu", "seikatsu_hogo", "kakei", "houkatsu", "kodomo"}
USERS = {
    "tax_clerk",
    "nhi_clerk",
    "housing_clerk",
    "school_clerk",
    "consult1",
    "consult2",
    "consult_lead",
    "hogo_staff",
    "privacy_officer",
    "admin",
    # Every desk has staff and a lead (issue 20); DESIGN.md's users above are kept as they were.
    "hogo_lead",
    "kakei_staff",
    "kakei_lead",
    "houkatsu_staff",
    "houkatsu_lead",
    "kodomo_staff",
    "kodomo_lead",
}


def snapshot():
    return (
        sorted(Municipality.objects.values_list("code", "name")),
        sorted(Department.objects.values_list("code", "name", "support_meeting_member")),
        sorted(Desk.objects.values_list("code", "name")),
        sorted(
            Membership.objects.values_list(
                "user__username", "role", "desk__code", "department__code"
            )
        ),
        Concern.objects.count(),
    )


def test_seed_demo_creates_the_documented_directory(demo):
    assert Municipality.objects.get().name == "デモ市"
    names = set(Department.objects.values_list("name", flat=True))
    assert {
        "収納課",
        "国保年金課",
        "建築住宅課",
        "学校教育課",
        "上下水道局",
        "障がい福祉課",
    } <= names
    assert len(names) == 17
    assert set(Desk.objects.values_list("code", flat=True)) == DESKS
    assert Desk.objects.get(code="jiritsu").name == "自立相談支援窓口"
    assert set(get_user_model().objects.values_list("username", flat=True)) == USERS
    assert Membership.objects.get(user__username="tax_clerk").department.name == "収納課"
    assert Membership.objects.get(user__username="hogo_staff").desk.code == "seikatsu_hogo"
    assert Concern.objects.filter(name="食料がない").exists()


def test_seed_demo_is_idempotent(demo):
    before = snapshot()
    call_command("seed_demo", force=True, verbosity=0)
    assert snapshot() == before


def test_demo_users_sign_in_with_the_documented_password(demo):
    for username in USERS:
        assert authenticate(username=username, password="demo-pass-2026") is not None, username


def test_password_option(db, fast_hashing):
    call_command("seed_demo", force=True, password="another-pass-2026", verbosity=0)
    assert authenticate(username="consult1", password="another-pass-2026") is not None


def test_refuses_without_debug_unless_forced(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", verbosity=0)
