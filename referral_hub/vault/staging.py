"""Encrypting and storing an upload *before* the transaction that records it.

Storing 20 MiB takes a noticeable time (and longer on object storage). Done inside the
recording transaction, it kept the sheet row and, once the gate had recorded its decision, the
audit chain head locked for the whole upload, so every audited read in the municipality waited
(issue 14, input 4). :func:`stage_upload` does the long part first, outside any transaction:
type sniffing, the optional content check, a fresh data key, and the stream encryption into
storage. The service then opens a short transaction that locks, asks the gate, creates the row
and appends to the audit chain, and calls :meth:`StagedUpload.discard` if that does not commit.

A crash between the two leaves an object no row references (and a data key row with nothing
under it); ``manage.py vault_gc`` removes such objects after a grace period.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile

from referral_hub.vault.active_content import accepted_content_type
from referral_hub.vault.errors import AttachmentTooLarge
from referral_hub.vault.filenames import sanitize_filename
from referral_hub.vault.keys import new_data_key
from referral_hub.vault.models import DataKey
from referral_hub.vault.storage import StoredBlob, delete_stored, store_encrypted
from referral_hub.vault.uploads import ArrivalFacts, SealedUploadedFile

# A content check: sees each plaintext piece once, in order; raises to refuse the file.
Observer = Callable[[bytes], None]


@dataclass(frozen=True)
class StagedUpload:
    """An encrypted object in storage, not yet recorded by any row."""

    data_key: DataKey
    blob: StoredBlob
    content_type: str
    filename: str

    def record_fields(self) -> dict[str, object]:
        """The columns every stored-file row shares (attachments, consent evidence): the data
        key, the sanitised filename, the sniffed content type, the plaintext size (bytes), its
        SHA-256 (hex) and the storage object's name."""
        return {
            "data_key": self.data_key,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.blob.size,
            "sha256": self.blob.sha256,
            "storage_name": self.blob.name,
        }

    def discard(self) -> None:
        """Delete the object and its data key (best effort: the caller is already failing)."""
        delete_stored(self.blob.name)
        with contextlib.suppress(Exception):
            DataKey.objects.filter(pk=self.data_key.pk).delete()

    @contextlib.contextmanager
    def kept_only_if_recorded(self) -> Iterator[None]:
        """Discard the staged object when the block (the recording transaction) raises."""
        try:
            yield
        except BaseException:
            self.discard()
            raise


def _arrival(upload: UploadedFile) -> ArrivalFacts | None:
    return upload.arrival if isinstance(upload, SealedUploadedFile) else None


def accepted_upload_type(upload: UploadedFile) -> str:
    """The upload's type from its bytes, once it is known to carry no active content
    (``active_content.accepted_content_type``): learnt while a spooled upload arrived
    (``vault.uploads.ArrivalFacts``), else by one streaming pass over the file. Raises
    ``ContentTypeRefused`` (``empty_file``, ``content_type_refused``, ``active_content``)."""
    arrival = _arrival(upload)
    if arrival is not None:
        return arrival.accepted_content_type()
    return accepted_content_type(upload)  # type: ignore[arg-type]


def stage_upload(
    upload: UploadedFile, *, max_bytes: int, observe: Observer | None = None
) -> StagedUpload:
    """Sniff, check and encrypt ``upload`` into storage under a new data key.

    Call it outside any transaction (inside one it would hold that transaction's locks for
    the whole upload; tests wrapped in a transaction are the exception). Raises
    ``AttachmentTooLarge`` or ``ContentTypeRefused`` (``active_content`` included; nothing
    stored), or
    whatever ``observe`` raises (nothing stored)."""
    if upload.size is not None and upload.size > max_bytes:
        raise AttachmentTooLarge(max_bytes)
    content_type = accepted_upload_type(upload)
    arrival = _arrival(upload)
    filename = sanitize_filename(upload.name or "", content_type=content_type)
    data_key = new_data_key()
    try:
        upload.seek(0)
        blob = store_encrypted(
            upload,  # type: ignore[arg-type]
            data_key,
            max_bytes=max_bytes,
            observe=observe,
            sha256=arrival.sha256 if arrival is not None else None,
        )
    except BaseException:
        with contextlib.suppress(Exception):
            DataKey.objects.filter(pk=data_key.pk).delete()
        raise
    return StagedUpload(data_key, blob, content_type, filename)
