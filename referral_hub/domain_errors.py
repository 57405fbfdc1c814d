"""The base of every error a domain module raises for its caller to report.

A service, selector or vault function knows *why* it refuses (the rule's ``code``), what the
answer means in HTTP terms (``http_status``: 400 bad input, 403 refused by the gate, 404 unknown id,
409 wrong state, 410 erased, 413/415 file refused, 500/503 operator problems) and what a person
should read (``message``: Japanese first, then English). It never raises an HTTP exception: the
DRF handler (:func:`referral_hub.api_errors.json_exception_handler`) turns any ``DomainError``
into ``{"code", "detail"}`` with ``http_status`` by these attributes alone, and
:class:`referral_hub.error_views.DomainNotFoundMiddleware` turns a 404 one into the 404 page.

This module imports nothing, so every layer (vault, audit, consent, handoffs) may subclass it.
"""

from __future__ import annotations

__all__ = ["DomainError"]


class DomainError(Exception):
    """An error a client can act on.

    ``code`` names the rule (the API's ``code``), ``http_status`` is the HTTP status the API
    answers with (named so it never clashes with a domain "status", e.g. a sheet's), ``message``
    the text shown (the API's ``detail``), and ``field`` the request field at fault, if any
    ("" for none). Subclasses set them as class attributes or per instance.
    """

    code: str = "error"
    http_status: int = 400
    message: str = "要求を処理できません。/ The request cannot be processed."
    field: str = ""
    # Further keys of the API body that help the client act (``attempts_required``: what is
    # still missing; ``desk_unstaffed``: the desks that can take the sheet). Ids and counts only.
    extra: dict | None = None
