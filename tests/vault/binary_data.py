"""Binary test data that is the same on every run.

``os.urandom`` behind a PDF header is not inert: 20 MiB of it holds ``/JS`` or ``/AA``
followed by a delimiter about once in ten runs, and the active-content check then rightly
refuses it (the CI failure of 30 November 2026). A fixed seed keeps the bytes random-looking
(a ``/`` every ~256 bytes, the costliest input for the name patterns) and the verdict fixed.

Since the check reads PDF's syntax, random bytes right behind the header are refused as
malformed (a stray ``)`` or ``>`` within a few hundred bytes): ``binary_pdf`` is the shape of
a large scan that passes, the random bytes inside an image stream of the right ``/Length``.
"""

from __future__ import annotations

import random

PDF_HEADER = b"%PDF-1.7\n"


def random_bytes(size: int, *, seed: int = 22) -> bytes:
    """``size`` pseudo-random bytes, identical for the same ``seed``."""
    return random.Random(seed).randbytes(size)


def random_pdf(size: int, *, seed: int = 22) -> bytes:
    """A PDF header followed by pseudo-random bytes, ``size`` bytes in all."""
    return PDF_HEADER + random_bytes(size - len(PDF_HEADER), seed=seed)


def binary_pdf(size: int, *, seed: int = 22) -> bytes:
    """A well-formed PDF of about ``size`` bytes: one image (``/DCTDecode``) stream holding
    pseudo-random bytes, with its exact ``/Length``."""
    data = random_bytes(max(0, size - 160), seed=seed)
    return (
        PDF_HEADER
        + b"1 0 obj\n<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /Filter /DCTDecode"
        + b" /Length %d >>\nstream\n" % len(data)
        + data
        + b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
