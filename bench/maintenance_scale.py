"""Maintenance at size: audit_verify against the raw row-read rate, an incremental verify of the
last day, and rotate_keys / apply_retention rates (each run for a while, then killed with
SIGKILL and resumed, as an operator's interrupted run would be).

    .venv/bin/python bench/maintenance_scale.py [--size small|medium|full] [--runs 3]
        [--span EVENTS] [--seconds 30] [--parts verify,lastday,commands] [--workers 2]

Data: bench/dataset.py. Audit verification runs in a fresh child process per run over the
newest ``--span`` events (default: all of them on small, 2,000,000 on full), starting from a
signed checkpoint exactly as ``audit_verify --incremental`` does; the baseline reads the same
rows with the same query and keyset pages and checks nothing, in one stream. ``--workers``
(default 2; audit_verify's own default is 1) verifies in that many processes, so the same rows
read by as many processes side by side (no checks) are printed beside it, the ceiling of a
parallel verifier, with the client CPU per event of the verifier and of the read. Runs are
interleaved (verify, read, streams). Memory: peak RSS of the verifier plus its workers at
span/10 and at span (flat memory: ratio ~1). Targets (issue 22): verify >= 90 % of the read
rate; the last day (incremental) < 1 s. rotate_keys and apply_retention change the data
set (keys re-wrapped under the second bench key, old sheets shredded); both are idempotent.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dataset

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2  # audit_verify --workers (its default is 1; 2 measures the parallel path)


def child(mode: str, start_seq: int, workers: int) -> None:
    """One measurement: ``verify`` (from the checkpoint) or ``read`` (the same rows)."""
    import resource

    dataset.configure_django(os.environ["DATABASE_URL"])
    from referral_hub.audit.verify import verify_chain
    from referral_hub.audit.verify_pages import _FAST_COLUMNS, _PG_AT, _fetch

    columns = _FAST_COLUMNS.format(at=_PG_AT, details="details::text")
    cpu_before = _client_cpu()
    started = time.perf_counter()
    if mode == "verify":
        result = verify_chain(incremental=True, workers=workers)
        entries, ok = result.entries, result.ok
    elif mode == "read":
        sql = f"SELECT {columns} FROM audit_auditevent WHERE seq >= %s ORDER BY seq LIMIT %s"
        entries, ok = 0, True
        for rows in _fetch(sql, start_seq, 10000):
            entries += len(rows)
    else:  # "streams": the same rows read by ``workers`` processes side by side, no checks
        entries, ok = _read_in_streams(columns, start_seq, workers), True
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Peak RSS of the largest worker (0 without workers); workers share the parent's pages.
    worker_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    cpu = _client_cpu() - cpu_before
    print(json.dumps({"entries": entries, "seconds": seconds, "ok": ok, "rss_mib": rss,
                      "worker_rss_mib": worker_rss, "cpu_s": cpu}))  # fmt: skip


def _client_cpu() -> float:
    """CPU seconds of this process and its finished workers (not the PostgreSQL backends')."""
    import resource

    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in map(resource.getrusage, (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    )


_stream: dict = {}


def _open_stream(params: dict) -> None:
    import psycopg

    _stream["connection"] = psycopg.connect(**params, autocommit=True)


def _read_range(sql_and_bounds: tuple[str, int, int]) -> int:
    sql, first, end = sql_and_bounds
    with _stream["connection"].cursor() as cursor:
        cursor.execute(sql, [first, end])
        return len(cursor.fetchall())


def _read_in_streams(columns: str, start_seq: int, workers: int) -> int:
    """The ceiling of a parallel verifier: the same pages read by ``workers`` forked processes
    on connections of their own, as ``audit_verify --workers`` does, without checking them."""
    import multiprocessing

    from django.db import connection

    from referral_hub.audit.verify_parallel import _plain_connection_params

    with connection.cursor() as cursor:
        cursor.execute("SELECT max(seq) FROM audit_auditevent")
        last = cursor.fetchone()[0]
    sql = f"SELECT {columns} FROM audit_auditevent WHERE seq >= %s AND seq < %s ORDER BY seq"
    ranges = [(sql, a, min(a + 10000, last + 1)) for a in range(start_seq, last + 1, 10000)]
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, _open_stream, (_plain_connection_params(),)) as pool:
        return sum(pool.imap(_read_range, ranges))


def _measure(mode: str, start_seq: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--start", str(start_seq),
         "--workers", str(WORKERS)],
        check=True, capture_output=True, text=True, env=os.environ,
    ).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])


