"""Attachments on connect sheets: upload and download services and their API views.

Upload: the type is decided from the file's bytes, a file with active content (PDF scripts,
launch actions, embedded files, HTML polyglots: ``vault.active_content``) is refused, the
filename is sanitised, and the content
streams through the vault's chunked encryptor into Django's storage under the attachment's own
data key, before the short transaction that records it (vault/staging.py). Download: the policy gate (``attachments`` category, purpose ``attachment.read``)
decides and records the read; the whole object is authenticated before the first byte is
served, then streamed decrypted. A withdrawn consent blocks the next download at once, because
the gate checks the consent's status on every read.

Who may upload: the owner desk (``attachment.upload``) and the sending side
(``attachment.send``: the consent must cover the owner desk and ``attachments``). Who may
download: the owner desk only.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.handlers.asgi import ASGIRequest
from django.db import transaction
from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, parser_classes
from rest_framework.request import Request
from rest_framework.response import Response

from referral_hub.api_errors import ApiError
from referral_hub.api_files import file_errors, max_upload_bytes, single_upload
from referral_hub.api_schema import error_responses
from referral_hub.audit.log import record
from referral_hub.consent import locks as consent_locks
from referral_hub.consent import policy
from referral_hub.consent.refusals import gated
from referral_hub.directory import roles
from referral_hub.handoffs import notify
from referral_hub.handoffs.errors import InvalidTransition, NotFound
from referral_hub.handoffs.models import Attachment, ConnectSheet, Status
from referral_hub.handoffs.selectors import facts_of
from referral_hub.idempotency.api import idempotent
from referral_hub.multipart_stream import StreamedMultiPartParser
from referral_hub.vault.errors import IntegrityFailure, KeyUnavailable, Shredded
from referral_hub.vault.staging import Observer, stage_upload
from referral_hub.vault.storage import open_decrypted, verify_encrypted

CATEGORY = "attachments"
# Chunks handed from the decrypting thread to the event loop per hop under ASGI.
CHUNKS_PER_HOP = 16


# --- services ------------------------------------------------------------------------------------


def _locked_sheet(sheet_id: int) -> ConnectSheet:
    # Consent first, then the sheet (consent/locks.py); the gate decides on the locked consent.
    consent_id = ConnectSheet.objects.filter(pk=sheet_id).values_list("consent_id", flat=True)
    consent = consent_locks.share_consent(consent_id.first())
    sheet = (
        ConnectSheet.objects.select_for_update(of=("self",))
        .select_related("resident", "owner_desk", "consent")
        .filter(pk=sheet_id)
        .first()
    )
    if sheet is None:
        raise NotFound()
    if consent is not None:
        sheet.consent = consent
    return sheet


def _authorize_upload(actor: Any, sheet: ConnectSheet) -> policy.Decision:
    on_desk = sheet.owner_desk_id in roles.desk_ids(actor)
    sender = not on_desk and policy.sender_relation(actor, facts_of(sheet))
    return policy.authorize(
        actor,
        sheet.resident,
        sheet.owner_desk,
        [CATEGORY],
        "attachment.send" if sender else "attachment.upload",
        basis=sheet.legal_basis,
        consent=sheet.consent,
        justification=sheet.justification,
        support_meeting=sheet.support_meeting_id,
        target=("sheet", sheet.pk),
    )


def add_attachment(
    actor: Any,
    sheet_id: int,
    upload: UploadedFile,
    *,
    max_bytes: int,
    observe: Observer | None = None,
) -> Attachment:
    """Attach a scanned document or photo to an open sheet.

    The file is sniffed, checked (``observe`` sees each plaintext piece once) and encrypted
    into storage first, outside any transaction; then one short transaction locks the sheet,
    asks the gate, records the row and appends the audit events (the chain head is locked only
    for that append). If that transaction does not commit, the stored object is deleted.

    Raises ``ContentTypeRefused`` / ``AttachmentTooLarge`` for the file, ``Refused`` when the
    gate says no (the refusal is recorded), ``InvalidTransition`` on a closed sheet."""
    staged = stage_upload(upload, max_bytes=max_bytes, observe=observe)
    # A refusal is committed, then raised (``gated``); the staged object is deleted then.
    with staged.kept_only_if_recorded(), gated() as gate:
        sheet = _locked_sheet(sheet_id)
        decision = gate(_authorize_upload(actor, sheet))
        if sheet.status in (Status.CLOSED, Status.WITHDRAWN):
            raise InvalidTransition("attach", sheet.status)
        blob = staged.blob
        attachment = Attachment.objects.create(
            sheet=sheet,
            encrypted=bool(getattr(settings, "VAULT_ENCRYPT_ATTACHMENTS", True)),
            uploaded_by=actor,
            **staged.record_fields(),
        )
        record(
            "sheet.attachment_added",
            actor=actor,
            actor_desk=roles.place_label(actor),
            target_type="attachment",
            target_id=attachment.pk,
            resident_id=sheet.resident_id,
            legal_basis=decision.basis,
            details={
                "sheet": sheet.pk,
                "size": blob.size,
                "content_type": staged.content_type,
            },
        )
        notify.sheet_updated(sheet, attachment=attachment.pk)
    return attachment


@dataclass(frozen=True)
class AttachmentContent:
    attachment: Attachment
    chunks: Iterator[bytes]


def open_attachment(actor: Any, attachment_id: int) -> AttachmentContent:
    """Gate, record, authenticate the stored object, then hand back a decrypting iterator.

    Raises ``Refused`` (recorded), ``NotFound``, ``Shredded`` (retention ended),
    ``KeyUnavailable`` or ``IntegrityFailure`` (recorded as a security event)."""
    attachment = (
        Attachment.objects.select_related(
            "data_key", "sheet__resident", "sheet__owner_desk", "sheet__consent"
        )
        .filter(pk=attachment_id)
        .first()
    )
    if attachment is None:
        raise NotFound()
    sheet = attachment.sheet
    with gated(batch=False) as gate:
        if sheet.consent_id is not None:  # decide on the consent as read under its lock
            sheet.consent = consent_locks.share_consent(sheet.consent_id)
        decision = policy.authorize(
            actor,
            sheet.resident,
            sheet.owner_desk,
            [CATEGORY],
            "attachment.read",
            basis=sheet.legal_basis,
            consent=sheet.consent,
            justification=sheet.justification,
            support_meeting=sheet.support_meeting_id,
            target=("attachment", attachment.pk),
        )
        gate(decision)
    try:
        # Authenticate every chunk first, so a damaged object never yields partial plaintext.
        verify_encrypted(attachment.storage_name, attachment.data_key)
    except IntegrityFailure:
        with transaction.atomic():
            record(
                "attachment.integrity_failure",
                actor=actor,
                actor_desk=roles.place_label(actor),
                target_type="attachment",
                target_id=attachment.pk,
                resident_id=sheet.resident_id,
                allowed=False,
                refusal_code="integrity_failure",
                details={"sheet": sheet.pk},
            )
        raise
    return AttachmentContent(
        attachment, open_decrypted(attachment.storage_name, attachment.data_key)
    )


# --- API -----------------------------------------------------------------------------------------


class AttachmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    filename = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    sha256 = serializers.CharField()


class AttachmentIn(serializers.Serializer):
    file = serializers.FileField()


def attachment_out(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "filename": attachment.filename,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "sha256": attachment.sha256,
    }


@extend_schema(
    request={"multipart/form-data": AttachmentIn},
    responses={201: AttachmentOut, **error_responses(400, 401, 403, 404, 409, 413, 415)},
    tags=["sheets"],
)
@api_view(["POST"])
@parser_classes([StreamedMultiPartParser])
@idempotent("sheets.attachments")
def sheet_attachments(request: Request, sheet_id: int) -> Response:
    """Attach a file (multipart field ``file``); it is stored encrypted."""
    upload = single_upload(request)
    with file_errors():
        attachment = add_attachment(request.user, sheet_id, upload, max_bytes=max_upload_bytes())
    return Response(attachment_out(attachment), status=status.HTTP_201_CREATED)


def _async_chunks(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Under ASGI Django would buffer a sync iterator whole; hand it over in batches instead.

    When the client goes away, Django cancels the response while a batch may still be
    running in its worker thread; the lock makes closing the iterator wait for that batch."""
    lock = threading.Lock()

    def next_batch() -> bytes:
        with lock:
            return b"".join(itertools.islice(chunks, CHUNKS_PER_HOP))

    def close() -> None:
        with lock:
            closer = getattr(chunks, "close", None)
            if closer is not None:
                closer()

    async def body() -> AsyncIterator[bytes]:
        try:
            while batch := await sync_to_async(next_batch, thread_sensitive=False)():
                yield batch
        finally:
            await sync_to_async(close, thread_sensitive=False)()

    return body()


