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
"""

from __future__ import annotations

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class SingleHopASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)


def get_http_application() -> SingleHopASGIHandler:
    """Like ``django.core.asgi.get_asgi_application``, with the single-hop handler."""
    django.setup(set_prefix=False)
    return SingleHopASGIHandler()
