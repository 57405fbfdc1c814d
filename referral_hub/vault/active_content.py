"""Refuse uploads that carry active content: a scan or photo has no business running code.

A PDF is refused (``ContentTypeRefused``, code ``active_content``) when any dictionary names
``/JavaScript``, ``/JS`` (scripts, also behind ``/OpenAction``), ``/Launch`` (start a program),
``/EmbeddedFile`` / ``/EmbeddedFiles`` (files inside the PDF), ``/AA`` (additional actions run
on open, close, page view…) or ``/XFA`` (an XFA form, whose ``<script>`` elements Adobe Reader
runs; compressed, they are in no name). Names are compared after decoding ``#xx`` escapes
(``/J#61vaScript``), up to a ``#00`` (``/JS#00`` is ``/JS`` to Poppler). Dictionaries inside
object streams (``/Type /ObjStm``, or any stream with ``/First`` or ``/N``: viewers find them
so) are checked too, inflated when ``/FlateDecode``; other stream data (page content, images)
is not searched for names, since random binary data would match short names by chance.

Where stream data starts and ends, and what a stream's dictionary says, follow PDF's lexical
rules (ISO 32000-1, 7.2-7.3), not a search for words: literal strings (nested and escaped
parentheses), hex strings, comments, names with ``#xx`` escapes and dictionaries are read as
tokens; ``stream`` counts only as the keyword after a dictionary, and the data it starts
ends after the dictionary's direct ``/Length`` (at ``endstream`` when ``/Length`` is an
indirect reference). Whatever could be read two ways is refused instead of skipped (fail
closed, same ``active_content`` code): an unbalanced or unterminated string or dictionary, a
malformed hex string or name escape, ``stream`` not after a dictionary or not followed by an
end of line, ``endstream`` outside a stream or inside data of a known ``/Length``, a
``/Length`` that does not end at ``endstream``, a stream dictionary that gives a key twice,
an object stream whose filter is not Flate (or has parameters) or whose data does not
inflate (encrypted), nesting deeper than ``MAX_DEPTH``, what looks like an object header
(``12 0 obj``; also ``12 - obj``, ``12 + obj``, ``12 . obj``: viewers read a lone sign or
point as 0) inside stream data, where a viewer would read an object if the cross-reference
table pointed there, and a file that needs more than ``MAX_STEPS`` tokens
read one by one (most are read many at once by one pattern; ``SLASHES_PER_STEP`` slashes,
where names are looked for, count as one; a file built of the others would otherwise cost
seconds of CPU).

Any accepted type (PDF, JPEG, PNG, TIFF, HEIC) is refused when it also reads as HTML
(``<script``, ``<html``, ``<iframe``, ``<body``, ``<object``, ``<embed``, ``javascript:``):
a PDF/HTML or JPEG/HTML polyglot runs script when some viewer sniffs it as a web page.

The check streams: it reads the file in 64 KiB chunks and keeps at most a chunk plus a small
overlap (and open dictionaries up to ``MAX_DICTIONARY`` bytes) in memory, so a 20 MiB upload
is never held whole (issue 15, input 11). Whether it refuses does not depend on where the
pieces are cut (which reason it gives first may), but for ``MAX_STEPS``, counted on the
pieces given: ``CHUNK``-sized ones, also on arrival, so both give the same answer. A
compressed object stream that inflates beyond ``MAX_INFLATED_BYTES`` is refused as well: it
cannot be checked, and no real scan needs that much structure.
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
    {b"JavaScript", b"JS", b"Launch", b"EmbeddedFile", b"EmbeddedFiles", b"AA", b"XFA"}
)
# A PDF name: "/" and up to 127 regular characters (PDF 32000-1, 7.3.5), escapes included.
_REGULAR = rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]"
_DELIMITER = rb"[\x00\t\n\x0c\r ()<>\[\]{}/%]"


# Every spelling of an active name: each character plain or as its #xx escape (either case of
# hex digit), then a delimiter or the end. One pass in ``re``, no Python per name: random bytes
# hold a name every ~300 bytes, and a file of escaped names (/#41/#41…) once cost ~3 s of CPU
# per 20 MiB looked at one by one.
def _spellings(name: bytes) -> bytes:
    characters = []
    for code in name:
        digits = b"".join(
            b"[%s%s]" % (digit.lower(), digit.upper()) if digit.isalpha() else digit
            for digit in (bytes([d]) for d in b"%02x" % code)
        )
        characters.append(b"(?:" + re.escape(bytes([code])) + b"|#" + digits + b")")
    return b"".join(characters)


# "#00" ends a name too: PDF forbids it, and Poppler keeps names as C strings ("/JS#00" is /JS).
_CANDIDATE = re.compile(
    rb"/(" + b"|".join(_spellings(name) for name in sorted(ACTIVE_NAMES)) + rb")(?="
    + _DELIMITER + rb"|#00|\Z)"
)  # fmt: skip
_NAME_SPAN = 2 + 3 * max(map(len, ACTIVE_NAMES))  # every character as #xx, a delimiter
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# Matched against lower-cased bytes (``bytes.lower`` is ASCII-only, like ``re.IGNORECASE`` on
# bytes): a pattern that starts with a literal lets ``re`` skip ahead instead of trying every
# position (the case-insensitive alternation took ~0.3 s per 20 MiB, this ~0.02 s).
_HTML_TAG = re.compile(rb"<(?:script|html|iframe|body|object|embed)[\s>/]")
_HTML_SCHEME = b"javascript:"
_HTML_SPAN = 16
# The lexer (ISO 32000-1, 7.2-7.3). Outside streams it jumps from one byte that matters to the
# next: dictionary brackets, string and hex-string starts, stray closers, comments and the
# letters of the stream keywords; the rest (numbers, names, arrays, keywords) is plain text.
_WHITESPACE = b"\x00\t\n\x0c\r "
_REGULAR_BYTES = frozenset(set(range(256)) - set(b"\x00\t\n\x0c\r ()<>[]{}/%"))
_OUTSIDE = re.compile(rb"<<|>>|[()<>%]|stream")
# A run of complete tokens read in one match: plain text (not "stream"), literal strings nested
# up to two deep, hex strings, comments, and dictionaries of these nested up to three deep;
# group 1 is the run's last outermost dictionary. Possessive: a failed match costs one pass.
_PLAIN_RUN = rb"[^()<>%s]++|s(?=[^t]|t[^r]|tr[^e]|tre[^a]|trea[^m])"
_ESCAPED = rb"\\[\x00-\xff]"
_STRING_0 = rb"\((?:[^()\\]++|" + _ESCAPED + rb")*+\)"
_STRING_1 = rb"\((?:[^()\\]++|" + _ESCAPED + rb"|" + _STRING_0 + rb")*+\)"
_HEX_STRING = rb"<[0-9A-Fa-f\x00\t\n\x0c\r ]*+>"
_COMMENT = rb"%[^\r\n]*+[\r\n]"
_ATOM = b"|".join((_PLAIN_RUN, _STRING_1, _HEX_STRING, _COMMENT))
_DICT_3 = rb"<<(?:" + _ATOM + rb")*+>>"
_DICT_2 = rb"<<(?:" + _ATOM + rb"|" + _DICT_3 + rb")*+>>"
_DICT_1 = rb"<<(?:" + _ATOM + rb"|" + _DICT_2 + rb")*+>>"
_RUN = re.compile(rb"(?:" + _ATOM + rb"|(" + _DICT_1 + rb"))*+")
_GAP = re.compile(rb"(?:[\x00\t\n\x0c\r ]++|" + _COMMENT + rb")*+")  # whitespace, comments
_IN_STRING = re.compile(rb"[()\\]")
_HEX_BODY = re.compile(rb"[0-9A-Fa-f\x00\t\n\x0c\r ]*")
_WHITESPACE_RUN = re.compile(rb"[\x00\t\n\x0c\r ]*")
_LINE_END = re.compile(rb"[\r\n]")
_STREAM = b"stream"
_ENDSTREAM = b"endstream"
MAX_DEPTH = 64  # nested dictionaries, arrays or string parentheses
MAX_DICTIONARY = 64 * 1024  # a stream's dictionary is a few hundred bytes
# Steps taken one by one in Python (tokens outside the runs read at once, streams, "obj" in
# stream data): each costs ~1-3 us, so a file built of them is refused after ~0.5 s of CPU
# instead of costing ~10 s per 20 MiB. Real files take far fewer: ~630 for a 260 KB pdfTeX
# manual, ~170 for a WeasyPrint handout, ~30 for a Pillow scan.
MAX_STEPS = 200_000
# Every "/" is a place the name pattern tries (~60 ns each): a step per this many, so a file
# (or an object stream, inflated) made of slashes is refused within ~1 s instead of costing
# ~4 s per 64 MiB. Real files hold a "/" per ~10-20 bytes of structure, far below the budget.
SLASHES_PER_STEP = 32
# An object header ("12 0 obj"; viewers also take "12 0.0 obj", "12+0obj" and comments between
# the tokens) that may end just before an "obj" found in stream data: looked for in the
# _HEADER_SPAN bytes before it, with linear operations only.
_OBJ_IN_DATA = re.compile(rb"obj(?![^\x00\t\n\x0c\r ()<>\[\]{}/%])")
_NUMERALS_AND_WHITESPACE = b"+-.0123456789Ee" + _WHITESPACE  # viewers read "1+0", "0e0"
_DIGITS = re.compile(rb"\d+")  # two runs may be two numbers ("9 0", "9+0"), or one ("1.5")
# Numbers as viewers' lexers cut them: a sign starts a new one ("9+0" is two), and a lone sign
# or point is the number 0 (pdf.js ``getNumber``, MuPDF ``lex_number``): "7 - obj", "7 -obj"
# and "7 . obj" are headers of object 7, generation 0.
_NUMBER_TOKEN = re.compile(rb"[+\-]?[0-9.Ee]+|[+\-]")
_HEADER_SPAN = 256
# A stream dictionary, token by token (it is small, so plain Python is fast enough).
_DICT_TOKEN = re.compile(
    rb"(?:[\x00\t\n\x0c\r ]|%[^\r\n]*)*(?:(<<|>>|\[|\]|\(|<[^<>]*>|/" + _REGULAR + rb"*|"
    + _REGULAR + rb"+|[{}<>)])|\Z)"
)  # fmt: skip
_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)\Z")
_INTEGER = re.compile(rb"[+-]?\d+\Z")
_FLATE = frozenset({b"FlateDecode", b"Fl"})


class ActiveContent(ContentTypeRefused):
    """The file carries scripts, launch actions, embedded files or HTML."""

    def __init__(self, what: str) -> None:
        super().__init__(f"the file contains {what}", code="active_content")
        self.what = what


def _unescape(name: bytes) -> bytes:
    return _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name)


def _check_names(data: bytes, *, upto: int) -> None:
    """Refuse when a complete active name ends before ``upto`` (later ones are seen again)."""
    match = _CANDIDATE.search(data)
    if match is not None and match.end() < upto:
        name = _unescape(match.group(1)).decode("latin-1")
        raise ActiveContent(f"an active PDF element (/{name})")


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


def _unreadable(reason: str) -> ActiveContent:
    """Fail closed: PDF syntax that a viewer and this check could read differently."""
    return ActiveContent(f"PDF syntax that cannot be checked safely ({reason})")


class _Name(bytes):
    """A PDF name, ``#xx`` escapes decoded, without the slash."""


