"""Signed checkpoints of the chain head, kept outside the database.

Each checkpoint is one JSON line appended to ``settings.AUDIT_CHECKPOINT_PATH``::

    {"at": "...Z", "head": "<sha256 hex>", "key_id": "ed25519:<16 hex>", "seq": 1234,
     "sig": "<urlsafe base64 Ed25519 signature>", "v": 1}

The signature covers ``b"referral-hub-audit-checkpoint:v1:"`` followed by the sorted, compact
JSON of every field except ``sig``. Someone who can rewrite the whole database can recompute
every hash, but cannot forge a signature over a head that the key already signed, nor remove
events that a checkpoint already covers without the verifier noticing.

The trusted key set (:func:`trusted_keys`) is configured once, in the environment, and used by
every verifier (``audit_verify``, the API, the 改ざん検知 page) and by ``audit_checkpoint``:
the public half of ``AUDIT_SIGNING_KEY`` plus the public keys retired by rotation in
``AUDIT_RETIRED_PUBLIC_KEYS``. A line signed by a key outside the set is *unverifiable*, which
is not the same as *altered* (a line whose signature does not verify under its named key).
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import connection
from django.utils import timezone

from referral_hub.audit import chain
from referral_hub.audit.models import AuditEvent

CHECKPOINT_VERSION = 1
_SIGNING_CONTEXT = b"referral-hub-audit-checkpoint:v1:"


class CheckpointError(Exception):
    """The checkpoint cannot be written or read: missing key, unreadable file, broken chain."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    head: str
    at: str
    key_id: str
    sig: str
    v: int = CHECKPOINT_VERSION

    def signed_bytes(self) -> bytes:
        body = {
            "at": self.at,
            "head": self.head,
            "key_id": self.key_id,
            "seq": self.seq,
            "v": self.v,
        }
        return _SIGNING_CONTEXT + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def to_line(self) -> str:
        body = {
            "at": self.at,
            "head": self.head,
            "key_id": self.key_id,
            "seq": self.seq,
            "sig": self.sig,
            "v": self.v,
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":")) + "\n"


@dataclass(frozen=True)
class CheckpointLine:
    """One line of the checkpoint file: a checkpoint whose signature verified, or a problem.

    ``unverifiable`` marks a well-formed line signed by a key outside the trusted set: nothing
    can be said about it (``problem`` is ``"unknown key"``). Any other problem means the line
    was altered. ``seq`` and ``key_id`` are what the line claims, for naming it."""

    line_number: int
    checkpoint: Checkpoint | None
    problem: str = ""
    unverifiable: bool = False
    seq: int | None = None
    key_id: str = ""

    def as_unverifiable(self) -> dict[str, Any]:
        """``{"line", "seq", "key_id", "reason"}``, as the verify answer lists it."""
        return {
            "line": self.line_number,
            "seq": self.seq,
            "key_id": self.key_id,
            "reason": self.problem,
        }

    def describe(self) -> str:
        """``checkpoint line 7 (seq 41, key ed25519:…)``: names the line, never the file."""
        facts = [f"seq {self.seq}"] if self.seq is not None else []
        if self.key_id:
            facts.append(f"key {self.key_id}")
        return f"checkpoint line {self.line_number}" + (f" ({', '.join(facts)})" if facts else "")


# --- keys ------------------------------------------------------------------------------------


