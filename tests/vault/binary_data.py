"""Binary test data that is the same on every run.

``os.urandom`` behind a PDF header is not inert: 20 MiB of it holds ``/JS`` or ``/AA``
followed by a delimiter about once in ten runs, and the active-content check then rightly
refuses it (the CI failure of 30 November 2026). A fixed seed keeps the bytes random-looking
(a ``/`` every ~256 bytes, the costliest input for the name patterns) and the verdict fixed.
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
