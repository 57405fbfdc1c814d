"""The report rollups (reports.models.SheetFacts, kept by PostgreSQL triggers) give exactly the
figures of the raw timeline aggregation, for random histories: redirects and resends across month
boundaries, late closures, withdrawals, overdue events, sheets sent at 23:59 JST on a month's last
day, events inserted out of time order, later changes to the sheet's urgency and deadline, concerns
chosen, changed and removed after sending, contact attempts (some deleted later), stalled and
connected events, arrivals, linked sheets and first-contact deadlines, and reports taken as of
moments in the middle of those histories."""

from __future__ import annotations

import datetime
import random

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referral_hub.directory.models import Concern
from referral_hub.handoffs.models import ConnectSheet, ContactAttempt, SheetEvent
from referral_hub.reports import rollup_sql
from referral_hub.reports.figures import period_report
from referral_hub.reports.models import SheetFacts
from referral_hub.reports.periods import fiscal_year_period, month_period

from .conftest import jst

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres,
]


@pytest.fixture(autouse=True)
def _postgresql_only(db) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the rollup triggers are PostgreSQL's (elsewhere reports read the timeline)")


@pytest.fixture(autouse=True)
def _concerns(db) -> None:
    """The concerns the histories choose (seeded by a data migration, which a flushed test
    database no longer holds)."""
    for order, code in enumerate(CONCERNS):
        Concern.objects.get_or_create(code=code, defaults={"name": code, "sort_order": order})


HOUR = datetime.timedelta(hours=1)
MONTHS = [datetime.date(2026, 3, 1), datetime.date(2026, 4, 1), datetime.date(2026, 5, 1)]
CONCERNS = ["economic_hardship", "tax_arrears", "debt", "illness", "no_food"]
concern_set = st.lists(st.sampled_from(CONCERNS), unique=True, max_size=3)
OUTCOMES = ["connected_to_support", "referred_elsewhere", "declined", "unreachable", ""]
SENT_MOMENTS = [
    jst(2026, 3, 2, 9, 0), jst(2026, 3, 31, 23, 59), jst(2026, 4, 1, 0, 0),
    jst(2026, 4, 15, 10, 30), jst(2026, 4, 30, 23, 59, 59), jst(2026, 5, 1, 0, 0),
    jst(2026, 5, 20, 16, 0),
]  # fmt: skip

# One sheet's history: where it starts and what happens, each step after a delay in hours
# (up to ~40 days, so steps cross month ends).
step = st.tuples(
    st.sampled_from(
        [
            "acknowledged",
            "contacted",
            "overdue",
            "redirected",
            "resent",
            "accepted",
            "connected",
            "stalled",
            "attempt",
            "attempt",
            "arrived",
        ]  # fmt: skip
    ),
    st.integers(min_value=0, max_value=960),
)
history = st.fixed_dictionaries(
    {
        "sent_at": st.sampled_from(SENT_MOMENTS),
        "offset_minutes": st.integers(min_value=0, max_value=600),
        "department": st.sampled_from(["shuno", "jutaku", "kokuho", None]),
        "urgency": st.sampled_from(["urgent", "soon", "normal"]),
        "steps": st.lists(step, max_size=7),
        "end": st.sampled_from([None, "closed", "withdrawn"]),
        "end_after": st.integers(min_value=1, max_value=24 * 90),  # late closures
        "outcome": st.sampled_from(OUTCOMES),
        "due_hours": st.integers(min_value=1, max_value=120),
        "later_urgency": st.sampled_from([None, "urgent", "normal"]),
        "concerns": concern_set,
        "later_concerns": st.one_of(st.none(), concern_set),  # changed or cleared after sending
        "linked_to_earlier": st.booleans(),  # a parallel sheet of the previous one (one case)
        "contact_due_hours": st.one_of(st.none(), st.integers(min_value=1, max_value=24 * 20)),
        "drop_first_attempt": st.booleans(),
        "shuffle_seed": st.integers(min_value=0, max_value=1000),
    }
)