def _b64decode(text: str) -> bytes:
    text = text.strip()
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
    except (binascii.Error, ValueError) as exc:
        raise CheckpointError("not valid base64") from exc


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def signing_key() -> Ed25519PrivateKey:
    """The Ed25519 private key from ``settings.AUDIT_SIGNING_KEY`` (raw 32 bytes, base64)."""
    encoded = getattr(settings, "AUDIT_SIGNING_KEY", "")
    if not encoded:
        raise CheckpointError("AUDIT_SIGNING_KEY is not set: cannot sign audit checkpoints")
    try:
        raw = _b64decode(encoded)
    except CheckpointError as exc:
        raise CheckpointError("AUDIT_SIGNING_KEY is not valid base64") from exc
    if len(raw) != 32:
        raise CheckpointError("AUDIT_SIGNING_KEY must be a raw 32-byte Ed25519 private key")
    return Ed25519PrivateKey.from_private_bytes(raw)


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint naming the key: ``ed25519:`` + first 16 hex digits of SHA-256."""
    return "ed25519:" + hashlib.sha256(public_key_bytes(key)).hexdigest()[:16]


def public_key_text(key: Ed25519PublicKey) -> str:
    """The raw public key as urlsafe base64, to hand to an independent verifier."""
    return _b64encode(public_key_bytes(key))


def load_public_key(text: str) -> Ed25519PublicKey:
    raw = _b64decode(text)
    if len(raw) != 32:
        raise CheckpointError("an Ed25519 public key is 32 raw bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def load_named_public_key(text: str) -> Ed25519PublicKey:
    """A public key as ``<base64>``, or as ``<key id>:<base64>`` / ``<key id> <base64>`` (the
    output of ``audit_checkpoint --show-public-key``); a key id that does not match the key is
    an error, so a pasted key is checked against the id it was published with."""
    named, _, encoded = text.strip().replace(" ", ":").rpartition(":")
    public = load_public_key(encoded)
    if named and named != key_id(public):
        raise CheckpointError(f"the key given as {named} is {key_id(public)}")
    return public


def retired_public_keys() -> list[str]:
    """``settings.AUDIT_RETIRED_PUBLIC_KEYS``: public keys of signing keys retired by rotation,
    as a list (or one comma-separated string) of :func:`load_named_public_key` texts."""
    raw = getattr(settings, "AUDIT_RETIRED_PUBLIC_KEYS", ())
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    return [item.strip() for item in items if item.strip()]


def trusted_keys(extra_public_keys: Iterable[str] = ()) -> dict[str, Ed25519PublicKey]:
    """The one trusted key set, by key id: the public half of ``AUDIT_SIGNING_KEY`` (when set),
    then each key of ``AUDIT_RETIRED_PUBLIC_KEYS``, then ``extra_public_keys`` (an independent
    verifier's ``audit_verify --public-key``). Raises :class:`CheckpointError` naming the
    setting and the entry (1-based) that is not a valid Ed25519 public key."""
    keys: dict[str, Ed25519PublicKey] = {}
    if getattr(settings, "AUDIT_SIGNING_KEY", ""):
        public = signing_key().public_key()
        keys[key_id(public)] = public
    sources = [
        ("AUDIT_RETIRED_PUBLIC_KEYS", retired_public_keys()),
        ("--public-key", extra_public_keys),
    ]
    for source, texts in sources:
        for number, text in enumerate(texts, start=1):
            try:
                public = load_named_public_key(text)
            except CheckpointError as exc:
                raise CheckpointError(f"{source} entry {number}: {exc}") from exc
            keys.setdefault(key_id(public), public)
    return keys


def signing_key_id() -> str:
    """The key id of ``AUDIT_SIGNING_KEY``, or ``""`` when none is configured."""
    if not getattr(settings, "AUDIT_SIGNING_KEY", ""):
        return ""
    return key_id(signing_key().public_key())


# --- writing ---------------------------------------------------------------------------------


def checkpoint_path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_PATH)


def chain_tip() -> tuple[int, str]:
    """``(seq, hash)`` of the last committed event, or ``(0, GENESIS_HASH)``."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT seq, hash FROM {AuditEvent._meta.db_table} ORDER BY seq DESC LIMIT 1"  # noqa: S608
        )
        row = cursor.fetchone()
    return (int(row[0]), str(row[1])) if row else (0, chain.GENESIS_HASH)


