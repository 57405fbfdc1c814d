"""Printable documents (the resident's handout, the consent receipt) as HTML or PDF.

HTML is the page the counter prints from the browser; PDF is made from the same HTML by
WeasyPrint with the page's stylesheet, in Debian's Noto CJK fonts (``fonts-noto-cjk``), so
Japanese, Chinese and Korean render as on screen. The API renderers answer errors as JSON
``{"code","detail"}`` whatever format was asked for, like the report CSV.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.staticfiles import finders
from django.http import Http404
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import JSONRenderer

from referral_hub.api_renderers import DocumentRenderer


def html_to_pdf(html: str, stylesheets: list[str]) -> bytes:
    """``html`` as PDF with the static files ``stylesheets`` (e.g. ``handoffs/handout.css``)."""
    import weasyprint  # imported here: a heavy import only the PDF path needs

    sheets = []
    for name in stylesheets:
        path = finders.find(name)
        if not path:
            raise FileNotFoundError(name)
        sheets.append(weasyprint.CSS(filename=str(path)))
    return weasyprint.HTML(string=html).write_pdf(stylesheets=sheets)


class _DocumentRenderer(DocumentRenderer):
    """The view has already made the document (HTML text or PDF bytes)."""

    def is_document(self, data: Any) -> bool:
        return isinstance(data, (bytes, str))

    def render_document(self, data: Any, request: Any) -> bytes:
        return data.encode("utf-8") if isinstance(data, str) else data


class HtmlDocumentRenderer(_DocumentRenderer):
    media_type = "text/html"
    format = "html"
    charset = "utf-8"


class PdfDocumentRenderer(_DocumentRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"


DOCUMENT_RENDERERS = [HtmlDocumentRenderer, PdfDocumentRenderer, JSONRenderer]


class DocumentNegotiation(DefaultContentNegotiation):
    """An unknown ``?format=`` is not DRF's 404: the view answers it with a JSON 400."""

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:
            return JSONRenderer(), JSONRenderer.media_type


def document_view(func: Callable[..., Any]) -> Callable[..., Any]:
    """Put under ``@api_view``: HTML/PDF renderers, errors in JSON, a 400 for a bad format."""
    func.renderer_classes = DOCUMENT_RENDERERS  # type: ignore[attr-defined]
    func.content_negotiation_class = DocumentNegotiation  # type: ignore[attr-defined]
    return func
