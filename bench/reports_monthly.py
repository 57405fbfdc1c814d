"""Benchmark: the monthly report over 1,000,000 connect sheets on PostgreSQL.

    .venv/bin/python bench/reports_monthly.py [--database-url URL] [--sheets 1000000] [--rebuild]

The database defaults to $BENCH_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/
rh_reports_bench. Generating the data TRUNCATEs the sheet, resident and data-key tables, so the
database name must end in "_bench". A run over existing data takes a few minutes; generating
1,000,000 sheets adds about five.

What it does:
1. creates the database if needed, migrates it and seeds the demo directory (seed_demo);
2. unless the data is already there (or --rebuild), generates the sheets spread over 24 months
   (FY2024 and FY2025) with realistic distributions, and writes them with COPY: data keys
   (random ``wrapped`` bytes; never decrypted here), residents, sheets with ciphertext-sized
   narrative columns, concerns and the event timelines; then VACUUM ANALYZE;
3. times ``monthly_report`` for a few months (median of 5 runs after one warm-up) and counts its
   SQL queries, next to a baseline measured in the same run: a plain COUNT(*) of the month's
   sheets. The ratio report/baseline is printed for each case. It also measures the CPU time of
   one report (client plus PostgreSQL backend, parallel workers off), which does not depend on
   what else the machine is doing.
4. repeats the timings with the indexes proposed for the handoffs tables (docs/reports.md),
   then also with ``random_page_cost = 1.1`` (the usual setting on SSDs), and drops the indexes
   again, so the effect of each is visible. The load average is printed with each round: the
   machine is shared, and other work inflates the timings.

Distributions (DOMAIN.md): source departments follow Zama City's table of in-office referrals
(生活保護担当 22, 広聴人権課 16, 収納課 13, …) plus 学校教育課 and 上下水道局 and about 5 % of
sheets sent by desk staff; volume grows over the two years (Zama: 487 → 1,300 a year) with an
April peak; sheets are sent on working days, mostly in office hours, some late in the evening;
1–4 concerns each; acknowledgement delays are log-normal per urgency, ~10 % are redirected
(~2.5 % twice or more), ~2 % returned and resent, ~2 % withdrawn; older sheets are mostly closed.
The acknowledgement deadline uses the product's own SLA function (handoffs.sla).
"""

from __future__ import annotations

import argparse
import base64
import datetime
import math
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/rh_reports_bench"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii")


