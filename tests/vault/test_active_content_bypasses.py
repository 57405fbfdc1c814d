"""PDFs that carry a script where the active-content check does not look, each read as a script
by a real viewer (helper review "attack2", 30 November 2026).

The check reads ordinary stream data (images, page content) without looking for names, and
refuses an object header inside it instead, because a viewer reads an object wherever the
cross-reference table points. Viewers' lexers read a lone sign or point as the number 0, so
a header's generation may be written ``-``, ``+`` or ``.``: checked on 30 November 2026 with
pdf.js 5.6 (Firefox), pdfium (pypdfium2 5.13, Chrome), MuPDF.js 1.28 and Poppler 22.12, each
file below gave the document-level ``app.alert(1)`` to at least one of them (``7 - obj`` and
``7 + obj`` to all four), while the check accepted it.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest

from referral_hub.vault.active_content import ActiveContent, check_active_content
from referral_hub.vault.content_types import PDF

CATALOG = b"<< /Type /Catalog /Pages 2 0 R /Names 6 0 R /OpenAction 7 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"
NAMES = b"<< /JavaScript << /Names [(x) 7 0 R] >> >>"
SCRIPT = b"<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >>"


def pdf_with_objects_in_image_data(header: bytes) -> bytes:
    """A one-page PDF whose objects 6 (the names tree) and 7 (a JavaScript action) sit inside
    the data of stream 4, each behind ``header % number``; the cross-reference table points
    at them, so a viewer reads them as objects."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number, body in [(1, CATALOG), (2, PAGES), (3, PAGE)]:
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    data = bytearray(b"q Q\n")  # page-content-like bytes before the hidden objects
    inside: dict[int, int] = {}
    for number, body in [(6, NAMES), (7, SCRIPT)]:
        inside[number] = len(data)
        data += header % number + b"\n" + body + b"\nendobj\n"
    offsets[4] = len(out)
    out += b"4 0 obj\n<< /Length %d >>\nstream\n" % len(data)
    for number, at in inside.items():
        offsets[number] = len(out) + at
    out += data + b"\nendstream\nendobj\n"
    xref = len(out)
    out += b"xref\n0 8\n0000000000 65535 f \n"
    for number in range(1, 8):
        if number in offsets:
            out += b"%010d 00000 n \n" % offsets[number]
        else:
            out += b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size 8 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def refused(data: bytes) -> bool:
    try:
        check_active_content(io.BytesIO(data), PDF)
    except ActiveContent:
        return True
    return False


def test_an_object_header_with_digits_inside_image_data_is_refused():
    """The case the check was written for: ``7 0 obj`` inside stream data."""
    assert refused(pdf_with_objects_in_image_data(b"%d 0 obj"))


@pytest.mark.parametrize(
    "header",
    [b"%d - obj", b"%d + obj", b"%d . obj", b"%d -obj", b"%d -. obj", b"%d\n-\nobj"],
    ids=["minus", "plus", "point", "minus-glued", "minus-point", "minus-on-lines"],
)
def test_an_object_header_whose_generation_is_a_lone_sign_inside_image_data_is_refused(header):
    """``7 - obj`` is object 7 generation 0 to pdf.js and MuPDF (a lone sign or point reads as
    0): the JavaScript behind it runs, so the file must be refused like ``7 0 obj``."""
    assert refused(pdf_with_objects_in_image_data(header))


XDP = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/">\n'
    b'<template xmlns="http://www.xfa.org/schema/xfa-template/3.3/">\n'
    b'<subform name="form1" layout="tb"><pageSet><pageArea name="Page1">'
    b'<contentArea x="0.25in" y="0.25in" w="8in" h="10.5in"/>'
    b'<medium stock="default" short="8.5in" long="11in"/></pageArea></pageSet>\n'
    b'<event activity="initialize" name="event__initialize">'
    b'<script contentType="application/x-javascript">app.alert("xfa");</script></event>\n'
    b"</subform></template></xdp:xdp>\n"
)


