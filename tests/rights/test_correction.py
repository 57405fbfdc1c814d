"""A correction request (訂正請求): what the resident says is wrong is kept encrypted; the
corrected fields are linked to the audit rows of the services that changed them."""

from __future__ import annotations

import pytest
from django.db import connection

from referral_hub.audit.models import AuditEvent
from referral_hub.rights import services
from referral_hub.rights.errors import RightsError
from referral_hub.rights.models import CorrectionLink, RightsRequest
from tests.fixtures_sheets import make_resident
from tests.rights.conftest import register

pytestmark = pytest.mark.django_db

STATEMENT = "住所が旧住所のままになっている"


def test_statement_is_stored_encrypted(demo, resident):
    request = register(
        demo.user("privacy_officer"), resident.pk, kind="correction", statement=STATEMENT
    )
    assert RightsRequest.objects.get(pk=request.pk).statement == STATEMENT
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement_ciphertext FROM rights_rightsrequest WHERE id = %s", [request.pk]
        )
        (stored,) = cursor.fetchone()
    assert STATEMENT not in str(stored)


def test_corrections_link_audit_rows_of_this_resident_only(demo, resident):
    officer = demo.user("privacy_officer")
    request = register(officer, resident.pk, kind="correction", statement=STATEMENT)
    created = AuditEvent.objects.get(action="resident.create", resident_id=resident.pk)
    services.link_correction(officer, request.pk, "address", created.seq)
    link = CorrectionLink.objects.get(request=request)
    assert (link.field, link.audit_seq) == ("address", created.seq)
    assert AuditEvent.objects.filter(action="rights_request.correction_linked").exists()

    other = make_resident(demo.user("tax_clerk"), family_kana="ベツジン")
    foreign = AuditEvent.objects.get(action="resident.create", resident_id=other.pk)
    with pytest.raises(RightsError):
        services.link_correction(officer, request.pk, "address", foreign.seq)

    decided = services.decide_request(officer, request.pk, "corrected", "住所を訂正した")
    assert decided.decision == "corrected"
