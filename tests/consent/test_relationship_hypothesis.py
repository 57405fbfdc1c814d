"""No response ever carries the identity of a resident the reader has no current relationship
with (issue 13 acceptance; DESIGN.md invariants 1 and 9).

Random staff (clerks of two departments, consultants and a lead of two desks, the privacy
officer, the administrator) and random residents, registered by random staff, go through random
sequences of counter lookups, consent recordings, sends, consent and sheet withdrawals, desk
closures and 人事異動 (membership changes). After every step, every staff member makes the GET
requests they can make: resident detail, resident consents, consent detail, sheet detail, events
and messages, both sheet lists and the send page's consent fragment. None may contain a name,
kana, phone or address of a resident the staff member has no current relationship with.

"Current relationship" is computed here, from the test's own model of what happened, not by
``policy.relationship``: from the staff member's place as it is now,
- their place registered the resident;
- their desk owns a sheet of the resident (the desk keeps its case record, open or closed);
- their place is the sending side of a sheet of the resident whose active consent covers
  ``feedback``;
- an active consent of the resident names their desk or was recorded at their place;
- they found the resident by kana and birth date at their current place (within 9 hours: the
  whole test runs within that).
The model also predicts which writes the gate allows (recording, sending, withdrawing), with the
relationship rules of the issue, and each write's outcome must match.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
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

from referral_hub.consent import services as consent_services
from referral_hub.consent.models import Consent, Resident
from referral_hub.directory.models import Concern, Department, Desk, Membership
from referral_hub.directory.services import add_membership, remove_membership
from referral_hub.directory.tokens import create_token
from referral_hub.handoffs import services as sheet_services
from referral_hub.handoffs.errors import Refused as SheetRefused

API = "/api/v1"

# Staff and where they work at the start: ("dept", code) for clerks, ("desk", code) otherwise.
STAFF: dict[str, tuple[str, tuple[str, str] | None]] = {
    "tax_clerk": ("clerk", ("dept", "shuno")),
    "tax_clerk2": ("clerk", ("dept", "shuno")),
    "school_clerk": ("clerk", ("dept", "gakko_kyoiku")),
    "consult1": ("consultant", ("desk", "jiritsu")),
    "consult_lead": ("lead", ("desk", "jiritsu")),
    "hogo_staff": ("consultant", ("desk", "seikatsu_hogo")),
    "privacy_officer": ("privacy_officer", None),
    "admin": ("admin", None),
}
NAMES = sorted(STAFF)
PLACED = [name for name in NAMES if STAFF[name][1] is not None]
# 人事異動 moves a clerk between the two departments and a consultant between the two desks.
OTHER_PLACE = {
    ("dept", "shuno"): ("dept", "gakko_kyoiku"),
    ("dept", "gakko_kyoiku"): ("dept", "shuno"),
    ("desk", "jiritsu"): ("desk", "seikatsu_hogo"),
    ("desk", "seikatsu_hogo"): ("desk", "jiritsu"),
}
DESKS = ["jiritsu", "seikatsu_hogo"]
STEP_MIX = (
    ["search"] * 2
    + ["consent"] * 2
    + ["send"] * 4
    + ["withdraw_consent"]
    + ["withdraw_sheet"]
    + ["close"]
    + ["transfer"] * 2
    + ["register"]
)

# Each resident's identity: strings that appear nowhere else in the application.
IDENTITIES = [
    ("青柳", "真澄", "アオヤギ", "マスミ", "デモ市青葉町1-1", "090-1111-0001"),
    ("赤城", "千尋", "アカギ", "チヒロ", "デモ市朱雀町2-2", "090-2222-0002"),
    ("黄瀬", "一葉", "キセ", "カズハ", "デモ市菜花町3-3", "090-3333-0003"),
]
MAX_RESIDENTS = len(IDENTITIES)
MAX_CONSENTS = 5
MAX_SHEETS = 3


@dataclass
class ResidentModel:
    pk: int
    registered_at: tuple[str, str]
    identity: tuple[str, ...]
    birth_date: datetime.date


@dataclass
class ConsentModel:
    pk: int
    resident: int
    desks: set[str]
    categories: set[str]
    recorded_at: tuple[str, str]
    withdrawn: bool = False


@dataclass
class SheetModel:
    pk: int
    resident: int
    owner: str
    sent_from: tuple[str, str]
    consent: int
    status: str = "sent"
    # The case this sheet joined when it was sent (issue 20: a parallel sheet to the same desk
    # joins the resident's open case there); closing the case closes it too.
    linked_to: int | None = None


@dataclass
class Lookup:
    staff: str
    resident: int
    place: tuple[str, str]


@dataclass
class Model:
    places: dict[str, tuple[str, str] | None] = field(default_factory=dict)
    residents: dict[int, ResidentModel] = field(default_factory=dict)
    consents: dict[int, ConsentModel] = field(default_factory=dict)
    sheets: dict[int, SheetModel] = field(default_factory=dict)
    lookups: list[Lookup] = field(default_factory=list)

    def desk_of(self, staff: str) -> str | None:
        place = self.places[staff]
        return place[1] if place and place[0] == "desk" else None

    def active_consents(self, resident: int) -> list[ConsentModel]:
        return [c for c in self.consents.values() if c.resident == resident and not c.withdrawn]

    def _shared(self, staff: str, resident: int) -> bool:
        """Relationships both rules below share: registered here, an active consent names this
        desk or was recorded here, a counter lookup at the current place."""
        place = self.places[staff]
        if place is None:
            return False
        if self.residents[resident].registered_at == place:
            return True
        for consent in self.active_consents(resident):
            if consent.recorded_at == place or self.desk_of(staff) in consent.desks:
                return True
        return any(
            lookup.staff == staff and lookup.resident == resident and lookup.place == place
            for lookup in self.lookups
        )

    def may_see_identity(self, staff: str, resident: int) -> bool:
        """The current relationships under which the staff member may see who the resident is
        (the invariant's oracle)."""
        if self._shared(staff, resident):
            return True
        place = self.places[staff]
        for sheet in self.sheets.values():
            if sheet.resident != resident:
                continue
            if sheet.owner == self.desk_of(staff):
                return True  # the desk's case record, open or closed
            # The sending side hears how it went only with the resident's consent to feedback.
            consent = self.consents[sheet.consent]
            feedback = "feedback" in consent.categories and not consent.withdrawn
            if sheet.sent_from == place and feedback:
                return True
        return False

    def may_act_for(self, staff: str, resident: int) -> bool:
        """The relationship the gate asks before recording a consent or sending a sheet
        (issue 13): the shared ones, or an open sheet owned by their desk or sent from their
        place."""
        if STAFF[staff][0] not in ("clerk", "consultant", "lead"):
            return False
        if self._shared(staff, resident):
            return True
        place = self.places[staff]
        return any(
            sheet.resident == resident
            and sheet.status not in ("closed", "withdrawn")
            and (sheet.owner == self.desk_of(staff) or sheet.sent_from == place)
            for sheet in self.sheets.values()
        )

    def may_withdraw(self, staff: str, consent: ConsentModel) -> bool:
        if STAFF[staff][0] == "privacy_officer":
            return True
        place = self.places[staff]
        if place is not None and (
            consent.recorded_at == place or self.desk_of(staff) in consent.desks
        ):
            return True
        return self.may_act_for(staff, consent.resident)


class RelationshipMachine(RuleBasedStateMachine):
    demo: Any = None  # the seeded demo municipality, set by the test

    def __init__(self) -> None:
        super().__init__()
        # Every example runs in its own savepoint, rolled back in teardown.
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.model = Model(places={name: place for name, (_, place) in STAFF.items()})
        self.concerns = list(Concern.objects.filter(code__in=["tax_arrears"]))
        # Successful writes so far, and at the last check.
        self.changes, self.checked_changes = 0, -1
        self.apis: dict[str, Client] = {}
        self.pages: dict[str, Client] = {}
        for name in NAMES:
            user = self.user(name)
            key, _ = create_token(user)
            self.apis[name] = Client(HTTP_AUTHORIZATION=f"Token {key}")
            self.pages[name] = Client()
            self.pages[name].force_login(user)

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    # --- helpers -------------------------------------------------------------------------------

    def user(self, name: str):
        # A fresh instance per call: the directory caches memberships on the user object.
        return self.demo.user(name)

    def pick(self, mapping: dict, index: int) -> Any:
        return mapping[sorted(mapping)[index % len(mapping)]]

    def choose_staff(self, index: int, related_to: int | None, prefer_related: bool) -> str:
        """Mostly someone the rules let act (so the world grows), sometimes anyone."""
        if prefer_related and related_to is not None:
            related = [n for n in NAMES if self.model.may_act_for(n, related_to)]
            if related:
                return related[index % len(related)]
        return NAMES[index % len(NAMES)]

    # --- steps ---------------------------------------------------------------------------------

    def register(self, staff: str) -> None:
        if len(self.model.residents) >= MAX_RESIDENTS:
            return
        identity = IDENTITIES[len(self.model.residents)]
        birth = datetime.date(1950 + len(self.model.residents), 4, 1)
        data = consent_services.ResidentInput(
            family_name=identity[0],
            given_name=identity[1],
            family_name_kana=identity[2],
            given_name_kana=identity[3],
            birth_date=birth,
            address=identity[4],
            phone=identity[5],
        )
        place = self.model.places[staff]
        if place is None:
            event("register: refused")
            with pytest.raises(consent_services.Refused):
                consent_services.register_resident(self.user(staff), data)
            return
        resident = consent_services.register_resident(self.user(staff), data)
        event("register: done")
        markers = (identity[0], identity[1], identity[2], identity[3], identity[4][3:], identity[5])
        self.model.residents[resident.pk] = ResidentModel(resident.pk, place, markers, birth)
        self.changes += 1

    def search(self, staff: str, resident: ResidentModel) -> None:
        """本人確認 at the counter: kana and birth date, as the resident gives them."""
        kana = f"{resident.identity[2]} {resident.identity[3]}"
        place = self.model.places[staff]
        if place is None:
            event("search: refused")
            with pytest.raises(consent_services.Refused):
                consent_services.find_possible_duplicates(
                    self.user(staff), kana, resident.birth_date
                )
            return
        found = consent_services.find_possible_duplicates(
            self.user(staff), kana, resident.birth_date
        )
        assert [r.pk for r in found] == [resident.pk]
        event("search: done")
        self.model.lookups.append(Lookup(staff, resident.pk, place))
        self.changes += 1

    def record_consent(
        self, staff: str, resident: ResidentModel, desks: set[str], feedback: bool
    ) -> None:
        if len(self.model.consents) >= MAX_CONSENTS:
            return
        categories = {"identity", "concern"} | ({"feedback"} if feedback else set())
        data = consent_services.ConsentInput(
            resident=Resident.objects.get(pk=resident.pk),
            recipients=[Desk.objects.get(code=code) for code in sorted(desks)],
            categories=sorted(categories),
            purpose="相談のため",
            method="verbal_witnessed",
            witness="同僚",
            valid_until=timezone.localdate() + datetime.timedelta(days=90),
        )
        if not self.model.may_act_for(staff, resident.pk):
            event("consent: refused")
            with pytest.raises(consent_services.Refused):
                consent_services.record_consent(self.user(staff), data)
            return
        consent = consent_services.record_consent(self.user(staff), data)
        event("consent: done")
        place = self.model.places[staff]
        assert place is not None
        self.model.consents[consent.pk] = ConsentModel(
            consent.pk, resident.pk, set(desks), categories, place
        )
        self.changes += 1

    def send(self, staff: str, consent: ConsentModel, desk: str) -> None:
        if len(self.model.sheets) >= MAX_SHEETS:
            return
        data = sheet_services.SheetInput(
            resident=Resident.objects.get(pk=consent.resident),
            to_desk=Desk.objects.get(code=desk),
            concerns=self.concerns,
            urgency="normal",
            legal_basis="consent",
            handoff_method="sheet_only",
            summary="滞納の相談",
            consent=Consent.objects.get(pk=consent.pk),
        )
        allowed = (
            self.model.may_act_for(staff, consent.resident)
            and self.model.desk_of(staff) != desk
            and not consent.withdrawn
            and desk in consent.desks
        )
        if not allowed:
            event("send: refused")
            with pytest.raises(SheetRefused):
                sheet_services.send_sheet(self.user(staff), data)
            return
        sheet = sheet_services.send_sheet(self.user(staff), data)
        event("send: done")
        place = self.model.places[staff]
        assert place is not None
        self.model.sheets[sheet.pk] = SheetModel(
            sheet.pk, consent.resident, desk, place, consent.pk, linked_to=sheet.linked_to_id
        )
        self.changes += 1

    def withdraw_consent(self, staff: str, consent: ConsentModel) -> None:
        call = lambda: consent_services.withdraw_consent(  # noqa: E731
            self.user(staff), consent.pk, "本人の申し出"
        )
        if not self.model.may_withdraw(staff, consent):
            event("withdraw consent: refused")
            with pytest.raises(consent_services.Refused):
                call()
            return
        if consent.withdrawn:
            with pytest.raises(consent_services.InvalidState):
                call()
            return
        call()
        event("withdraw consent: done")
        consent.withdrawn = True
        self.changes += 1

    def withdraw_sheet(self, sheet: SheetModel) -> None:
        """The sending side as it is now takes the sheet back."""
        senders = [n for n in NAMES if self.model.places[n] == sheet.sent_from]
        if not senders or sheet.status != "sent":
            return
        sheet_services.withdraw_sheet(self.user(senders[0]), sheet.pk, "本人が来所しなかった")
        event("withdraw sheet: done")
        sheet.status = "withdrawn"
        self.changes += 1

    def close(self, sheet: SheetModel) -> None:
        """The owner desk as it is now acknowledges and closes the case."""
        staff = [n for n in NAMES if self.model.desk_of(n) == sheet.owner]
        if not staff or sheet.status != "sent":
            return
        try:
            sheet_services.acknowledge(self.user(staff[0]), sheet.pk)
        except SheetRefused:
            # The desk may not read a sheet whose consent was withdrawn; nothing changed.
            assert self.model.consents[sheet.consent].withdrawn
            return
        sheet_services.close_sheet(self.user(staff[0]), sheet.pk, "duplicate", "終結")
        event("close: done")
        sheet.status = "closed"
        for linked in self.model.sheets.values():
            # Closing a case closes its open linked sheets with it (desk_actions.close_sheet).
            if linked.linked_to == sheet.pk and linked.status == "sent":
                linked.status = "closed"
        self.changes += 1

    def transfer(self, staff: str) -> None:
        """人事異動: the administrator moves a clerk or consultant to the other place."""
        role, _ = STAFF[staff]
        place = self.model.places[staff]
        if place is None:
            return
        user = self.user(staff)
        admin = self.user("admin")
        for membership in Membership.objects.filter(user=user):
            remove_membership(membership, actor=admin)
        kind, code = OTHER_PLACE[place]
        if kind == "dept":
            add_membership(user, role, department=Department.objects.get(code=code), actor=admin)
        else:
            add_membership(user, role, desk=Desk.objects.get(code=code), actor=admin)
        event("transfer")
        self.model.places[staff] = (kind, code)
        self.changes += 1

    # --- rules ---------------------------------------------------------------------------------

    @initialize(data=st.data())
    def two_residents(self, data):
        """Two residents, each registered by a random counter or desk."""
        for _ in range(2):
            staff = data.draw(st.sampled_from(PLACED), label="registered by")
            self.register(staff)
            resident = self.model.residents[max(self.model.residents)]
            desks = data.draw(st.sets(st.sampled_from(DESKS), min_size=1), label="desks")
            self.record_consent(staff, resident, desks, data.draw(st.booleans(), label="feedback"))

    @rule(data=st.data())
    def step(self, data):
        kind = data.draw(st.sampled_from(STEP_MIX), label="step")
        index = data.draw(st.integers(0, 50), label="index")
        prefer_related = data.draw(st.booleans(), label="prefer related")
        model = self.model
        if kind == "register":
            self.register(NAMES[index % len(NAMES)])
        elif kind == "search":
            resident = self.pick(model.residents, index)
            staff = PLACED if prefer_related else NAMES
            self.search(staff[index // 3 % len(staff)], resident)
        elif kind == "consent":
            resident = self.pick(model.residents, index)
            desks = data.draw(st.sets(st.sampled_from(DESKS), min_size=1), label="desks")
            feedback = data.draw(st.booleans(), label="feedback")
            staff = self.choose_staff(index // 3, resident.pk, prefer_related)
            self.record_consent(staff, resident, desks, feedback)
        elif kind == "send" and model.consents:
            active = {pk: c for pk, c in model.consents.items() if not c.withdrawn}
            consent = self.pick(active if prefer_related and active else model.consents, index)
            desk = data.draw(st.sampled_from(DESKS), label="to desk")
            staff = NAMES[index // 3 % len(NAMES)]
            if prefer_related:
                desk = sorted(consent.desks)[index % len(consent.desks)]
                senders = [
                    n
                    for n in PLACED
                    if model.may_act_for(n, consent.resident) and model.desk_of(n) != desk
                ]
                staff = senders[index // 3 % len(senders)] if senders else staff
            self.send(staff, consent, desk)
        elif kind == "withdraw_consent" and model.consents:
            consent = self.pick(model.consents, index)
            staff = self.choose_staff(index // 3, consent.resident, prefer_related)
            self.withdraw_consent(staff, consent)
        elif kind == "withdraw_sheet" and model.sheets:
            self.withdraw_sheet(self.pick(model.sheets, index))
        elif kind == "close" and model.sheets:
            self.close(self.pick(model.sheets, index))
        elif kind == "transfer":
            self.transfer(NAMES[index % len(NAMES)])

    # --- the invariant -------------------------------------------------------------------------

    def paths(self) -> list[tuple[str, str]]:
        """Every GET a staff member can make about the world: ("api" | "page", path)."""
        model = self.model
        found: list[tuple[str, str]] = [
            ("api", "/sheets/?box=inbox"),
            ("api", "/sheets/?box=sent"),
            ("page", "/inbox/"),
            ("page", "/sent/"),
        ]
        for pk in model.residents:
            found += [
                ("api", f"/residents/{pk}/"),
                ("api", f"/residents/{pk}/consents/"),
                ("page", f"/send/consents/?resident={pk}"),
            ]
        found += [("api", f"/consents/{pk}/") for pk in model.consents]
        for pk in model.sheets:
            found += [
                ("api", f"/sheets/{pk}/"),
                ("api", f"/sheets/{pk}/events/"),
                ("api", f"/sheets/{pk}/messages/"),
                ("page", f"/sheets/{pk}/"),
            ]
        return found

    @invariant()
    def no_identity_without_a_current_relationship(self):
        self.check()

    def check(self) -> None:
        if self.changes == self.checked_changes:
            return  # a refused or skipped step: the world is as it was at the last check
        self.checked_changes = self.changes
        paths = self.paths()
        for name in NAMES:
            hidden = {
                marker: pk
                for pk, resident in self.model.residents.items()
                if not self.model.may_see_identity(name, pk)
                for marker in resident.identity
            }
            if not hidden:
                continue
            for kind, path in paths:
                if kind == "api":
                    response = self.apis[name].get(API + path)
                else:
                    response = self.pages[name].get(path)
                assert response.status_code in (200, 403, 404), (name, path, response.status_code)
                text = response.content.decode("utf-8", "replace")
                if response.get("Content-Type", "").startswith("application/json"):
                    # Re-serialised without ASCII escapes, so an escaped name shows too.
                    text += json.dumps(json.loads(text), ensure_ascii=False)
                leaked = sorted({pk for marker, pk in hidden.items() if marker in text})
                assert not leaked, f"{name} GET {path} shows residents {leaked} ({text[:300]})"


@pytest.mark.django_db
def test_no_response_carries_identity_without_a_current_relationship(demo):
    demo.add_staff("tax_clerk2", "clerk", department="shuno")
    RelationshipMachine.demo = demo
    run_state_machine_as_test(
        RelationshipMachine,
        settings=settings(
            max_examples=6,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