def pdf_with_an_xfa_form(xdp: bytes = XDP) -> bytes:
    """A one-page PDF whose interactive form is XFA: a dynamic form whose ``initialize`` event
    runs a script in Adobe Reader. The form's XML is compressed, as producers write it, so no
    ``<script`` appears in the file's bytes, and no name of the check's list either."""
    packed = zlib.compress(xdp)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /AcroForm 4 0 R /NeedsRendering true >>",
        PAGES,
        PAGE,
        b"<< /Fields [] /XFA 5 0 R >>",
        b"<< /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (len(packed), packed),
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def test_an_xfa_form_whose_script_is_compressed_is_refused():
    """XFA forms carry JavaScript (``<script contentType="application/x-javascript">``) that
    Adobe Reader runs; compressed, the script is in no name and no HTML the check looks for.
    A scan has no form: ``/XFA`` is refused like ``/JavaScript``."""
    assert refused(pdf_with_an_xfa_form())


def pdf_with_an_object_stream_named_by_the_xref_stream_only(*, compress: bool) -> bytes:
    """Objects 6 (the names tree) and 7 (a JavaScript action) inside stream 4, which has
    neither ``/Type /ObjStm`` nor ``/First``, only ``/N 2``; the cross-reference stream lists
    6 and 7 as compressed objects in 4. MuPDF (``pdf_load_obj_stm``) reads any stream a
    cross-reference stream names as an object stream, ``/First`` 0 when absent."""
    header = b""
    for _ in range(3):  # the offsets' digits change the header's length
        header = b"6 %d 7 %d\n" % (len(header), len(header) + len(NAMES) + 1)
    content = header + NAMES + b"\n" + SCRIPT + b"\n"
    data = zlib.compress(content) if compress else content
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number, body in [(1, CATALOG), (2, PAGES), (3, PAGE)]:
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    offsets[4] = len(out)
    flate = b"/Filter /FlateDecode " if compress else b""
    out += b"4 0 obj\n<< /N 2 %s/Length %d >>\nstream\n" % (flate, len(data))
    out += data + b"\nendstream\nendobj\n"
    offsets[8] = len(out)
    rows = []
    for number in range(9):
        if number in offsets:
            rows.append(struct.pack(">BIH", 1, offsets[number], 0))
        elif number in (6, 7):
            rows.append(struct.pack(">BIH", 2, 4, number - 6))
        else:
            rows.append(struct.pack(">BIH", 0, 0, 65535 if number == 0 else 0))
    table = b"".join(rows)
    out += b"8 0 obj\n<< /Type /XRef /Size 9 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % (
        len(table)
    )
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[8]
    return bytes(out)


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "flate"])
def test_an_object_stream_with_only_n_is_checked(compress):
    """MuPDF (MuPDF.js 1.28) gave this file's ``/OpenAction`` and names tree as the JavaScript
    action and ``/JavaScript`` tree; pdf.js, pdfium and Poppler refuse the stream (no
    ``/First``). Its content must be checked like any object stream's."""
    assert refused(pdf_with_an_object_stream_named_by_the_xref_stream_only(compress=compress))


def test_a_name_cut_short_by_a_nul_escape_is_refused():
    """Poppler keeps names as C strings: ``/JS#00`` is ``/JS`` to it (``pdfinfo -js`` printed
    this file's ``app.alert(1)``; Okular runs such scripts). PDF forbids ``#00`` in names."""
    catalog = (
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R"
        b" /Names << /JavaScript#00 << /Names [(x) 4 0 R] >> >> >>"
    )
    action = b"<< /Type /Action /S /JavaScript#00 /JS#00 (app.alert\\(1\\)) >>"
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate([catalog, PAGES, PAGE, action], 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 5\n0000000000 65535 f \n"
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    assert refused(bytes(out))
