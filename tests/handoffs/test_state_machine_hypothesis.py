"""Random sequences of sends, lifecycle actions, redirects, reads, consent withdrawals and
expiries across several desks keep the invariants (issue 3 acceptance, DESIGN.md 1–3):

- each open sheet has exactly one owner desk and sits in exactly that desk's inbox;
- no read or send succeeded without an allowing gate decision: every allowed ``sheet.send``,
  ``sheet.resend``, ``sheet.redirect`` and ``sheet.read`` decision names a consent that was
  active at that moment and covers the desk and the categories (or another basis, queued for
  the privacy officer's review), and every successful call has its decision;
- a refused or illegal call raises and leaves every sheet as it was;
- every state change has its timeline event, and the timeline chains from status to status.

A model of the rules predicts which calls may succeed; the services are called directly (the
API mapping of their errors is covered by the other modules).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from referral_hub.audit.models import AuditEvent, DisclosureReview
from referral_hub.consent import services as consent_services
from referral_hub.consent.models import Consent, Resident
from referral_hub.consent.services import InvalidState, Refused
from referral_hub.directory.models import Concern, Desk
from referral_hub.handoffs import selectors, services
from referral_hub.handoffs.errors import InvalidInput, InvalidTransition
from referral_hub.handoffs.models import ConnectSheet, SheetEvent
from referral_hub.meetings import services as meeting_services
from referral_hub.meetings.models import MeetingCase
from tests.fixtures_sheets import expire, look_up, make_consent, make_resident

DESKS = ["jiritsu", "seikatsu_hogo", "kakei"]
DESK_STAFF = {
    "consult1": ("jiritsu", False),
    "consult_lead": ("jiritsu", True),
    "hogo_staff": ("seikatsu_hogo", False),
    "hogo_lead": ("seikatsu_hogo", True),
    "kakei_staff": ("kakei", False),
}
SENDERS = {"tax_clerk": "shuno", "housing_clerk": "kenchiku_jutaku", "tax_clerk2": "shuno"}
ACTORS = sorted(DESK_STAFF) + sorted(SENDERS)
ACTIONS = [
    "acknowledge",
    "accept",
    "contacted",
    "connected",
    "redirect",
    "return",
    "close",
    "resend",
    "withdraw",
]
DESK_ACTIONS = {"acknowledge", "accept", "contacted", "connected", "redirect", "return", "close"}
# declined and unreachable need evidence (tests/handoffs/test_close_needs_evidence.py).
OUTCOMES = ["connected_to_support", "referred_elsewhere", "duplicate"]
FINISHED = {"closed", "withdrawn"}
# The lifecycle of DESIGN.md: action -> (statuses it may start from, status it leads to).
LIFECYCLE = {
    "acknowledge": ({"sent"}, "acknowledged"),
    "accept": ({"acknowledged"}, "accepted"),
    "contacted": ({"accepted"}, "contacted"),
    "connected": ({"contacted"}, "connected"),
    "redirect": ({"sent", "acknowledged", "accepted", "contacted", "connected"}, "sent"),
    "return": ({"sent", "acknowledged"}, "returned"),
    "resend": ({"returned"}, "sent"),
    "withdraw": ({"sent", "acknowledged", "returned"}, "withdrawn"),
    "close": ({"acknowledged", "accepted", "contacted", "connected"}, "closed"),
}
EVENT_KIND = {
    "acknowledge": "acknowledged",
    "accept": "accepted",
    "contacted": "contacted",
    "connected": "connected",
    "redirect": "redirected",
    "return": "returned",
    "resend": "resent",
    "withdraw": "withdrawn",
    "close": "closed",
}
TRANSITION_KINDS = {"sent", *EVENT_KIND.values()}
GATED_ACTIONS = {"sheet.send", "sheet.resend", "sheet.redirect", "sheet.read"}
STEP_MIX = (
    ["advance"] * 6 + ["send"] * 2 + ["anyone"] * 2 + ["read"] * 2 + ["consent", "end_consent"]
)
SEND_MODES = ["covered"] * 4 + [
    "any_desk",
    "no_consent",
    "other_resident",
    "support_meeting",
    "vital_interest",
]
OTHER_BASES = {"support_meeting", "vital_interest"}


@dataclass
class ConsentModel:
    resident_id: int
    desks: set[str]
    categories: set[str]
    withdrawn_at: datetime.datetime | None = None
    expired_at: datetime.datetime | None = None

    def active(self) -> bool:
        return self.withdrawn_at is None and self.expired_at is None

    def active_at(self, moment: datetime.datetime) -> bool:
        return all(t is None or t > moment for t in (self.withdrawn_at, self.expired_at))

    def refusal(self, resident_id: int, desk: str, categories: set[str]) -> str | None:
        """The gate's refusal code for this consent, or None when it allows."""
        if resident_id != self.resident_id:
            return "consent_required"
        if self.withdrawn_at is not None:
            return "consent_withdrawn"
        if self.expired_at is not None:
            return "consent_expired"
        if desk not in self.desks or not categories <= self.categories:
            return "consent_scope"
        return None


