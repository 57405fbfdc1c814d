"""Reading one uploaded file from a multipart request, with errors a clerk can act on.
Shared by sheet attachments and consent evidence (the signed form)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from rest_framework.request import Request

from referral_hub.api_errors import ApiError, domain_api_error
from referral_hub.vault.errors import AttachmentTooLarge, ContentTypeRefused

# Multipart framing around the file (boundaries, part headers) on top of the size limit.
MULTIPART_OVERHEAD = 64 * 1024


def too_large(max_bytes: int) -> ApiError:
    """413 ``file_too_large`` naming the limit (the vault's ``AttachmentTooLarge`` text)."""
    return domain_api_error(AttachmentTooLarge(max_bytes))


def refused_file(exc: ContentTypeRefused) -> ApiError:
    """400 ``empty_file`` or 415 ``content_type_refused`` / ``active_content``."""
    return domain_api_error(exc)


def max_upload_bytes() -> int:
    return int(settings.ATTACHMENT_MAX_BYTES)


def single_upload(request: Request) -> UploadedFile:
    """The one file in the ``file`` field, refusing oversize bodies before they are read."""
    max_bytes = max_upload_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > max_bytes + MULTIPART_OVERHEAD:
        raise too_large(max_bytes)
    files = request.FILES.getlist("file")
    if not files:
        raise ApiError(
            "file_required",
            "添付するファイルを file フィールドで送ってください。/ Send the file in the `file` field.",
            400,
        )
    if len(files) > 1:
        raise ApiError(
            "one_file_only", "1回に1つのファイルを送ってください。/ One file per request.", 400
        )
    return files[0]


@contextmanager
def file_errors() -> Iterator[None]:
    """Turn the vault's refusals of a file into API errors."""
    try:
        yield
    except AttachmentTooLarge as exc:
        raise too_large(exc.max_bytes) from exc
    except ContentTypeRefused as exc:
        raise refused_file(exc) from exc
