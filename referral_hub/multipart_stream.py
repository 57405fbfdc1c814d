"""Parse a large multipart body while it arrives, with Django's own parser.

Without this, a 20 MiB upload is handled in two steps: the ASGI handler seals the raw body
into a spool as it arrives (spread over the ~2 s an office LAN takes), then, once the last
byte is in, the request thread decrypts that spool, parses it and re-seals the file part, all
at once. That burst (~60 ms of CPU per 20 MiB) holds the GIL, so the audited reads served by
the same worker wait for it (issue 14).

Here the parsing moves to the arrival: :class:`StreamedMultipart` runs Django's
``MultiPartParser`` in a thread of its own, fed the body in the pieces the server receives
(at most :data:`QUEUED_PIECES` ahead), with the project's upload handlers, so a file part is
sealed into its :class:`~referral_hub.vault.uploads.SealedSpool` piece by piece and the raw
body is never spooled or decrypted. The parser runs in small slices (one per piece that
arrives) instead of one burst. It is the same parser, handlers, limits and errors as
``request.POST`` / ``request.FILES`` and DRF's ``MultiPartParser`` would use
(``DATA_UPLOAD_MAX_NUMBER_FIELDS``, ``DATA_UPLOAD_MAX_NUMBER_FILES``,
``DATA_UPLOAD_MAX_MEMORY_SIZE``, file name sanitising, the charset), only earlier:
:class:`StreamedASGIRequest` and :class:`StreamedMultiPartParser` hand out its outcome,
and raise its error (``MultiPartParserError`` and the others) where the parser would have.

Consequences: on such a request the raw body is gone (``request.body`` is empty, or refused
as too large like any body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``), and the upload handlers
are the settings' ``FILE_UPLOAD_HANDLERS`` (a view cannot swap them any more; none does).
Each such upload has a parser thread while its body arrives, at most
:data:`PARSES_ON_ARRIVAL_MAX` per process; beyond that a body is sealed on disk as before.
"""

from __future__ import annotations

import asyncio
import io
import queue
import threading
from collections.abc import Iterator
from typing import Any

from django.core.handlers.asgi import ASGIRequest
from django.http import QueryDict
from django.http.multipartparser import MultiPartParser as MultiPartParser_
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, MultiPartParser

from referral_hub.vault.stream import IterableReader

QUEUED_PIECES = 32
"""Body pieces (up to 64 KiB each from uvicorn) received but not yet parsed; past it the
receiving side waits, so a fast client does not fill the worker's memory."""

PARSES_ON_ARRIVAL_MAX = 8
"""Bodies parsed on arrival at once in one worker process (each holds a parser thread until
its body is complete or its client leaves). Past it a large multipart body is sealed on disk
as it arrives and parsed after the view's authentication, as before: slow or stalled uploads,
anonymous ones included, cannot pile up threads."""

_END = b""


class _Aborted(Exception):
    """The request ended before its body did (client gone, size limit)."""


def _queued(pieces: queue.Queue[bytes | BaseException]) -> Iterator[bytes]:
    """The parser thread's side: each piece as it arrives (blocking until then)."""
    while True:
        piece = pieces.get()
        if isinstance(piece, BaseException):
            raise piece
        if piece is _END:
            return
        yield piece