def configure_django(database_url: str) -> None:
    """Production settings with throw-away keys (nothing is decrypted in this benchmark)."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("SECRET_KEY", _b64(os.urandom(48)))
    os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="rh-bench-"))
    os.environ.setdefault("VAULT_KEYS", f"bench:{_b64(os.urandom(32))}")
    os.environ.setdefault("VAULT_INDEX_KEY", _b64(os.urandom(32)))
    os.environ.setdefault("AUDIT_SIGNING_KEY", "")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DJANGO_SETTINGS_MODULE"] = "referral_hub.settings"
    import django

    django.setup()


def ensure_database(database_url: str) -> None:
    import psycopg
    from psycopg import sql

    name = database_url.rsplit("/", 1)[1].split("?")[0]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


# --- data generation -----------------------------------------------------------------------------

ZAMA_REFERRALS = {  # DOMAIN.md: in-office referrals by department (FY2018)
    "seikatsu_hogo_tanto": 22,
    "kouchou_jinken": 16,
    "shuno": 13,
    "kokuho_nenkin": 13,
    "kenko_zukuri": 10,
    "kaigo_hoken": 10,
    "shogai_fukushi": 8,
    "kodomo_seisaku": 5,
    "shiminzei": 2,
    "shohi_seikatsu": 2,
    "koseki_jumin": 1,
    "shoko_kanko": 1,
    "iryo": 1,
    "kenchiku_jutaku": 1,
    "kyoiku_kenkyujo": 1,
    "gakko_kyoiku": 3,  # not in Zama's table; the demo municipality has it
    "jogesuido": 2,
}
FROM_DESK_SHARE = 0.05
CONCERN_WEIGHTS = {  # DOMAIN.md: the most frequent problems at first assessment, in order
    "economic_hardship": 30,
    "illness": 18,
    "household_budget": 16,
    "job_search": 15,
    "mental_health": 13,
    "family": 11,
    "isolation": 10,
    "debt": 9,
    "disability_suspected": 8,
    "unstable_housing": 8,
    "tax_arrears": 12,
    "rent_arrears": 6,
    "utility_arrears": 5,
    "children_education": 4,
    "hikikomori": 3,
    "dv": 2,
    "no_food": 2,
    "other": 3,
}
URGENCY_WEIGHTS = {"urgent": 8, "soon": 27, "normal": 65}
# Median acknowledgement delay in hours per urgency (log-normal, sigma 1).
ACK_MEDIAN_HOURS = {"urgent": 0.4, "soon": 5.0, "normal": 20.0}
FIRST_MONTH = datetime.date(2024, 4, 1)
MONTHS = 24
OFFICE_OPEN = datetime.time(8, 30)
RESIDENTS_PER_SHEET = 0.25
SWEEP_DELAY = datetime.timedelta(minutes=5)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


class Generator:
    """Deterministic (seeded) sheets and timelines."""

    def __init__(self, sheets: int, directory: dict[str, Any], seed: int = 20260401) -> None:
        from referral_hub import office_calendar
        from referral_hub.handoffs import sla
        from referral_hub.reports.periods import TOKYO

        self.sla = sla
        self.calendar = office_calendar
        self.tokyo = TOKYO
        self.rng = random.Random(seed)
        self.sheets = sheets
        self.directory = directory
        self.now = datetime.datetime(2026, 4, 10, 12, 0, tzinfo=TOKYO)
        self.departments = [directory["departments"][code] for code in ZAMA_REFERRALS]
        self.department_weights = list(ZAMA_REFERRALS.values())
        self.concerns = [directory["concerns"][code] for code in CONCERN_WEIGHTS]
        self.concern_weights = list(CONCERN_WEIGHTS.values())
        self.desks = directory["desks"]
        self.per_month = self._per_month()
        self.working_days = {m: self._working_days(m) for m in range(MONTHS)}

    def _per_month(self) -> list[int]:
        # Growing volume (Zama more than doubled in a year) with an April peak.
        weights = []
        for i in range(MONTHS):
            month = (FIRST_MONTH.month - 1 + i) % 12 + 1
            weights.append((1.0 + i / (MONTHS - 1)) * (1.3 if month == 4 else 1.0))
        total = sum(weights)
        counts = [int(self.sheets * w / total) for w in weights]
        counts[-1] += self.sheets - sum(counts)
        return counts

    def _month(self, index: int) -> datetime.date:
        year = FIRST_MONTH.year + (FIRST_MONTH.month - 1 + index) // 12
        return datetime.date(year, (FIRST_MONTH.month - 1 + index) % 12 + 1, 1)

    def _working_days(self, index: int) -> list[datetime.date]:
        first = self._month(index)
        day, days = first, []
        while day.month == first.month:
            if self.calendar.is_working_day(day):
                days.append(day)
            day += DAY
        return days

    def _sent_at(self, month_index: int) -> datetime.datetime:
        day = self.rng.choice(self.working_days[month_index])
        if self.rng.random() < 0.03:  # late entries, up to 23:59 (month-end edge)
            seconds = self.rng.randrange(17 * 3600 + 900, 24 * 3600)
        else:
            seconds = self.rng.randrange(8 * 3600 + 1800, 17 * 3600 + 900)
        return datetime.datetime.combine(day, datetime.time(), tzinfo=self.tokyo) + (
            datetime.timedelta(seconds=seconds)
        )

    def _delay(self, median_hours: float, sigma: float = 1.0) -> datetime.timedelta:
        return datetime.timedelta(hours=median_hours * math.exp(self.rng.gauss(0.0, sigma)))

    def rows(self) -> Iterator[tuple[tuple, list[tuple], list[int]]]:
        """(sheet row, event rows, concern ids) for every sheet, in id order."""
        sheet_id = 0
        for month_index, count in enumerate(self.per_month):
            for _ in range(count):
                sheet_id += 1
                yield self._sheet(sheet_id, month_index)

    def _sheet(self, sheet_id: int, month_index: int) -> tuple[tuple, list[tuple], list[int]]:
        rng = self.rng
        sent_at = self._sent_at(month_index)
        urgency = rng.choices(list(URGENCY_WEIGHTS), list(URGENCY_WEIGHTS.values()))[0]
        if rng.random() < FROM_DESK_SHARE:
            department_id, from_desk_id = None, self.desks["kakei"]
        else:
            department_id = rng.choices(self.departments, self.department_weights)[0]
            from_desk_id = None
        owner = self.desks["jiritsu"] if rng.random() < 0.8 else self.desks["seikatsu_hogo"]
        events: list[tuple[str, datetime.datetime, int | None, int | None, str]] = [
            ("sent", sent_at, None, owner, "")
        ]
        due = self.sla.ack_due_at(sent_at, urgency)
        at = sent_at
        final = "sent"
        outcome = ""
        acknowledged = False

        def ack_or_overdue(start: datetime.datetime, deadline: datetime.datetime) -> bool:
            nonlocal at
            if rng.random() < 0.03:  # never acknowledged in this period
                events.append(("overdue", deadline + SWEEP_DELAY, None, owner, ""))
                at = deadline + SWEEP_DELAY
                return False
            ack_at = start + self._delay(ACK_MEDIAN_HOURS[urgency])
            if ack_at > deadline + SWEEP_DELAY:
                events.append(("overdue", deadline + SWEEP_DELAY, None, owner, ""))
            events.append(("acknowledged", ack_at, None, None, ""))
            at = ack_at
            return True

        roll = rng.random()
        if roll < 0.02:  # withdrawn by the sender before acknowledgement
            at = sent_at + self._delay(3.0)
            events.append(("withdrawn", at, None, None, ""))
            final = "withdrawn"
        else:
            if roll < 0.04:  # returned with a question, then resent
                at = sent_at + self._delay(2.0)
                events.append(("returned", at, None, None, ""))
                at += self._delay(20.0)
                events.append(("resent", at, None, owner, ""))
                due = self.sla.ack_due_at(at, urgency)
            acknowledged = ack_or_overdue(at, due)
            redirects = 0
            redirect_roll = rng.random()
            wanted = 3 if redirect_roll < 0.005 else 2 if redirect_roll < 0.025 else 1
            if redirect_roll < 0.10:
                for _ in range(wanted):
                    at += self._delay(4.0)
                    new_owner = (
                        self.desks["kakei"]
                        if owner != self.desks["kakei"]
                        else (self.desks["houkatsu"])
                    )
                    events.append(("redirected", at, owner, new_owner, ""))
                    redirects += 1
                    owner = new_owner
                    if redirects == 2:
                        events.append(("runaround_alert", at, None, owner, ""))
                    due = self.sla.ack_due_at(at, urgency)
                    acknowledged = ack_or_overdue(at, due) or acknowledged
            final = "acknowledged" if acknowledged else "sent"
            if events[-1][0] == "acknowledged" and rng.random() < 0.95:
                at += self._delay(1.0)
                events.append(("accepted", at, None, None, ""))
                final = "accepted"
                if rng.random() < 0.88:
                    at += self._delay(24.0)
                    events.append(("contacted", at, None, None, ""))
                    final = "contacted"
                    if rng.random() < 0.65:
                        at += self._delay(72.0)
                        events.append(("connected", at, None, None, ""))
                        final = "connected"
                if rng.random() < 0.9:
                    at += self._delay(24.0 * 30)
                    if final == "connected":
                        outcome = rng.choices(
                            ["connected_to_support", "referred_elsewhere"], [85, 15]
                        )[0]
                    else:
                        outcome = rng.choices(
                            [
                                "referred_elsewhere",
                                "resolved_by_information",
                                "declined",
                                "unreachable",
                                "duplicate",
                            ],
                            [25, 35, 20, 17, 3],
                        )[0]
                    events.append(("closed", at, None, None, outcome))
                    final = "closed"
        # Nothing can have happened after the benchmark's "now": cut the timeline there.
        kept = [e for e in events if e[1] <= self.now]
        if len(kept) < len(events):
            final = _status_after(kept)
            outcome = next((e[4] for e in kept if e[0] == "closed"), "")
        closed_at = next((e[1] for e in kept if e[0] in ("closed", "withdrawn")), None)
        redirect_count = sum(1 for e in kept if e[0] == "redirected")
        period_start = max(e[1] for e in kept if e[0] in ("sent", "redirected", "resent"))
        overdue = [e[1] for e in kept if e[0] == "overdue" and e[1] >= period_start]
        sheet = (
            sheet_id,
            department_id,
            from_desk_id,
            owner,
            urgency,
            final,
            outcome,
            sent_at,
            period_start,
            due,
            closed_at,
            overdue[0] if overdue else None,
            redirect_count,
        )
        concerns = rng.sample(
            range(len(self.concerns)), k=rng.choices([1, 2, 3, 4], [25, 35, 25, 15])[0]
        )
        concern_ids = sorted(
            {rng.choices(self.concerns, self.concern_weights)[0]}
            | {self.concerns[i] for i in concerns[1:]}
        )
        return sheet, kept, concern_ids


def _status_after(events: list[tuple]) -> str:
    status = "sent"
    moves = {
        "sent": "sent",
        "acknowledged": "acknowledged",
        "accepted": "accepted",
        "contacted": "contacted",
        "connected": "connected",
        "redirected": "sent",
        "returned": "returned",
        "resent": "sent",
        "withdrawn": "withdrawn",
        "closed": "closed",
    }
    for event in events:
        status = moves.get(event[0], status)
    return status


SHEET_COLUMNS = (
    "id, number, data_key_id, resident_id, from_department_id, from_desk_id, sent_by_id, "
    "owner_desk_id, summary_ciphertext, resident_words_ciphertext, tax_details_ciphertext, "
    "health_details_ciphertext, household_details_ciphertext, contact_preference_ciphertext, "
    "justification_ciphertext, categories, urgency, handoff_method, legal_basis, status, "
    "outcome, sent_at, owner_since, ack_due_at, acknowledged_at, accepted_at, contacted_at, "
    "connected_at, closed_at, overdue_notified_at, redirect_count, version, updated_at"
)
EVENT_COLUMNS = (
    "id, sheet_id, kind, at, from_status, to_status, from_desk_id, to_desk_id, outcome, "
    "note_ciphertext"
)
CHUNK = 50_000


def load(sheets: int, ciphertext_chars: int) -> None:
    """Write the generated data with COPY, in chunks of sheets (bounded memory)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction

    from referral_hub.directory.models import Concern, Department, Desk

    call_command("seed_demo", "--force", "--password", _b64(os.urandom(18)), verbosity=0)
    directory = {
        "departments": dict(Department.objects.values_list("code", "pk")),
        "desks": dict(Desk.objects.values_list("code", "pk")),
        "concerns": dict(Concern.objects.values_list("code", "pk")),
    }
    sender_id = get_user_model().objects.get(username="tax_clerk").pk
    generator = Generator(sheets, directory)
    residents = max(1, int(sheets * RESIDENTS_PER_SHEET))
    started = time.perf_counter()
    key_created = datetime.datetime(2024, 4, 1, tzinfo=datetime.UTC)
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.connection
        cursor.execute(
            "TRUNCATE handoffs_sheetevent, handoffs_connectsheet_concerns, "
            "handoffs_connectsheet, consent_resident, vault_datakey RESTART IDENTITY CASCADE"
        )
        with raw.cursor().copy(
            "COPY vault_datakey (id, kek_id, wrapped, created_at) FROM STDIN"
        ) as copy:
            for key_id in range(1, residents + sheets + 1):
                copy.write_row((key_id, "bench", os.urandom(40), key_created))
        _progress("data keys", residents + sheets, started)
        with raw.cursor().copy(
            "COPY consent_resident (id, data_key_id, family_name_ciphertext, "
            "given_name_ciphertext, family_name_kana_ciphertext, given_name_kana_ciphertext, "
            "birth_date_ciphertext, address_ciphertext, phone_ciphertext, name_birth_index, "
            "family_birth_index, created_by_id, created_at) FROM STDIN"
        ) as copy:
            for resident_id in range(1, residents + 1):
                token = _b64(os.urandom(40))
                index = os.urandom(32).hex()
                copy.write_row(
                    (resident_id, resident_id, token, token, token, token, "", token, token)
                    + (index, index, sender_id, key_created)
                )
        _progress("residents", residents, started)
        event_id = concern_row_id = 0
        chunk: list[tuple[tuple, list[tuple], list[int]]] = []
        for item in generator.rows():
            chunk.append(item)
            if len(chunk) == CHUNK:
                event_id, concern_row_id = _copy_chunk(
                    raw, chunk, residents, sender_id, ciphertext_chars, event_id, concern_row_id
                )
                chunk = []
                _progress("sheets", item[0][0], started)
        if chunk:
            event_id, concern_row_id = _copy_chunk(
                raw, chunk, residents, sender_id, ciphertext_chars, event_id, concern_row_id
            )
        for table in (
            "vault_datakey",
            "consent_resident",
            "handoffs_connectsheet",
            "handoffs_sheetevent",
            "handoffs_connectsheet_concerns",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
    _progress("events", event_id, started)
    _progress("concern rows", concern_row_id, started)


def _copy_chunk(
    raw: Any,
    chunk: list[tuple[tuple, list[tuple], list[int]]],
    residents: int,
    sender_id: int,
    ciphertext_chars: int,
    event_id: int,
    concern_row_id: int,
) -> tuple[int, int]:
    rng = random.Random(chunk[0][0][0])
    with raw.cursor().copy(f"COPY handoffs_connectsheet ({SHEET_COLUMNS}) FROM STDIN") as copy:
        for sheet, events, _concerns in chunk:
            (
                sheet_id,
                department_id,
                from_desk_id,
                owner,
                urgency,
                status,
                outcome,
                sent_at,
                period_start,
                due,
                closed_at,
                overdue_at,
                redirect_count,
            ) = sheet
            # Narrative columns hold ciphertext in production: keep the row width realistic.
            summary = _b64(os.urandom(ciphertext_chars * 3 // 4 * 3 // 4))
            words = _b64(os.urandom(ciphertext_chars // 4 * 3 // 4))
            current = [e for e in events if e[1] >= period_start]
            copy.write_row(
                (
                    sheet_id,
                    f"{sent_at.year}-{sheet_id:07d}",
                    residents + sheet_id,
                    rng.randrange(1, residents + 1),
                    department_id,
                    from_desk_id,
                    sender_id,
                    owner,
                    summary,
                    words,
                    "",
                    "",
                    "",
                    "",
                    "",
                    '["identity", "concern"]',
                    urgency,
                    "sheet_only",
                    "consent",
                    status,
                    outcome,
                    sent_at,
                    period_start,
                    due,
                    _first(current, "acknowledged"),
                    _first(current, "accepted"),
                    _first(current, "contacted"),
                    _first(current, "connected"),
                    closed_at,
                    overdue_at,
                    redirect_count,
                    len(events),
                    events[-1][1],
                )
            )
    with raw.cursor().copy(f"COPY handoffs_sheetevent ({EVENT_COLUMNS}) FROM STDIN") as copy:
        for sheet, events, _concerns in chunk:
            for kind, at, from_desk, to_desk, event_outcome in events:
                event_id += 1
                copy.write_row(
                    (event_id, sheet[0], kind, at, "", "", from_desk, to_desk, event_outcome, "")
                )
    with raw.cursor().copy(
        "COPY handoffs_connectsheet_concerns (id, connectsheet_id, concern_id) FROM STDIN"
    ) as copy:
        for sheet, _events, concern_ids in chunk:
            for concern_id in concern_ids:
                concern_row_id += 1
                copy.write_row((concern_row_id, sheet[0], concern_id))
    return event_id, concern_row_id


def _first(events: list[tuple], kind: str) -> datetime.datetime | None:
    return next((e[1] for e in events if e[0] == kind), None)


def _progress(what: str, count: int, started: float) -> None:
    print(f"  {what:<12} {count:>10,}  ({time.perf_counter() - started:6.1f} s)", flush=True)


# --- measurement ---------------------------------------------------------------------------------

# Indexes proposed for the handoffs tables (docs/reports.md); created here only for the second
# round of timings, under bench-only names, and dropped afterwards.
PROPOSED_INDEXES = {
    "reports_bench_event_kind_at": "handoffs_sheetevent (kind, at)",
    "reports_bench_event_sheet_kind_at": "handoffs_sheetevent (sheet_id, kind, at) INCLUDE (outcome)",
}
RUNS = 5


def _timings(run: Callable[[], Any], runs: int = RUNS) -> list[float]:
    run()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return times


def _cpu_seconds(run: Callable[[], Any], runs: int = RUNS) -> float | None:
    """Median CPU time of ``run``: this process plus its PostgreSQL backend, with parallel
    workers off so that the backend does all the database work. Unlike wall time it does not
    grow when other work shares the machine; it is what one idle core would take. None when the
    server's processes are not visible here (PostgreSQL on another host)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        stat = Path(f"/proc/{cursor.fetchone()[0]}/stat")
        if not stat.exists():
            return None
        cursor.execute("SET max_parallel_workers_per_gather = 0")
    ticks = os.sysconf("SC_CLK_TCK")

    def backend_cpu() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

    try:
        run()  # warm-up
        samples = []
        for _ in range(runs):
            backend, own = backend_cpu(), time.process_time()
            run()
            samples.append(backend_cpu() - backend + time.process_time() - own)
        return statistics.median(samples)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET max_parallel_workers_per_gather")


def measure(
    schema: str, months: list[datetime.date], as_of: datetime.datetime, fiscal_year: bool
) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from referral_hub.directory.models import Department
    from referral_hub.reports.figures import fiscal_year_report, monthly_report
    from referral_hub.reports.periods import month_period

    shuno = Department.objects.get(code="shuno").pk
    cases: list[tuple[str, datetime.date, set[int] | None]] = [
        (f"{m:%Y-%m} municipality", m, None) for m in months
    ] + [(f"{months[-1]:%Y-%m} clerk (収納課)", months[-1], {shuno})]
    results = []
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\n[{schema}]  (load average {load} on {os.cpu_count()} CPUs)")
    print(
        f"  {'case':<28} {'sheets':>8} {'median':>8} {'best':>7} {'CPU':>7} {'queries':>8}"
        f" {'COUNT(*)':>9} {'ratio':>6}"
    )
    for label, month, departments in cases:
        period = month_period(month)

        def report(month: datetime.date = month, departments: Any = departments) -> dict:
            return monthly_report(month, department_ids=departments, as_of=as_of)

        times = _timings(report)
        seconds = statistics.median(times)
        cpu = _cpu_seconds(report)
        with CaptureQueriesContext(connection) as captured:
            figures = report()
        where = "sent_at >= %s AND sent_at < %s"
        params: list[Any] = [period.start, period.end]
        if departments:
            where += " AND from_department_id = ANY(%s)"
            params.append(list(departments))

        def baseline(where: str = where, params: list[Any] = params) -> None:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT COUNT(*) FROM handoffs_connectsheet WHERE {where}", params)
                cursor.fetchone()

        base = statistics.median(_timings(baseline))
        row = {
            "schema": schema,
            "case": label,
            "sheets": figures["sheets"],
            "seconds": seconds,
            "best_seconds": min(times),
            "cpu_seconds": cpu,
            "queries": len(captured.captured_queries),
            "baseline_seconds": base,
            "ratio": seconds / base if base else float("inf"),
        }
        results.append(row)
        print(
            f"  {label:<28} {row['sheets']:>8,} {seconds * 1000:>6.0f}ms"
            f" {min(times) * 1000:>5.0f}ms"
            f" {'-' if cpu is None else f'{cpu * 1000:.0f}ms':>7} {row['queries']:>8}"
            f" {base * 1000:>7.1f}ms {row['ratio']:>5.0f}x",
            flush=True,
        )
    if fiscal_year:
        fy = months[-1].year if months[-1].month >= 4 else months[-1].year - 1
        fy_times = _timings(lambda: fiscal_year_report(fy, department_ids=None, as_of=as_of), 3)
        fy_sheets = fiscal_year_report(fy, department_ids=None, as_of=as_of)["sheets"]
        print(
            f"  fiscal year {fy} report ({fy_sheets:,} sheets; not in the target):"
            f" median of 3 {statistics.median(fy_times) * 1000:.0f} ms"
        )
    return results


def explain(month: datetime.date, as_of: datetime.datetime) -> None:
    """EXPLAIN ANALYZE of every query the monthly report runs, for tuning."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from referral_hub.reports.figures import monthly_report

    with CaptureQueriesContext(connection) as captured:
        monthly_report(month, department_ids=None, as_of=as_of)
    with connection.cursor() as cursor:
        for number, query in enumerate(captured.captured_queries, 1):
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
            print(f"--- query {number}: {query['sql'][:120]}...")
            print("\n".join(row[0] for row in cursor.fetchall()))


def set_indexes(create: bool) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for name, target in PROPOSED_INDEXES.items():
            if create:
                cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")
            else:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
        cursor.execute("ANALYZE handoffs_sheetevent")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--sheets", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true", help="regenerate the data")
    parser.add_argument("--ciphertext-chars", type=int, default=800)
    parser.add_argument("--explain", action="store_true", help="print the main query's plan")
    parser.add_argument(
        "--skip-proposed-indexes", action="store_true", help="time the current schema only"
    )
    parser.add_argument(
        "--skip-fiscal-year", action="store_true", help="do not time the fiscal-year report"
    )
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        parser.error("the benchmark needs PostgreSQL")
    if not args.database_url.rsplit("/", 1)[1].split("?")[0].endswith("_bench"):
        parser.error("the database name must end in _bench: generating data truncates tables")
    ensure_database(args.database_url)
    configure_django(args.database_url)

    from django.core.management import call_command
    from django.db import connection

    from referral_hub.handoffs.models import ConnectSheet
    from referral_hub.reports.periods import TOKYO

    call_command("migrate", verbosity=0)
    existing = ConnectSheet.objects.count()
    if args.rebuild or existing != args.sheets:
        print(f"generating {args.sheets:,} sheets (found {existing:,})")
        set_indexes(create=False)
        load(args.sheets, args.ciphertext_chars)
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute("VACUUM ANALYZE")
            print(f"  VACUUM ANALYZE ({time.perf_counter() - started:.1f} s)")
    else:
        print(f"reusing {existing:,} sheets (pass --rebuild to regenerate)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM handoffs_sheetevent")
        events = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cursor.fetchone()[0]
    print(f"data: {ConnectSheet.objects.count():,} sheets, {events:,} events, database {size}")

    as_of = datetime.datetime(2026, 4, 10, 12, 0, tzinfo=TOKYO)
    months = [datetime.date(2024, 10, 1), datetime.date(2025, 4, 1), datetime.date(2026, 3, 1)]
    if args.explain:
        explain(months[-1], as_of)
    fiscal_year = not args.skip_fiscal_year
    set_indexes(create=False)
    results = measure("current handoffs schema", months, as_of, fiscal_year)
    if not args.skip_proposed_indexes:
        set_indexes(create=True)
        try:
            results += measure("with proposed indexes", months, as_of, fiscal_year)
            # The default random_page_cost (4) models spinning disks; on SSDs 1.1 is the usual
            # setting, and it lets the planner pick index nested loops for the concern counts.
            with connection.cursor() as cursor:
                cursor.execute("SET random_page_cost = 1.1")
            results += measure(
                "with proposed indexes, random_page_cost = 1.1", months, as_of, fiscal_year
            )
            if args.explain:
                explain(months[-1], as_of)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET random_page_cost")
            set_indexes(create=False)
    print()
    for schema in dict.fromkeys(r["schema"] for r in results):
        rows = [r for r in results if r["schema"] == schema]
        worst = max(r["seconds"] for r in rows)
        cpu = [r["cpu_seconds"] for r in rows if r["cpu_seconds"] is not None]
        cpu_text = f", CPU {max(cpu) * 1000:.0f} ms" if cpu else ""
        print(f"slowest monthly report, {schema}: median {worst * 1000:.0f} ms{cpu_text}")
    print("target: < 2000 ms")


if __name__ == "__main__":
    main()
