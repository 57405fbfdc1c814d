"""Roles come from memberships, in one place, and carry the Django permissions other apps check."""

import pytest
from django.contrib.auth import get_user_model

from referral_hub.directory import roles, services
from referral_hub.directory.models import Desk, Membership, Role

pytestmark = pytest.mark.django_db


def user(name: str):
    return get_user_model().objects.get(username=name)


def test_clerk_belongs_to_a_department(demo):
    clerk = user("tax_clerk")
    assert roles.has_role(clerk, Role.CLERK)
    assert not roles.has_role(clerk, Role.CONSULTANT, Role.LEAD)
    assert roles.desk_ids(clerk) == set()
    assert len(roles.department_ids(clerk)) == 1


def test_consultant_and_lead_belong_to_their_desk(demo):
    jiritsu = Desk.objects.get(code="jiritsu")
    assert roles.desk_ids(user("consult1")) == {jiritsu.pk}
    assert not roles.is_lead_of(user("consult1"), jiritsu.pk)
    assert roles.is_lead_of(user("consult_lead"), jiritsu.pk)
    assert roles.desk_ids(user("hogo_staff")) == {Desk.objects.get(code="seikatsu_hogo").pk}


def test_privacy_officer_gets_audit_permissions_and_admin_access(demo):
    officer = user("privacy_officer")
    assert officer.is_staff
    assert officer.has_perm("audit.view_auditevent")
    assert not user("consult1").has_perm("audit.view_auditevent")
    assert not user("consult1").is_staff


def test_admin_role_may_edit_the_directory_but_not_read_the_audit(demo):
    admin = user("admin")
    assert admin.is_staff and not admin.is_superuser
    assert admin.has_perm("directory.change_desk")
    assert not admin.has_perm("audit.view_auditevent")


def test_removing_a_membership_removes_its_permissions(demo):
    officer = user("privacy_officer")
    services.remove_membership(Membership.objects.get(user=officer))
    officer = user("privacy_officer")
    assert not officer.has_perm("audit.view_auditevent")
    assert not officer.is_staff
    assert roles.places(officer) == ()


def test_membership_place_must_fit_the_role(demo):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user("consult1"), role=Role.CONSULTANT)


def test_me_endpoint_lists_memberships(demo, client):
    client.force_login(user("consult_lead"))
    body = client.get("/api/v1/me/").json()
    assert body["display_name"] == "主任 恵子"
    assert body["memberships"] == [{"desk": "jiritsu", "department": None, "role": "lead"}]