@dataclass
class SheetModel:
    resident_id: int
    consent_id: int | None
    sender: str
    owner: str
    categories: set[str]
    basis: str = "consent"
    status: str = "sent"
    redirects: int = 0
    left: set[str] = field(default_factory=set)
    timeline: list[tuple[str, str]] = field(default_factory=lambda: [("sent", "sent")])
    # Issue 20: the case (first sheet) this sheet joined when sent, or None.
    linked_to: int | None = None


# A sheet joins the resident's case at the desk while that case's sheet is in one of these.
CASE_OPEN = {"sent", "acknowledged", "accepted", "contacted", "connected"}


class SheetLifecycle(RuleBasedStateMachine):
    demo: Any = None  # the seeded demo municipality, set by the test

    def __init__(self) -> None:
        super().__init__()
        # Every example runs in its own savepoint, rolled back in teardown.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.users = {u: self.demo.user(u) for u in ACTORS}
        self.inbox_readers = {
            code: self.demo.user(next(u for u, (d, _) in DESK_STAFF.items() if d == code))
            for code in DESKS
        }
        self.desks = {code: Desk.objects.get(code=code) for code in DESKS}
        self.concerns = list(Concern.objects.filter(code__in=["tax_arrears", "debt"]))
        clerk = self.users["tax_clerk"]
        residents = [make_resident(clerk), make_resident(clerk, family_kana="サトウ")]
        self.residents = [r.pk for r in residents]
        for sender in SENDERS:  # each resident stood at every sender's counter
            for resident in residents:
                look_up(self.users[sender], resident)
        self.meeting = self.open_meeting(residents)
        self.consents: dict[int, ConsentModel] = {}
        self.sheets: dict[int, SheetModel] = {}
        self.successes = {action: 0 for action in GATED_ACTIONS}
        self.allowed_decisions = {action: 0 for action in GATED_ACTIONS}
        self.checked_seq = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)[0]

    def open_meeting(self, residents) -> int:
        """A 支援会議 where every actor pledged and both residents are on the agenda, open for
        the whole run: the support-meeting basis then allows between any of them (its own
        rule is tested in tests/meetings/test_meeting_gate_hypothesis.py)."""
        lead = self.users["consult_lead"]
        meeting = meeting_services.convene(
            lead,
            meeting_services.MeetingInput(
                law="art9_jiritsu",
                name="状態機械の会議",
                held_on=timezone.localdate(),
                members=[self.users[name].pk for name in ACTORS],
            ),
        )
        for name in ACTORS:
            meeting_services.pledge(self.users[name], meeting.pk)
        for resident in residents:
            MeetingCase.objects.create(
                meeting=meeting,
                resident=resident,
                reason="検討事例",
                added_by=lead,
                added_at=timezone.now(),
            )
        return meeting.pk

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    # --- helpers -------------------------------------------------------------------------------

    def user(self, name: str):
        # A fresh instance per call: the directory caches memberships on the user object.
        return type(self.users[name]).objects.get(pk=self.users[name].pk)

    def pick(self, mapping: dict, index: int) -> int:
        return sorted(mapping)[index % len(mapping)]

    def world(self) -> list[tuple]:
        return [
            (s.pk, s.status, s.owner_desk_id, s.version, s.redirect_count, s.handler_id)
            for s in ConnectSheet.objects.order_by("pk")
        ] + [SheetEvent.objects.count()]

    def expect_failure(self, call, allowed_errors: dict[type, set[str]]) -> None:
        """``call`` must raise one of the predicted errors and change nothing."""
        before = self.world()
        with pytest.raises(tuple(allowed_errors)) as raised:
            call()
        error = raised.value
        codes = allowed_errors[type(error)]
        code = error.decision.code if isinstance(error, Refused) else getattr(error, "code", "")
        assert not codes or code in codes, (type(error).__name__, code, allowed_errors)
        assert self.world() == before

    # --- consents ------------------------------------------------------------------------------

    @initialize()
    def first_consents_and_sheets(self):
        """Each resident starts with one consent (a wide one, a jiritsu-only one) and a sheet."""
        self.record_consent(0, set(DESKS), tax=True, feedback=True)
        self.record_consent(1, {"jiritsu"}, tax=False, feedback=False)
        for index in range(2):
            self.send("tax_clerk", index, "covered", "jiritsu", tax=False)

    def record_consent(self, who, desks, tax, feedback):
        categories = {"identity", "concern"} | ({"tax"} if tax else set())
        categories |= {"feedback"} if feedback else set()
        resident = Resident.objects.get(pk=self.residents[who])
        consent = make_consent(self.user("tax_clerk"), resident, sorted(desks), sorted(categories))
        self.consents[consent.pk] = ConsentModel(resident.pk, set(desks), categories)

    def end_consent(self, index, withdraw):
        """The resident withdraws a consent, or it reaches its valid_until."""
        consent_id = self.pick(self.consents, index)
        model = self.consents[consent_id]
        if withdraw:
            consent = Consent.objects.get(pk=consent_id)
            if model.withdrawn_at is not None:
                with pytest.raises(InvalidState):
                    consent_services.withdraw_consent(self.user("tax_clerk"), consent, "再度")
                return
            consent_services.withdraw_consent(self.user("tax_clerk"), consent, "本人の申し出")
            model.withdrawn_at = Consent.objects.get(pk=consent_id).withdrawn_at
        elif model.expired_at is None:
            # The service refuses to record an expired consent: move valid_until directly.
            expire(Consent(pk=consent_id))
            model.expired_at = timezone.now()

    # --- sends ---------------------------------------------------------------------------------

    def send(self, sender, consent_index, mode, desk, tax):
        """Mostly sends the consent covers; sometimes a desk, resident or consent it does not."""
        consent_id = self.pick(self.consents, consent_index)
        consent_model = self.consents[consent_id]
        resident_id = consent_model.resident_id
        if mode == "covered":
            desk = sorted(consent_model.desks)[consent_index % len(consent_model.desks)]
            tax = tax and "tax" in consent_model.categories
        elif mode == "no_consent":
            consent_id = None
        elif mode == "other_resident":
            resident_id = next(r for r in self.residents if r != resident_id)
        basis = mode if mode in OTHER_BASES else "consent"
        if basis != "consent":
            # Every actor pledged in the run's 支援会議, and every resident is on its agenda.
            consent_id = None
        categories = {"identity", "concern"} | ({"tax"} if tax else set())
        data = services.SheetInput(
            resident=Resident.objects.get(pk=resident_id),
            to_desk=self.desks[desk],
            concerns=self.concerns,
            urgency="normal",
            legal_basis=basis,
            handoff_method="sheet_only",
            summary="滞納と生活費の相談",
            justification="所持金がなく今夜の宿がない" if basis != "consent" else "",
            consent=Consent.objects.get(pk=consent_id) if consent_id else None,
            support_meeting=self.meeting if basis == "support_meeting" else None,
            details={"tax": "滞納あり"} if tax else {},
        )
        if basis != "consent":
            expected = None
        elif consent_id is None:
            expected = "consent_required"
        else:
            expected = self.consents[consent_id].refusal(resident_id, desk, categories)
        call = lambda: services.send_sheet(self.user(sender), data)  # noqa: E731
        event(f"send: {expected or 'done'}")
        if expected:
            self.expect_failure(call, {Refused: {expected}})
            return
        sheet = call()
        self.successes["sheet.send"] += 1
        self.sheets[sheet.pk] = SheetModel(
            resident_id,
            consent_id,
            sender,
            desk,
            categories,
            basis,
            linked_to=self.case_of(resident_id, desk, sheet.pk),
        )

    def case_of(self, resident_id: int, desk: str, new_id: int) -> int | None:
        """The case a new sheet joins: the resident's first open sheet at the desk, or the case
        that sheet belongs to (issue 20)."""
        open_here = sorted(
            pk
            for pk, s in self.sheets.items()
            if pk != new_id
            and s.resident_id == resident_id
            and s.owner == desk
            and s.status in CASE_OPEN
        )
        if not open_here:
            return None
        first = self.sheets[open_here[0]]
        return first.linked_to or open_here[0]

    def readable_case_sheets(self, sheet_id: int) -> int:
        """How many other sheets of the case a desk read of ``sheet_id`` also reads (allowed)."""
        sheet = self.sheets[sheet_id]
        root = sheet.linked_to or sheet_id
        members = {root} | {pk for pk, s in self.sheets.items() if s.linked_to == root}
        return sum(
            1
            for pk in members - {sheet_id}
            if self.sheets[pk].owner == sheet.owner
            and self.gate_refusal(self.sheets[pk], sheet.owner) is None
        )

    def gate_refusal(self, sheet: SheetModel, desk: str) -> str | None:
        """The gate's refusal code for the sheet's data reaching ``desk``, or None."""
        if sheet.basis != "consent":
            return None
        return self.consents[sheet.consent_id].refusal(sheet.resident_id, desk, sheet.categories)

    # --- lifecycle actions ---------------------------------------------------------------------

    def may_act(self, actor: str, action: str, sheet: SheetModel, to_desk: str) -> set[str]:
        """Permission rules that refuse this actor (empty when the actor may act)."""
        if action in DESK_ACTIONS:
            desk, is_lead = DESK_STAFF.get(actor, (None, False))
            if desk != sheet.owner:
                return {"not_owner_desk"}
            runaround = to_desk in sheet.left or sheet.redirects >= 2
            if action == "redirect" and runaround and not is_lead:
                return {"lead_required"}
            return set()
        same_side = actor == sheet.sender or SENDERS.get(actor) == SENDERS[sheet.sender]
        return set() if same_side else {"not_sender"}

    def act(self, sheet_id: int, actor: str, action: str, to_desk: str, outcome: str) -> None:
        sheet = self.sheets[sheet_id]
        errors: dict[type, set[str]] = {}
        refusals = self.may_act(actor, action, sheet, to_desk)
        if refusals:
            errors[Refused] = set(refusals)
        if sheet.status not in LIFECYCLE[action][0] or (
            action == "close" and outcome == "connected_to_support" and sheet.status != "connected"
        ):
            errors[InvalidTransition] = set()
        if not errors and action == "redirect" and to_desk == sheet.owner:
            errors[InvalidInput] = {"same_desk"}
        gate_desk = to_desk if action == "redirect" else sheet.owner
        if not errors and action in ("redirect", "resend"):
            code = self.gate_refusal(sheet, gate_desk)
            if code:
                errors[Refused] = {code}

        user = self.user(actor)
        calls = {
            "acknowledge": lambda: services.acknowledge(user, sheet_id),
            "accept": lambda: services.accept(user, sheet_id),
            "contacted": lambda: services.mark_contacted(user, sheet_id, "連絡した"),
            "connected": lambda: services.mark_connected(user, sheet_id, "つながった"),
            "redirect": lambda: services.redirect_sheet(
                user, sheet_id, self.desks[to_desk], "より適切な窓口へ"
            ),
            "return": lambda: services.return_sheet(user, sheet_id, "確認したい"),
            "close": lambda: services.close_sheet(user, sheet_id, outcome, "終結"),
            "resend": lambda: services.resend_sheet(user, sheet_id, "回答した"),
            "withdraw": lambda: services.withdraw_sheet(user, sheet_id, "取下げ"),
        }
        if errors:
            event(f"{action}: " + ", ".join(f"{e.__name__} {sorted(c)}" for e, c in errors.items()))
            self.expect_failure(calls[action], errors)
            return
        event(f"{action}: done")
        calls[action]()
        new_status = LIFECYCLE[action][1]
        if action == "redirect":
            sheet.left.add(sheet.owner)
            sheet.owner = to_desk
            sheet.redirects += 1
            self.successes["sheet.redirect"] += 1
        if action == "resend":
            self.successes["sheet.resend"] += 1
        sheet.status = new_status
        sheet.timeline.append((EVENT_KIND[action], new_status))
        if action == "close" and sheet.linked_to is None:
            # Closing a case closes its open linked sheets at the same desk (issue 20).
            for linked in self.sheets.values():
                if (
                    linked.linked_to == sheet_id
                    and linked.status in CASE_OPEN
                    and linked.owner == sheet.owner
                ):
                    linked.status = "closed"
                    linked.timeline.append(("closed", "closed"))

    def advance(self, index, choice, lead, to_desk, outcome, *, legal=True):
        """An action the lifecycle allows on an open sheet (or, with ``legal=False``, one it
        does not allow on any sheet), by the side that would take it."""
        open_sheets = {k: v for k, v in self.sheets.items() if v.status not in FINISHED}
        sheet_id = self.pick(open_sheets if legal else self.sheets, index)
        sheet = self.sheets[sheet_id]
        actions = [a for a in ACTIONS if (sheet.status in LIFECYCLE[a][0]) == legal]
        action = actions[choice % len(actions)]
        # Mostly redirect within the consent, so sheets really travel between desks.
        reachable = (
            self.consents[sheet.consent_id].desks if sheet.basis == "consent" else set(DESKS)
        )
        covered = sorted(reachable - {sheet.owner})
        if covered and choice % 4:
            to_desk = covered[choice % len(covered)]
        if action in DESK_ACTIONS:
            staff = [u for u, (desk, _) in DESK_STAFF.items() if desk == sheet.owner]
            leads = [u for u in staff if DESK_STAFF[u][1]]
            actor = leads[0] if lead and leads else staff[0]
        else:
            actor = sheet.sender
        self.act(sheet_id, actor, action, to_desk, outcome)

    def anyone_tries_anything(self, index, actor, action, to_desk, outcome):
        self.act(self.pick(self.sheets, index), actor, action, to_desk, outcome)

    # --- reads ---------------------------------------------------------------------------------

    def read(self, index, actor):
        sheet_id = self.pick(self.sheets, index)
        sheet = self.sheets[sheet_id]
        desk = DESK_STAFF.get(actor, (None, False))[0]
        call = lambda: selectors.view_sheet(self.user(actor), sheet_id)  # noqa: E731
        if desk == sheet.owner:
            code = self.gate_refusal(sheet, desk)
            if code:
                self.expect_failure(call, {Refused: {code}})
                return
            view = call()
            assert view.role == "desk"
            self.successes["sheet.read"] += 1 + self.readable_case_sheets(sheet_id)
        elif not self.may_act(actor, "resend", sheet, ""):
            view = call()
            assert view.role == "sender"
            # Case notes reach the sender only with the resident's consent to feedback.
            consent = self.consents.get(sheet.consent_id)
            assert view.feedback == bool(
                sheet.basis == "consent" and "feedback" in consent.categories and consent.active()
            )
        else:
            self.expect_failure(call, {Refused: {"not_desk_member"}})

    # --- the one rule -------------------------------------------------------------------------

    @rule(data=st.data())
    def step(self, data):
        """One step of a weighted mix. A single rule (rather than one per action) keeps
        Hypothesis's swarm testing from switching the lifecycle actions off for a whole run,
        so sheets travel far through the lifecycle within the bounded step count."""
        kind = data.draw(st.sampled_from(STEP_MIX), label="step")
        index = data.draw(st.integers(0, 50), label="index")
        if kind == "consent":
            self.record_consent(
                data.draw(st.integers(0, 1), label="resident"),
                data.draw(st.sets(st.sampled_from(DESKS), min_size=1), label="desks"),
                data.draw(st.booleans(), label="tax"),
                data.draw(st.booleans(), label="feedback"),
            )
        elif kind == "end_consent":
            self.end_consent(index, data.draw(st.booleans(), label="withdraw (else expire)"))
        elif kind == "send":
            self.send(
                data.draw(st.sampled_from(sorted(SENDERS)), label="sender"),
                index,
                data.draw(st.sampled_from(SEND_MODES), label="mode"),
                data.draw(st.sampled_from(DESKS), label="desk"),
                data.draw(st.booleans(), label="tax"),
            )
        elif kind == "advance" and any(s.status not in FINISHED for s in self.sheets.values()):
            self.advance(
                index,
                data.draw(st.integers(0, 8), label="choice"),
                data.draw(st.booleans(), label="lead"),
                data.draw(st.sampled_from(DESKS), label="to_desk"),
                data.draw(st.sampled_from(OUTCOMES), label="outcome"),
            )
        elif kind == "illegal" and self.sheets:
            self.advance(
                index,
                data.draw(st.integers(0, 8), label="choice"),
                data.draw(st.booleans(), label="lead"),
                data.draw(st.sampled_from(DESKS), label="to_desk"),
                data.draw(st.sampled_from(OUTCOMES), label="outcome"),
                legal=False,
            )
        elif kind == "anyone" and self.sheets:
            self.anyone_tries_anything(
                index,
                data.draw(st.sampled_from(ACTORS), label="actor"),
                data.draw(st.sampled_from(ACTIONS), label="action"),
                data.draw(st.sampled_from(DESKS), label="to_desk"),
                data.draw(st.sampled_from(OUTCOMES), label="outcome"),
            )
        elif kind == "read" and self.sheets:
            self.read(index, data.draw(st.sampled_from(ACTORS), label="reader"))

    # --- invariants ----------------------------------------------------------------------------

    @invariant()
    def each_open_sheet_has_exactly_one_owner_desk(self):
        rows = {
            pk: (status, owner, redirects)
            for pk, status, owner, redirects in ConnectSheet.objects.filter(
                pk__in=self.sheets
            ).values_list("pk", "status", "owner_desk__code", "redirect_count")
        }
        inboxes = {
            code: set(
                selectors.inbox(self.inbox_readers[code])
                .filter(pk__in=self.sheets)
                .values_list("pk", flat=True)
            )
            for code in DESKS
        }
        for sheet_id, model in self.sheets.items():
            assert rows[sheet_id] == (model.status, model.owner, model.redirects)
            holders = {code for code, ids in inboxes.items() if sheet_id in ids}
            assert holders == (set() if model.status in FINISHED else {model.owner})

    @invariant()
    def every_state_change_has_its_timeline_event(self):
        timelines: dict[int, list[tuple[str, str, str]]] = {pk: [] for pk in self.sheets}
        for sheet_id, kind, from_status, to_status in SheetEvent.objects.filter(
            sheet_id__in=self.sheets, kind__in=TRANSITION_KINDS
        ).values_list("sheet_id", "kind", "from_status", "to_status"):
            timelines[sheet_id].append((kind, from_status, to_status))
        for sheet_id, model in self.sheets.items():
            events = timelines[sheet_id]
            assert [(kind, to) for kind, _, to in events] == model.timeline, sheet_id
            # Each event starts where the previous one ended.
            assert [frm or "sent" for _, frm, _ in events] == ["sent"] + [
                to for _, _, to in events[:-1]
            ]

    @invariant()
    def no_read_or_send_succeeded_without_an_allowing_decision(self):
        new = list(AuditEvent.objects.filter(seq__gt=self.checked_seq, action__in=GATED_ACTIONS))
        for decision in new:
            if "categories" not in decision.details:
                continue  # the state change's own row, not the gate's decision
            if not decision.allowed:
                assert decision.refusal_code
                continue
            self.allowed_decisions[decision.action] += 1
            if decision.legal_basis in OTHER_BASES:
                # Without consent: a recorded basis, and the privacy officer reviews it.
                assert DisclosureReview.objects.filter(event=decision).exists()
                assert decision.resident_id in self.residents
                continue
            assert decision.legal_basis == "consent"
            consent = self.consents[decision.details["consent"]]
            assert consent.active_at(decision.at), decision.seq
            assert decision.details["recipient_desk"] in consent.desks
            assert set(decision.details["categories"]) <= consent.categories
            assert decision.resident_id == consent.resident_id
        if new:
            self.checked_seq = new[-1].seq
        # Every successful send, resend, redirect and desk read had its allowing decision.
        assert self.allowed_decisions == self.successes


@pytest.mark.django_db
def test_sheet_lifecycle_keeps_its_invariants(demo):
    demo.add_staff("tax_clerk2", "clerk", department="shuno")
    SheetLifecycle.demo = demo
    run_state_machine_as_test(
        SheetLifecycle,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
