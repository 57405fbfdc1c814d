"""Every page runs under a strict Content-Security-Policy (script-src and style-src 'self'):
no template may carry an inline script, an inline event handler or a style attribute."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = sorted((Path(__file__).resolve().parents[2] / "frontend" / "templates").rglob("*.html"))
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
HTMX_EVAL = re.compile(r"\bhx-on|\bhx-vals\s*=\s*['\"]js:|\bhx-vars\b", re.IGNORECASE)
STYLE = re.compile(r"\sstyle\s*=|<style[\s>]", re.IGNORECASE)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_template_has_no_inline_code_or_style(template):
    source = template.read_text(encoding="utf-8")
    for name, pattern in [
        ("inline script", INLINE_SCRIPT),
        ("inline event handler", INLINE_HANDLER),
        ("htmx attribute that needs eval", HTMX_EVAL),
        ("inline style", STYLE),
    ]:
        match = pattern.search(source)
        assert match is None, f"{template.name}: {name}: {match.group(0) if match else ''}"


def test_base_template_declares_the_policy():
    base = (
        Path(__file__).resolve().parents[2] / "frontend/templates/frontend/base.html"
    ).read_text()
    assert "script-src 'self'" in base and "style-src 'self'" in base