def _write(make_sheet, place, sender, spec: dict, earlier: list) -> list[datetime.datetime]:
    """Write one sheet (events and attempts in shuffled insertion order); return its times."""
    department = {"shuno": place.shuno, "jutaku": place.jutaku, "kokuho": place.kokuho}.get(
        spec["department"]
    )
    sent_at = spec["sent_at"] - datetime.timedelta(minutes=spec["offset_minutes"])
    sheet = make_sheet(
        sent_at,
        department=department,
        from_desk=None if department else place.kakei,
        urgency=spec["urgency"],
        ack_due_at=sent_at + HOUR * spec["due_hours"],
        concerns=spec["concerns"],
    )
    at = sent_at
    events: list[SheetEvent | ContactAttempt] = []
    sheet_changes: dict = {}
    for kind, hours in spec["steps"]:
        at += HOUR * hours + datetime.timedelta(seconds=1)
        if kind == "attempt":
            events.append(
                ContactAttempt(
                    sheet=sheet,
                    desk=place.jiritsu,
                    actor=sender,
                    at=at,
                    channel="phone",
                    result="no_answer",
                    created_at=at,
                )  # fmt: skip
            )
        elif kind == "arrived":
            sheet_changes["arrived_at"] = at
        else:
            events.append(SheetEvent(sheet=sheet, kind=kind, at=at))
    if spec["end"]:
        at += HOUR * spec["end_after"]
        outcome = spec["outcome"] if spec["end"] == "closed" else ""
        events.append(SheetEvent(sheet=sheet, kind=spec["end"], at=at, outcome=outcome))
    random.Random(spec["shuffle_seed"]).shuffle(events)
    for event in events:  # one INSERT each, in shuffled order: the triggers see any order
        event.save()
    if spec["linked_to_earlier"] and earlier:
        sheet_changes["linked_to"] = earlier[-1]
    if spec["contact_due_hours"]:
        sheet_changes["first_contact_due_at"] = sent_at + HOUR * spec["contact_due_hours"]
    if sheet_changes:
        ConnectSheet.objects.filter(pk=sheet.pk).update(**sheet_changes)
    first_attempt = ContactAttempt.objects.filter(sheet=sheet).order_by("at").first()
    if spec["drop_first_attempt"] and first_attempt:
        first_attempt.delete()
    earlier.append(sheet)
    if spec["later_urgency"]:  # a redirect resets the deadline; urgency can be corrected
        ConnectSheet.objects.filter(pk=sheet.pk).update(
            urgency=spec["later_urgency"], ack_due_at=at + HOUR
        )
    if spec["later_concerns"] is not None:  # deletes and inserts many-to-many rows
        sheet.concerns.set(Concern.objects.filter(code__in=spec["later_concerns"]))
    return [sent_at, *(e.at for e in events), *filter(None, [sheet_changes.get("arrived_at")])]


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(histories=st.lists(history, min_size=1, max_size=6), pick=st.randoms(use_true_random=False))
def test_rollups_equal_the_raw_aggregation_for_random_histories(
    make_sheet, place, sender, histories, pick
) -> None:
    with transaction.atomic():
        moments: list[datetime.datetime] = []
        earlier: list[ConnectSheet] = []
        for spec in histories:
            moments += _write(make_sheet, place, sender, spec, earlier)
        # Report moments: after everything, and inside the histories (between events).
        as_of_choices = [max(moments) + HOUR] + [
            m + datetime.timedelta(seconds=s) for m in pick.sample(moments, 1)
            for s in (0,)
        ]  # fmt: skip
        scopes = [None, {place.shuno.pk, place.kokuho.pk}]
        periods = [month_period(m) for m in MONTHS] + [fiscal_year_period(2026)]
        for as_of in as_of_choices:
            for period in periods:
                for scope in scopes:
                    from_rollups = period_report(
                        period, department_ids=scope, as_of=as_of, from_rollups=True
                    )
                    raw = period_report(
                        period, department_ids=scope, as_of=as_of, from_rollups=False
                    )
                    assert from_rollups == raw, (period.label, scope, as_of)
        transaction.set_rollback(True)


def _facts() -> list[tuple]:
    return list(SheetFacts.objects.order_by("pk").values_list())


def test_backfill_from_the_timeline_equals_what_the_triggers_kept(make_sheet, place) -> None:
    make_sheet(
        jst(2026, 3, 31, 23, 59),
        department=place.shuno,
        events=[
            ("acknowledged", jst(2026, 4, 1, 9, 0)),
            ("redirected", jst(2026, 4, 2, 9, 0)),
            ("redirected", jst(2026, 5, 2, 9, 0)),
            ("redirected", jst(2026, 5, 3, 9, 0)),
            ("redirected", jst(2026, 5, 4, 9, 0)),
            ("closed", jst(2026, 8, 1, 9, 0), "declined"),
        ],
    )
    make_sheet(jst(2026, 4, 30, 12, 0), department=place.kokuho, concerns=["debt", "illness"])
    make_sheet(jst(2026, 4, 30, 13, 0), department=place.kokuho, concerns=[])
    kept = _facts()
    assert kept and kept[0][9] == 4  # four redirects counted on write
    SheetFacts.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(rollup_sql.BACKFILL)
    assert _facts() == kept


def test_changing_or_deleting_an_event_recomputes_the_facts(make_sheet, place) -> None:
    sheet = make_sheet(
        jst(2026, 4, 1, 9, 0),
        department=place.shuno,
        events=[("acknowledged", jst(2026, 4, 1, 10, 0)), ("closed", jst(2026, 4, 9), "declined")],
    )
    facts = SheetFacts.objects.get(pk=sheet.pk)
    assert facts.first_ack_at == jst(2026, 4, 1, 10, 0) and facts.closed_outcome == "declined"
    SheetEvent.objects.filter(sheet=sheet, kind="acknowledged").update(at=jst(2026, 4, 2, 8, 0))
    SheetEvent.objects.filter(sheet=sheet, kind="closed").delete()
    facts.refresh_from_db()
    assert facts.first_ack_at == jst(2026, 4, 2, 8, 0)
    assert facts.closed_at is None and facts.closed_outcome == ""