def sign_checkpoint(seq: int, head: str, key: Ed25519PrivateKey | None = None) -> Checkpoint:
    key = key or signing_key()
    unsigned = Checkpoint(
        seq=seq,
        head=head,
        at=chain.format_time(timezone.now()),
        key_id=key_id(key.public_key()),
        sig="",
    )
    signature = key.sign(unsigned.signed_bytes())
    return Checkpoint(
        seq=unsigned.seq,
        head=unsigned.head,
        at=unsigned.at,
        key_id=unsigned.key_id,
        sig=_b64encode(signature),
    )


def append_checkpoint(checkpoint: Checkpoint, path: Path | None = None) -> None:
    """Append one line and fsync it. The file is opened for appending only, so it can live on
    append-only storage (``chattr +a``); a lock keeps two writers' lines whole."""
    path = path or checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            handle.write(checkpoint.to_line())
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def write_checkpoint(
    path: Path | None = None, warn: Callable[[str], object] | None = None
) -> Checkpoint:
    """Sign the current chain head and append it to the checkpoint file.

    Before signing, the events since the last valid checkpoint are verified, so a checkpoint
    never vouches for a chain that was already altered; :class:`CheckpointError` says why.
    Lines signed by a key outside the trusted set do not stop signing (they are passed to
    ``warn``, one message each): they vouch for nothing, and a rotation must not stop the
    cron. The demo process calls this every few minutes; production runs
    ``audit_checkpoint`` from cron.
    """
    from referral_hub.audit.verify import STATUS_ERROR, verify_chain

    key = signing_key()
    path = path or checkpoint_path()
    result = verify_chain(checkpoint_path=path, incremental=True)
    if result.status == STATUS_ERROR:  # the key set itself could not be loaded
        raise CheckpointError(f"refusing to sign: {result.reason}")
    if not result.ok:
        where = f" at seq {result.first_bad_seq}" if result.first_bad_seq is not None else ""
        raise CheckpointError(
            f"refusing to sign: the audit chain does not verify{where}: {result.reason}"
        )
    if warn is not None:
        for warning in result.warnings:
            warn(warning)
    checkpoint = sign_checkpoint(result.last_seq, result.head, key)
    append_checkpoint(checkpoint, path)
    return checkpoint


# --- reading ---------------------------------------------------------------------------------


def read_checkpoints(
    path: Path | None = None, keys: dict[str, Ed25519PublicKey] | None = None
) -> Iterator[CheckpointLine]:
    """Each line of the checkpoint file, its signature checked against ``keys``. A missing file
    yields nothing (no checkpoint written yet)."""
    path = path or checkpoint_path()
    keys = trusted_keys() if keys is None else keys
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed below, read lazily
    except FileNotFoundError:
        return
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            yield _parse_line(number, line, keys)


def _parse_line(number: int, line: str, keys: dict[str, Ed25519PublicKey]) -> CheckpointLine:
    try:
        data = json.loads(line)
        checkpoint = Checkpoint(
            seq=int(data["seq"]),
            head=str(data["head"]),
            at=str(data["at"]),
            key_id=str(data["key_id"]),
            sig=str(data["sig"]),
            v=int(data["v"]),
        )
    except (ValueError, KeyError, TypeError):
        return CheckpointLine(number, None, "not a checkpoint record")

    def named(problem: str, unverifiable: bool = False) -> CheckpointLine:
        return CheckpointLine(
            number, None, problem, unverifiable, checkpoint.seq, checkpoint.key_id
        )

    if checkpoint.v != CHECKPOINT_VERSION:
        return named(f"unknown checkpoint version {checkpoint.v}")
    public = keys.get(checkpoint.key_id)
    if public is None:
        return named("unknown key", unverifiable=True)
    try:
        public.verify(_b64decode(checkpoint.sig), checkpoint.signed_bytes())
    except (InvalidSignature, CheckpointError):
        return named("signature does not verify")
    return CheckpointLine(number, checkpoint, seq=checkpoint.seq, key_id=checkpoint.key_id)
