"""Binds a request id and the client address to the audit context for each request."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from referral_hub.audit import context


def valid_ip(value: str) -> str:
    """``value`` as a normalised IPv4/IPv6 address (``"203.0.113.7"``, ``"2001:db8::1"``), or
    ``""`` when it is not one. A port (``1.2.3.4:80``, ``[::1]:80``) is dropped."""
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value[:64]))
    except ValueError:
        return ""


def client_ip(request: HttpRequest) -> str:
    """The address the audit log records for this request: always a valid IP or ``""``.

    ``TRUST_X_FORWARDED_FOR`` (docs/operations/in-front.md) says a proxy is in front that
    appends the address it saw to ``X-Forwarded-For``; the last entry is then the client as the
    proxy saw it. Entries before it came from the client and can say anything, so they are never
    used. Without the setting the header is ignored and the socket's peer is recorded."""
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return valid_ip(forwarded.rsplit(",", 1)[-1])
    return valid_ip(request.META.get("REMOTE_ADDR", ""))


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex
        token = context.bind(
            context.RequestContext(request_id=request_id, client_ip=client_ip(request))
        )
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response
