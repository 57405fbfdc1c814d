"""Peak resident memory during a 1 GiB attachment round trip (target: under 150 MiB).

Run: .venv/bin/python bench/vault_rss.py [--mib 1024]

Two measurements, each in a fresh process so the peak belongs to the round trip:

1. HTTP: a uvicorn server (encryption on) receives a 1 GiB upload through the API and
   serves it back; its VmHWM (peak RSS) is read from /proc before and after.
2. In-process: ``store_encrypted`` then ``open_decrypted`` of 1 GiB generated on the fly,
   in a child Python process whose peak RSS (ru_maxrss) is reported with its baseline.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from attachments_server import (  # noqa: E402
    PYTHON,
    ROOT,
    Deployment,
    make_payload,
    peak_rss_mib,
    print_flush,
    timed,
)

MiB = 1024 * 1024

_IN_PROCESS = """
import io, json, resource, sys, time, django
django.setup()
from django.core.management import call_command
call_command("migrate", "vault", verbosity=0)
from referral_hub.vault.keys import new_data_key
from referral_hub.vault.storage import open_decrypted, store_encrypted

def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

class Generated(io.RawIOBase):
    def __init__(self, size):
        self.remaining = size
    def readable(self):
        return True
    def readinto(self, buffer):
        n = min(len(buffer), self.remaining)
        buffer[:n] = b"\\x5a" * n
        self.remaining -= n
        return n

size = int(sys.argv[1])
key = new_data_key()
baseline = rss()
start = time.perf_counter()
blob = store_encrypted(io.BufferedReader(Generated(size), 1 << 16), key, max_bytes=size)
total = sum(len(c) for c in open_decrypted(blob.name, key))
elapsed = time.perf_counter() - start
assert total == size
print(json.dumps({"baseline": baseline, "peak": rss(), "seconds": elapsed}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    size = args.mib * MiB

    deployment = Deployment.create(max_bytes=size + MiB, database_url=args.database_url)
    try:
        payload = deployment.workdir / "payload.pdf"
        make_payload(payload, size)
        with deployment.serve(encrypt=True) as server:
            before = peak_rss_mib(server.pid)
            up, attachment = timed(server.upload, payload)
            down, received = timed(server.download, attachment["id"])
            assert received == size
            after = peak_rss_mib(server.pid)
        print_flush(f"HTTP round trip of {args.mib} MiB through uvicorn (encryption on):")
        print_flush(f"  upload {up:.1f} s, download {down:.1f} s")
        print_flush(f"  server peak RSS before {before:.1f} MiB, during/after {after:.1f} MiB")

        result = subprocess.run(
            [str(PYTHON), "-c", _IN_PROCESS, str(size)],
            cwd=ROOT,
            env={**deployment.env, "VAULT_ENCRYPT_ATTACHMENTS": "1"},
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        print_flush(f"In-process store_encrypted + open_decrypted of {args.mib} MiB:")
        print_flush(
            f"  {figures['seconds']:.1f} s, peak RSS {figures['peak']:.1f} MiB "
            f"(baseline after Django setup {figures['baseline']:.1f} MiB)"
        )
        worst = max(after, figures["peak"])
        print_flush(
            f"peak RSS {worst:.1f} MiB (target < 150 MiB): {'OK' if worst < 150 else 'OVER'}"
        )
    finally:
        deployment.remove()


if __name__ == "__main__":
    main()
