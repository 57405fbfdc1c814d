"""The languages a resident is given a handout, a consent notice or a receipt in.

Staff pages are Japanese and English (``settings.LANGUAGES``); what the resident takes home is
in one of these. Their words come from the handout catalogues (``resident_texts/catalogues``),
which fall back to やさしい日本語 (``FALLBACK``) for a missing string or an unknown language.
"""

from __future__ import annotations

FALLBACK = "easy_ja"

# code -> (name in that language, BCP 47 tag for the page's lang attribute)
RESIDENT_LANGUAGES: dict[str, tuple[str, str]] = {
    "ja": ("日本語", "ja"),
    "easy_ja": ("やさしい にほんご", "ja"),
    "en": ("English", "en"),
    "zh": ("简体中文", "zh-Hans"),
    "ko": ("한국어", "ko"),
    "vi": ("Tiếng Việt", "vi"),
    "pt": ("Português", "pt"),
    "tl": ("Tagalog", "tl"),
    "ne": ("नेपाली", "ne"),
}


def resident_language(code: str | None) -> str:
    """``code`` when it is one of ``RESIDENT_LANGUAGES``, else ``FALLBACK``."""
    return code if code in RESIDENT_LANGUAGES else FALLBACK


def choices() -> list[tuple[str, str]]:
    return [(code, name) for code, (name, _) in RESIDENT_LANGUAGES.items()]
