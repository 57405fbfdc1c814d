"""Decide an attachment's type from its first bytes, never from its name or the client.

Only scanned documents and photos are accepted: PDF, JPEG, PNG, TIFF and HEIC/HEIF.
Anything else is refused, including an executable or script renamed ``.pdf``; the
refusal says what the file looks like, so the person uploading knows what to do.
"""

from __future__ import annotations

from typing import BinaryIO

from referral_hub.vault.errors import ContentTypeRefused

SNIFF_BYTES = 64

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
TIFF = "image/tiff"
HEIC = "image/heic"

# Canonical extension first.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    JPEG: (".jpg", ".jpeg"),
    PNG: (".png",),
    TIFF: (".tif", ".tiff"),
    HEIC: (".heic", ".heif"),
}

_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_HEIF_GENERIC_BRANDS = {b"mif1", b"msf1"}

# What refused files commonly are, to make the error message actionable.
_KNOWN_REFUSALS: tuple[tuple[bytes, str], ...] = (
    (b"MZ", "a Windows executable"),
    (b"\x7fELF", "a Linux executable"),
    (b"\xcf\xfa\xed\xfe", "a macOS executable"),
    (b"\xce\xfa\xed\xfe", "a macOS executable"),
    (b"\xca\xfe\xba\xbe", "a macOS or Java executable"),
    (b"#!", "a script"),
    (b"PK\x03\x04", "a ZIP archive or Office document"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"),
    (b"GIF8", "a GIF image"),
    (b"<", "an HTML, SVG or XML document"),
)


def _is_heic(head: bytes) -> bool:
    # ISO base media file: box size (4) ‖ "ftyp" ‖ major brand (4) ‖ minor version (4) ‖ brands…
    if len(head) < 12 or head[4:8] != b"ftyp":
        return False
    box_size = int.from_bytes(head[:4], "big")
    major = head[8:12]
    if major in _HEIC_BRANDS:
        return True
    if major in _HEIF_GENERIC_BRANDS:
        end = min(box_size, len(head))
        compatible = {head[i : i + 4] for i in range(16, end - 3, 4)}
        return bool(compatible & _HEIC_BRANDS)
    return False


def sniff(head: bytes) -> str | None:
    """The accepted content type these leading bytes start, or None."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return TIFF
    if _is_heic(head):
        return HEIC
    return None


def describe(head: bytes) -> str:
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    for magic, description in _KNOWN_REFUSALS:
        if stripped.startswith(magic):
            return description
    return "a file of an unrecognised type"


def detect_content_type(fileobj: BinaryIO) -> str:
    """Read the first bytes, rewind, and return the accepted type or raise
    ``ContentTypeRefused`` (code ``empty_file`` or ``content_type_refused``)."""
    position = fileobj.tell()
    head = fileobj.read(SNIFF_BYTES)
    fileobj.seek(position)
    if not head:
        raise ContentTypeRefused("the file is empty", code="empty_file")
    content_type = sniff(head)
    if content_type is None:
        raise ContentTypeRefused(
            f"the file looks like {describe(head)}; only PDF, JPEG, PNG, TIFF and HEIC "
            "scans or photos can be attached",
            code="content_type_refused",
        )
    return content_type
