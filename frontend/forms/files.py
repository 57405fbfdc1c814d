"""File fields for scans and photos (sheet attachments, the signed consent form).

The vault decides what may be stored; these fields ask it the same questions (type from the
bytes, size) before any service runs, so a wrong file is reported next to its field instead
of after the sheet has gone out."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from referral_hub.vault.errors import ContentTypeRefused
from referral_hub.vault.staging import accepted_upload_type

ACCEPT = "application/pdf,image/jpeg,image/png,image/tiff,image/heic,.pdf,.jpg,.jpeg,.png,.tif,.tiff,.heic"
MAX_FILES = 10


def max_bytes() -> int:
    return int(settings.ATTACHMENT_MAX_BYTES)


def check_upload(upload: UploadedFile) -> None:
    limit = max_bytes()
    if upload.size is not None and upload.size > limit:
        raise forms.ValidationError(
            _("「%(name)s」は大きすぎます(%(mib)s MiB まで)。"),
            params={"name": upload.name, "mib": limit // (1024 * 1024)},
        )
    try:
        accepted_upload_type(upload)
    except ContentTypeRefused as refused:
        if refused.code == "empty_file":
            raise forms.ValidationError(
                _("「%(name)s」は空のファイルです。"), params={"name": upload.name}
            ) from None
        if refused.code == "active_content":
            raise forms.ValidationError(
                _(
                    "「%(name)s」にはスクリプトや埋め込みファイルなどが含まれているため添付できません。"
                    "紙をスキャンし直すか、PDFを印刷機能で保存し直してから添付してください。"
                ),
                params={"name": upload.name},
            ) from None
        raise forms.ValidationError(
            _(
                "「%(name)s」は添付できません。PDF・JPEG・PNG・TIFF・HEIC のスキャンや写真だけを添付できます。"
            ),
            params={"name": upload.name},
        ) from None


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ScanField(forms.FileField):
    """One scan or photo."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": ACCEPT}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        upload = super().clean(data, initial)
        if upload:
            check_upload(upload)
        return upload


class ScansField(forms.FileField):
    """Several scans or photos at once; cleans to a list."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        uploads = [u for u in (data if isinstance(data, list | tuple) else [data]) if u]
        if not uploads and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if len(uploads) > MAX_FILES:
            raise forms.ValidationError(
                _("一度に添付できるのは%(n)s個までです。"), params={"n": MAX_FILES}
            )
        errors = []
        for upload in uploads:
            super().clean(upload, initial)
            try:
                check_upload(upload)
            except forms.ValidationError as error:
                errors.append(error)
        if errors:
            raise forms.ValidationError(errors)
        return uploads
