"""Issue 15, input 11: PDFs with scripts, launch actions, embedded files or additional
actions, and PDF/HTML polyglots, are refused as sheet attachments and as consent evidence
(415 ``active_content``); nothing is stored. Plain scans pass. The check streams."""

from __future__ import annotations

import io
import os
import tempfile
import tracemalloc
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from referral_hub.consent.models import ConsentEvidence
from referral_hub.handoffs.models import Attachment
from referral_hub.vault.active_content import CHUNK, ActiveContent, check_active_content
from referral_hub.vault.content_types import JPEG, PDF
from tests.consent import test_consent_evidence
from tests.handoffs import test_attachments_api

# Fixtures, found by pytest under these names.
consent = test_consent_evidence.consent
world = test_attachments_api.world


def pdf(*objects: bytes, tail: bytes = b"") -> bytes:
    body = b"".join(b"%d 0 obj\n%s\nendobj\n" % (n, o) for n, o in enumerate(objects, 1))
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + body + tail + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"


PAGE = b"<< /Type /Page /MediaBox [0 0 595 842] >>"
PLAIN = pdf(b"<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /FitH null] >>", PAGE)
OPEN_ACTION_JS = pdf(
    b"<< /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> >>", PAGE
)

ACTIVE = {
    "open action with JavaScript": OPEN_ACTION_JS,
    "escaped name /J#61vaScript": pdf(b"<< /OpenAction << /S /J#61vaScript /J#53 (x) >> >>"),
    "launch action": pdf(b"<< /OpenAction << /S /Launch /F (cmd.exe) >> >>"),
    "embedded files": pdf(b"<< /Names << /EmbeddedFiles 4 0 R >> >>"),
    "embedded file stream": pdf(b"<< /Type /EmbeddedFile /Length 1 >>\nstream\nx\nendstream"),
    "additional actions": pdf(b"<< /Type /Page /AA << /O 5 0 R >> >>"),
    "PDF/HTML polyglot": b"%PDF-1.4\n%<html><body><script>alert(1)</script>\n" + PLAIN[9:],
}


def object_stream(text: bytes) -> bytes:
    packed = zlib.compress(text)
    return pdf(
        b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
        % (len(packed), packed)
    )


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- through the API ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_active_pdf_attachments_are_refused_and_nothing_is_stored(world):
    client = api_client(world["users"]["tax_clerk"])
    for kind, data in ACTIVE.items():
        response = client.post(
            f"/api/v1/sheets/{world['sheet'].pk}/attachments/",
            {"file": SimpleUploadedFile("scan.pdf", data)},
            format="multipart",
        )
        assert response.status_code == 415, (kind, response.content)
        assert response.json()["code"] == "active_content", kind
    assert not Attachment.objects.exists()


@pytest.mark.django_db
def test_plain_pdf_with_a_view_open_action_is_accepted(world):
    response = api_client(world["users"]["tax_clerk"]).post(
        f"/api/v1/sheets/{world['sheet'].pk}/attachments/",
        {"file": SimpleUploadedFile("scan.pdf", PLAIN)},
        format="multipart",
    )
    assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_consent_evidence_with_javascript_is_refused(consent):
    from django.contrib.auth import get_user_model

    clerk = get_user_model().objects.get(username="tax_clerk")
    response = api_client(clerk).post(
        f"/api/v1/consents/{consent.pk}/evidence/",
        {"file": SimpleUploadedFile("同意書.pdf", OPEN_ACTION_JS)},
        format="multipart",
    )
    assert response.status_code == 415
    assert response.json()["code"] == "active_content"
    assert not ConsentEvidence.objects.exists()


def test_page_form_reports_active_content_at_the_field():
    from django import forms

    from frontend.forms.files import check_upload

    with pytest.raises(forms.ValidationError) as refused:
        check_upload(SimpleUploadedFile("scan.pdf", OPEN_ACTION_JS))
    assert "スクリプト" in str(refused.value)


# --- the scanner ----------------------------------------------------------------------------------


def test_javascript_inside_a_compressed_object_stream_is_found():
    with pytest.raises(ActiveContent):
        check_active_content(io.BytesIO(object_stream(b"5 0 << /S /JavaScript /JS (x) >>")), PDF)
    check_active_content(io.BytesIO(object_stream(b"5 0 << /Type /Font >>")), PDF)


