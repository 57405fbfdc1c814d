"""Fixtures for the report tests: a small directory, staff in every role, and a factory that
writes sheets and their timelines with explicit timestamps (so every figure can be computed by
hand). Production code writes sheets only through handoffs.services; tests may not need to."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from referral_hub.consent.models import Resident
from referral_hub.directory.models import Concern, Department, Desk, Membership, Municipality
from referral_hub.handoffs.models import ConnectSheet, EventKind, SheetEvent, Status
from referral_hub.reports.periods import TOKYO
from referral_hub.vault.keys import new_data_key


def jst(*parts: int) -> datetime.datetime:
    """An aware datetime in Japan time: jst(2026, 3, 31, 23, 59)."""
    return datetime.datetime(*parts, tzinfo=TOKYO)


# The status a sheet is left in by each timeline event (status-neutral events map to None).
STATUS_AFTER = {
    EventKind.SENT: Status.SENT,
    EventKind.ACKNOWLEDGED: Status.ACKNOWLEDGED,
    EventKind.ACCEPTED: Status.ACCEPTED,
    EventKind.CONTACTED: Status.CONTACTED,
    EventKind.CONNECTED: Status.CONNECTED,
    EventKind.REDIRECTED: Status.SENT,
    EventKind.RETURNED: Status.RETURNED,
    EventKind.RESENT: Status.SENT,
    EventKind.WITHDRAWN: Status.WITHDRAWN,
    EventKind.CLOSED: Status.CLOSED,
}


class Place:
    """The directory the tests share."""

    def __init__(self) -> None:
        self.city = Municipality.objects.create(code="test-city", name="テスト市")
        self.shuno = Department.objects.create(municipality=self.city, code="shuno", name="収納課")
        self.jutaku = Department.objects.create(
            municipality=self.city, code="kenchiku_jutaku", name="建築住宅課"
        )
        self.kokuho = Department.objects.create(
            municipality=self.city, code="kokuho_nenkin", name="国保年金課"
        )
        self.jiritsu = Desk.objects.create(
            municipality=self.city, code="jiritsu", name="自立相談支援窓口"
        )
        self.kakei = Desk.objects.create(municipality=self.city, code="kakei", name="家計改善支援")
        self.hogo = Desk.objects.create(
            municipality=self.city, code="seikatsu_hogo", name="生活保護担当"
        )


@pytest.fixture
def place(db: Any) -> Place:
    return Place()


@pytest.fixture
def make_user(django_user_model: Any) -> Callable[..., Any]:
    counter = itertools.count(1)

    def make(
        role: str | None, *, department: Department | None = None, desk: Desk | None = None
    ) -> Any:
        user = django_user_model.objects.create_user(
            username=f"staff{next(counter)}", password="correct-horse-battery-1"
        )
        if role:
            Membership.objects.create(user=user, role=role, department=department, desk=desk)
        return user

    return make


@pytest.fixture
def sender(make_user: Callable[..., Any], place: Place) -> Any:
    return make_user("clerk", department=place.shuno)


@pytest.fixture
def resident(sender: Any) -> Resident:
    return Resident.objects.create(
        data_key=new_data_key(),
        family_name="試験",
        family_name_kana="シケン",
        name_birth_index="0" * 64,
        family_birth_index="0" * 64,
        created_by=sender,
    )


SheetFactory = Callable[..., ConnectSheet]


@pytest.fixture
def make_sheet(place: Place, sender: Any, resident: Resident) -> SheetFactory:
    """make_sheet(sent_at, department=..., urgency=..., concerns=[codes], ack_due_at=...,
    events=[(kind, at) or (kind, at, outcome)]) writes the sheet, its "sent" event and the
    given timeline, and leaves status/outcome as the timeline implies."""
    numbers = itertools.count(1)

    def make(
        sent_at: datetime.datetime,
        *,
        department: Department | None = None,
        urgency: str = "normal",
        concerns: Iterable[str] = ("economic_hardship",),
        ack_due_at: datetime.datetime | None = None,
        events: Iterable[tuple[Any, ...]] = (),
        owner: Desk | None = None,
        from_desk: Desk | None = None,
    ) -> ConnectSheet:
        timeline = [(EventKind.SENT, sent_at, ""), *[(*e, "")[:3] for e in events]]
        status = Status.SENT
        outcome = ""
        for kind, _at, event_outcome in timeline:
            status = STATUS_AFTER.get(kind, status)
            if kind == EventKind.CLOSED:
                outcome = event_outcome
        sheet = ConnectSheet.objects.create(
            number=f"T-{next(numbers):06d}",
            data_key=new_data_key(),
            resident=resident,
            from_department=department if from_desk is None else None,
            from_desk=from_desk,
            sent_by=sender,
            owner_desk=owner or place.jiritsu,
            categories=["identity", "concern"],
            urgency=urgency,
            handoff_method="sheet_only",
            legal_basis="consent",
            status=status,
            outcome=outcome,
            sent_at=sent_at,
            owner_since=sent_at,
            ack_due_at=ack_due_at or sent_at + datetime.timedelta(days=3),
        )
        sheet.concerns.set(Concern.objects.filter(code__in=list(concerns)))
        SheetEvent.objects.bulk_create(
            SheetEvent(sheet=sheet, kind=kind, at=at, outcome=event_outcome)
            for kind, at, event_outcome in timeline
        )
        return sheet

    return make


# --- the hand-computed scenario ----------------------------------------------------------------
#
# April 2026 (JST) with nine sheets, plus sheets around it. docs/reports.md's rules applied by
# hand give the figures asserted in test_monthly_figures.py; the comments give each sheet's
# contribution (ack = seconds from sending to the first acknowledgement).
AS_OF = jst(2026, 5, 20, 12, 0)


@pytest.fixture
def april(make_sheet: SheetFactory, place: Place) -> dict[str, ConnectSheet]:
    s, j, k = place.shuno, place.jutaku, place.kokuho
    sheets = {
        # A: ack 3600 within SLA, contact 86400, closed connected_to_support (connected).
        "A": make_sheet(
            jst(2026, 4, 1, 9, 0),
            department=s,
            concerns=["economic_hardship", "tax_arrears"],
            ack_due_at=jst(2026, 4, 6, 17, 15),
            events=[
                ("acknowledged", jst(2026, 4, 1, 10, 0)),
                ("accepted", jst(2026, 4, 1, 11, 0)),
                ("contacted", jst(2026, 4, 2, 9, 0)),
                ("connected", jst(2026, 4, 3, 9, 0)),
                ("closed", jst(2026, 4, 10, 9, 0), "connected_to_support"),
            ],
        ),
        # B: urgent; ack 1800 within SLA; contacted the same day (21600); closed
        # referred_elsewhere (connected).
        "B": make_sheet(
            jst(2026, 4, 2, 9, 0),
            department=s,
            urgency="urgent",
            concerns=["no_food"],
            ack_due_at=jst(2026, 4, 2, 10, 0),
            events=[
                ("acknowledged", jst(2026, 4, 2, 9, 30)),
                ("accepted", jst(2026, 4, 2, 9, 40)),
                ("contacted", jst(2026, 4, 2, 15, 0)),
                ("closed", jst(2026, 4, 3, 10, 0), "referred_elsewhere"),
            ],
        ),
        # C: soon; overdue, then ack 320400 (late); closed unreachable.
        "C": make_sheet(
            jst(2026, 4, 3, 16, 0),
            department=j,
            urgency="soon",
            concerns=["unstable_housing", "job_search"],
            ack_due_at=jst(2026, 4, 6, 17, 15),
            events=[
                ("overdue", jst(2026, 4, 6, 17, 20)),
                ("acknowledged", jst(2026, 4, 7, 9, 0)),
                ("closed", jst(2026, 4, 20, 9, 0), "unreachable"),
            ],
        ),
        # D: redirected before any acknowledgement; the new desk acknowledges within its
        # period's deadline (the stored one): ack 255600 within SLA. One redirect. Open.
        "D": make_sheet(
            jst(2026, 4, 10, 10, 0),
            department=j,
            concerns=["debt"],
            ack_due_at=jst(2026, 4, 15, 17, 15),
            events=[
                ("redirected", jst(2026, 4, 10, 14, 0)),
                ("acknowledged", jst(2026, 4, 13, 9, 0)),
            ],
        ),
        # E: ack 3600 within SLA, then redirected twice (runaround), overdue at the third desk.
        # The SLA judgement uses the first period: no overdue before the first ack.
        "E": make_sheet(
            jst(2026, 4, 15, 10, 0),
            department=k,
            concerns=["illness"],
            ack_due_at=jst(2026, 4, 22, 17, 15),
            events=[
                ("acknowledged", jst(2026, 4, 15, 11, 0)),
                ("redirected", jst(2026, 4, 16, 10, 0)),
                ("acknowledged", jst(2026, 4, 16, 13, 0)),
                ("redirected", jst(2026, 4, 17, 10, 0)),
                ("runaround_alert", jst(2026, 4, 17, 10, 0)),
                ("overdue", jst(2026, 4, 22, 17, 20)),
            ],
        ),
        # F: overdue, then ack 345600 (late), then redirected: the stored deadline (reset by
        # the redirect) would wrongly call it in time; the overdue event says it was not.
        "F": make_sheet(
            jst(2026, 4, 20, 9, 0),
            department=s,
            concerns=["economic_hardship"],
            ack_due_at=jst(2026, 5, 1, 17, 15),
            events=[
                ("overdue", jst(2026, 4, 23, 17, 20)),
                ("acknowledged", jst(2026, 4, 24, 9, 0)),
                ("redirected", jst(2026, 4, 24, 10, 0)),
                ("acknowledged", jst(2026, 4, 24, 11, 0)),
            ],
        ),
        # G: sent by desk staff (no department); withdrawn before acknowledgement.
        "G": make_sheet(
            jst(2026, 4, 21, 10, 0),
            from_desk=place.kakei,
            concerns=["family"],
            events=[("withdrawn", jst(2026, 4, 21, 12, 0))],
        ),
        # H: sent on the last day at 23:59 JST (14:59 UTC): April. ack 32460 within SLA,
        # contact 554460; redirected in May (counts for April, the sheet's month). Open.
        "H": make_sheet(
            jst(2026, 4, 30, 23, 59),
            department=s,
            concerns=["economic_hardship", "debt", "household_budget"],
            ack_due_at=jst(2026, 5, 11, 17, 15),
            events=[
                ("acknowledged", jst(2026, 5, 1, 9, 0)),
                ("redirected", jst(2026, 5, 2, 10, 0)),
                ("contacted", jst(2026, 5, 7, 10, 0)),
            ],
        ),
        # I: urgent; ack 900 within SLA; contacted two days later (145800, not the same day);
        # closed declined in May: closed for a report made after that, open at April's end.
        "I": make_sheet(
            jst(2026, 4, 28, 16, 30),
            department=j,
            urgency="urgent",
            concerns=["dv"],
            ack_due_at=jst(2026, 4, 28, 17, 30),
            events=[
                ("acknowledged", jst(2026, 4, 28, 16, 45)),
                ("accepted", jst(2026, 4, 28, 17, 0)),
                ("contacted", jst(2026, 4, 30, 9, 0)),
                ("closed", jst(2026, 5, 12, 10, 0), "declined"),
            ],
        ),
        # Around April. X: 31 March 23:59 JST, still open. W: March, closed in April.
        # Z: February, never closed. Y: 1 May 00:00 JST (May, fiscal year 2026).
        "X": make_sheet(
            jst(2026, 3, 31, 23, 59),
            department=s,
            concerns=["tax_arrears"],
            ack_due_at=jst(2026, 4, 3, 17, 15),
            events=[("acknowledged", jst(2026, 4, 1, 9, 0))],
        ),
        "W": make_sheet(
            jst(2026, 3, 5, 10, 0),
            department=j,
            concerns=["rent_arrears"],
            ack_due_at=jst(2026, 3, 10, 17, 15),
            events=[
                ("acknowledged", jst(2026, 3, 5, 11, 0)),
                ("closed", jst(2026, 4, 15, 10, 0), "resolved_by_information"),
            ],
        ),
        "Z": make_sheet(jst(2026, 2, 10, 10, 0), department=k, concerns=["isolation"]),
        "Y": make_sheet(jst(2026, 5, 1, 0, 0), department=s, concerns=["other"]),
    }
    return sheets