class StreamedMultipart:
    """Django's ``MultiPartParser`` over a body that is still arriving (module docstring).

    Create it from a request built on the scope (for ``META``, the encoding and the upload
    handlers), :meth:`feed` it each piece, then ``await`` :meth:`finish` (or :meth:`abort`).
    Afterwards :meth:`result` gives ``(POST, FILES)`` or raises the parser's error."""

    active = 0  # parses running in this process (read and written on the event loop only)

    def __init__(self, probe: ASGIRequest) -> None:
        StreamedMultipart.active += 1
        self._pieces: queue.Queue[bytes | BaseException] = queue.Queue()
        self._loop = asyncio.get_running_loop()
        self._done: asyncio.Future[None] = self._loop.create_future()
        self.post: QueryDict | None = None
        self.files: MultiValueDict | None = None
        self.error: BaseException | None = None
        self._handlers = probe.upload_handlers
        self._thread = threading.Thread(
            target=self._parse,
            args=(probe.META, probe.encoding),
            name="multipart-stream",
            daemon=True,
        )
        self._thread.start()

    def _parse(self, meta: dict[str, Any], encoding: str | None) -> None:
        try:
            reader = IterableReader(_queued(self._pieces))
            parser = MultiPartParser_(meta, reader, self._handlers, encoding)
            self.post, self.files = parser.parse()
        except BaseException as exc:  # handed to the request, raised where Django would
            self.error = exc
            for handler in self._handlers:
                handler.upload_interrupted()
        finally:
            self._loop.call_soon_threadsafe(self._settle)

    def _settle(self) -> None:
        if not self._done.done():
            StreamedMultipart.active -= 1
            self._done.set_result(None)

    async def feed(self, piece: bytes) -> None:
        """Queue one piece of the body; waits while the parser is :data:`QUEUED_PIECES`
        behind. Once the parser has stopped (an error), the rest is dropped."""
        while self._pieces.qsize() >= QUEUED_PIECES and not self._done.done():
            await asyncio.sleep(0.002)
        if piece and not self._done.done():
            self._pieces.put(piece)

    async def finish(self) -> None:
        """The body is complete: wait for the parser to take the rest."""
        self._pieces.put(_END)
        await asyncio.shield(self._done)

    async def abort(self) -> None:
        """The body will not be complete: stop the parser and drop what it made."""
        self._pieces.put(_Aborted())
        await asyncio.shield(self._done)
        self.close()

    def result(self) -> tuple[QueryDict, MultiValueDict]:
        if self.error is not None:
            raise self.error
        assert self.post is not None and self.files is not None
        return self.post, self.files

    def close(self) -> None:
        """Close the uploaded files (their sealed spools), whether or not a view read them."""
        for _name, uploads in (self.files or MultiValueDict()).lists():
            for upload in uploads:
                upload.close()


class StreamedBody(io.BytesIO):
    """The request body Django gets when the multipart parse happened on arrival: empty (the
    raw body was not kept), carrying the outcome for :class:`StreamedASGIRequest`."""

    def __init__(self, streamed: StreamedMultipart) -> None:
        super().__init__()
        self.streamed = streamed

    def close(self) -> None:
        self.streamed.close()
        super().close()


class StreamedASGIRequest(ASGIRequest):
    """``request.POST`` / ``request.FILES`` come from the parse made on arrival when there was
    one (errors are raised, and marked, exactly as Django's own parse would)."""

    streamed: StreamedMultipart | None = None
    streamed_taken = False

    def __init__(self, scope: dict[str, Any], body_file: Any) -> None:
        super().__init__(scope, body_file)
        if isinstance(body_file, StreamedBody):
            self.streamed = body_file.streamed

    def parse_file_upload(self, META: Any, post_data: Any) -> Any:  # noqa: N803 - Django's name
        if self.streamed is None:
            return super().parse_file_upload(META, post_data)
        if self.streamed_taken:
            # Asked again after an error Django does not mark (too many fields): Django finds
            # the body read and gives empty data; so does this.
            return QueryDict(encoding=self.encoding), MultiValueDict()
        self.streamed_taken = True
        return self.streamed.result()


class StreamedMultiPartParser(MultiPartParser):
    """DRF's ``MultiPartParser`` that takes the parse made on arrival when there was one (its
    ``MultiPartParserError`` becomes DRF's ``ParseError``, as in DRF's own parser)."""

    def parse(
        self, stream: Any, media_type: str | None = None, parser_context: Any = None
    ) -> DataAndFiles:
        request = (parser_context or {}).get("request")
        streamed = getattr(getattr(request, "_request", None), "streamed", None)
        if not isinstance(streamed, StreamedMultipart):
            return super().parse(stream, media_type, parser_context)
        try:
            data, files = streamed.result()
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error - {exc}") from exc
        return DataAndFiles(data, files)
