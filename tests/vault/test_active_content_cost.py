"""The active-content check is one of the CPU bursts an upload causes after its body has
arrived (issue 14: audited reads on the same worker wait while it runs). Its patterns are
written so that ``re`` can search for a literal first; they must decide exactly as the plain
patterns they replace (kept here as the reference) on any input."""

from __future__ import annotations

import contextlib
import io
import re
import time
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from referral_hub.vault import active_content
from referral_hub.vault.active_content import ActiveContent, check_active_content
from referral_hub.vault.content_types import PDF
from tests.vault.binary_data import binary_pdf, random_pdf

# The patterns as first written (issue 15): case-insensitive alternation, look-behind first,
# and every name looked at in Python.
REFERENCE_NAME = re.compile(rb"/([^\x00\t\n\x0c\r ()<>\[\]{}/%]{1,127})")
REFERENCE_HTML = re.compile(
    rb"<(?:script|html|iframe|body|object|embed)[\s>/]|javascript:", re.IGNORECASE
)


def reference_names(data: bytes, upto: int) -> bool:
    """True when the reference check refuses ``data``."""
    for match in REFERENCE_NAME.finditer(data):
        # A name ends at a NUL ("#00"), as Poppler reads it.
        cut = match.group(1).find(b"#00")
        name = match.group(1) if cut < 0 else match.group(1)[:cut]
        if match.start(1) + len(name) >= upto:
            return False
        if active_content._unescape(name) in active_content.ACTIVE_NAMES:
            return True
    return False


def names_refused(data: bytes, upto: int) -> bool:
    try:
        active_content._check_names(data, upto=upto)
    except ActiveContent:
        return True
    return False


def html_refused(data: bytes) -> bool:
    try:
        active_content._check_html(data)
    except ActiveContent:
        return True
    return False


# Pieces that sit on every edge of the patterns: names plain, escaped, longer or cut short,
# delimiters, tags in any case with and without a closing character, the stream keyword.
PIECES = [
    b"/JavaScript", b"/JS", b"/J#53", b"#00", b"/JS#00", b"/J#00", b"/J#61vaScript", b"/#4A#53", b"/Launch", b"/Launcher",
    b"/EmbeddedFile", b"/EmbeddedFiles", b"/AA", b"/AAB", b"/JSON", b"/", b"#", b"#4", b"#zz",
    b" ", b"\n", b"\r", b"(", b")", b"<<", b">>", b"[", b"%", b"\x00", b"x", b"S", b"A" * 130,
    b"<script", b"<SCRIPT>", b"<ScRiPt ", b"<html/", b"<iframe\t", b"<body>", b"<object ",
    b"<embed>", b"<bodyx", b"javascript:", b"JavaScript:", b"JAVASCRIPT", b"\xff", b"\xc4",
    b"stream", b"stream\r\n", b"stream\n", b"stream\r", b"xstream\n", b"1stream\n",
    b"endstream", b"Stream\n",
]  # fmt: skip
texts = st.lists(st.one_of(st.sampled_from(PIECES), st.binary(max_size=8)), max_size=40).map(
    b"".join
)


@settings(max_examples=400, deadline=None)
@given(texts, st.integers(min_value=0, max_value=400))
def test_names_decide_as_the_reference(data, upto):
    assert names_refused(data, upto) == reference_names(data, upto)
    assert names_refused(data, len(data) + 1) == reference_names(data, len(data) + 1)


@settings(max_examples=400, deadline=None)
@given(texts)
def test_html_pattern_matches_as_the_reference(data):
    assert html_refused(data) == bool(REFERENCE_HTML.search(data))


def cpu_cost(data: bytes) -> float:
    """Thread CPU time of the check, the best of three, so that other work on the machine
    counts little."""
    costs = []
    for _ in range(3):
        begin = time.thread_time()
        with contextlib.suppress(ActiveContent):
            check_active_content(io.BytesIO(data), PDF)
        costs.append(time.thread_time() - begin)
    return min(costs)


def test_checking_20_mib_of_binary_data_costs_little_cpu():
    """A 20 MiB scan is mostly image data, pseudo-random bytes: read past by the stream's
    /Length (and searched only for "endstream" and object headers), ~0.04 s. The first
    patterns took ~0.8 s per 20 MiB of such bytes."""
    data = binary_pdf(20 * 1024 * 1024)
    check_active_content(io.BytesIO(data), PDF)  # accepted
    assert cpu_cost(data) < 0.3


def test_random_bytes_behind_a_pdf_header_are_refused_at_once():
    """Random bytes are not PDF syntax: a stray ")" or ">" comes within a few hundred bytes
    and the check stops there instead of reading 20 MiB."""
    data = random_pdf(20 * 1024 * 1024)
    with pytest.raises(ActiveContent, match="cannot be checked"):
        check_active_content(io.BytesIO(data), PDF)
    assert cpu_cost(data) < 0.3


# Files built to make the check slow: tokens read at once by one pattern (strings, hex strings,
# comments, dictionaries, escaped names, "obj" in image data), or, nested deeper, one by one
# in Python until the step budget refuses them. Token by token, as the lexer was first
# written, each cost 7-40 s of CPU per 20 MiB; escaped names cost ~5 s before the lexer.
SLOW_BY_DESIGN = {
    "empty strings": b"()",
    "empty hex strings": b"<>",
    "comments": b"%\n",
    "dictionaries": b"<<>>",
    "escaped names": b"/#41",
    "strings nested three deep": b"(((x)))",
    "dictionaries nested four deep": b"<<<<<<<<>>>>>>>>",
    "tiny streams": b"<</Length 0>>stream\n\nendstream\n",
}


@pytest.mark.parametrize("kind", sorted(SLOW_BY_DESIGN))
def test_files_built_to_be_slow_to_check_cost_little_cpu(kind):
    piece = SLOW_BY_DESIGN[kind]
    data = b"%PDF-1.7\n" + piece * (20 * 1024 * 1024 // len(piece))
    assert cpu_cost(data) < 1.5


def test_obj_in_image_data_costs_little_cpu():
    noise = (b"%" * 252 + b"obj ") * (20 * 1024 * 1024 // 256)
    data = b"%%PDF-1.7\n1 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\n" % (len(noise), noise)
    check_active_content(io.BytesIO(data), PDF)  # not an object header: accepted
    assert cpu_cost(data) < 1.5


def object_stream_of(content: bytes) -> bytes:
    packed = zlib.compress(content, 9)
    return (
        b"%%PDF-1.7\n1 0 obj\n<< /Type /ObjStm /N 1 /First 0 /Filter /FlateDecode /Length %d >>"
        b"\nstream\n%s\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%%%EOF\n"
        % (len(packed), packed)
    )


# Every "/" is a place the name pattern tries (~60 ns each): an object stream inflates to
# MAX_INFLATED_BYTES of them from a 61 KiB upload (3.9 s of CPU, helper review "attack2").
SLASHES = {
    "an object stream of slashes": object_stream_of(b"/" * (63 * 1024 * 1024)),
    "an object stream of /J": object_stream_of(b"/J" * (32 * 1024 * 1024)),
    "20 MiB of slashes": b"%PDF-1.7\n" + b"/" * (20 * 1024 * 1024),
}


@pytest.mark.parametrize("kind", sorted(SLASHES))
def test_files_of_slashes_cost_little_cpu(kind):
    assert cpu_cost(SLASHES[kind]) < 1.5