class _Ref(tuple[int, int]):
    """An indirect reference ``number generation R``."""


_STRING_VALUE = object()  # a literal or hex string: its content does not matter here
_NULL = "null"


def _decode_name(token: bytes) -> _Name:
    body = token[1:]
    if b"#" in body:
        if re.search(rb"#(?![0-9A-Fa-f]{2})", body):
            raise _unreadable("a name with a malformed #xx escape")
        body = _unescape(body)
    return _Name(body)


def _string_end(text: bytes, start: int) -> int:
    """The index just after the literal string that opens at ``text[start]`` (``(``)."""
    depth, pos = 0, start
    while True:
        match = _IN_STRING.search(text, pos)
        if match is None:
            raise _unreadable("an unterminated string")
        pos = match.end()
        if match.group() == b"\\":
            pos += 1
        elif match.group() == b"(":
            depth += 1
            if depth > MAX_DEPTH:
                raise _unreadable("strings nested too deep")
        else:
            depth -= 1
            if depth == 0:
                return pos


def _pairs(items: list[object]) -> dict[bytes, object]:
    if len(items) % 2:
        raise _unreadable("a dictionary key without a value")
    entries: dict[bytes, object] = {}
    for key, value in zip(items[::2], items[1::2], strict=True):
        if not isinstance(key, _Name):
            raise _unreadable("a dictionary key that is not a name")
        if key in entries:
            raise _unreadable(f"a stream dictionary that gives /{key.decode('latin-1')} twice")
        entries[bytes(key)] = value
    return entries


