"""Attachments are typed by their bytes: scans and photos only, disguises refused."""

from __future__ import annotations

import io

import pytest

from referral_hub.vault.content_types import HEIC, JPEG, PDF, PNG, TIFF, detect_content_type
from referral_hub.vault.errors import ContentTypeRefused

ACCEPTED = {
    PDF: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
    JPEG: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    PNG: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    TIFF: b"II*\x00\x08\x00\x00\x00",
    HEIC: b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
}


@pytest.mark.parametrize(("content_type", "head"), ACCEPTED.items())
def test_accepted_types_are_recognised_and_stream_is_rewound(content_type, head):
    upload = io.BytesIO(head + b"\x00" * 100)
    assert detect_content_type(upload) == content_type
    assert upload.tell() == 0


def test_big_endian_tiff_and_generic_heif_with_heic_brand():
    assert detect_content_type(io.BytesIO(b"MM\x00*\x00\x00\x00\x08")) == TIFF
    heif = b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1heicmiaf"
    assert detect_content_type(io.BytesIO(heif)) == HEIC


@pytest.mark.parametrize(
    ("head", "looks_like"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00", "Windows executable"),
        (b"\x7fELF\x02\x01\x01", "Linux executable"),
        (b"#!/bin/sh\nrm -rf /", "script"),
        (b"PK\x03\x04\x14\x00", "ZIP"),
        (b"<svg xmlns=", "HTML, SVG or XML"),
        (b"GIF89a", "GIF"),
        (b"plain text letter", "unrecognised"),
        (b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00", "unrecognised"),
        (b" %PDF-1.7", "unrecognised"),  # the signature must come first
    ],
)
def test_everything_else_is_refused_with_a_description(head, looks_like):
    with pytest.raises(ContentTypeRefused, match=looks_like) as refused:
        detect_content_type(io.BytesIO(head))
    assert refused.value.code == "content_type_refused"


def test_empty_file_is_refused_as_empty():
    with pytest.raises(ContentTypeRefused) as refused:
        detect_content_type(io.BytesIO(b""))
    assert refused.value.code == "empty_file"
