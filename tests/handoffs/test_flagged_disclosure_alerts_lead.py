"""A disclosure without consent that the privacy officer flags reaches the receiving desk's lead."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from referral_hub.audit.models import DisclosureReview
from referral_hub.consent.models import LegalBasis
from referral_hub.consent.reference_data import ensure_legal_bases
from referral_hub.consent.services import ResidentInput, register_resident
from referral_hub.inbox.models import InboxEvent
from tests.meetings.helpers import meeting_ready

pytestmark = pytest.mark.django_db(transaction=True)


def client_for(username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(username=username))
    return client


def test_flagging_a_support_meeting_disclosure_alerts_the_desk_lead(demo):
    # Transactional tests flush migration-seeded reference data; put the legal bases back.
    ensure_legal_bases(LegalBasis)
    clerk = get_user_model().objects.get(username="tax_clerk")
    resident = register_resident(
        clerk, ResidentInput("佐藤", "一", "サトウ", "ハジメ", datetime.date(1960, 5, 5))
    )
    meeting = meeting_ready(None, resident)  # issue 17: the basis names a meeting
    sent = client_for("tax_clerk").post(
        "/api/v1/sheets/",
        {
            "resident": resident.pk,
            "to_desk": "jiritsu",
            "concerns": ["no_food"],
            "summary": "食料がない",
            "urgency": "urgent",
            "legal_basis": "support_meeting",
            "justification": "支援会議で共有済み",
            "support_meeting": meeting.pk,
        },
        format="json",
    )
    assert sent.status_code == 201, sent.json()
    review = DisclosureReview.objects.get(status="pending")
    lead = get_user_model().objects.get(username="consult_lead")
    before = InboxEvent.objects.filter(user=lead).count()

    decided = client_for("privacy_officer").post(
        f"/api/v1/audit/reviews/{review.pk}/",
        {"decision": "flag", "note": "理由が不十分"},
        format="json",
    )
    assert decided.status_code == 200, decided.json()
    alerts = InboxEvent.objects.filter(user=lead).order_by("seq")[before:]
    assert [e.extra.get("alert") for e in alerts] == ["disclosure_flagged"]
    assert alerts[0].sheet_id == sent.json()["id"]
    consultant = get_user_model().objects.get(username="consult1")
    assert not InboxEvent.objects.filter(
        user=consultant, extra__alert="disclosure_flagged"
    ).exists()
