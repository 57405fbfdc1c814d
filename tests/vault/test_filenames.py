"""Filenames are labels: safe to show and to send back in Content-Disposition."""

from __future__ import annotations

import pytest

from referral_hub.vault.content_types import JPEG, PDF
from referral_hub.vault.filenames import MAX_FILENAME_CHARS, sanitize_filename


@pytest.mark.parametrize(
    ("raw", "content_type", "expected"),
    [
        ("同意書.pdf", PDF, "同意書.pdf"),
        ("C:\\Users\\clerk\\Desktop\\同意書.PDF", PDF, "同意書.pdf"),
        ("../../etc/passwd", PDF, "passwd.pdf"),
        ("scan.exe", PDF, "scan.exe.pdf"),
        ("photo.jpeg", JPEG, "photo.jpeg"),
        ("photo", JPEG, "photo.jpg"),
        ("invoice\u202efdp.exe", PDF, "invoicefdp.exe.pdf"),
        ('a<b>:c"d|e?f*.pdf', PDF, "a_b__c_d_e_f_.pdf"),
        ("con.pdf", PDF, "_con.pdf"),
        ("  ...  ", PDF, "attachment.pdf"),
        ("", PDF, "attachment.pdf"),
        (".hidden.pdf", PDF, "hidden.pdf"),
        ("tab\tand\nnewline.pdf", PDF, "tabandnewline.pdf"),
        ("multiple   spaces.pdf", PDF, "multiple spaces.pdf"),
    ],
)
def test_sanitised_names(raw, content_type, expected):
    assert sanitize_filename(raw, content_type=content_type) == expected


def test_long_names_are_cut_but_keep_the_extension():
    name = sanitize_filename("あ" * 500 + ".pdf", content_type=PDF)
    assert len(name) == MAX_FILENAME_CHARS
    assert name.endswith(".pdf")