def _parse_dictionary(text: bytes) -> dict[bytes, object]:
    """The entries of the dictionary ``text`` (``<<`` … ``>>``, already lexed by the scanner):
    names decoded, integers, reals, references, arrays, nested dictionaries; strings as a
    placeholder. Raises ``ActiveContent`` for anything malformed or a key given twice."""
    stack: list[list[object]] = []
    kinds: list[bytes] = []
    pos = 0
    while True:
        match = _DICT_TOKEN.match(text, pos)
        token = match.group(1) if match else None
        if match is None or token is None:
            raise _unreadable("an unterminated stream dictionary")
        pos = match.end()
        value: object
        if token in (b"<<", b"["):
            if len(stack) >= MAX_DEPTH:
                raise _unreadable("a stream dictionary nested too deep")
            stack.append([])
            kinds.append(token)
            continue
        if token in (b">>", b"]"):
            if not stack or kinds[-1] != (b"<<" if token == b">>" else b"["):
                raise _unreadable("unbalanced brackets in a stream dictionary")
            items = stack.pop()
            kinds.pop()
            value = _pairs(items) if token == b">>" else items
            if not stack:
                if not isinstance(value, dict) or text[pos:].strip(_WHITESPACE):
                    raise _unreadable("a malformed stream dictionary")
                return value
            stack[-1].append(value)
            continue
        if not stack or token in (b"{", b"}", b"<", b">", b")"):
            raise _unreadable("a malformed stream dictionary")
        if token == b"(":
            pos = _string_end(text, pos - 1)
            value = _STRING_VALUE
        elif token[:1] == b"<":
            if not _HEX_BODY.fullmatch(token, 1, len(token) - 1):
                raise _unreadable("a malformed hex string")
            value = _STRING_VALUE
        elif token[:1] == b"/":
            value = _decode_name(token)
        elif _INTEGER.match(token):
            value = int(token)
        elif _NUMBER.match(token):
            value = float(token)
        elif token == b"R":
            items = stack[-1]
            number, generation = items[-2:] if len(items) >= 2 else (None, None)
            if not isinstance(number, int) or not isinstance(generation, int):
                raise _unreadable("a malformed reference")
            del items[-2:]
            value = _Ref((number, generation))
        elif token in (b"true", b"false", b"null"):
            value = token.decode()
        else:
            raise _unreadable("an unexpected keyword in a stream dictionary")
        stack[-1].append(value)


