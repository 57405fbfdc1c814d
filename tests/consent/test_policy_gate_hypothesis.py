"""Property tests of THE policy gate, ``consent.policy.authorize`` (DESIGN.md invariant 1):
for any consent scope and any request, the gate allows exactly when the rules allow, names
the rule when it refuses, and records one audit event either way."""

from __future__ import annotations

import datetime

from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referral_hub.audit.models import AuditEvent, DisclosureReview
from referral_hub.consent import policy
from referral_hub.consent.models import Consent, LegalBasis
from referral_hub.directory.models import Department, Desk
from tests.fixtures_sheets import ALL_CATEGORIES, make_resident

DESKS = ["jiritsu", "seikatsu_hogo", "kakei", "houkatsu", "kodomo"]
GATE_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
categories = st.sets(st.sampled_from(ALL_CATEGORIES))


def consent_with(resident, clerk, desks: set[str], cats: set[str], state: str) -> Consent:
    """A consent in any state. Written directly: the service refuses expired consents."""
    today = timezone.localdate()
    consent = Consent.objects.create(
        resident=resident,
        categories=sorted(cats),
        purpose="相談のため",
        method="signed_form",
        recorded_by=clerk,
        valid_until=today - datetime.timedelta(days=1)
        if "expired" in state
        else today + datetime.timedelta(days=30),
        withdrawn_at=timezone.now() if "withdrawn" in state else None,
    )
    consent.recipients.set(Desk.objects.filter(code__in=desks))
    return consent


def last_audit() -> AuditEvent:
    return AuditEvent.objects.order_by("-seq").first()


@GATE_SETTINGS
@given(
    recipients=st.sets(st.sampled_from(DESKS), min_size=1),
    covered=categories,
    state=st.sampled_from(["active", "withdrawn", "expired", "withdrawn+expired"]),
    desk=st.sampled_from(DESKS),
    wanted=categories,
    purpose=st.sampled_from(["sheet.send", "sheet.redirect", "sheet.resend"]),
)
def test_consent_basis_allows_exactly_what_the_consent_covers(
    demo, resident, recipients, covered, state, desk, wanted, purpose
):
    clerk = demo.user("tax_clerk")
    consent = consent_with(resident, clerk, recipients, covered, state)
    before = last_audit().seq

    decision = policy.authorize(
        clerk, resident, Desk.objects.get(code=desk), wanted, purpose, consent=consent
    )

    if "withdrawn" in state:
        expected = "consent_withdrawn"
    elif state == "expired":
        expected = "consent_expired"
    elif desk not in recipients or not wanted <= covered:
        expected = "consent_scope"
    else:
        expected = ""
    assert (decision.allowed, decision.code) == (not expected, expected)
    assert decision.basis == "consent"
    [event] = AuditEvent.objects.filter(seq__gt=before)
    assert (event.action, event.allowed, event.refusal_code) == (purpose, not expected, expected)
    assert (event.resident_id, event.legal_basis) == (resident.pk, "consent")
    assert event.details["consent"] == consent.pk
    assert event.details["recipient_desk"] == desk
    assert event.details["categories"] == sorted(wanted)


@GATE_SETTINGS
@given(
    desk=st.sampled_from(DESKS),
    wanted=categories,
    whose=st.sampled_from(["other resident", "none"]),
)
def test_no_consent_of_this_resident_means_consent_required(demo, resident, desk, wanted, whose):
    clerk = demo.user("tax_clerk")
    other = make_resident(clerk, family_kana="ホカ")
    consent = (
        consent_with(other, clerk, set(DESKS), set(ALL_CATEGORIES), "active")
        if whose == "other resident"
        else None
    )

    decision = policy.authorize(
        clerk, resident, Desk.objects.get(code=desk), wanted, "sheet.send", consent=consent
    )

    assert (decision.allowed, decision.code) == (False, "consent_required")
    assert (last_audit().allowed, last_audit().refusal_code) == (False, "consent_required")


