"""Attachment ciphertext in Django's storage (filesystem by default, S3 by configuration).

``store_encrypted`` streams an upload through the STREAM encryptor straight into the
storage backend, counting and hashing the plaintext on the way, so memory use does not
grow with the file; an oversize upload is aborted and its partial object deleted.
``open_decrypted`` streams it back, verified chunk by chunk.

Objects get random names (``vault/ab/<uuid>.enc``): the storage listing reveals neither
the resident nor the file name. With ``VAULT_ENCRYPT_ATTACHMENTS`` off (benchmarks only)
objects are written in clear as ``….plain``; such objects are refused while encryption is
on, so a swapped-in cleartext object is never served.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages

from referral_hub.vault.errors import AttachmentTooLarge, IntegrityFailure
from referral_hub.vault.keys import unwrap_data_key
from referral_hub.vault.models import DataKey
from referral_hub.vault.s3 import open_object_stream
from referral_hub.vault.stream import (
    DEFAULT_CHUNK_SIZE,
    IterableReader,
    Readable,
    decrypt_stream,
    encrypt_stream,
    verify_stream,
)

ENCRYPTED_SUFFIX = ".enc"
PLAINTEXT_SUFFIX = ".plain"  # only when VAULT_ENCRYPT_ATTACHMENTS is off (benchmarks)
READ_SIZE = DEFAULT_CHUNK_SIZE


@dataclass(frozen=True)
class StoredBlob:
    name: str
    size: int
    sha256: str


def attachment_storage() -> Storage:
    return storages["default"]


def stream_key_id(data_key: DataKey) -> bytes:
    """Binds the stored object to its data key row: a blob moved to another attachment
    record fails with ``IntegrityFailure`` instead of decrypting under the wrong record."""
    return f"datakey:{data_key.pk}".encode("ascii")


class _MeteredSource:
    """Counts and hashes plaintext as it is read; stops at ``max_bytes``; shows each piece to
    ``observe`` (which may raise to refuse the file)."""

    def __init__(
        self,
        source: Readable,
        max_bytes: int,
        observe: Callable[[bytes], None] | None = None,
        sha256: str | None = None,
    ) -> None:
        self.source = source
        self.max_bytes = max_bytes
        self.observe = observe
        self.size = 0
        self.known_sha256 = sha256
        self.hasher = None if sha256 is not None else hashlib.sha256()

    def read(self, size: int = -1, /) -> bytes:
        data = self.source.read(size)
        self.size += len(data)
        if self.size > self.max_bytes:
            raise AttachmentTooLarge(self.max_bytes)
        if self.hasher is not None:
            self.hasher.update(data)
        if self.observe is not None:
            self.observe(data)
        return data

    def hexdigest(self) -> str:
        if self.hasher is None:
            assert self.known_sha256 is not None
            return self.known_sha256
        return self.hasher.hexdigest()


class _StreamedFile(File):
    """A File over a piece iterator. Backends that write ``chunks()`` (the filesystem) get
    the pieces as produced, with no re-buffering; others (S3) read it like a file."""

    def __init__(self, pieces: Iterable[bytes], name: str) -> None:
        self._pieces = iter(pieces)
        super().__init__(io.BufferedReader(IterableReader(self._pieces), READ_SIZE), name=name)

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        return self._pieces


def _new_name(suffix: str) -> str:
    token = uuid.uuid4().hex
    return f"vault/{token[:2]}/{token}{suffix}"


def store_encrypted(
    fileobj: Readable,
    data_key: DataKey,
    *,
    max_bytes: int,
    storage: Storage | None = None,
    observe: Callable[[bytes], None] | None = None,
    sha256: str | None = None,
) -> StoredBlob:
    """Encrypt ``fileobj`` under ``data_key`` into storage; return name, size and SHA-256
    of the plaintext. Raises ``AttachmentTooLarge`` (nothing kept) past ``max_bytes``.

    ``observe`` sees every plaintext piece once, in order, as it goes to the encryptor (a
    content check can run in the same pass); whatever it raises aborts the store, nothing kept.
    ``sha256``: the plaintext's digest (hex) when already known (computed as the upload
    arrived, ``vault.uploads.ArrivalFacts``); it is then not computed again.
    """
    storage = storage or attachment_storage()
    source = _MeteredSource(fileobj, max_bytes, observe, sha256)
    if getattr(settings, "VAULT_ENCRYPT_ATTACHMENTS", True):
        name = _new_name(ENCRYPTED_SUFFIX)
        pieces: Iterable[bytes] = encrypt_stream(
            source, unwrap_data_key(data_key), key_id=stream_key_id(data_key)
        )
    else:
        name = _new_name(PLAINTEXT_SUFFIX)
        pieces = iter(lambda: source.read(READ_SIZE), b"")
    content = _StreamedFile(pieces, name)
    try:
        saved_name = storage.save(name, content)
    except BaseException:
        _delete_quietly(storage, name)
        raise
    return StoredBlob(name=saved_name, size=source.size, sha256=source.hexdigest())


def open_decrypted(
    name: str, data_key: DataKey, *, storage: Storage | None = None
) -> Iterator[bytes]:
    """Yield verified plaintext chunks of a stored object (closing it at the end)."""
    storage = storage or attachment_storage()
    plaintext_object = name.endswith(PLAINTEXT_SUFFIX)
    if plaintext_object and getattr(settings, "VAULT_ENCRYPT_ATTACHMENTS", True):
        raise IntegrityFailure(
            f"stored object {name} is not encrypted while VAULT_ENCRYPT_ATTACHMENTS is on"
        )
    key = None if plaintext_object else unwrap_data_key(data_key)
    return _stream(storage, name, key, stream_key_id(data_key))


def _stream(storage: Storage, name: str, key: bytes | None, key_id: bytes) -> Iterator[bytes]:
    with open_object_stream(storage, name) as stored:
        if key is None:
            yield from iter(lambda: stored.read(READ_SIZE), b"")
        else:
            yield from decrypt_stream(stored, key, key_id=key_id)


def verify_encrypted(name: str, data_key: DataKey, *, storage: Storage | None = None) -> int:
    """Authenticate a whole stored object before serving any of it; return its size."""
    storage = storage or attachment_storage()
    if name.endswith(PLAINTEXT_SUFFIX):
        open_decrypted(name, data_key, storage=storage)  # refuses while encryption is on
        return storage.size(name)  # benchmark baseline: nothing to authenticate
    key = unwrap_data_key(data_key)
    with open_object_stream(storage, name) as stored:
        return verify_stream(stored, key, key_id=stream_key_id(data_key))


def delete_stored(name: str, *, storage: Storage | None = None) -> None:
    _delete_quietly(storage or attachment_storage(), name)


def _delete_quietly(storage: Storage, name: str) -> None:
    # Best effort: the error that made us clean up is the one worth reporting.
    with contextlib.suppress(Exception):
        storage.delete(name)