def _checkpoint_at(seq: int, path: Path) -> None:
    """A fresh checkpoint file with one signed checkpoint at ``seq`` (its real chain hash)."""
    from referral_hub.audit.checkpoints import append_checkpoint, sign_checkpoint
    from referral_hub.audit.models import AuditEvent

    path.unlink(missing_ok=True)
    append_checkpoint(sign_checkpoint(seq, AuditEvent.objects.get(seq=seq).hash), path)


def _verify_rates(total: int, span: int, runs: int, path: Path) -> list[dict]:
    results = []
    spans = [max(1, span // 10), span]
    rss = {}
    for current in spans:
        start = total - current + 1
        _checkpoint_at(start - 1, path) if start > 1 else path.unlink(missing_ok=True)
        verify, read, streams = [], [], []
        for _ in range(runs):  # interleaved: cache warmth and load drift hit all three alike
            verify.append(_measure("verify", start))
            read.append(_measure("read", start))
            if WORKERS > 1:
                streams.append(_measure("streams", start))
        assert all(r["ok"] and r["entries"] >= current for r in verify), verify
        v = statistics.median(r["seconds"] for r in verify)
        b = statistics.median(r["seconds"] for r in read)
        s = statistics.median(r["seconds"] for r in streams) if streams else b
        cpu_v = statistics.median(r["cpu_s"] for r in verify) / current * 1e6
        cpu_b = statistics.median(r["cpu_s"] for r in read) / current * 1e6
        # The verifier plus each of its workers at its peak: an upper bound of the total.
        rss[current] = max(r["rss_mib"] + WORKERS * r["worker_rss_mib"] for r in verify)
        ratio = b / v  # verify rate / read rate
        print(
            f"audit_verify ({WORKERS} workers) over {current:>11,} events: {current / v:>9,.0f}/s | raw read "
            f"{current / b:>9,.0f}/s | verify/read rate {ratio:5.1%} (target >= 90%) | "
            f"read in {WORKERS} streams {current / s:,.0f}/s (verify/that {s / v:5.1%}) | "
            f"client CPU/event verify {cpu_v:.1f} us, read {cpu_b:.1f} us | "
            f"peak RSS {rss[current]:.0f} MiB (with workers) | load {dataset.load_average()}",
            flush=True,
        )
        results.append(
            {"benchmark": "audit_verify", "case": f"verify {current:,} events, {WORKERS} workers",
             "value": round(current / v), "unit": "events/s", "baseline": "raw row read",
             "baseline_value": round(current / b), "ratio": round(ratio, 4),
             "target": ">= 0.90", "pass": ratio >= 0.9, "load": dataset.load_average(),
             "read_streams": WORKERS, "read_streams_value": round(current / s),
             "client_cpu_us_per_event": round(cpu_v, 2), "baseline_cpu_us_per_event": round(cpu_b, 2)}
        )  # fmt: skip
    small, big = spans
    print(f"peak RSS {big:,} / {small:,} events: {rss[big] / rss[small]:.2f} (flat memory: ~1)")
    results.append(
        {"benchmark": "audit_verify", "case": "peak RSS ratio (10x the events)",
         "value": round(rss[big], 1), "unit": "MiB", "baseline": f"RSS at {small:,} events",
         "baseline_value": round(rss[small], 1), "ratio": round(rss[big] / rss[small], 3),
         "target": "~1.0", "pass": rss[big] / rss[small] < 1.2, "load": dataset.load_average()}
    )  # fmt: skip
    return results


def _last_day(runs: int, path: Path, data_now: str) -> dict:
    """The data set's last day (its "now" minus 24 h), plus whatever was appended since (the
    benchmarks' own requests are audited too)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(seq), max(seq) FROM audit_auditevent WHERE seq >= "
            "(SELECT min(seq) FROM audit_auditevent WHERE at >= %s::timestamptz - interval '1 day')",
            [data_now],
        )
        first, last = cursor.fetchone()
    _checkpoint_at(first - 1, path)
    day = last - first + 1
    verify = [_measure("verify", first) for _ in range(runs)]
    read = [_measure("read", first) for _ in range(runs)]
    v = statistics.median(r["seconds"] for r in verify)
    b = statistics.median(r["seconds"] for r in read)
    print(
        f"incremental verify of the last day ({day:,} events): {v * 1000:.0f} ms "
        f"(read only {b * 1000:.0f} ms; target < 1 s) | load {dataset.load_average()}"
    )
    return {"benchmark": "audit_verify", "case": f"incremental, last day ({day:,} events)",
            "value_ms": round(v * 1000, 1), "baseline": "raw read of the same rows",
            "baseline_ms": round(b * 1000, 1), "ratio": round(v / b, 3), "target": "< 1000 ms",
            "pass": v < 1.0, "load": dataset.load_average()}  # fmt: skip


def _run_for(args: list[str], seconds: float, env: dict, pattern: str) -> tuple[int, float]:
    """Run a manage.py command, SIGKILL it after ``seconds``; return (done count, elapsed)."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    started = time.perf_counter()
    done, first_at, last_at, first_done = 0, None, started, 0
    assert process.stderr is not None
    os.set_blocking(process.stderr.fileno(), False)
    buffer = ""
    while process.poll() is None and time.perf_counter() - started < seconds:
        time.sleep(0.2)
        with contextlib.suppress(BlockingIOError):
            buffer += os.read(process.stderr.fileno(), 1 << 16).decode(errors="replace")
        for match in re.finditer(pattern, buffer):
            count = int(match.group(1))
            if first_at is None:
                first_at, first_done = time.perf_counter(), count
            done, last_at = count, time.perf_counter()
        buffer = buffer[-2000:]
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)  # the interrupted run: resumable by design
        process.wait()
    if first_at is None or last_at <= first_at:
        return done, time.perf_counter() - started
    return done - first_done, last_at - first_at


def _maintenance_rates(seconds: float) -> list[dict]:
    from django.db import connection

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "referral_hub.settings", "DB_POOL_MAX_SIZE": "0"}
    with connection.cursor() as cursor:  # baseline: reading the same rows, keyset pages
        started = time.perf_counter()
        cursor.execute("SELECT id, kek_id, wrapped FROM vault_datakey ORDER BY id LIMIT 200000")
        read = len(cursor.fetchall()) / (time.perf_counter() - started)
    results = []
    rotated, elapsed = _run_for(
        ["rotate_keys", "--batch-size", "500"], seconds,
        {**env, "VAULT_ACTIVE_KEY": "bench2"}, r"rotate_keys: (\d+)/\d+ re-wrapped",
    )  # fmt: skip
    rate = rotated / elapsed if elapsed else 0.0
    print(f"rotate_keys: {rate:,.0f} keys/s over {elapsed:.0f} s, then killed (raw key read "
          f"{read:,.0f}/s; ratio {rate / read:.3f}) | load {dataset.load_average()}")  # fmt: skip
    results.append({"benchmark": "rotate_keys", "case": "re-wrap rate (killed, resumable)",
                    "value": round(rate), "unit": "keys/s", "baseline": "raw key-row read",
                    "baseline_value": round(read), "ratio": round(rate / read, 4),
                    "load": dataset.load_average()})  # fmt: skip
    shredded, elapsed = _run_for(
        ["apply_retention"], seconds, env, r"apply_retention: (\d+)/\d+ processed"
    )
    rate = shredded / elapsed if elapsed else 0.0
    print(f"apply_retention: {rate:,.0f} sheets/s over {elapsed:.0f} s, then killed (ratio to "
          f"raw key read {rate / read:.4f}) | load {dataset.load_average()}")  # fmt: skip
    results.append({"benchmark": "apply_retention", "case": "shred rate (killed, resumable)",
                    "value": round(rate), "unit": "sheets/s", "baseline": "raw key-row read",
                    "baseline_value": round(read), "ratio": round(rate / read, 5),
                    "load": dataset.load_average()})  # fmt: skip
    return results


