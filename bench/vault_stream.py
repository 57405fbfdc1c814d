"""Streaming AEAD throughput vs raw single-shot AES-256-GCM over the same bytes.

Run: .venv/bin/python bench/vault_stream.py [--mib 64] [--repeats 7]

Both sides encrypt and then decrypt the same random buffer with the same key, in the same
process and run; the streaming side reads from and writes to in-memory files through the
vault's ``encrypt_stream``/``decrypt_stream`` (64 KiB chunks). Prints medians and the ratio
of streaming to raw throughput (target: at least 60%).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

from referral_hub.vault.stream import decrypt_stream, encrypt_stream  # noqa: E402


def raw_round_trip(key: bytes, data: bytes) -> float:
    aead = AESGCM(key)
    nonce = os.urandom(12)
    start = time.perf_counter()
    sealed = aead.encrypt(nonce, data, b"header")
    opened = aead.decrypt(nonce, sealed, b"header")
    elapsed = time.perf_counter() - start
    assert len(opened) == len(data)
    return elapsed


def stream_round_trip(key: bytes, data: bytes) -> float:
    start = time.perf_counter()
    sealed = io.BytesIO()
    for piece in encrypt_stream(io.BytesIO(data), key, key_id=b"bench"):
        sealed.write(piece)
    sealed.seek(0)
    size = 0
    for chunk in decrypt_stream(sealed, key, key_id=b"bench"):
        size += len(chunk)
    elapsed = time.perf_counter() - start
    assert size == len(data)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    key = AESGCM.generate_key(256)
    data = os.urandom(args.mib * 1024 * 1024)
    raw_round_trip(key, data)  # warm up
    stream_round_trip(key, data)
    raw, stream = [], []
    for _ in range(args.repeats):  # interleave so both see the same machine state
        raw.append(raw_round_trip(key, data))
        stream.append(stream_round_trip(key, data))
    mib = args.mib
    raw_median, stream_median = statistics.median(raw), statistics.median(stream)
    print(f"payload: {mib} MiB, encrypt+decrypt, {args.repeats} repeats (median)")
    print(f"raw single-shot AES-256-GCM : {raw_median:.3f} s  {2 * mib / raw_median:8.1f} MiB/s")
    print(
        f"vault STREAM (64 KiB chunks): {stream_median:.3f} s  {2 * mib / stream_median:8.1f} MiB/s"
    )
    ratio = raw_median / stream_median
    print(f"ratio stream/raw throughput : {ratio:.0%} (target >= 60%)")


if __name__ == "__main__":
    main()
