"""Django's ASGI handler with the middleware chain and the view in one thread hop.

Django's own ``ASGIHandler`` builds an async middleware chain. Every middleware in
``settings.MIDDLEWARE`` runs synchronously (ours are plain callables, and Django's
``MiddlewareMixin`` ones would hop to a thread for each hook in async mode), so Django switches
the chain to a worker thread at the top and, because the innermost handler is async, back to the
event loop and into the thread again just before the view: three handoffs through the event
loop per request. Under load that loop is busy pushing inbox frames to open sockets, and each
handoff waits for it. Building the chain in sync mode, as under WSGI, and running it in the
request's thread once leaves a single handoff; the request still gets its own thread (Django's
``ThreadSensitiveContext``), so the database connection handling is unchanged.

In front of it, :class:`BodyLimitMiddleware` refuses oversize bodies before Django reads them.

It also keeps request bodies off the disk in clear: Django's ``read_body`` spools any body
larger than ``FILE_UPLOAD_MAX_MEMORY_SIZE`` to a temporary file as it arrives, before a view
runs; here it rolls over to a :class:`~referral_hub.vault.uploads.SealedSpool` instead
(AES-GCM under a key that lives only in this process), so a 20 MiB scan is never written to
disk as plaintext, even by a worker killed mid-upload.
"""

from __future__ import annotations

import contextvars
import io
import json
import re
from typing import Any

import django
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler

from referral_hub.multipart_stream import (
    PARSES_ON_ARRIVAL_MAX,
    StreamedASGIRequest,
    StreamedBody,
    StreamedMultipart,
)
from referral_hub.vault.uploads import SPOOL_CHUNK, SealedSpool

_SCOPE: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("asgi_scope")


class SingleHopASGIHandler(ASGIHandler):
    request_class = StreamedASGIRequest

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        token = _SCOPE.set(scope)  # for read_body, which Django calls without it
        try:
            await super().handle(scope, receive, send)
        finally:
            _SCOPE.reset(token)

    async def read_body(self, receive: Any) -> Any:
        """The request body as a readable file: in memory up to
        ``FILE_UPLOAD_MAX_MEMORY_SIZE``; past it a multipart POST is parsed as it arrives
        (:mod:`referral_hub.multipart_stream`: files go straight into sealed spools, the raw
        body is not kept) and any other body is sealed on disk (never plaintext)."""
        memory = io.BytesIO()
        spool: SealedSpool | None = None
        streamed: StreamedMultipart | None = None
        limit = settings.FILE_UPLOAD_MAX_MEMORY_SIZE
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise RequestAborted()  # early client disconnect
                chunk = message.get("body", b"")
                if spool is None and streamed is None and memory.tell() + len(chunk) > limit:
                    streamed = self._streamed_multipart()
                    if streamed is not None:
                        await streamed.feed(memory.getvalue())
                    else:
                        spool = SealedSpool(settings.FILE_UPLOAD_TEMP_DIR)
                        spool.append(memory.getvalue())
                    memory = io.BytesIO()
                if streamed is not None:
                    await streamed.feed(chunk)
                elif spool is not None:
                    spool.append(chunk)
                else:
                    memory.write(chunk)
                if not message.get("more_body", False):
                    break
        except BaseException:
            if spool is not None:
                spool.close()
            if streamed is not None:
                await streamed.abort()
            raise
        if streamed is not None:
            await streamed.finish()
            return StreamedBody(streamed)
        if spool is None:
            memory.seek(0)
            return memory
        spool.seal()
        return io.BufferedReader(spool, SPOOL_CHUNK)

    def _streamed_multipart(self) -> StreamedMultipart | None:
        """A parser for this request's body if it is a multipart POST, else None."""
        scope = _SCOPE.get(None)
        if scope is None or scope.get("method") != "POST":
            return None
        try:
            # The request as Django will build it: its META, encoding and upload handlers.
            probe = self.request_class(scope, io.BytesIO())
        except Exception:  # Django answers the same error once the body is read
            return None
        if probe.content_type != "multipart/form-data":
            return None
        if StreamedMultipart.active >= PARSES_ON_ARRIVAL_MAX:
            return None  # sealed on disk, parsed after authentication (no thread held)
        return StreamedMultipart(probe)


def get_http_application() -> BodyLimitMiddleware:
    """Like ``django.core.asgi.get_asgi_application``, with the single-hop handler behind the
    request-size limit."""
    django.setup(set_prefix=False)
    return BodyLimitMiddleware(SingleHopASGIHandler())


# --- The request-size limit, enforced before Django reads a byte of the body ------------------

API_UPLOAD_PATHS = re.compile(r"^/api/v1/(?:sheets/\d+/attachments|consents/\d+/evidence)/$")
"""API routes that take one file (multipart field ``file``)."""

PAGE_UPLOAD_PATHS = re.compile(r"^/(?:send|sheets/\d+/attachments)/$")
"""Page forms that take several scans at once: up to ``PAGE_UPLOAD_FILES`` files."""

PAGE_UPLOAD_FILES = 11  # frontend.forms.files.MAX_FILES attachments plus the signed consent form

MULTIPART_ALLOWANCE = 64 * 1024  # bytes of multipart framing and form fields around the files

TOO_LARGE = json.dumps(
    {
        "code": "request_too_large",
        "detail": "送信内容が大きすぎます。/ The request body is too large.",
    },
    ensure_ascii=False,
).encode("utf-8")

LENGTH_REQUIRED = json.dumps(
    {
        "code": "length_required",
        "detail": "multipart の送信には Content-Length が必要です。/ A multipart body needs a "
        "Content-Length header (chunked uploads are not accepted).",
    },
    ensure_ascii=False,
).encode("utf-8")


def body_limit(path: str) -> int:
    """The largest body in bytes accepted on ``path`` (settings ``REQUEST_MAX_BYTES`` and
    ``ATTACHMENT_MAX_BYTES``)."""
    if API_UPLOAD_PATHS.match(path):
        return int(settings.ATTACHMENT_MAX_BYTES) + MULTIPART_ALLOWANCE
    if PAGE_UPLOAD_PATHS.match(path):
        return PAGE_UPLOAD_FILES * int(settings.ATTACHMENT_MAX_BYTES) + MULTIPART_ALLOWANCE
    return int(settings.REQUEST_MAX_BYTES)


class BodyLimitMiddleware:
    """ASGI middleware in front of Django: a body over the route's limit is answered 413 JSON
    ``request_too_large``, at once when ``Content-Length`` declares it, or as soon as a streamed
    (chunked) body passes it; the rest is never read or spooled to disk. Django's own
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` only applies after the whole body has been spooled.

    A multipart body without ``Content-Length`` is answered 411 JSON ``length_required``
    before it is read (RFC 9110 §15.5.12): Django's multipart parser would take it as empty."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope.get("path", ""))
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _send_too_large(send)
            return
        if declared is None and _is_multipart(scope):
            # Django's multipart parser reads a body without Content-Length (chunked) as empty:
            # the upload would be lost and answered as if no file had been sent.
            await _send_json_refusal(send, 411, LENGTH_REQUIRED)
            return
        received = 0
        refused = False

        async def limited_receive() -> dict[str, Any]:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    await _send_too_large(send)
                    # Django's handler stops reading at a disconnect and sends nothing more.
                    return {"type": "http.disconnect"}
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _is_multipart(scope: dict[str, Any]) -> bool:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-type":
            return value.lower().startswith(b"multipart/")
    return False


async def _send_too_large(send: Any) -> None:
    await _send_json_refusal(send, 413, TOO_LARGE)


async def _send_json_refusal(send: Any, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