def test_image_data_that_happens_to_hold_a_name_is_not_flagged():
    noise = b"\xff\xd8 /JS /AA /Launch \x00\x01"
    image = b"<< /Type /XObject /Subtype /Image /Filter /DCTDecode /Length %d >>" % len(noise)
    check_active_content(io.BytesIO(pdf(image + b"\nstream\n" + noise + b"\nendstream")), PDF)


def test_a_name_split_across_chunks_is_found():
    head = b"%PDF-1.7\n1 0 obj\n<< /Filler ("
    for k in range(1, 12):  # "/JavaScript" starts k bytes before the first chunk ends
        filler = b"y" * (CHUNK - len(head) - k - len(b") /S "))
        data = head + filler + b") /S /JavaScript >>\nendobj\n%%EOF\n"
        assert data.index(b"/JavaScript") == CHUNK - k
        with pytest.raises(ActiveContent):
            check_active_content(io.BytesIO(data), PDF)


def test_jpeg_that_also_reads_as_html_is_refused():
    polyglot = b"\xff\xd8\xff\xfe\x00\x20<html><script>alert(1)</script></html>" + b"\x00" * 100
    with pytest.raises(ActiveContent):
        check_active_content(io.BytesIO(polyglot), JPEG)


def test_json_lookalike_names_are_not_flagged():
    check_active_content(io.BytesIO(pdf(b"<< /JSON 1 /AAB 2 /Launcher 3 >>")), PDF)


def test_the_check_streams_a_20_mib_file_in_small_pieces():
    """A 20 MiB PDF on disk (as Django keeps large uploads) is read in CHUNK-sized reads and
    never held whole: the scan allocates well under a megabyte."""
    with tempfile.TemporaryFile() as handle:
        handle.write(b"%PDF-1.7\n")
        line = b"<< /Type /Page /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>\n"
        block = line * (1024 * 1024 // len(line))
        for _ in range(20):
            handle.write(block)
        handle.write(b"<< /OpenAction << /S /JavaScript /JS (x) >> >>\n%%EOF\n")
        handle.seek(0)
        reads: list[int] = []
        original = handle.read

        class Recording:
            def read(self, size: int = -1) -> bytes:
                reads.append(size)
                return original(size)

            def seek(self, *args):
                return handle.seek(*args)

            def tell(self):
                return handle.tell()

        tracemalloc.start()
        try:
            with pytest.raises(ActiveContent):
                check_active_content(Recording(), PDF)  # type: ignore[arg-type]
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert reads and max(reads) == CHUNK
        assert peak < 1024 * 1024, peak
        assert os.fstat(handle.fileno()).st_size >= 20_000_000


# --- where stream data starts and ends, what a stream's dictionary says ------------------------
# The scanner once found streams by searching for the word "stream" and object streams by
# searching their dictionary text: each sample below passed it (unless marked "regression"),
# though a viewer runs its script. Now it reads PDF's tokens and refuses what it cannot be
# sure of.

JS_OBJECT = b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>"
PACKED_JS = zlib.compress(b"5 0 " + JS_OBJECT)


def stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(data), data)


def png_up_rows(data: bytes, columns: int) -> bytes:
    """``data`` under PNG predictor 12 ("Up"): each row as its difference to the row above."""
    rows = [data[i : i + columns].ljust(columns, b" ") for i in range(0, len(data), columns)]
    above = bytes(columns)
    out = b""
    for row in rows:
        out += b"\x02" + bytes((a - b) & 0xFF for a, b in zip(row, above, strict=True))
        above = row
    return out


def image_with(data: bytes) -> bytes:
    return stream(b"/Type /XObject /Subtype /Image /Filter /DCTDecode", b"\xff\xd8" + data)


