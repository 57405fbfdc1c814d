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
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
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
# The generator is bench/dataset.py's (shared by every benchmark); with its defaults it makes this
# benchmark's two fiscal years (FY2024 and FY2025).
from dataset import (  # noqa: E402  (bench/ is this script's directory, first on sys.path)
    FIRST_MONTH,
    MONTHS,
    RESIDENTS_PER_SHEET,
    Generator,
)

__all__ = ["FIRST_MONTH", "MONTHS", "Generator"]


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
    "note_ciphertext, shared_with_sender"
)
CHUNK = 50_000


def load(sheets: int, ciphertext_chars: int) -> None:
    """Write the generated data with COPY, in chunks of sheets (bounded memory)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction

    from referral_hub.directory.models import Concern, Department, Desk

    call_command("seed_demo", "--force", f"--password={_b64(os.urandom(18))}", verbosity=0)
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
                    (
                        event_id,
                        sheet[0],
                        kind,
                        at,
                        "",
                        "",
                        from_desk,
                        to_desk,
                        event_outcome,
                        "",
                        False,
                    )
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