def _object_header_before(before: bytes) -> bool:
    """Whether ``before`` (up to ``_HEADER_SPAN`` bytes before an ``obj`` keyword in stream
    data) may end with an object header's two numbers, comments allowed between them."""
    rest = before.rstrip(_NUMERALS_AND_WHITESPACE)
    run = before[len(rest) :]  # numerals and whitespace just before "obj"
    if not rest or len(_DIGITS.findall(run)) >= 2:
        return True  # numbers up to the window's start, or two numbers
    if len(_NUMBER_TOKEN.findall(run)) >= 2 and _DIGITS.search(run):
        return True  # a number and a sign or point that viewers read as 0 ("7 - obj")
    if b"\n" not in run and b"\r" not in run:
        return False
    # The run starts a line: the line before may be a comment ending the header's first part
    # (a "%" in it), or longer than the window (then it may be one too).
    line_start = max(rest.rfind(b"\n"), rest.rfind(b"\r"))
    return b"%" in rest[line_start + 1 :] or (line_start < 0 and len(before) == _HEADER_SPAN)


class _DataCheck:
    """Raw stream data fed piece by piece: no ``endstream`` inside data of a known length, no
    object header (a viewer reads the object there when the cross-reference table says so)."""

    def __init__(self, *, known_length: bool) -> None:
        self.known_length = known_length
        self.tail = b""

    def feed(self, data: bytes, *, last: bool = False) -> int:
        """Check ``data``; the number of "obj" keywords looked at (a step each)."""
        window = self.tail + data
        looked = 0
        if self.known_length and _ENDSTREAM in window:
            raise _unreadable("endstream inside stream data of a known /Length")
        for match in _OBJ_IN_DATA.finditer(window):
            # Looked at once: when the byte after "obj" is known (or the data ends there).
            if match.end() < len(self.tail) or (match.end() == len(window) and not last):
                continue
            looked += 1
            before = window[max(0, match.start() - _HEADER_SPAN) : match.start()]
            if _object_header_before(before):
                raise _unreadable("an object header inside stream data")
        self.tail = window[-(_HEADER_SPAN + 8) :]
        return looked