OBJSTM = b"/Type /ObjStm /N 1 /First 4"
HIDDEN_OBJECT = b"\n9 0 obj\n" + JS_OBJECT + b"\nendobj\n"
BYPASSES = {
    # "obj" in a later key's name made it take the dictionary from there, /ObjStm unseen.
    "object stream behind /Zobj": pdf(stream(OBJSTM + b" /Filter /FlateDecode /Zobj 1", PACKED_JS)),
    # "stream" + end of line inside a string began "stream data" up to any "endstream".
    "stream inside a string": pdf(
        b"<< /Type /Catalog /Title (stream\n) /OpenAction " + JS_OBJECT + b" >>\n%endstream"
    ),
    "stream after a line continuation in a string": pdf(
        b"<< /Title (a\\\nstream\r\n) /OpenAction " + JS_OBJECT + b" >>\n(endstream)"
    ),
    "stream inside a comment": pdf(b"% stream\n<< /OpenAction " + JS_OBJECT + b" >>\n%endstream"),
    "stream after a string, not a dictionary": pdf(
        b"(x) stream\n<< /OpenAction " + JS_OBJECT + b" >>\nendstream"
    ),
    # Object streams that were not inflated, or not recognised, though viewers read them.
    "object stream without a filter": pdf(stream(OBJSTM, b"5 0 " + JS_OBJECT)),
    "object stream without /Type (viewers go by /First)": pdf(
        stream(b"/N 1 /First 4 /Filter /FlateDecode", PACKED_JS)
    ),
    "object stream in a filter chain": pdf(
        stream(OBJSTM + b" /Filter [/ASCIIHexDecode /FlateDecode]", PACKED_JS.hex().encode() + b">")
    ),
    "object stream that does not inflate (encrypted)": pdf(
        stream(OBJSTM + b" /Filter /FlateDecode", bytes(b ^ 0x5A for b in PACKED_JS))
    ),
    "object stream with a PNG predictor": pdf(
        stream(
            OBJSTM + b" /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 8 >>",
            zlib.compress(png_up_rows(b"5 0 " + JS_OBJECT, 8)),
        )
    ),
    # An object inside image data, where a viewer reads it when the xref table points there.
    "object inside image data": pdf(image_with(HIDDEN_OBJECT + b"\xff\xd9")),
    "object inside image data, comments between its header's tokens": pdf(
        image_with(b"\n9 %" + b"c" * 300 + b"\n0 %c\nobj\n" + JS_OBJECT + b"\nendobj\n")
    ),
    "object inside image data, generation written 0.0": pdf(
        image_with(b"\n9 0.0 obj\n" + JS_OBJECT + b"\nendobj\n")
    ),
    "object inside image data, header written 9+0e0obj": pdf(
        image_with(b"\n9+0e0obj\n" + JS_OBJECT + b"\nendobj\n")
    ),
    "object after image data whose /Length is too short": pdf(
        b"<< /Subtype /Image /Length 2 >>\nstream\n\xff\xd8" + HIDDEN_OBJECT + b"endstream"
    ),
    # Regression: the old check refused these too; the exact reading must as well.
    "regression: /Type given twice": pdf(
        stream(b"/Type /ObjStm /Type /XObject /N 1 /First 4 /Filter /FlateDecode", PACKED_JS)
    ),
    "regression: hex-escaped /Type /#4FbjStm": pdf(
        stream(b"/Type /#4FbjStm /N 1 /First 4 /Filter /FlateDecode", PACKED_JS)
    ),
    "regression: /Length that runs over endstream": pdf(
        b"<< /Subtype /Image /Length 60 >>\nstream\n\xff\xd8\nendstream\nendobj\n"
        + HIDDEN_OBJECT
        + b"\n" * 10
        + b"endstream"
    ),
}

# Refused without any active name: the check cannot read them as a viewer would.
UNREADABLE = {
    "unterminated string": pdf(b"<< /Title (abc >>"),
    "stray )": pdf(b"<< /Title abc) >>"),
    "stray >>": pdf(b"<< /A 1 >> >>"),
    "malformed hex string": pdf(b"<< /ID <12zz> >>"),
    "strings nested too deep": pdf(b"<< /T " + b"(" * 70 + b")" * 70 + b" >>"),
    "dictionaries nested too deep": pdf(b"<< /A " * 70 + b">> " * 70),
    "unterminated dictionary": pdf(b"<< /Type /Page"),
    "endstream outside a stream": pdf(b"<< /A 1 >>\nendstream"),
    "stream keyword not followed by an end of line": pdf(b"<< /Length 1 >>\nstream x\nendstream"),
    "stream dictionary with a bad name escape": pdf(stream(b"/Type /Obj#zzStm", b"x")),
    "stream that never ends": b"%PDF-1.7\n1 0 obj\n<< /Length 9 0 R >>\nstream\nabc",
    "too many tokens to read one by one": pdf(b"<< /T [" + b"(((x)))" * 40_000 + b"] >>"),
}


