"""Upload + download of a large file through the HTTP API, encrypted vs. in clear.

Run: .venv/bin/python bench/attachments_http.py [--mib 200] [--repeats 7]

Two uvicorn servers on 127.0.0.1 share one throw-away deployment; one runs with
VAULT_ENCRYPT_ATTACHMENTS=1, the other with 0 (the same endpoints storing plaintext).
Rounds alternate between them (and which goes first); dirty pages are flushed before each
upload so neither pays for the other's disk writeback. Each round uploads the file (multipart, streamed from disk)
and downloads it completely. Prints medians and the throughput ratio (target: >= 70%),
plus each server's peak RSS.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attachments_server import Deployment, make_payload, peak_rss_mib, print_flush, timed  # noqa: E402

MiB = 1024 * 1024


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while piece := source.read(MiB):
            digest.update(piece)
    return digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp dir")
    args = parser.parse_args()

    size = args.mib * MiB
    deployment = Deployment.create(max_bytes=size + MiB, database_url=args.database_url)
    try:
        run(deployment, args, size)
    finally:
        deployment.remove()


def run(deployment: Deployment, args: argparse.Namespace, size: int) -> None:
    payload = deployment.workdir / "payload.pdf"
    make_payload(payload, size)
    expected_sha = sha256_of(payload)
    results: dict[bool, dict[str, list[float]]] = {
        mode: {"upload": [], "download": [], "total": []} for mode in (True, False)
    }
    with deployment.serve(encrypt=True) as encrypted, deployment.serve(encrypt=False) as clear:
        servers = {True: encrypted, False: clear}
        for mode, server in servers.items():  # warm up both
            attachment = server.upload(payload)
            assert attachment["sha256"] == expected_sha
            assert server.download(attachment["id"]) == size
        for round_number in range(args.repeats):
            # Alternate which mode goes first, and flush dirty pages before each upload, so
            # neither mode pays for the other's disk writeback.
            order = [True, False] if round_number % 2 == 0 else [False, True]
            for mode in order:
                server = servers[mode]
                os.sync()
                up, attachment = timed(server.upload, payload)
                down, received = timed(server.download, attachment["id"])
                assert received == size
                results[mode]["upload"].append(up)
                results[mode]["download"].append(down)
                results[mode]["total"].append(up + down)
        rss = {mode: peak_rss_mib(server.pid) for mode, server in servers.items()}

    print_flush(f"payload: {args.mib} MiB, {args.repeats} rounds per mode (median seconds)")
    for mode, label in ((False, "clear (VAULT_ENCRYPT_ATTACHMENTS=0)"), (True, "encrypted")):
        row = {k: statistics.median(v) for k, v in results[mode].items()}
        print_flush(
            f"{label:36s} upload {row['upload']:6.2f} s  download {row['download']:6.2f} s  "
            f"round trip {row['total']:6.2f} s  {2 * args.mib / row['total']:7.1f} MiB/s  "
            f"server peak RSS {rss[mode]:6.1f} MiB"
        )
    for part in ("upload", "download", "total"):
        ratio = statistics.median(results[False][part]) / statistics.median(results[True][part])
        print_flush(f"ratio encrypted/clear throughput, {part:8s}: {ratio:.0%}")
    print_flush("target: round trip >= 70%")


if __name__ == "__main__":
    main()
