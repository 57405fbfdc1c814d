"""Streaming AEAD for files: AES-256-GCM in fixed-size chunks (the STREAM construction).

Layout::

    header = "RHVS" ‖ version (1) ‖ len(key id) (1) ‖ key id ‖ nonce prefix (7) ‖ chunk size (4, BE)
    body   = chunk_0 ‖ chunk_1 ‖ … ‖ chunk_n        each = AES-GCM(plaintext ≤ chunk size) ‖ tag (16)
    nonce_i = nonce prefix ‖ i (4, BE) ‖ (1 if i == n else 0)

Every chunk carries the whole header as associated data. Because the chunk index and the
last-chunk flag are in the nonce, a reordered, duplicated, dropped or appended chunk, a
stream cut at a chunk boundary, and a changed header all fail authentication (Hoang,
Reyhanitabar, Rogaway, Vizár: "Online Authenticated-Encryption and its Nonce-Reuse
Misuse-Resistance", 2015). The random prefix comes from a fresh draw per stream; with
one data key per attachment a prefix is used with a key once.

Memory is constant in both directions: at most two chunks are held at a time, and the
decryptor refuses headers announcing chunks larger than ``MAX_CHUNK_SIZE``. Decryption
yields a chunk only after it has verified; callers that must not emit any plaintext of a
damaged file run ``verify_stream`` over it first.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from referral_hub.vault.errors import IntegrityFailure, VaultError

MAGIC = b"RHVS"
VERSION = 1
DEFAULT_CHUNK_SIZE = 64 * 1024
MIN_CHUNK_SIZE = 16
MAX_CHUNK_SIZE = 4 * 1024 * 1024
TAG_BYTES = 16
NONCE_PREFIX_BYTES = 7
MAX_CHUNKS = 2**32
_LAST = b"\x01"
_NOT_LAST = b"\x00"


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def read_exact(source: Readable, size: int) -> bytes:
    """Read ``size`` bytes, or fewer only at end of stream (``read`` may return short)."""
    data = source.read(size)
    if len(data) == size or not data:
        return data
    parts = [data]
    remaining = size - len(data)
    while remaining:
        more = source.read(remaining)
        if not more:
            break
        parts.append(more)
        remaining -= len(more)
    return b"".join(parts)


@dataclass(frozen=True)
class StreamHeader:
    key_id: bytes
    nonce_prefix: bytes
    chunk_size: int

    def to_bytes(self) -> bytes:
        return b"".join(
            (
                MAGIC,
                bytes((VERSION, len(self.key_id))),
                self.key_id,
                self.nonce_prefix,
                self.chunk_size.to_bytes(4, "big"),
            )
        )

    def nonce(self, index: int, *, last: bool) -> bytes:
        if index >= MAX_CHUNKS:
            raise VaultError("stream too long: chunk counter would wrap")
        return self.nonce_prefix + index.to_bytes(4, "big") + (_LAST if last else _NOT_LAST)


def read_header(source: Readable) -> StreamHeader:
    fixed = read_exact(source, len(MAGIC) + 2)
    if len(fixed) < len(MAGIC) + 2 or fixed[: len(MAGIC)] != MAGIC:
        raise IntegrityFailure("not a vault stream (bad magic or truncated header)")
    version, key_id_length = fixed[len(MAGIC)], fixed[len(MAGIC) + 1]
    if version != VERSION:
        raise IntegrityFailure(f"unsupported vault stream version {version}")
    rest = read_exact(source, key_id_length + NONCE_PREFIX_BYTES + 4)
    if len(rest) < key_id_length + NONCE_PREFIX_BYTES + 4:
        raise IntegrityFailure("truncated vault stream header")
    chunk_size = int.from_bytes(rest[-4:], "big")
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise IntegrityFailure(f"vault stream announces an invalid chunk size {chunk_size}")
    return StreamHeader(
        key_id=rest[:key_id_length],
        nonce_prefix=rest[key_id_length : key_id_length + NONCE_PREFIX_BYTES],
        chunk_size=chunk_size,
    )


def encrypt_stream(
    source: Readable, key: bytes, *, key_id: bytes, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Iterator[bytes]:
    """Yield the header, then one sealed chunk per ``chunk_size`` bytes of ``source``."""
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk_size must be between {MIN_CHUNK_SIZE} and {MAX_CHUNK_SIZE}")
    if len(key_id) > 255:
        raise ValueError("key_id is limited to 255 bytes")
    header = StreamHeader(key_id, os.urandom(NONCE_PREFIX_BYTES), chunk_size)
    associated = header.to_bytes()
    aead = AESGCM(key)
    yield associated
    index = 0
    current = read_exact(source, chunk_size)
    while True:
        # Look one chunk ahead: the last chunk must be sealed with the last flag set.
        following = read_exact(source, chunk_size) if len(current) == chunk_size else b""
        last = not following
        yield aead.encrypt(header.nonce(index, last=last), current, associated)
        if last:
            return
        index += 1
        current = following


def _open_header(source: Readable, key_id: bytes) -> StreamHeader:
    header = read_header(source)
    if header.key_id != key_id:
        raise IntegrityFailure(
            "vault stream was sealed for another key "
            f"({header.key_id.decode(errors='replace')!r}, expected {key_id.decode(errors='replace')!r})"
        )
    return header


def _sealed_chunks(source: Readable, header: StreamHeader) -> Iterator[tuple[int, bytes, bool]]:
    """(index, sealed chunk, is last) in order, deciding "last" by looking one chunk ahead."""
    sealed_size = header.chunk_size + TAG_BYTES
    index = 0
    current = read_exact(source, sealed_size)
    if not current:
        raise IntegrityFailure("vault stream is truncated: no chunk after the header")
    while True:
        following = read_exact(source, sealed_size) if len(current) == sealed_size else b""
        last = not following
        if len(current) < TAG_BYTES:
            raise IntegrityFailure(f"vault stream is truncated inside chunk {index}")
        yield index, current, last
        if last:
            return
        index += 1
        current = following


def _chunk_failure(index: int) -> IntegrityFailure:
    return IntegrityFailure(
        f"vault stream chunk {index} failed authentication (tampered, reordered, "
        "duplicated, truncated or extended)"
    )


def decrypt_stream(source: Readable, key: bytes, *, key_id: bytes) -> Iterator[bytes]:
    """Yield verified plaintext chunks; raise ``IntegrityFailure`` at the first bad one."""
    header = _open_header(source, key_id)
    associated = header.to_bytes()
    aead = AESGCM(key)
    for index, sealed, last in _sealed_chunks(source, header):
        try:
            plaintext = aead.decrypt(header.nonce(index, last=last), sealed, associated)
        except InvalidTag as exc:
            raise _chunk_failure(index) from exc
        yield plaintext


def verify_stream(source: Readable, key: bytes, *, key_id: bytes) -> int:
    """Authenticate a whole stream without keeping plaintext; return the plaintext size.

    Decrypts into one reused buffer, so verifying costs no allocation per chunk."""
    header = _open_header(source, key_id)
    associated = header.to_bytes()
    aead = AESGCM(key)
    scratch = memoryview(bytearray(header.chunk_size))
    total = 0
    for index, sealed, last in _sealed_chunks(source, header):
        size = len(sealed) - TAG_BYTES
        try:
            aead.decrypt_into(header.nonce(index, last=last), sealed, associated, scratch[:size])
        except InvalidTag as exc:
            raise _chunk_failure(index) from exc
        total += size
    return total


class IterableReader(io.RawIOBase):
    """A read-only, non-seekable file over an iterator of byte strings (what the iterator
    raises, a read raises)."""

    def __init__(self, pieces: Iterable[bytes]) -> None:
        super().__init__()
        self._pieces = iter(pieces)
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._pending = memoryview(piece)
        count = min(len(buffer), len(self._pending))
        buffer[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count
