"""The audit log is not browsable in the Django admin: its reads would not be audited. The
privacy officer's pages serve it instead, and audit each read."""

from __future__ import annotations

import pytest
from django.contrib import admin

from referral_hub.audit.log import record
from referral_hub.audit.models import AuditEvent, DisclosureReview

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [AuditEvent, DisclosureReview])
def test_audit_models_are_not_registered_in_the_admin(model):
    assert not admin.site.is_registered(model)


def test_admin_urls_of_the_audit_log_are_not_found(fast_hashing, admin_client, user):
    event = record("sheet.read", actor=user, resident_id=1, legal_basis="vital_interest")
    assert admin_client.get("/admin/audit/auditevent/").status_code == 404
    assert admin_client.get(f"/admin/audit/auditevent/{event.seq}/change/").status_code == 404
    assert admin_client.get("/admin/audit/disclosurereview/").status_code == 404
    index = admin_client.get("/admin/")
    assert index.status_code == 200
    assert b"/admin/audit/" not in index.content
    assert AuditEvent.objects.filter(seq=event.seq).exists()