_OUTSIDE_TEXT, _STRING_TEXT, _COMMENT_TEXT, _HEX_TEXT, _DATA, _AFTER_DATA = range(6)


class _PdfScanner:
    """The file's tokens outside streams (names checked), each stream's dictionary read
    exactly, its data skipped by ``/Length`` or searched, object streams' content checked."""

    def __init__(self) -> None:
        self.buffer = b""
        self.base = 0  # the file offset of buffer[0]
        self.pos = 0  # the first byte of buffer not yet read
        self.names_from = 0  # the first byte of buffer not yet given to self.names
        self.final = False
        self.mode = _OUTSIDE_TEXT
        self.depth = 0  # parentheses of the open string
        self.dictionaries: list[int] = []  # file offsets of the open "<<"
        # Set when ">>" closed a dictionary and only whitespace or comments followed since;
        # closed: that dictionary's file offsets (None when too large to keep).
        self.after_dictionary = False
        self.closed: tuple[int, int] | None = None
        self.names = _NameScanner()
        self.remaining: int | None = None  # stream data still to skip (None: search)
        self.data_check = _DataCheck(known_length=False)
        self.inflate: zlib._Decompress | None = None
        self.objects: _NameScanner | None = None  # an object stream's content
        self.inflated = 0
        self.work = 0  # steps taken one by one
        self.slashes = 0  # "/" given to the name checks and not yet charged
        self.steps = (
            self._outside,
            self._string,
            self._comment,
            self._hex,
            self._data,
            self._after_data,
        )

    def feed(self, data: bytes, *, final: bool = False) -> None:
        self.buffer += data
        self.final = final
        while self.steps[self.mode]():
            self._charge(1)
        if final and self.dictionaries:
            raise _unreadable("the file ends inside a dictionary")
        self._names(self.names, self.buffer[self.names_from : self.pos], final=final)
        self.names_from = self.pos
        self._trim()

    def _names(self, names: _NameScanner, text: bytes, *, final: bool = False) -> None:
        """Check ``text`` for names, its slashes charged to the step budget first."""
        self.slashes += text.count(b"/")
        steps, self.slashes = divmod(self.slashes, SLASHES_PER_STEP)
        self._charge(steps)
        names.feed(text, final=final)

    def _charge(self, steps: int) -> None:
        self.work += steps
        if self.work > MAX_STEPS:
            raise _unreadable("too many tokens to check one by one")

    def _trim(self) -> None:
        keep = max(0, self.pos - 8)  # the "end" of "endstream" and the byte before a keyword
        budget = self.base + len(self.buffer) - MAX_DICTIONARY
        for start in self.dictionaries:  # the oldest open dictionary still small enough
            if start >= budget:
                keep = min(keep, start - self.base)
                break
        if self.after_dictionary and self.closed is not None:
            if self.closed[0] >= budget:
                keep = min(keep, self.closed[0] - self.base)
            else:
                self.closed = None
        if keep > 0:
            self.buffer = self.buffer[keep:]
            self.base += keep
            self.pos -= keep
            self.names_from -= keep

    def _plain(self, end: int) -> None:
        """Read up to ``end`` text that holds no string, comment or dictionary bracket."""
        if self.after_dictionary and self.buffer[self.pos : end].strip(_WHITESPACE):
            self.after_dictionary = False
        self.pos = end

    # --- one step per mode: True to go on, False when more data is needed -------------------

    def _outside(self) -> bool:
        buffer = self.buffer
        end = len(buffer) if self.final else len(buffer) - 8  # a keyword may go on
        if end > self.pos:
            run = _RUN.match(buffer, self.pos, end)
            assert run is not None  # the pattern matches the empty string
            if run.end() > self.pos:
                self._after_run(run)
        match = _OUTSIDE.search(buffer, self.pos)
        if match is None:
            self._plain(len(buffer) if self.final else max(self.pos, len(buffer) - 8))
            return False
        token = match.group()
        if token == b"<<":
            self._plain(match.start())
            if len(self.dictionaries) >= MAX_DEPTH:
                raise _unreadable("dictionaries nested too deep")
            self.dictionaries.append(self.base + match.start())
            self.after_dictionary = False
            self.pos = match.end()
            return True
        if token == b">>":
            self._plain(match.start())
            if not self.dictionaries:
                raise _unreadable("a >> that closes no dictionary")
            self.pos = match.end()
            self.closed = (self.dictionaries.pop(), self.base + self.pos)
            self.after_dictionary = True
            return True
        return self._other(match)

    def _after_run(self, run: re.Match[bytes]) -> None:
        """Tokens read at once by ``_RUN``: only whether a dictionary ends them matters."""
        last_start, last_end = run.span(1)
        if last_start >= 0 and _GAP.fullmatch(self.buffer, last_end, run.end()):
            self.closed = (self.base + last_start, self.base + last_end)
            self.after_dictionary = True
        elif not _GAP.fullmatch(self.buffer, self.pos, run.end()):
            self.after_dictionary = False
        self.pos = run.end()

    def _other(self, match: re.Match[bytes]) -> bool:
        token = match.group()
        if token == _STREAM:
            return self._keyword(match.start())
        if match.end() == len(self.buffer) and token in (b"<", b">") and not self.final:
            self._plain(match.start())  # "<<" or ">>" may go on in the next piece
            return False
        self._plain(match.start())
        self.pos = match.end()
        if token == b"(":
            self.mode, self.depth, self.after_dictionary = _STRING_TEXT, 1, False
        elif token == b"<":
            self.mode, self.after_dictionary = _HEX_TEXT, False
        elif token == b"%":
            self.mode = _COMMENT_TEXT
        else:
            raise _unreadable(f"a stray {token.decode()}")
        return True

    def _keyword(self, at: int) -> bool:
        """``stream`` found at ``at``: the keyword ``stream`` or ``endstream``, or plain text."""
        buffer = self.buffer
        end = at + len(_STREAM)
        if end >= len(buffer) - 1 and not self.final:
            self._plain(at)  # the bytes after it decide
            return False
        is_end = at >= 3 and buffer[at - 3 : at] == b"end"
        start = at - 3 if is_end else at
        before = buffer[start - 1] if start > 0 else None
        if before is None and self.base + start > 0:
            raise AssertionError("the byte before a keyword was dropped")  # _trim keeps it
        after = buffer[end] if end < len(buffer) else None
        if (before is not None and (before in _REGULAR_BYTES or before == ord("/"))) or (
            after is not None and after in _REGULAR_BYTES
        ):
            self._plain(end)  # part of a longer word or of a name
            return True
        if is_end:
            raise _unreadable("endstream outside a stream")
        self._plain(start)
        if not self.after_dictionary:
            raise _unreadable("a stream keyword that does not follow a dictionary")
        if buffer[end : end + 2] == b"\r\n":
            data = end + 2
        elif after in (0x0A, 0x0D):
            data = end + 1
        else:
            raise _unreadable("a stream keyword not followed by an end of line")
        self._names(self.names, buffer[self.names_from : data], final=True)
        closed = self.closed
        if closed is None or closed[0] < self.base or closed[1] - closed[0] > MAX_DICTIONARY:
            raise _unreadable("a stream dictionary too large to check")
        self._begin_stream(buffer[closed[0] - self.base : closed[1] - self.base])
        self.pos = self.names_from = data
        self.after_dictionary = False
        self.mode = _DATA
        return True

    def _string(self) -> bool:
        buffer = self.buffer
        match = _IN_STRING.search(buffer, self.pos)
        if match is None or (match.end() == len(buffer) and match.group() == b"\\"):
            if self.final:
                raise _unreadable("an unterminated string")
            self.pos = len(buffer) if match is None else match.start()
            return False
        self.pos = match.end()
        if match.group() == b"\\":
            self.pos += 1
        elif match.group() == b"(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _unreadable("strings nested too deep")
        else:
            self.depth -= 1
            if self.depth == 0:
                self.mode = _OUTSIDE_TEXT
        return True

    def _comment(self) -> bool:
        match = _LINE_END.search(self.buffer, self.pos)
        if match is None:
            self.pos = len(self.buffer)
            return False
        self.pos = match.end()
        self.mode = _OUTSIDE_TEXT
        return True

    def _hex(self) -> bool:
        match = _HEX_BODY.match(self.buffer, self.pos)
        assert match is not None  # the pattern matches the empty string
        self.pos = match.end()
        if self.pos == len(self.buffer):
            if self.final:
                raise _unreadable("an unterminated hex string")
            return False
        if self.buffer[self.pos] != ord(">"):
            raise _unreadable("a malformed hex string")
        self.pos += 1
        self.mode = _OUTSIDE_TEXT
        return True

    def _data(self) -> bool:
        buffer = self.buffer
        if self.remaining is not None:
            count = min(self.remaining, len(buffer) - self.pos)
            self._stream_data(buffer[self.pos : self.pos + count])
            self.pos = self.names_from = self.pos + count
            self.remaining -= count
            if self.remaining == 0:
                self.mode = _AFTER_DATA
                return True
            if self.final:
                raise _unreadable("the file ends inside a stream")
            return False
        end = buffer.find(_ENDSTREAM, self.pos)
        if end < 0:
            if self.final:
                raise _unreadable("the file ends inside a stream")
            keep = max(self.pos, len(buffer) - len(_ENDSTREAM) + 1)
            self._stream_data(buffer[self.pos : keep])
            self.pos = self.names_from = keep
            return False
        self._stream_data(buffer[self.pos : end])
        self._end_stream()
        self.names_from = end
        self.pos = end + len(_ENDSTREAM)
        self.mode = _OUTSIDE_TEXT
        return True

    def _after_data(self) -> bool:
        buffer = self.buffer
        match = _WHITESPACE_RUN.match(buffer, self.pos)
        assert match is not None  # the pattern matches the empty string
        self.pos = match.end()
        end = self.pos + len(_ENDSTREAM)
        if end >= len(buffer) and not self.final:
            return False
        if buffer.startswith(_ENDSTREAM, self.pos) and (
            end == len(buffer) or buffer[end] not in _REGULAR_BYTES
        ):
            self._end_stream()
            self.pos = end
            self.mode = _OUTSIDE_TEXT
            return True
        raise _unreadable("a stream whose /Length does not end at endstream")

    # --- streams ---------------------------------------------------------------------------

    def _begin_stream(self, dictionary: bytes) -> None:
        self._charge(1 + len(dictionary) // 8)  # about one step per token
        entries = _parse_dictionary(dictionary)
        length = entries.get(b"Length")
        if type(length) is int and length >= 0:
            self.remaining = length
        elif length is None or isinstance(length, _Ref):
            self.remaining = None  # a viewer reads the reference; here: up to "endstream"
        else:
            raise _unreadable("a stream /Length that is not a length")
        self.data_check = _DataCheck(known_length=self.remaining is not None)
        self.inflate = None
        self.objects = None
        # Viewers take any stream with /First (and /N) for an object stream, whatever /Type;
        # MuPDF any that a cross-reference stream names, with /N alone (/First then 0).
        if entries.get(b"Type") != b"ObjStm" and b"First" not in entries and b"N" not in entries:
            return
        if b"DecodeParms" in entries or b"DP" in entries:
            raise _unreadable("an object stream with decode parameters")
        filters = entries.get(b"Filter", _NULL)
        if isinstance(filters, list) and len(filters) <= 1:
            filters = filters[0] if filters else _NULL
        if isinstance(filters, _Name) and filters in _FLATE:
            self.inflate = zlib.decompressobj()
        elif filters != _NULL:
            raise _unreadable("an object stream whose filter cannot be checked")
        self.objects = _NameScanner()

    def _stream_data(self, data: bytes) -> None:
        self._charge(self.data_check.feed(data))
        if self.objects is None or not data:
            return
        if self.inflate is None:  # an object stream without a filter: plain text
            self._names(self.objects, data)
            return
        try:
            pending = data
            while pending and not self.inflate.eof:
                out = self.inflate.decompress(pending, CHUNK)
                pending = self.inflate.unconsumed_tail
                self.inflated += len(out)
                if self.inflated > MAX_INFLATED_BYTES:
                    raise ActiveContent("a compressed object stream too large to check")
                self._names(self.objects, out)
                _check_html(out)
        except zlib.error:
            # Encrypted or damaged: a viewer may still read it (decrypted), this check cannot.
            raise _unreadable("an object stream that does not inflate") from None

    def _end_stream(self) -> None:
        self._charge(self.data_check.feed(b"", last=True))
        if self.objects is not None:
            self.objects.feed(b"", final=True)
        self.inflate = None
        self.objects = None


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
