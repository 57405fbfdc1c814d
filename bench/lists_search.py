"""The inbox and sent lists and the duplicate search through the HTTP API (uvicorn, 2 workers)
at prefecture scale, against a plain SELECT of the same rows in the same run.

    .venv/bin/python bench/lists_search.py [--size small|medium|full] [--runs 3] [--requests 60]

Data: bench/dataset.py (``full``: 1M sheets, 1M residents; the 自立相談支援窓口 desk holds the
open sheets of the last months). Each run sends ``--requests`` sequential requests per endpoint
over one keep-alive connection (first page, 50 rows, cursor pagination) and takes the p95; the
figure is the median of the runs' p95. Baseline: the same rows read with one SELECT (psycopg,
no HTTP, no auth, no audit, no decryption). Target (issue 22): p95 < 100 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import dataset

sys.path.insert(0, str(dataset.ROOT))
from tests.servers import Api, server_env, uvicorn  # noqa: E402

PASSWORD = "bench-pass-2026"


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[94]


def _http_p95(port: int, token: str, paths: list[str]) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Token {token}", "Host": "127.0.0.1"}
    times = []
    for path in paths:
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        times.append(time.perf_counter() - started)
        assert response.status == 200, (path, response.status, body[:300])
    connection.close()
    return p95(times)


def _select_p95(url: str, statements: list[tuple[str, list]]) -> float:
    import psycopg

    times = []
    with psycopg.connect(url) as conn:
        for sql, params in statements:
            started = time.perf_counter()
            conn.execute(sql, params).fetchall()
            times.append(time.perf_counter() - started)
    return p95(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    dataset.add_size_argument(parser)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    url = dataset.database_url(args.database_url)
    dataset.configure_django(url)
    manifest = dataset.ensure(url, args.size)

    from django.contrib.auth import get_user_model

    from referral_hub.consent.services import name_birth_indexes
    from referral_hub.directory import roles
    from referral_hub.directory.models import Membership  # noqa: F401  (roles reads it)

    users = get_user_model().objects
    desk_user, clerk = users.get(username="consult1"), users.get(username="tax_clerk")
    desk_ids, department_ids = (
        sorted(roles.desk_ids(desk_user)),
        sorted(roles.department_ids(clerk)),
    )
    samples = manifest["search_samples"]
    rng = random.Random(5)
    searches = [rng.choice(samples) for _ in range(args.requests)]
    import datetime

    search_indexes = [
        name_birth_indexes(s["kana"], datetime.date.fromisoformat(s["birth_date"]))
        for s in searches
    ]
    summary = ("id, number, status, urgency, sent_at, ack_due_at, owner_desk_id, "
               "from_department_id, redirect_count, summary_ciphertext")  # fmt: skip
    baselines = {
        "inbox": [(f"SELECT {summary} FROM handoffs_connectsheet WHERE owner_desk_id IN "
                   f"({', '.join(map(str, desk_ids))}) AND status NOT IN ('closed', 'withdrawn') "
                   "ORDER BY ack_due_at, id LIMIT 50", [])] * args.requests,
        "sent": [(f"SELECT {summary} FROM handoffs_connectsheet WHERE from_department_id IN "
                  f"({', '.join(map(str, department_ids))}) ORDER BY sent_at DESC, id DESC LIMIT 50",
                  [])] * args.requests,
        "search": [("SELECT * FROM consent_resident WHERE name_birth_index = ANY(%s)", [ix])
                   for ix in search_indexes],
    }  # fmt: skip
    paths = {
        "inbox": ["/api/v1/sheets/?box=inbox"] * args.requests,
        "sent": ["/api/v1/sheets/?box=sent"] * args.requests,
        "search": [
            "/api/v1/residents/?"
            + urllib.parse.urlencode({"q": s["kana"], "birth_date": s["birth_date"]})
            for s in searches
        ],
    }
    open_at_desk = sum(manifest["open_by_desk_id"].get(str(d), 0) for d in desk_ids)
    data_dir = Path(tempfile.mkdtemp(prefix="rh-bench-lists-"))
    env = server_env(data_dir, DATABASE_URL=url, DB_POOL_MAX_SIZE="10")
    env.update(dataset.BENCH_ENV)
    env["RESIDENT_SEARCH_PER_HOUR"] = "1000000"
    env["LOG_LEVEL"] = "WARNING"
    print(f"data set: {args.size}; desk consult1 holds {open_at_desk:,} open sheets; "
          f"{args.workers} uvicorn workers; load {dataset.load_average()}", flush=True)  # fmt: skip
    results = []
    with uvicorn(env, data_dir / "server.log", workers=args.workers) as port:
        base = f"http://127.0.0.1:{port}"
        tokens = {"inbox": Api(base, "consult1", PASSWORD).token,
                  "sent": Api(base, "tax_clerk", PASSWORD).token}  # fmt: skip
        tokens["search"] = tokens["sent"]
        print(f"{'endpoint':<8} {'HTTP p95':>9} {'SELECT p95':>11} {'ratio':>7}  target  load")
        for name in ("inbox", "sent", "search"):
            _http_p95(port, tokens[name], paths[name][:5])  # warm-up
            http_runs = [_http_p95(port, tokens[name], paths[name]) for _ in range(args.runs)]
            select_runs = [_select_p95(url, baselines[name]) for _ in range(args.runs)]
            h, s = statistics.median(http_runs), statistics.median(select_runs)
            print(f"{name:<8} {h * 1000:>7.1f}ms {s * 1000:>9.2f}ms {h / s:>7.1f}  <100ms "
                  f"{'PASS' if h < 0.1 else 'MISS'}  {dataset.load_average()}", flush=True)  # fmt: skip
            results.append(
                {"benchmark": "lists_search", "case": f"{name} p95 (HTTP, {args.workers} workers)",
                 "value_ms": round(h * 1000, 1), "baseline": "plain SELECT of the same rows",
                 "baseline_ms": round(s * 1000, 2), "ratio": round(h / s, 2),
                 "target": "< 100 ms", "pass": h < 0.1, "load": dataset.load_average(),
                 "size": args.size}
            )  # fmt: skip
    for result in results:
        print("RESULT " + json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
