"""A spooled upload is hashed, sniffed and checked for active content while it arrives
(issue 14: no second and third pass over 20 MiB after the body is in), with the verdicts the
file-based checks give."""

from __future__ import annotations

import hashlib
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referral_hub.handoffs.models import Attachment
from referral_hub.vault import staging
from referral_hub.vault.active_content import (
    CHUNK,
    ActiveContent,
    ActiveContentScan,
    accepted_content_type,
)
from referral_hub.vault.content_types import PDF
from referral_hub.vault.errors import ContentTypeRefused
from referral_hub.vault.uploads import ArrivalCheck, SealedSpoolUploadHandler
from tests.handoffs import test_active_pdf_content as active_pdf
from tests.handoffs import test_attachments_api as attachments_api
from tests.handoffs.test_attachments_api import client_for, upload
from tests.vault.binary_data import binary_pdf, random_pdf

world = attachments_api.world

SPLIT_NAME = b"%PDF-1.7\n1 0 obj\n<< /F (" + b"y" * (CHUNK - 30) + b") /S /JavaScript >>\nendobj\n"
FILES = {
    **active_pdf.ACTIVE,
    "plain PDF": active_pdf.PLAIN,
    "PDF with a compressed object stream": active_pdf.object_stream(b"5 0 << /JS (x) >>"),
    "name across a chunk boundary": SPLIT_NAME,
    "JPEG/HTML polyglot": b"\xff\xd8\xff\xfe\x00\x20<html><script>" + b"\x00" * 100,
    "empty": b"",
    "unknown type": b"MZ\x90\x00" + b"\x00" * 200,
    "random PDF over three chunks": random_pdf(3 * CHUNK + 132),
    "PDF with an image stream over three chunks": binary_pdf(3 * CHUNK + 132),
    "plain PDF with keyword words in strings": active_pdf.PLAIN_WITH_KEYWORD_WORDS,
    **{f"bypass: {kind}": data for kind, data in active_pdf.BYPASSES.items()},
    **{f"unreadable: {kind}": data for kind, data in active_pdf.UNREADABLE.items()},
}


def verdict_of_file(data: bytes) -> tuple[str, str]:
    try:
        return ("accepted", accepted_content_type(io.BytesIO(data)))
    except ContentTypeRefused as refused:
        return (refused.code, str(refused))


def verdict_on_arrival(data: bytes, piece: int) -> tuple[tuple[str, str], str]:
    check = ArrivalCheck()
    for start in range(0, len(data), piece):
        check.feed(data[start : start + piece])
    facts = check.finish()
    try:
        verdict = ("accepted", facts.accepted_content_type())
    except ContentTypeRefused as refused:
        verdict = (refused.code, str(refused))
    return verdict, facts.sha256


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(FILES)), st.integers(min_value=1, max_value=3 * CHUNK))
def test_arrival_verdict_and_digest_are_those_of_the_file(name, piece):
    data = FILES[name]
    verdict, digest = verdict_on_arrival(data, piece)
    assert verdict == verdict_of_file(data)
    assert digest == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("kind", sorted(active_pdf.BYPASSES))
def test_arrival_check_refuses_the_lexical_bypasses(kind):
    (code, _), _ = verdict_on_arrival(active_pdf.BYPASSES[kind], 100)
    assert code == "active_content"


def scan_in_pieces(data: bytes, sizes: list[int]) -> str:
    scan = ActiveContentScan(PDF)
    start, turn = 0, 0
    try:
        while start < len(data):
            size = sizes[turn % len(sizes)]
            scan.feed(data[start : start + size])
            start, turn = start + size, turn + 1
        scan.finish()
    except ActiveContent as refused:
        return str(refused)
    return "accepted"


PDF_FILES = sorted(name for name, data in FILES.items() if data.startswith(b"%PDF"))


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(PDF_FILES), st.lists(st.integers(1, 400), min_size=1, max_size=30))
def test_the_verdict_does_not_depend_on_where_the_pieces_are_cut(name, sizes):
    data = FILES[name]
    assert scan_in_pieces(data, sizes) == scan_in_pieces(data, [len(data) or 1])


def _spooled(data: bytes, piece: int = 65_536):
    handler = SealedSpoolUploadHandler()
    handler.new_file("file", "scan.pdf", "application/pdf", None)
    for start in range(0, len(data), piece):
        handler.receive_data_chunk(data[start : start + piece], start)
    return handler.file_complete(len(data))


@pytest.mark.django_db
def test_stage_upload_of_a_spooled_file_reads_it_once(world, monkeypatch):
    data = binary_pdf(3 * CHUNK + 9, seed=23)
    spooled = _spooled(data)

    def no_second_pass(*args, **kwargs):
        raise AssertionError("the file was read again to check it")

    monkeypatch.setattr(staging, "accepted_content_type", no_second_pass)
    staged = staging.stage_upload(spooled, max_bytes=len(data))
    assert staged.content_type == "application/pdf"
    assert staged.blob.sha256 == hashlib.sha256(data).hexdigest()
    assert staged.blob.size == len(data)
    staged.discard()


@pytest.mark.django_db
def test_active_pdf_over_the_memory_threshold_is_refused_via_the_arrival_check(world, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    data = active_pdf.OPEN_ACTION_JS + b"%" + b"x" * 5000 + b"\n"
    response = upload(client_for(world["users"]["tax_clerk"]), world["sheet"].pk, data)
    assert response.status_code == 415
    assert response.json()["code"] == "active_content"
    assert not Attachment.objects.exists()
