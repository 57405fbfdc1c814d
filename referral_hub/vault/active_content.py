"""Refuse uploads that carry active content: a scan or photo has no business running code.

A PDF is refused (``ContentTypeRefused``, code ``active_content``) when any dictionary names
``/JavaScript``, ``/JS`` (scripts, also behind ``/OpenAction``), ``/Launch`` (start a program),
``/EmbeddedFile`` / ``/EmbeddedFiles`` (files inside the PDF) or ``/AA`` (additional actions
run on open, close, page view…). Names are compared after decoding ``#xx`` escapes
(``/J#61vaScript``). Dictionaries inside compressed object streams (``/Type /ObjStm``,
``/FlateDecode``) are inflated and checked too; other stream data (page content, images) is
skipped, since random binary data would match short names by chance.

Any accepted type (PDF, JPEG, PNG, TIFF, HEIC) is refused when it also reads as HTML
(``<script``, ``<html``, ``<iframe``, ``<body``, ``<object``, ``<embed``, ``javascript:``):
a PDF/HTML or JPEG/HTML polyglot runs script when some viewer sniffs it as a web page.

The check streams: it reads the file in 64 KiB chunks and keeps at most a chunk plus a small
overlap in memory, so a 20 MiB upload is never held whole (issue 15, input 11). A compressed
object stream that inflates beyond ``MAX_INFLATED_BYTES`` is refused as well: it cannot be
checked, and no real scan needs that much structure.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from referral_hub.vault.content_types import PDF, detect_content_type
from referral_hub.vault.errors import ContentTypeRefused

CHUNK = 64 * 1024
MAX_INFLATED_BYTES = 64 * 1024 * 1024
ACTIVE_NAMES = frozenset(
    {b"JavaScript", b"JS", b"Launch", b"EmbeddedFile", b"EmbeddedFiles", b"AA"}
)
# A PDF name: "/" and up to 127 regular characters (PDF 32000-1, 7.3.5), escapes included.
_REGULAR = rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]"
_DELIMITER = rb"[\x00\t\n\x0c\r ()<>\[\]{}/%]"
# Only the names that can decode to an active one: spelt plainly (followed by a delimiter or
# the end) or holding a #xx escape. Random bytes hold a name every ~300 bytes; looking at each
# in Python took ~0.1 s per 20 MiB, this takes ~0.03 s.
_CANDIDATE = re.compile(
    rb"/(?=" + _REGULAR + rb"*#|(?:"
    + b"|".join(re.escape(name) for name in sorted(ACTIVE_NAMES, key=len, reverse=True))
    + rb")(?:" + _DELIMITER + rb"|\Z))(" + _REGULAR + rb"{1,127})"
)  # fmt: skip
_NAME_SPAN = 1 + 127 * 3  # the longest name with every character written as #xx
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# Matched against lower-cased bytes (``bytes.lower`` is ASCII-only, like ``re.IGNORECASE`` on
# bytes): a pattern that starts with a literal lets ``re`` skip ahead instead of trying every
# position (the case-insensitive alternation took ~0.3 s per 20 MiB, this ~0.02 s).
_HTML_TAG = re.compile(rb"<(?:script|html|iframe|body|object|embed)[\s>/]")
_HTML_SCHEME = b"javascript:"
_HTML_SPAN = 16
# "stream" not preceded by a letter, then an end of line; the look-behind comes after the
# literal so that ``re`` searches for the literal first (~50 times faster on binary data).
_STREAM = re.compile(rb"stream(?<![A-Za-z]stream)(?:\r\n|\n|\r)")
_ENDSTREAM = b"endstream"


class ActiveContent(ContentTypeRefused):
    """The file carries scripts, launch actions, embedded files or HTML."""

    def __init__(self, what: str) -> None:
        super().__init__(f"the file contains {what}", code="active_content")
        self.what = what


def _unescape(name: bytes) -> bytes:
    return _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name)


def _check_names(data: bytes, *, upto: int) -> None:
    """Refuse when a complete active name ends before ``upto`` (later ones are seen again)."""
    for match in _CANDIDATE.finditer(data):
        if match.end() >= upto:
            return
        name = _unescape(match.group(1))
        if name in ACTIVE_NAMES:
            raise ActiveContent(f"an active PDF element (/{name.decode('latin-1')})")


def _chunks(fileobj: BinaryIO) -> Iterator[bytes]:
    while chunk := fileobj.read(CHUNK):
        yield chunk


class _NameScanner:
    """Names in a stream of bytes fed piece by piece (overlap kept for names cut in two)."""

    def __init__(self) -> None:
        self.tail = b""

    def feed(self, data: bytes, *, final: bool = False) -> None:
        buffer = self.tail + data
        cut = len(buffer) + 1 if final else len(buffer) - _NAME_SPAN
        if cut > 0:
            _check_names(buffer, upto=cut)
        self.tail = b"" if final else buffer[-2 * _NAME_SPAN :]


class _PdfScanner:
    """Names outside streams, and inside inflated object streams."""

    def __init__(self) -> None:
        self.buffer = b""
        self.in_stream = False
        self.dictionary = b""  # the outside text since the last "obj", bounded
        self.inflate: zlib._Decompress | None = None
        self.inflated_names: _NameScanner | None = None
        self.inflated = 0

    def feed(self, data: bytes, *, final: bool = False) -> None:
        self.buffer += data
        while True:
            if self.in_stream:
                end = self.buffer.find(_ENDSTREAM)
                if end < 0:
                    keep = len(_ENDSTREAM)
                    body, self.buffer = self.buffer[:-keep], self.buffer[-keep:]
                    self._stream_data(body)
                    if final:
                        self._end_stream()
                    return
                self._stream_data(self.buffer[:end])
                self._end_stream()
                self.buffer = self.buffer[end + len(_ENDSTREAM) :]
                self.in_stream = False
                continue
            start = _STREAM.search(self.buffer)
            if start is None:
                if final:
                    self._outside(self.buffer)
                    self.buffer = b""
                    return
                # Keep a tail: a name or the "stream" keyword may continue in the next chunk.
                _check_names(self.buffer, upto=len(self.buffer) - _NAME_SPAN)
                cut = max(0, len(self.buffer) - 2 * _NAME_SPAN)
                self._remember(self.buffer[:cut])
                self.buffer = self.buffer[cut:]
                return
            self._outside(self.buffer[: start.start()])
            self._begin_stream()
            self.buffer = self.buffer[start.end() :]
            self.in_stream = True

    def _outside(self, text: bytes) -> None:
        """Text between streams that is complete (a stream keyword or the end follows)."""
        _check_names(text, upto=len(text) + 1)
        self._remember(text)

    def _remember(self, text: bytes) -> None:
        # The dictionary of the next stream: what follows the last "obj" keyword.
        obj = text.rfind(b"obj")
        self.dictionary = (self.dictionary + text if obj < 0 else text[obj:])[-8192:]

    def _begin_stream(self) -> None:
        dictionary = _unescape(self.dictionary)
        self.dictionary = b""
        if b"/ObjStm" in dictionary and b"/FlateDecode" in dictionary:
            self.inflate = zlib.decompressobj()
            self.inflated_names = _NameScanner()

    def _stream_data(self, data: bytes) -> None:
        if self.inflate is None or self.inflated_names is None or not data:
            return
        try:
            pending = data
            while pending:
                out = self.inflate.decompress(pending, CHUNK)
                pending = self.inflate.unconsumed_tail
                self.inflated += len(out)
                if self.inflated > MAX_INFLATED_BYTES:
                    raise ActiveContent("a compressed object stream too large to check")
                self.inflated_names.feed(out)
                _check_html(out)
        except zlib.error:
            self.inflate = None  # not a Flate stream after all: a viewer cannot read it either

    def _end_stream(self) -> None:
        if self.inflated_names is not None:
            self.inflated_names.feed(b"", final=True)
        self.inflate = None
        self.inflated_names = None


def _check_html(data: bytes) -> None:
    lowered = data.lower()
    if _HTML_SCHEME in lowered or _HTML_TAG.search(lowered):
        raise ActiveContent("HTML or a script (a file that also reads as a web page)")


def check_active_content(fileobj: BinaryIO, content_type: str) -> None:
    """Read the whole file once, in chunks, and rewind; raise ``ActiveContent`` (a
    ``ContentTypeRefused`` with code ``active_content``) for the content described above."""
    position = fileobj.tell()
    fileobj.seek(0)
    scan = ActiveContentScan(content_type)
    try:
        for chunk in _chunks(fileobj):
            scan.feed(chunk)
        scan.finish()
    finally:
        fileobj.seek(position)


class ActiveContentScan:
    """:func:`check_active_content` fed piece by piece, for a file that is still arriving
    (``referral_hub.vault.uploads``). :meth:`feed` and :meth:`finish` raise ``ActiveContent``.
    Fed the ``CHUNK``-sized pieces ``check_active_content`` reads, it decides identically."""

    def __init__(self, content_type: str) -> None:
        self.pdf = _PdfScanner() if content_type == PDF else None
        self.html_tail = b""

    def feed(self, chunk: bytes) -> None:
        _check_html(self.html_tail + chunk)
        self.html_tail = (self.html_tail + chunk[-_HTML_SPAN:])[-_HTML_SPAN:]
        if self.pdf is not None:
            self.pdf.feed(chunk)

    def finish(self) -> None:
        if self.pdf is not None:
            self.pdf.feed(b"", final=True)


def accepted_content_type(fileobj: BinaryIO) -> str:
    """The file's type from its bytes (``detect_content_type``), once it is known to carry no
    active content. Raises ``ContentTypeRefused`` (``empty_file``, ``content_type_refused``
    or ``active_content``)."""
    content_type = detect_content_type(fileobj)
    check_active_content(fileobj, content_type)
    return content_type