@extend_schema(
    responses={
        (200, "application/octet-stream"): OpenApiResponse(bytes, description="the plaintext"),
        **error_responses(401, 403, 404, 410),
    },
    tags=["sheets"],
)
@api_view(["GET"])
def attachment_content(request: Request, attachment_id: int) -> StreamingHttpResponse:
    """Stream the decrypted file to the owner desk (policy gate: ``attachments``; audited)."""
    try:
        content = open_attachment(request.user, attachment_id)
    except Shredded as exc:
        raise ApiError(
            "attachment_shredded",
            "保存期間が終了し、このファイルは消去されました。/ This file was erased at the end of retention.",
            status.HTTP_410_GONE,
        ) from exc
    except KeyUnavailable as exc:
        raise ApiError(
            "key_unavailable",
            "暗号鍵が利用できません。システム管理者に連絡してください。/ The encryption key is unavailable.",
            status.HTTP_503_SERVICE_UNAVAILABLE,
        ) from exc
    except IntegrityFailure as exc:
        raise ApiError(
            "attachment_damaged",
            "ファイルが改ざんまたは破損しています。システム管理者に連絡してください。"
            " / The stored file failed its integrity check.",
            status.HTTP_500_INTERNAL_SERVER_ERROR,
        ) from exc
    attachment = content.attachment
    is_asgi = isinstance(getattr(request, "_request", request), ASGIRequest)
    response = StreamingHttpResponse(
        _async_chunks(content.chunks) if is_asgi else content.chunks,
        content_type=attachment.content_type,
    )
    response["Content-Length"] = str(attachment.size)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=attachment.filename
    )
    response["Cache-Control"] = "no-store, private"
    return response