def main() -> None:
    global WORKERS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    dataset.add_size_argument(parser)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--span", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--parts", default="verify,lastday,commands")
    parser.add_argument(
        "--workers", type=int, default=WORKERS, help="audit_verify --workers (1: sequential)"
    )
    parser.add_argument("--child", choices=["verify", "read", "streams"], help=argparse.SUPPRESS)
    parser.add_argument("--start", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.start, args.workers)
        return
    WORKERS = args.workers
    url = dataset.database_url(args.database_url)
    path = Path(tempfile.mkdtemp(prefix="rh-bench-audit-")) / "checkpoints.jsonl"
    os.environ["AUDIT_CHECKPOINT_PATH"] = str(path)
    dataset.configure_django(url)
    manifest = dataset.ensure(url, args.size)
    total = manifest["sizes"]["audit_events"]
    span = min(total, args.span or (total if total <= 2_000_000 else 2_000_000))
    print(f"data set: {args.size}; {total:,} audit events; load {dataset.load_average()}")
    parts = set(args.parts.split(","))
    results = _verify_rates(total, span, args.runs, path) if "verify" in parts else []
    if "lastday" in parts:
        results.append(_last_day(args.runs, path, manifest["now"]))
    if "commands" in parts:
        results += _maintenance_rates(args.seconds)
    for result in results:
        print("RESULT " + json.dumps({**result, "size": args.size}, ensure_ascii=False))


if __name__ == "__main__":
    main()
