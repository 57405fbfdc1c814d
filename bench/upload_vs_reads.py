"""Audited-read latency with and without concurrent 20 MiB uploads, in the same run (issue 14).

Run (PostgreSQL on this machine):
    .venv/bin/python bench/upload_vs_reads.py
    .venv/bin/python bench/upload_vs_reads.py --reads 200 --rounds 3 --database-url postgres://postgres@127.0.0.1:5432/rh_upload_bench

What it does:
1. recreates the PostgreSQL database (default ``rh_upload_bench``), migrates and seeds デモ市
   with the ordinary management commands, and serves the production settings (DEBUG off,
   encryption on, throw-away keys) with uvicorn (tests/servers.py);
2. through the API, registers a resident with a consent covering attachments and sends one
   sheet to 自立相談支援窓口;
3. the desk (consult1) reads the sheet with ``GET /api/v1/sheets/<id>/``, one request after
   another: each read goes through the policy gate and appends a ``sheet.read`` event to the
   audit chain, so it needs the chain head for a moment;
4. alternates two arms, --rounds times each, --reads reads per arm and round:
   *quiet* (no other traffic) and *uploads* (the sender uploads 20 MiB scans to the same sheet
   back to back from another thread while the reads run);
5. prints p50/p95 of both arms and the ratios uploads/quiet, and how much of each arm's time
   some session waited for a PostgreSQL lock (sampled from ``pg_stat_activity`` every 5 ms):
   the part of a slowdown that is locking, as opposed to CPU shared with the uploads;
6. prints the time from each upload's last body byte to its response: the work an upload
   leaves for after its body (a burst of CPU in the worker that the reads on the same worker
   wait behind), less noisy than the read latencies on a shared machine.

Each upload is sent at --upload-mbps (default 100 Mbit/s, an office LAN: about 1.7 s per
file), one after another without pause. At loopback speed (``--upload-mbps 0``) the worker's
CPU goes entirely to parsing and encrypting uploads and the reads measure CPU (and, with one
worker process, GIL) contention on the machine rather than locking.

Before issue 14 the upload was encrypted and stored inside the transaction whose gate
decision had already locked the chain head, so every read waited for the whole upload. The
target is that the uploads arm stays within 20% of the quiet arm (ratio ≤ 1.2). Both arms
share the machine's CPUs with the upload (parsing and encryption), which this benchmark does
not try to hide: it measures what a desk would see.

Measured on 2026-11-30 on the shared development machine (2 CPUs, load 5–10 from other jobs;
1 worker, ``--reads 60 --rounds 4``), before → after the fix of issue 14:

======================  ===================================  ===================================
uploads at               before: p50 / p95 (ratio)            after: p50 / p95 (ratio)
======================  ===================================  ===================================
100 Mbit/s (default)     36.5→39.4 / 68.7→92.4 ms (1.08/1.34)  19.7→19.9 / 44.1→61.2 ms (1.01/1.39)
loopback (``0``)         110→525 / 748→1715 ms (4.77/2.29)    107→289 / 274→850 ms (2.71/3.10)
======================  ===================================  ===================================

Again at 03:00 the same day with the machine otherwise idle (load < 2), ``--reads 200
--rounds 3``, 100 Mbit/s, three runs each (quiet → uploads, ms):

=========  =============================================  ===========================
workers    p50 / p95 per run                              ratio p50 / p95 (median)
=========  =============================================  ===========================
1          15.3→16.3 / 18.1→24.8; 16.0→17.7 / 21.2→29.8;   1.07 / 1.38
           15.1→14.7 / 17.6→19.3
2          13.1→14.5 / 16.1→18.5; 14.6→17.0 / 17.5→23.1;   1.11 / 1.25
           15.0→16.0 / 17.9→22.4
=========  =============================================  ===========================

So p50 is within the target; p95 is still 25–38 % above the quiet arm, with no lock waits.

Lock waits during uploads went from 1.2 % (100 Mbit/s) and 7.1 % (loopback) of the time to
0.0 % and 0.1 %. What remained was CPU: after its last body byte each upload left a burst in
the worker that the reads on that worker waited behind (GIL), about 1 s of CPU per 20 MiB
(in-process, ASGI app driven directly, median of 6): 0.82 s the active-content check (its
regular expressions tried every position of binary data), then the multipart parse of the
sealed body spool with a re-seal of the file, the SHA-256 and the encryption into storage.
The fix checks with literal-first patterns (0.06 s), parses the multipart body with Django's
parser while it arrives and hashes, sniffs and checks the file on the way
(``referral_hub/multipart_stream.py``, ``vault/uploads.py``): about 40 ms of CPU remain after
the last byte (encryption into storage, the short transaction); the rest (~0.15 s per
20 MiB) is spread over the body's arrival in 64 KiB slices.

Measured 07:30–08:20 on 2026-11-30 with the machine shared with other test runs (load 5–14
on 2 CPUs, so the quiet arm itself is 4–8 times slower than at 03:00), ``--reads 200
--rounds 3``, 100 Mbit/s, three runs each, before → after that fix (quiet → uploads, ms;
"tail": the upload's last byte → response, p50):

========  ======  =======================================================  ============  ==========
workers   code    p50 / p95 per run                                        ratio p50 /   tail
                                                                           p95 (median)
========  ======  =======================================================  ============  ==========
1         before  83→143 / 166→497; 104→221 / 173→668; 27→33 / 62→166      1.73 / 3.00   1.5–4.6 s
1         after   57→83 / 116→278; 58→76 / 128→175; 77→110 / 136→223       1.44 / 1.65   175–218 ms
2         before  90→160 / 182→462; 137→215 / 230→513; 120→171 / 200→490  1.57 / 2.45   4.4–5.6 s
2         after   109→165 / 228→349; 131→226 / 326→701; 92→133 / 154→275  1.52 / 1.78   241–402 ms
========  ======  =======================================================  ============  ==========

The uploads arm now carries 2–3 times as many uploads (12–27 before, 32–85 after), since each
one no longer waits seconds after its body: the link is busy most of the time instead of a
quarter of it. On this loaded machine p95 stays above the target.

As the load fell (08:20–08:40), one more interleaved pair each, then three more runs of the
fixed code (quiet → uploads, ms; ratio p50 / p95):

- load 4–9, workers 1: before 34→44 / 59→168 (1.29 / 2.86), after 44→47 / 66→78
  (1.09 / 1.19); workers 2: before 82→86 / 221→264 (1.04 / 1.20), after 38→43 / 63→76
  (1.13 / 1.21). Tail: before 1.8 / 2.8 s, after 131 / 134 ms.
- after, load 1.4–6.5, workers 2: 22.7→25.6 / 30.8→37.7 (1.13 / 1.22), 37.3→46.7 /
  129→167 (1.25 / 1.29), 45.2→58.9 / 71.7→101 (1.30 / 1.41), median 1.25 / 1.29; workers 1:
  25.9→27.7 / 35.5→40.5 (1.07 / 1.14), 53.5→51.5 / 179→133 (0.96 / 0.75), 42.4→50.3 /
  64.3→80.8 (1.19 / 1.26), median 1.07 / 1.14. Tail 56–143 ms.

So with the machine near idle the ratios come close to the target (p95 1.14–1.22 in the
quietest runs), but not reliably within it with 2 workers while others load the machine.
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.servers import (  # noqa: E402 - after the project is on the path
    Api,
    drop_database,
    manage,
    recreate_database,
    resident_with_consent,
    send_sheet,
    server_env,
    unique_kana,
    uvicorn,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/rh_upload_bench"
PASSWORD = "bench-pass-2026"
BOUNDARY = "----upload-vs-reads"
UPLOAD_BYTES = 20 * 1024 * 1024 - 64 * 1024  # just under the 20 MiB limit
PIECE = 1024 * 1024


def percentile(samples: list[float], p: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1]


def scan_like_payload() -> bytes:
    """A PDF whose one image stream holds random bytes (incompressible, like a scan), drawn
    again in the rare case that they happen to look like an object header (``12 0 obj``) or
    an HTML tag: the server would refuse the upload (415 ``active_content``)."""
    from referral_hub.vault.active_content import ActiveContent, check_active_content
    from referral_hub.vault.content_types import PDF

    while True:
        head = b"%PDF-1.7\n1 0 obj\n<< /Subtype /Image /Filter /DCTDecode /Length "
        tail = b"\nendstream\nendobj\n%%EOF\n"
        size = UPLOAD_BYTES - len(head) - len(tail) - 20
        payload = head + b"%d >>\nstream\n" % size + os.urandom(size) + tail
        try:
            check_active_content(io.BytesIO(payload), PDF)
        except ActiveContent:
            continue
        return payload


class Bench:
    def __init__(
        self, port: int, sheet_id: int, desk_token: str, sender_token: str, upload_mbps: float
    ) -> None:
        self.port = port
        self.upload_rate = upload_mbps * 1_000_000 / 8  # bytes per second; 0: unthrottled
        self.sheet_id = sheet_id
        self.desk_token = desk_token
        self.sender_token = sender_token
        self.payload = scan_like_payload()
        self.tails: list[float] = []  # seconds from the last body byte sent to the response

    def read_once(self, conn: http.client.HTTPConnection) -> float:
        begin = time.perf_counter()
        conn.request(
            "GET",
            f"/api/v1/sheets/{self.sheet_id}/",
            headers={"Authorization": f"Token {self.desk_token}"},
        )
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - begin
        if response.status != 200:
            raise RuntimeError(f"read failed: {response.status}")
        return elapsed

    def reads(self, count: int) -> list[float]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            return [self.read_once(conn) for _ in range(count)]
        finally:
            conn.close()

    def upload_once(self) -> None:
        head = (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="file"; filename="scan.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        tail = f"\r\n--{BOUNDARY}--\r\n".encode()

        def paced() -> Iterator[bytes]:
            yield head
            view = memoryview(self.payload)
            begin = time.perf_counter()
            for start in range(0, len(view), PIECE):
                # A clerk's PC on the office network, not loopback.
                ahead = start / self.upload_rate - (time.perf_counter() - begin)
                if ahead > 0:
                    time.sleep(ahead)
                yield bytes(view[start : start + PIECE])
            yield tail

        # Unthrottled, one sendall of the whole body keeps the client's own CPU use small.
        body = paced() if self.upload_rate else head + self.payload + tail

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        try:
            conn.request(
                "POST",
                f"/api/v1/sheets/{self.sheet_id}/attachments/",
                body=body,
                headers={
                    "Authorization": f"Token {self.sender_token}",
                    "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                    "Content-Length": str(len(head) + len(self.payload) + len(tail)),
                },
            )
            sent = time.perf_counter()
            response = conn.getresponse()
            self.tails.append(time.perf_counter() - sent)
            data = response.read()
            if response.status != 201:
                raise RuntimeError(f"upload failed: {response.status} {data[:200]!r}")
        finally:
            conn.close()

    def sampled(self, arm: Any, database_url: str) -> tuple[Any, float]:
        """Run ``arm`` while sampling PostgreSQL every 5 ms: the share of samples in which some
        session of the benchmark's database waited for a lock (the chain head, a sheet row)."""
        import psycopg

        stop = threading.Event()
        samples = [0, 0]

        def sampler() -> None:
            with psycopg.connect(database_url, autocommit=True) as conn:
                while not stop.is_set():
                    waiting = conn.execute(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    ).fetchone()[0]
                    samples[0] += 1
                    samples[1] += bool(waiting)
                    time.sleep(0.005)

        thread = threading.Thread(target=sampler, daemon=True)
        thread.start()
        try:
            result = arm()
        finally:
            stop.set()
            thread.join(timeout=10)
        return result, samples[1] / max(samples[0], 1)

    def reads_during_uploads(self, count: int) -> tuple[list[float], int]:
        stop = threading.Event()
        uploaded = [0]
        failures: list[BaseException] = []

        def uploader() -> None:
            try:
                while not stop.is_set():
                    self.upload_once()
                    uploaded[0] += 1
            except BaseException as exc:  # reported after the arm
                failures.append(exc)

        thread = threading.Thread(target=uploader, daemon=True)
        thread.start()
        time.sleep(0.3)  # the first upload is under way
        try:
            samples = self.reads(count)
        finally:
            stop.set()
            thread.join(timeout=300)
        if failures:
            raise failures[0]
        return samples, uploaded[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reads", type=int, default=150, help="timed reads per arm and round")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of the two arms")
    parser.add_argument(
        "--workers", type=int, default=2, help="uvicorn worker processes (deployments run several)"
    )
    parser.add_argument(
        "--upload-mbps",
        type=float,
        default=100,
        help="each upload's send rate in Mbit/s (default 100, an office LAN; 0: loopback speed)",
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        sys.exit("this benchmark measures PostgreSQL: pass a postgres:// URL")

    print(f"database: {args.database_url} (recreated)", flush=True)
    recreate_database(args.database_url)
    data_dir = Path(tempfile.mkdtemp(prefix="rh-upload-bench-"))
    env = server_env(data_dir, DATABASE_URL=args.database_url, DB_POOL_MAX_SIZE="10")
    try:
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo", "--force", "--password", PASSWORD)
        with uvicorn(env, data_dir / "server.log", workers=args.workers) as port:
            base = f"http://127.0.0.1:{port}"
            clerk = Api(base, "tax_clerk", PASSWORD)
            desk = Api(base, "consult1", PASSWORD)
            known = resident_with_consent(
                clerk,
                unique_kana("ベンチ"),
                desks=["jiritsu"],
                categories=["identity", "concern", "attachments"],
            )
            sheet_id = send_sheet(clerk, known["resident"]["id"], known["consent"]["id"])["id"]
            bench = Bench(port, sheet_id, desk.token, clerk.token, args.upload_mbps)
            bench.reads(20)  # warm-up: connections, caches
            bench.upload_once()
            quiet: list[float] = []
            busy: list[float] = []
            uploads = 0
            waits = {"quiet": [], "busy": []}
            for round_number in range(1, args.rounds + 1):
                samples, share = bench.sampled(lambda: bench.reads(args.reads), args.database_url)
                quiet += samples
                waits["quiet"].append(share)
                (samples, count), share = bench.sampled(
                    lambda: bench.reads_during_uploads(args.reads), args.database_url
                )
                busy += samples
                waits["busy"].append(share)
                uploads += count
                print(f"  round {round_number}: {count} uploads during the busy arm", flush=True)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        drop_database(args.database_url)

    def row(name: str, samples: list[float]) -> tuple[float, float]:
        ms = [s * 1000 for s in samples]
        p50, p95 = statistics.median(ms), percentile(ms, 95)
        print(f"  {name:<24} n={len(ms):4d}  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms")
        return p50, p95

    print()
    print(f"GET /api/v1/sheets/<id>/ by the owner desk (audited read), {args.workers} worker(s)")
    q50, q95 = row("without uploads", quiet)
    rate = f"{args.upload_mbps:g} Mbit/s" if args.upload_mbps else "loopback"
    b50, b95 = row(f"during 20 MiB uploads ({rate})", busy)
    print(f"  ratio uploads/quiet      p50 {b50 / q50:.2f}   p95 {b95 / q95:.2f}   (target ≤ 1.20)")
    print(
        f"  {uploads} uploads completed; machine load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    tails = [t * 1000 for t in bench.tails[1:]]  # the warm-up upload is not counted
    if tails:
        print(
            f"  upload: last body byte -> response  p50 {statistics.median(tails):.0f} ms"
            f"  max {max(tails):.0f} ms  (n={len(tails)})"
        )
    print(
        "  time with a session waiting for a PostgreSQL lock: "
        f"quiet {statistics.fmean(waits['quiet']):.1%}, during uploads {statistics.fmean(waits['busy']):.1%}"
    )


if __name__ == "__main__":
    main()
