"""The admin shows the audit log and the review queue but offers no way to change them."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from referral_hub.audit.log import record
from referral_hub.audit.models import AuditEvent, DisclosureReview

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [AuditEvent, DisclosureReview])
def test_admin_is_read_only(model, fast_hashing, admin_user):
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = admin_user
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_pages_render_and_offer_no_changes(fast_hashing, admin_client, user):
    event = record("sheet.read", actor=user, resident_id=1, legal_basis="vital_interest")
    assert admin_client.get("/admin/audit/auditevent/").status_code == 200
    detail = admin_client.get(f"/admin/audit/auditevent/{event.seq}/change/")
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert admin_client.get("/admin/audit/auditevent/add/").status_code == 403
    assert admin_client.get("/admin/audit/disclosurereview/").status_code == 200
    assert (
        admin_client.post(
            f"/admin/audit/auditevent/{event.seq}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditEvent.objects.filter(seq=event.seq).exists()
