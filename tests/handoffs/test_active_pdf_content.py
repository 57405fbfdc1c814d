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
storage_dir = test_attachments_api.storage_dir
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
    image = b"<< /Type /XObject /Subtype /Image /Filter /DCTDecode /Length 20 >>\nstream\n"
    noise = b"\xff\xd8 /JS /AA /Launch \x00\x01\nendstream"
    check_active_content(io.BytesIO(pdf(image + noise)), PDF)


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