@GATE_SETTINGS
@given(
    basis=st.sampled_from(["support_meeting", "vital_interest"]),
    justification=st.sampled_from(["", "   ", "\u3000", "所持金がなく今夜の宿がない"]),
    desk_member=st.booleans(),
    department_member=st.booleans(),
    basis_active=st.booleans(),
)
def test_other_bases_need_justification_membership_and_an_active_basis(
    demo, resident, basis, justification, desk_member, department_member, basis_active
):
    clerk = demo.user("tax_clerk")
    Desk.objects.filter(code="kakei").update(support_meeting_member=desk_member)
    Department.objects.filter(code="shuno").update(support_meeting_member=department_member)
    LegalBasis.objects.filter(code=basis).update(is_active=basis_active)
    desk = Desk.objects.get(code="kakei")
    department = Department.objects.get(code="shuno")
    reviews_before = DisclosureReview.objects.count()

    decision = policy.authorize(
        clerk,
        resident,
        desk,
        ["identity", "concern"],
        "sheet.send",
        basis=basis,
        justification=justification,
        sender_department=department,
    )

    if not basis_active:
        expected = "basis_inactive"
    elif not justification.strip():
        expected = "justification_required"
    elif basis == "support_meeting":
        # Art. 9: a send on this basis names a meeting (issue 17; the old yes/no flags on desks
        # and departments no longer allow a send: tests/meetings/test_meeting_gate_hypothesis.py).
        expected = "support_meeting_required"
    else:
        expected = ""
    assert (decision.allowed, decision.code) == (not expected, expected)
    event = last_audit()
    assert (event.allowed, event.refusal_code, event.legal_basis) == (
        not expected,
        expected,
        basis,
    )
    # Every disclosure without consent goes to the privacy officer's review queue.
    assert DisclosureReview.objects.count() == reviews_before + (0 if expected else 1)


@GATE_SETTINGS
@given(
    reader=st.sampled_from(["consult1", "hogo_staff", "tax_clerk", "privacy_officer", "admin"]),
    desk=st.sampled_from(DESKS),
    recipients=st.sets(st.sampled_from(DESKS), min_size=1),
)
def test_reads_are_allowed_only_to_members_of_a_covered_desk(
    demo, resident, reader, desk, recipients
):
    consent = consent_with(
        resident, demo.user("tax_clerk"), recipients, {"identity", "concern"}, "active"
    )
    home = {"consult1": "jiritsu", "hogo_staff": "seikatsu_hogo"}.get(reader)

    decision = policy.authorize(
        demo.user(reader),
        resident,
        Desk.objects.get(code=desk),
        ["identity", "concern"],
        "sheet.read",
        consent=consent,
    )

    if home != desk:
        expected = "not_desk_member"
    elif desk not in recipients:
        expected = "consent_scope"
    else:
        expected = ""
    assert (decision.allowed, decision.code) == (not expected, expected)
    assert (last_audit().action, last_audit().allowed) == ("sheet.read", not expected)


def test_unknown_categories_are_a_programming_error(demo, resident, jiritsu_consent):
    import pytest

    with pytest.raises(ValueError):
        policy.authorize(
            demo.user("tax_clerk"),
            resident,
            Desk.objects.get(code="jiritsu"),
            ["identity", "blood_type"],
            "sheet.send",
            consent=jiritsu_consent,
        )


def test_anonymous_and_inactive_actors_are_refused(demo, resident, jiritsu_consent):
    from django.contrib.auth.models import AnonymousUser

    clerk = demo.user("tax_clerk")
    clerk.is_active = False
    for actor in (AnonymousUser(), clerk):
        decision = policy.authorize(
            actor,
            resident,
            Desk.objects.get(code="jiritsu"),
            ["identity"],
            "sheet.send",
            consent=jiritsu_consent,
        )
        assert (decision.allowed, decision.code) == (False, "not_authenticated")
