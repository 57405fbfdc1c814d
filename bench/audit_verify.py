"""audit_verify speed and memory on 1,000,000 events (PostgreSQL).

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/rh_audit \
     .venv/bin/python bench/audit_verify.py --reset [--events 1000000] [--repeats 3] [--workers 2]
     # issue 22: 10M events, the verifier with 2 worker processes, measured again later
     .venv/bin/python bench/audit_verify.py --reset --events 10000000 --workers 2
     .venv/bin/python bench/audit_verify.py --measure-only --workers 2 --repeats 5

--reset empties the audit tables of that database first (the bench refuses to touch a
database that already holds audit events otherwise). Events are generated in Python with
real chain hashes and loaded with COPY. --measure-only measures the events already there (a
chain this bench loaded before). Verification runs in a fresh child process so its peak RSS
(workers included) is its own; verify and baseline runs alternate, so neither always has the
warmer cache. --workers is ``audit_verify --workers`` (pages checked in that many processes).
Printed, as medians of the repeats:

* verify_chain() events/s at 10% and at 100% of the events (target: >= 100,000/s);
* the baseline: the same query and keyset pages with no hashing or chain checks, and the
  ratio verify / baseline (what checking costs on top of reading);
* peak RSS of the verifying process at 10% and 100% (flat memory: the ratio stays ~1).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _environment() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database (e.g. .../rh_audit)")
    workdir = Path(
        os.environ.setdefault("BENCH_AUDIT_DIR", tempfile.mkdtemp(prefix="bench-audit-"))
    )
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", base64.urlsafe_b64encode(os.urandom(48)).decode())
    os.environ.setdefault("DATA_DIR", str(workdir))
    os.environ.setdefault(
        "VAULT_KEYS", f"bench:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"
    )
    os.environ.setdefault("VAULT_INDEX_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode())
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    os.environ.setdefault("AUDIT_SIGNING_KEY", base64.urlsafe_b64encode(raw).decode())
    os.environ.setdefault("AUDIT_CHECKPOINT_PATH", str(workdir / "checkpoints.jsonl"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "referral_hub.settings"
    import django

    django.setup()


def peak_rss_mib() -> float:
    """Peak RSS of this process plus the largest of its finished children (the workers)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


# --- child: one measurement in a fresh process ---------------------------------------------------


def child(mode: str, workers: int) -> None:
    _environment()
    from referral_hub.audit.verify import verify_chain
    from referral_hub.audit.verify_pages import _FAST_COLUMNS, _PG_AT, _fetch

    started = time.perf_counter()
    if mode == "verify":
        result = verify_chain(workers=workers)
        entries, ok, reason = result.entries, result.ok, result.reason
    else:  # baseline: the same query and keyset pages, no hashing or chain checks
        columns = _FAST_COLUMNS.format(at=_PG_AT, details="details::text")
        sql = f"SELECT {columns} FROM audit_auditevent WHERE seq >= %s ORDER BY seq LIMIT %s"
        entries, ok, reason = 0, True, ""
        for rows in _fetch(sql, 1, 5000):
            entries += len(rows)
    elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "entries": entries,
                "seconds": elapsed,
                "rss_mib": peak_rss_mib(),
                "ok": ok,
                "reason": reason,
            }
        )
    )


def measure(mode: str, workers: int = 1) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--workers", str(workers)],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


# --- loading events --------------------------------------------------------------------------------

ACTIONS = [
    ("sheet.send", "consent", True, ""),
    ("sheet.sent", "consent", True, ""),
    ("sheet.read", "consent", True, ""),
    ("sheet.acknowledge", "", True, ""),
    ("attachment.read", "support_meeting", True, ""),
    ("resident.read", "consent", True, ""),
    ("sheet.read", "", False, "consent_scope"),
    ("auth.login", "", True, ""),
]
DESKS = ["jiritsu", "seikatsu_hogo", "kakei", "houkatsu", "kodomo", "tax", "nhi"]