def verdict(data: bytes) -> str:
    try:
        check_active_content(io.BytesIO(data), PDF)
    except ActiveContent as refused:
        return str(refused)
    return "accepted"


@pytest.mark.parametrize("kind", sorted(BYPASSES))
def test_lexical_bypasses_are_refused(kind):
    with pytest.raises(ActiveContent):
        check_active_content(io.BytesIO(BYPASSES[kind]), PDF)


@pytest.mark.parametrize("kind", sorted(UNREADABLE))
def test_what_cannot_be_read_for_sure_is_refused(kind):
    with pytest.raises(ActiveContent, match="cannot be checked safely"):
        check_active_content(io.BytesIO(UNREADABLE[kind]), PDF)


@pytest.mark.django_db
def test_lexical_bypasses_are_refused_through_the_api_on_both_paths(world, settings):
    """In memory (the file-based check) and spooled (``ArrivalCheck`` while it arrives)."""
    client = api_client(world["users"]["tax_clerk"])
    for memory_size in (10 * 1024 * 1024, 256):
        settings.FILE_UPLOAD_MAX_MEMORY_SIZE = memory_size
        for kind, data in BYPASSES.items():
            response = client.post(
                f"/api/v1/sheets/{world['sheet'].pk}/attachments/",
                {"file": SimpleUploadedFile("scan.pdf", data)},
                format="multipart",
            )
            assert response.status_code == 415, (memory_size, kind, response.content)
            assert response.json()["code"] == "active_content", kind
    assert not Attachment.objects.exists()


# --- plain PDFs still pass ---------------------------------------------------------------------

PLAIN_WITH_KEYWORD_WORDS = pdf(
    b"<< /Type /Catalog /Title (a stream of endstream \\) words\\\n) /Pages 2 0 R"
    b" /ID [<0A1b 2C> <>] /Lang (ja) % a comment with stream\n>>",
    b"<< /Type /Page /Contents 3 0 R /Nested << /A << /B << /C [1 2.5 -3 (x)] >> >> >> >>",
    stream(b"/Filter /FlateDecode", zlib.compress(b"BT /F1 12 Tf (obj stream) Tj ET")),
    stream(OBJSTM + b" /Filter [/FlateDecode]", zlib.compress(b"5 0 << /Type /Font >>")),
    stream(b"/Type /ObjStm /N 1 /First 4", b"5 0 << /Type /Font >>"),
    b"<< /Length 4 0 R >>\r\nstream\r\n\xff\xd8 binary \xff\xd9\r\nendstream",
)


def weasyprint_pdf() -> bytes:
    from referral_hub.printing import html_to_pdf

    html = "<h1>連携シート</h1><p>" + "相談内容の記録です。" * 300 + "</p><a href='#x'>x</a>"
    return html_to_pdf(html, [])


def pillow_scan_pdf() -> bytes:
    import random

    from PIL import Image

    image = Image.frombytes("RGB", (300, 400), random.Random(3).randbytes(300 * 400 * 3))
    out = io.BytesIO()
    image.save(out, "PDF", resolution=150, save_all=True, append_images=[image.convert("L")])
    return out.getvalue()


def system_pdfs() -> list[str]:
    found = []
    for root, _dirs, files in os.walk("/usr/share"):
        found += [os.path.join(root, name) for name in files if name.endswith(".pdf")]
    return sorted(found)[:20]


def test_plain_pdfs_from_real_producers_pass():
    assert verdict(PLAIN_WITH_KEYWORD_WORDS) == "accepted"
    assert verdict(weasyprint_pdf()) == "accepted"
    assert verdict(pillow_scan_pdf()) == "accepted"
    for path in system_pdfs():  # pdfTeX, cairo…: compressed object streams, indirect lengths
        with open(path, "rb") as handle:
            assert verdict(handle.read()) == "accepted", path


@pytest.mark.django_db
def test_a_weasyprint_pdf_is_accepted_through_the_api_while_it_arrives(world, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = api_client(world["users"]["tax_clerk"]).post(
        f"/api/v1/sheets/{world['sheet'].pk}/attachments/",
        {"file": SimpleUploadedFile("handout.pdf", weasyprint_pdf())},
        format="multipart",
    )
    assert response.status_code == 201, response.content
