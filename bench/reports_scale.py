"""Reports at prefecture scale: the fiscal-year and monthly reports from the rollups against
today's query shape (the timeline grouped sheet by sheet), both in the same run.

    .venv/bin/python bench/reports_scale.py [--size small|medium|full] [--runs 3]

Data: bench/dataset.py (``full``: 1M sheets over FY2016–FY2025). Each case runs once to warm
up, then ``--runs`` times per source; medians are printed with their ratio and the load average.
Targets (issue 22): fiscal year < 1 s, month < 300 ms (median, municipality-wide). The two
sources must give identical figures; the benchmark checks that too.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import time

import dataset


def _median(run, runs: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    dataset.add_size_argument(parser)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    url = dataset.database_url(args.database_url)
    dataset.configure_django(url)
    manifest = dataset.ensure(url, args.size)

    from django.db import connection

    from referral_hub.directory.models import Department
    from referral_hub.reports import rollup_sql
    from referral_hub.reports.figures import period_report
    from referral_hub.reports.periods import fiscal_year_period, month_period

    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM reports_sheetfacts), "
                       "(SELECT count(*) FROM handoffs_connectsheet)")  # fmt: skip
        facts, sheets = cursor.fetchone()
        if facts != sheets:  # a data set loaded before the rollups existed
            print("building the report rollups ...", flush=True)
            cursor.execute(rollup_sql.BACKFILL)
            cursor.execute("VACUUM ANALYZE reports_sheetfacts")
    as_of = datetime.datetime.fromisoformat(manifest["now"])
    shuno = Department.objects.get(code="shuno").pk
    cases = [
        ("fiscal year 2025, municipality", fiscal_year_period(2025), None, 1.0),
        ("month 2026-03, municipality", month_period(datetime.date(2026, 3, 1)), None, 0.3),
        ("fiscal year 2025, one clerk's dept", fiscal_year_period(2025), {shuno}, 1.0),
    ]
    print(f"data set: {args.size} ({sheets:,} sheets); load {dataset.load_average()}")
    print(f"{'case':<38} {'sheets':>8} {'rollups':>9} {'timeline':>9} {'ratio':>6}  target  load")
    results = []
    for label, period, scope, target in cases:
        fast = period_report(period, department_ids=scope, as_of=as_of, from_rollups=True)
        slow = period_report(period, department_ids=scope, as_of=as_of, from_rollups=False)
        assert fast == slow, f"{label}: the rollups disagree with the timeline"

        def rollups(period=period, scope=scope) -> None:
            period_report(period, department_ids=scope, as_of=as_of, from_rollups=True)

        def timeline(period=period, scope=scope) -> None:
            period_report(period, department_ids=scope, as_of=as_of, from_rollups=False)

        rollup_s = _median(rollups, args.runs)
        timeline_s = _median(timeline, args.runs)
        verdict = "PASS" if rollup_s < target else "MISS"
        print(
            f"{label:<38} {fast['sheets']:>8,} {rollup_s * 1000:>7.0f}ms {timeline_s * 1000:>7.0f}ms "
            f"{rollup_s / timeline_s:>6.3f}  <{target * 1000:.0f}ms {verdict}  {dataset.load_average()}",
            flush=True,
        )
        results.append(
            {"benchmark": "reports", "case": label, "value_ms": round(rollup_s * 1000, 1),
             "baseline": "timeline query (today's shape)",
             "baseline_ms": round(timeline_s * 1000, 1), "ratio": round(rollup_s / timeline_s, 4),
             "target": f"< {target * 1000:.0f} ms", "pass": rollup_s < target,
             "load": dataset.load_average(), "size": args.size}
        )  # fmt: skip
    for result in results:
        print("RESULT " + json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