def test_the_facts_go_with_their_sheet(make_sheet, place) -> None:
    sheet = make_sheet(jst(2026, 4, 1, 9, 0), department=place.shuno)
    SheetEvent.objects.filter(sheet=sheet).delete()
    sheet.concerns.clear()
    ConnectSheet.objects.filter(pk=sheet.pk).delete()
    assert not SheetFacts.objects.filter(pk=sheet.pk).exists()


def _concern_ids(sheet: ConnectSheet) -> list[int]:
    return SheetFacts.objects.get(pk=sheet.pk).concern_ids


def test_the_concern_ids_follow_every_write_to_the_sheets_concerns(make_sheet, place) -> None:
    ids = dict(Concern.objects.values_list("code", "pk"))
    first = make_sheet(jst(2026, 4, 1, 9, 0), department=place.shuno, concerns=["illness", "debt"])
    second = make_sheet(jst(2026, 4, 2, 9, 0), department=place.shuno, concerns=[])
    assert _concern_ids(first) == sorted([ids["illness"], ids["debt"]])
    assert _concern_ids(second) == []
    first.concerns.remove(Concern.objects.get(code="illness"))
    second.concerns.add(Concern.objects.get(code="no_food"))
    assert _concern_ids(first) == [ids["debt"]]
    assert _concern_ids(second) == [ids["no_food"]]
    through = ConnectSheet.concerns.through
    through.objects.filter(connectsheet=first).update(connectsheet=second)  # moved to the other
    assert _concern_ids(first) == []
    assert _concern_ids(second) == sorted([ids["debt"], ids["no_food"]])
    through.objects.filter(connectsheet=second, concern_id=ids["debt"]).update(
        concern_id=ids["illness"]
    )
    assert _concern_ids(second) == sorted([ids["illness"], ids["no_food"]])
    second.concerns.clear()
    assert _concern_ids(second) == []


def test_a_concern_row_without_facts_rebuilds_them(make_sheet, place) -> None:
    """A sheet loaded while the triggers were bypassed gets its facts on its next concern row."""
    sheet = make_sheet(jst(2026, 4, 1, 9, 0), department=place.shuno, concerns=["debt"])
    SheetFacts.objects.filter(pk=sheet.pk).delete()
    sheet.concerns.add(Concern.objects.get(code="illness"))
    facts = SheetFacts.objects.get(pk=sheet.pk)
    assert facts.sent_at == sheet.sent_at
    assert len(facts.concern_ids) == 2


def test_attempts_arrival_link_and_follow_up_events_follow_every_write(
    make_sheet, place, sender
) -> None:
    first = make_sheet(jst(2026, 4, 1, 9, 0), department=place.shuno)
    second = make_sheet(jst(2026, 4, 2, 9, 0), department=place.shuno)

    def attempt(sheet: ConnectSheet, at: datetime.datetime) -> ContactAttempt:
        return ContactAttempt.objects.create(
            sheet=sheet, desk=place.jiritsu, actor=sender, at=at, channel="phone",
            result="no_answer", created_at=at,
        )  # fmt: skip

    def facts(sheet: ConnectSheet) -> tuple:
        row = SheetFacts.objects.get(pk=sheet.pk)
        return row.attempts, row.first_attempt_at, row.last_attempt_at

    late = attempt(first, jst(2026, 4, 5, 9, 0))
    early = attempt(first, jst(2026, 4, 3, 9, 0))
    assert facts(first) == (2, jst(2026, 4, 3, 9, 0), jst(2026, 4, 5, 9, 0))
    ContactAttempt.objects.filter(pk=late.pk).update(sheet=second)  # moved to the other sheet
    assert facts(first) == (1, jst(2026, 4, 3, 9, 0), jst(2026, 4, 3, 9, 0))
    assert facts(second) == (1, jst(2026, 4, 5, 9, 0), jst(2026, 4, 5, 9, 0))
    early.delete()
    assert facts(first) == (0, None, None)

    ConnectSheet.objects.filter(pk=second.pk).update(
        arrived_at=jst(2026, 4, 6, 10, 0),
        linked_to=first,
        first_contact_due_at=jst(2026, 4, 9, 17, 0),
    )
    SheetEvent.objects.create(sheet=second, kind="stalled", at=jst(2026, 5, 8, 0, 0))
    SheetEvent.objects.create(sheet=second, kind="connected", at=jst(2026, 5, 9, 0, 0))
    row = SheetFacts.objects.get(pk=second.pk)
    assert row.arrived_at == jst(2026, 4, 6, 10, 0) and row.linked_to_id == first.pk
    assert row.first_contact_due_at == jst(2026, 4, 9, 17, 0)
    assert row.first_stalled_at == jst(2026, 5, 8) and row.first_connected_at == jst(2026, 5, 9)
