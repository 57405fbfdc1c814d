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

It also keeps request bodies off the disk in clear: Django's ``read_body`` spools any body
larger than ``FILE_UPLOAD_MAX_MEMORY_SIZE`` to a temporary file as it arrives, before a view
runs; here it rolls over to a :class:`~referral_hub.vault.uploads.SealedSpool` instead
(AES-GCM under a key that lives only in this process), so a 20 MiB scan is never written to
disk as plaintext, even by a worker killed mid-upload.
"""

from __future__ import annotations

import io
from typing import Any

import django
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler

from referral_hub.vault.uploads import SPOOL_CHUNK, SealedSpool


class SingleHopASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)

    async def read_body(self, receive: Any) -> Any:
        """The request body as a readable, seekable file: in memory up to
        ``FILE_UPLOAD_MAX_MEMORY_SIZE``, then sealed on disk (never plaintext)."""
        memory = io.BytesIO()
        spool: SealedSpool | None = None
        limit = settings.FILE_UPLOAD_MAX_MEMORY_SIZE
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise RequestAborted()  # early client disconnect
                chunk = message.get("body", b"")
                if spool is None and memory.tell() + len(chunk) > limit:
                    spool = SealedSpool(settings.FILE_UPLOAD_TEMP_DIR)
                    spool.append(memory.getvalue())
                    memory = io.BytesIO()
                if spool is not None:
                    spool.append(chunk)
                else:
                    memory.write(chunk)
                if not message.get("more_body", False):
                    break
        except BaseException:
            if spool is not None:
                spool.close()
            raise
        if spool is None:
            memory.seek(0)
            return memory
        spool.seal()
        return io.BufferedReader(spool, SPOOL_CHUNK)


def get_http_application() -> SingleHopASGIHandler:
    """Like ``django.core.asgi.get_asgi_application``, with the single-hop handler."""
    django.setup(set_prefix=False)
    return SingleHopASGIHandler()
