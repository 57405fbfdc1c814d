"""Sheet-send throughput with auditing vs. the same service with the audit hook as a no-op.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/rh_audit \
     .venv/bin/python bench/audit_send_throughput.py [--clients 4] [--seconds 5] [--repeats 5]

Each client is its own process with its own PostgreSQL connection and calls
``handoffs.services.send_sheet`` in a loop (the gate, the sheet, its timeline event, the inbox
events and, when auditing, the gate's and the service's audit events, all in one transaction).
Rounds rotate through three modes:

* ``audit``: the service as it is;
* ``batched``: the same call inside ``transaction.atomic()`` + ``audit.log.batched()``, which
  chains the transaction's events when the block exits, so the chain head is locked only for
  the commit instead of from the gate decision to the commit;
* ``noop``: every module's reference to ``audit.log.record`` replaced by a function that does
  nothing (the baseline).

Prints the median sheets/s of each mode and the cost of auditing (target: < 25%).

The database is migrated and seeded (``seed_demo --force``); sheets and audit events
accumulate, so use a throw-away database.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

RESIDENTS = 40


def _environment() -> None:
    from audit_verify import _environment as verify_environment  # the same throw-away settings

    verify_environment()


def _noop_record(*args: Any, **kwargs: Any) -> None:
    return None


def _disable_audit() -> int:
    """Point every imported ``record`` at a no-op; returns how many modules were patched."""
    from referral_hub.audit import log

    patched = 0
    for module in list(sys.modules.values()):
        if (
            module is not None
            and getattr(module, "record", None) is log.record
            and module is not log
        ):
            module.record = _noop_record
            patched += 1
    return patched


def _sender(mode: str, number: int) -> Any:
    """A ``send(i)`` function for one client: tax_clerk sends a sheet to jiritsu."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from referral_hub.audit.log import batched
    from referral_hub.consent.models import Consent
    from referral_hub.directory.models import Concern, Desk
    from referral_hub.handoffs import services

    if mode == "noop":
        assert _disable_audit() >= 2
    clerk = get_user_model().objects.get(username="tax_clerk")
    desk = Desk.objects.get(code="jiritsu")
    concerns = list(Concern.objects.filter(code__in=["tax_arrears", "economic_hardship"]))
    consents = list(
        Consent.objects.filter(withdrawn_at__isnull=True, recipients=desk)
        .select_related("resident")
        .order_by("pk")[:RESIDENTS]
    )

    def send(i: int) -> None:
        consent = consents[(number * 7 + i) % len(consents)]
        data = services.SheetInput(
            resident=consent.resident,
            to_desk=desk,
            concerns=concerns,
            urgency="normal",
            legal_basis="consent",
            handoff_method="phoned",
            summary="市税の滞納で差押えを受け、家賃も払えなくなっている。",
            resident_words="もうどうしたらいいかわからない",
            consent=consent,
            contact_preference="平日の午前中",
        )
        if mode == "batched":
            # The events are chained when the block exits, just before the commit, so the
            # chain head is locked only for the commit rather than for the whole send.
            with transaction.atomic(), batched():
                services.send_sheet(clerk, data)
        else:
            services.send_sheet(clerk, data)

    return send


def _client(mode: str, seconds: float, number: int, ready: Any, go: Any, results: Any) -> None:
    _environment()
    from django.db import connection

    send = _sender(mode, number)
    send(0)  # warm up caches and the connection
    ready.put(number)
    go.wait()
    count = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        send(count)
        count += 1
    connection.close()
    results.put(count)


def _round(mode: str, clients: int, seconds: float) -> float:
    context = multiprocessing.get_context("spawn")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    processes = [
        context.Process(target=_client, args=(mode, seconds, n, ready, go, results))
        for n in range(clients)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        ready.get(timeout=300)
    go.set()
    counts = [results.get(timeout=300 + seconds) for _ in processes]
    for process in processes:
        process.join()
        assert process.exitcode == 0, f"a {mode} client failed"
    return sum(counts) / seconds


def _prepare() -> None:
    from django.core.management import call_command

    from referral_hub.consent import services as consent_services
    from referral_hub.consent.models import Consent
    from referral_hub.directory.models import Desk

    call_command("migrate", verbosity=0)
    call_command("seed_demo", force=True, verbosity=0)
    import datetime

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    desk = Desk.objects.get(code="jiritsu")
    clerk = get_user_model().objects.get(username="tax_clerk")
    have = Consent.objects.filter(withdrawn_at__isnull=True, recipients=desk).count()
    for n in range(have, RESIDENTS):
        resident = consent_services.register_resident(
            clerk,
            consent_services.ResidentInput(
                family_name="検証",
                given_name=f"太郎{n}",
                family_name_kana="ケンショウ",
                given_name_kana="タロウ",
                birth_date=datetime.date(1950, 1, 1) + datetime.timedelta(days=n),
                address="デモ市本町1-2-3",
                phone="046-123-4567",
            ),
        )
        consent_services.record_consent(
            clerk,
            consent_services.ConsentInput(
                resident=resident,
                recipients=[desk],
                categories=["identity", "concern"],
                purpose="自立相談支援窓口での相談のため",
                method="verbal_witnessed",
                witness="収納 花子",
                valid_until=timezone.localdate() + datetime.timedelta(days=365),
            ),
        )


def _queries_per_send() -> dict[str, int]:
    """Count the SQL statements of one send in each mode, in separate processes."""
    context = multiprocessing.get_context("spawn")
    counts = {}
    for mode in ("audit", "batched", "noop"):
        results = context.Queue()
        process = context.Process(target=_count_queries, args=(mode, results))
        process.start()
        counts[mode] = results.get(timeout=300)
        process.join()
    return counts


def _count_queries(mode: str, results: Any) -> None:
    _environment()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    send = _sender(mode, 0)
    send(0)  # warm up
    with CaptureQueriesContext(connection) as captured:
        send(1)
    connection.close()
    results.put(len(captured.captured_queries))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    _environment()
    # Seeding hashes ten demo passwords; the cheap hasher keeps setup quick (not measured).
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _prepare()
    from django.db import connection

    connection.close()

    queries = _queries_per_send()
    print(
        "queries per send (deterministic, whatever the machine's load): "
        + ", ".join(f"{mode} {count}" for mode, count in queries.items()),
        flush=True,
    )

    modes = ["audit", "batched", "noop"]
    rates: dict[str, list[float]] = {mode: [] for mode in modes}
    for repeat in range(args.repeats):
        for mode in modes[repeat % 3 :] + modes[: repeat % 3]:
            rate = _round(mode, args.clients, args.seconds)
            rates[mode].append(rate)
            print(f"round {repeat + 1} {mode:7}: {rate:7.1f} sheets/s", flush=True)

    median = {mode: statistics.median(values) for mode, values in rates.items()}
    bare = median["noop"]
    print()
    print(f"{args.clients} clients, median of {args.repeats} rounds of {args.seconds:.0f}s each:")
    print(f"  audit hook no-op                 : {bare:7.1f} sheets/s (baseline)")
    for mode, label in (
        ("audit", "auditing, as the service is"),
        ("batched", "auditing, chained at commit"),
    ):
        cost = 1 - median[mode] / bare
        print(
            f"  {label:33}: {median[mode]:7.1f} sheets/s, ratio {median[mode] / bare:.2f}, "
            f"auditing costs {cost:.1%} (target < 25%): {'PASS' if cost < 0.25 else 'MISS'}"
        )


if __name__ == "__main__":
    main()
