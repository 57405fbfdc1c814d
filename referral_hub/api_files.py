"""Reading one uploaded file from a multipart request, with errors a clerk can act on.
Shared by sheet attachments and consent evidence (the signed form)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from rest_framework import status
from rest_framework.request import Request

from referral_hub.api_errors import ApiError
from referral_hub.vault.errors import AttachmentTooLarge, ContentTypeRefused

# Multipart framing around the file (boundaries, part headers) on top of the size limit.
MULTIPART_OVERHEAD = 64 * 1024


def too_large(max_bytes: int) -> ApiError:
    return ApiError(
        "file_too_large",
        f"ファイルが大きすぎます({max_bytes // (1024 * 1024)} MiB まで)。 / The file is larger than {max_bytes} bytes.",
        status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


def refused_file(exc: ContentTypeRefused) -> ApiError:
    if exc.code == "empty_file":
        return ApiError("empty_file", "ファイルが空です。/ The file is empty.", 400)
    if exc.code == "active_content":
        return ApiError(
            "active_content",
            "スクリプト・起動アクション・埋め込みファイル・HTMLを含むファイルは添付できません。"
            "紙をスキャンし直すか、PDFを印刷機能で保存し直してください。"
            f" / The file carries active content ({exc}); send a plain scan or photo.",
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
        )
    return ApiError(
        "content_type_refused",
        f"PDF・JPEG・PNG・TIFF・HEIC のスキャンや写真だけを添付できます。 / {exc}",
        status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    )


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
