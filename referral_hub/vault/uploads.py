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

The handler also keeps the size limit: past ``ATTACHMENT_MAX_BYTES`` (+1, so the file still
reads as too large) it stops spooling and only counts, so a body without ``Content-Length``
cannot fill the disk; ``size`` reports the full count and the services refuse the file.
"""

from __future__ import annotations

import io
import tempfile
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

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


class SealedUploadedFile(UploadedFile):
    """An uploaded file whose bytes live sealed in a :class:`SealedSpool`; reads give
    plaintext. There is no ``temporary_file_path()``: no path holds the plaintext."""

    def __init__(
        self,
        spool: SealedSpool,
        name: str,
        content_type: str,
        size: int,
        charset: str | None,
        content_type_extra: dict[str, Any] | None = None,
    ) -> None:
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
        self.received = 0
        self.limit = spool_limit()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        assert self.spool is not None
        room = self.limit - self.spool.size
        if room > 0:
            self.spool.append(raw_data[:room])
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
        )

    def upload_interrupted(self) -> None:
        if self.spool is not None:
            self.spool.close()
            self.spool = None
