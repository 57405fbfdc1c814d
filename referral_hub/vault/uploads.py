"""Upload spooling that never puts plaintext on disk.

Django's ``TemporaryFileUploadHandler`` writes every upload larger than
``FILE_UPLOAD_MAX_MEMORY_SIZE`` to a named file in the temp directory, in clear; a worker killed
mid-request leaves it there (issue 14, input 5). :class:`SealedSpoolUploadHandler` takes its
place in ``FILE_UPLOAD_HANDLERS``: it seals each 64 KiB of the request body with AES-256-GCM
under a key that exists only in the worker's memory, into an unnamed temporary file
(``O_TMPFILE``: it has no directory entry and the kernel frees it when the process dies). After
a crash the disk holds, at most, ciphertext whose key died with the process.

The view gets a :class:`SealedUploadedFile`: an ordinary seekable ``UploadedFile`` that
decrypts on read, so content sniffing and the vault's encryptor read it as before.

While a file part arrives, the handler also learns what :func:`~referral_hub.vault.staging.
stage_upload` would otherwise find out by reading the whole file twice after the body is in
(issue 14: that burst of CPU stalls the worker's other requests): the SHA-256, the sniffed
type and the active-content verdict (:class:`ArrivalCheck`, in the same ``CHUNK`` pieces, so
the verdict is identical). The file carries them as ``arrival`` (:class:`ArrivalFacts`).

The handler also keeps the size limit: past ``ATTACHMENT_MAX_BYTES`` (+1, so the file still
reads as too large) it stops spooling and only counts, so a body without ``Content-Length``
cannot fill the disk; ``size`` reports the full count and the services refuse the file.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

from referral_hub.vault.active_content import CHUNK, ActiveContentScan
from referral_hub.vault.content_types import detect_content_type
from referral_hub.vault.errors import ContentTypeRefused

SPOOL_CHUNK = 64 * 1024
_TAG = 16
_SEALED_CHUNK = SPOOL_CHUNK + _TAG


class SealedSpool(io.RawIOBase):
    """Append plaintext, then read it back (seekable); on disk only AES-GCM chunks.

    Chunk ``i`` is sealed with nonce ``i`` (12 bytes, big-endian) under a fresh random key, so
    a nonce is never reused with a key. Writing is append-only until :meth:`seal`; reading is
    allowed only after it."""

    def __init__(self, directory: str | None = None) -> None:
        super().__init__()
        self._aead = AESGCM(AESGCM.generate_key(bit_length=256))
        # TemporaryFile is unlinked at creation (O_TMPFILE on Linux): nothing to find or clean.
        self._file = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 - closed in close()
        self._pending = bytearray()
        self._chunks = 0
        self.size = 0
        self._sealed = False
        self._position = 0
        self._cached_index = -1
        self._cached = b""

    # --- writing -----------------------------------------------------------------------------

    def append(self, data: bytes) -> None:
        if self._sealed:
            raise ValueError("the spool is sealed")
        self._pending += data
        self.size += len(data)
        while len(self._pending) >= SPOOL_CHUNK:
            self._write_chunk(bytes(self._pending[:SPOOL_CHUNK]))
            del self._pending[:SPOOL_CHUNK]

    def seal(self) -> None:
        if not self._sealed:
            if self._pending:
                self._write_chunk(bytes(self._pending))
                self._pending.clear()
            self._file.flush()
            self._sealed = True

    def _write_chunk(self, plaintext: bytes) -> None:
        self._file.seek(self._chunks * _SEALED_CHUNK)
        self._file.write(self._aead.encrypt(self._chunks.to_bytes(12, "big"), plaintext, None))
        self._chunks += 1

    # --- reading -----------------------------------------------------------------------------

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: Any) -> int:
        if not self._sealed:
            raise ValueError("the spool is still being written")
        if self._position >= self.size:
            return 0
        index, offset = divmod(self._position, SPOOL_CHUNK)
        chunk = self._chunk(index)
        count = min(len(buffer), len(chunk) - offset)
        buffer[:count] = chunk[offset : offset + count]
        self._position += count
        return count

    def _chunk(self, index: int) -> bytes:
        if index != self._cached_index:
            self._file.seek(index * _SEALED_CHUNK)
            sealed = self._file.read(_SEALED_CHUNK)
            self._cached = self._aead.decrypt(index.to_bytes(12, "big"), sealed, None)
            self._cached_index = index
        return self._cached

    def close(self) -> None:
        if not self.closed:
            self._file.close()
            self._cached = b""
            self._pending.clear()
        super().close()


@dataclass(frozen=True)
class ArrivalFacts:
    """What reading a spooled file would tell: ``sha256`` (hex) of the bytes kept, and either
    the accepted ``content_type`` or the ``refusal`` (``ContentTypeRefused``: ``empty_file``,
    ``content_type_refused`` or ``active_content``)."""

    sha256: str
    content_type: str | None
    refusal: ContentTypeRefused | None

    def accepted_content_type(self) -> str:
        """The type, as ``active_content.accepted_content_type`` gives it; raises the refusal."""
        if self.refusal is not None:
            raise self.refusal
        assert self.content_type is not None
        return self.content_type


class ArrivalCheck:
    """``accepted_content_type`` and a SHA-256 over a file fed piece by piece as it arrives.

    Pieces are regrouped into the ``CHUNK``-sized reads the file-based check makes, so the
    type (from the first bytes) and the active-content verdict are the ones it would give.
    After a refusal only the hash goes on."""

    def __init__(self) -> None:
        self._sha256 = hashlib.sha256()
        self._pending = bytearray()
        self._scan: ActiveContentScan | None = None
        self._content_type: str | None = None
        self._refusal: ContentTypeRefused | None = None

    def feed(self, data: bytes) -> None:
        self._sha256.update(data)
        if self._refusal is not None:
            return
        self._pending += data
        while len(self._pending) >= CHUNK:
            chunk = bytes(self._pending[:CHUNK])
            del self._pending[:CHUNK]
            self._check(chunk)

    def finish(self) -> ArrivalFacts:
        if self._refusal is None:
            if self._pending or self._scan is None:
                self._check(bytes(self._pending))
            self._pending.clear()
            if self._refusal is None and self._scan is not None:
                try:
                    self._scan.finish()
                except ContentTypeRefused as exc:
                    self._refusal = exc
        return ArrivalFacts(self._sha256.hexdigest(), self._content_type, self._refusal)

    def _check(self, chunk: bytes) -> None:
        try:
            if self._scan is None:  # the first chunk: the type from its first bytes
                self._content_type = detect_content_type(io.BytesIO(chunk))
                self._scan = ActiveContentScan(self._content_type)
            self._scan.feed(chunk)
        except ContentTypeRefused as exc:
            self._refusal = exc


class SealedUploadedFile(UploadedFile):
    """An uploaded file whose bytes live sealed in a :class:`SealedSpool`; reads give
    plaintext. There is no ``temporary_file_path()``: no path holds the plaintext.
    ``arrival``: the facts learnt while it arrived (None when made otherwise)."""

    def __init__(
        self,
        spool: SealedSpool,
        name: str,
        content_type: str,
        size: int,
        charset: str | None,
        content_type_extra: dict[str, Any] | None = None,
        arrival: ArrivalFacts | None = None,
    ) -> None:
        self.arrival = arrival
        super().__init__(
            io.BufferedReader(spool, SPOOL_CHUNK),
            name,
            content_type,
            size,
            charset,
            content_type_extra,
        )


def spool_limit() -> int:
    """Bytes kept per file: one more than the largest accepted upload, so an oversize file is
    still recognisable as such without keeping the rest of it."""
    return int(settings.ATTACHMENT_MAX_BYTES) + 1


class SealedSpoolUploadHandler(FileUploadHandler):
    """Replaces ``TemporaryFileUploadHandler``: files that do not fit in memory are spooled
    sealed (see the module docstring). Put it after ``MemoryFileUploadHandler``."""

    spool: SealedSpool | None = None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.spool = SealedSpool(settings.FILE_UPLOAD_TEMP_DIR)
        self.check = ArrivalCheck()
        self.received = 0
        self.limit = spool_limit()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        assert self.spool is not None
        room = self.limit - self.spool.size
        if room > 0:
            kept = raw_data[:room]
            self.spool.append(kept)
            self.check.feed(kept)
        self.received += len(raw_data)
        return None

    def file_complete(self, file_size: int) -> SealedUploadedFile:
        assert self.spool is not None
        self.spool.seal()
        spool, self.spool = self.spool, None
        return SealedUploadedFile(
            spool,
            self.file_name or "",
            self.content_type or "application/octet-stream",
            file_size,
            self.charset,
            self.content_type_extra,
            arrival=self.check.finish(),
        )

    def upload_interrupted(self) -> None:
        if self.spool is not None:
            self.spool.close()
            self.spool = None