def load(first_seq: int, count: int, prev_hash: str) -> str:
    """COPY ``count`` well-formed events after ``first_seq - 1``; return the new head hash."""
    from django.db import connection

    from referral_hub.audit import chain

    started = datetime(2026, 4, 1, tzinfo=UTC)
    columns = (
        "seq, at, actor_id, actor_username, actor_desk, action, target_type, target_id, resident_id, "
        "legal_basis, allowed, refusal_code, request_id, client_ip, details, version, prev_hash, hash"
    )
    connection.ensure_connection()
    raw = connection.connection
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY audit_auditevent ({columns}) FROM STDIN") as copy,
    ):
        for seq in range(first_seq, first_seq + count):
            action, basis, allowed, refusal = ACTIONS[seq % len(ACTIONS)]
            at = started + timedelta(milliseconds=250 * seq)
            actor = seq % 97 + 1
            desk = DESKS[seq % len(DESKS)]
            resident = seq % 5003 + 1
            details = {
                "categories": ["concern", "identity"],
                "recipient_desk": desk,
                "consent": resident,
            }
            fields = {
                "seq": seq,
                "at": chain.format_time(at),
                "actor_id": actor,
                "actor_username": f"staff{actor}",
                "actor_desk": desk,
                "action": action,
                "target_type": "sheet",
                "target_id": str(seq // 3),
                "resident_id": resident,
                "legal_basis": basis,
                "allowed": allowed,
                "refusal_code": refusal,
                "request_id": f"{seq:032x}",
                "client_ip": "10.0.0.1",
                "details": details,
                "prev_hash": prev_hash,
            }
            digest = chain.event_hash(**fields)
            copy.write_row(
                (seq, at, actor, f"staff{actor}", desk, action, "sheet", str(seq // 3), resident, basis,
                 allowed, refusal, f"{seq:032x}", "10.0.0.1", chain.canonical_json(details), 1, prev_hash, digest)
            )  # fmt: skip
            prev_hash = digest
    last = first_seq + count - 1
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_chainhead SET seq = %s, hash = %s WHERE id = 1", [last, prev_hash]
        )
        cursor.execute("VACUUM ANALYZE audit_auditevent")
    return prev_hash


def reset() -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SET referral_hub.audit_allow_truncate = 'on'")
        cursor.execute("TRUNCATE audit_disclosurereview, audit_auditevent, audit_chainhead")
        cursor.execute("INSERT INTO audit_chainhead (id, seq, hash) VALUES (1, 0, %s)", ["0" * 64])
        cursor.execute("SET referral_hub.audit_allow_truncate = 'off'")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--reset", action="store_true", help="empty the audit tables of DATABASE_URL first"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="audit_verify --workers for the verify runs"
    )
    parser.add_argument(
        "--measure-only",
        action="store_true",
        help="measure the chain already in the database (loaded by an earlier run)",
    )
    parser.add_argument("--child", choices=["verify", "baseline"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.workers)
        return

    _environment()
    from django.core.management import call_command
    from django.db import connection

    from referral_hub.audit import chain
    from referral_hub.audit.checkpoints import write_checkpoint

    if args.measure_only:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM audit_auditevent")
            events = cursor.fetchone()[0]
        if not events:
            sys.exit("no audit events to measure: load them first (--reset --events N)")
        print(f"measuring the {events:,} events already loaded", flush=True)
        write_checkpoint()
        report([(events, measure_pair(args.repeats, args.workers, events))], args.workers)
        return
    if args.reset:
        reset()
    else:
        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM audit_auditevent")
            if cursor.fetchone()[0]:
                sys.exit("the audit table is not empty: run with --reset on a throw-away database")

    rows: list[tuple[int, dict]] = []
    head = chain.GENESIS_HASH
    loaded = 0
    for target in (args.events // 10, args.events):
        began = time.perf_counter()
        head = load(loaded + 1, target - loaded, head)
        print(
            f"loaded {target - loaded:,} events in {time.perf_counter() - began:.1f}s", flush=True
        )
        loaded = target
        write_checkpoint()
        rows.append((target, measure_pair(args.repeats, args.workers, target)))
    report(rows, args.workers)


def measure_pair(repeats: int, workers: int, events: int) -> dict:
    """Alternate verify and baseline runs; print each pair; return the medians."""
    verify_runs, base_runs = [], []
    for run in range(repeats):
        verify_runs.append(measure("verify", workers))
        base_runs.append(measure("baseline"))
        verified, read = verify_runs[-1], base_runs[-1]
        assert verified["ok"] and verified["entries"] == events, verified
        print(
            f"  run {run + 1}: verify {events / verified['seconds']:>9,.0f} events/s, "
            f"read {events / read['seconds']:>9,.0f} events/s, "
            f"rate ratio {read['seconds'] / verified['seconds']:.2f}, load {_load()}",
            flush=True,
        )
    verify_s = statistics.median(run["seconds"] for run in verify_runs)
    base_s = statistics.median(run["seconds"] for run in base_runs)
    ratio = statistics.median(b["seconds"] / v["seconds"] for v, b in zip(verify_runs, base_runs))
    rss = max(run["rss_mib"] for run in verify_runs)
    print(
        f"{events:>10,} events: verify {verify_s:6.2f}s = {events / verify_s:>9,.0f} events/s | "
        f"read-only baseline {base_s:6.2f}s = {events / base_s:>9,.0f} events/s | "
        f"median rate ratio verify/read {ratio:4.2f} | verifier peak RSS {rss:6.1f} MiB",
        flush=True,
    )
    return {"verify_s": verify_s, "base_s": base_s, "ratio": ratio, "rss": rss}


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def report(rows: list[tuple[int, dict]], workers: int) -> None:
    events, big = rows[-1]
    rate = events / big["verify_s"]
    print()
    print(
        f"verify throughput at {events:,} events, {workers} worker(s): {rate:,.0f} events/s "
        f"(target >= 100,000): {'PASS' if rate >= 100_000 else 'MISS'}"
    )
    print(
        f"median rate ratio verify/read: {big['ratio']:.2f} (issue 22 target >= 0.90): "
        f"{'PASS' if big['ratio'] >= 0.90 else 'MISS'}"
    )
    if len(rows) > 1:
        small_events, small = rows[0]
        print(
            f"peak RSS ratio {events:,} / {small_events:,} events: "
            f"{big['rss'] / small['rss']:.2f} ({small['rss']:.1f} -> {big['rss']:.1f} MiB; "
            "flat memory means ~1.0)"
        )


if __name__ == "__main__":
    main()
