"""What the resident takes home, in their language: the handout's and the receipt's words.

The words live in one gettext catalogue per language (``catalogues/<lang>.po``; ``msgctxt`` is
the key, ``msgid`` the Japanese source, ``msgstr`` the translation), read with ``polib`` so a
municipality corrects a file in any PO editor and no compile step is needed. A directory named
by ``settings.RESIDENT_TEXTS_DIR`` overrides the shipped files, language by language and string
by string. An empty or missing ``msgstr`` falls back to やさしい日本語 (``easy_ja``), then to the
Japanese source. In ``easy_ja``, ``{漢字|かんじ}`` prints the kanji with furigana (``<ruby>``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import polib
from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from referral_hub.resident_texts.languages import FALLBACK, RESIDENT_LANGUAGES, resident_language

SHIPPED = Path(__file__).resolve().parent / "catalogues"
_FURIGANA = re.compile(r"\{([^{}|]+)\|([^{}|]+)\}")


def _read(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    return {
        entry.msgctxt: entry.msgstr
        for entry in polib.pofile(str(path))
        if entry.msgctxt and entry.msgstr and not entry.obsolete
    }


@lru_cache(maxsize=32)
def catalogue(language: str) -> dict[str, str]:
    """Key -> text in ``language`` (shipped file, then the municipality's corrections)."""
    words = _read(SHIPPED / f"{language}.po")
    override = getattr(settings, "RESIDENT_TEXTS_DIR", "")
    if override:
        words.update(_read(Path(override) / f"{language}.po"))
    return words


@lru_cache(maxsize=1)
def sources() -> dict[str, str]:
    """Key -> the Japanese source (the ``msgid``), the last fallback."""
    return {e.msgctxt: e.msgid for e in polib.pofile(str(SHIPPED / "ja.po")) if e.msgctxt}


def furigana(text: str) -> SafeString:
    """``text`` escaped, with ``{漢字|かんじ}`` as ``<ruby>漢字<rt>かんじ</rt></ruby>``."""
    return mark_safe(  # noqa: S308 - escaped first; only our own <ruby> markup is added
        _FURIGANA.sub(r"<ruby>\1<rt>\2</rt></ruby>", escape(text))
    )


def plain(text: str) -> str:
    """``text`` without the furigana markup (for PDF metadata, titles, tests)."""
    return _FURIGANA.sub(r"\1", text)


class Words(Mapping[str, SafeString]):
    """The words of one language for a template: ``words.title``; ``words.text(key, **values)``
    fills ``%(name)s`` placeholders with escaped values. ``missing`` lists the keys that fell
    back to やさしい日本語 or the source."""

    def __init__(self, language: str) -> None:
        self.language = resident_language(language)
        self.tag = RESIDENT_LANGUAGES[self.language][1]
        self.name = RESIDENT_LANGUAGES[self.language][0]
        self._own = catalogue(self.language)
        self._easy = catalogue(FALLBACK)
        self.missing: set[str] = set()

    def raw(self, key: str) -> str:
        if key in self._own:
            return self._own[key]
        self.missing.add(key)
        return self._easy.get(key) or sources()[key]

    def text(self, key: str, **values: object) -> SafeString:
        escaped = {name: _Escaped(value) for name, value in values.items()}
        return furigana(self.raw(key) % escaped) if values else furigana(self.raw(key))

    def __getitem__(self, key: str) -> SafeString:
        if key not in sources():
            raise KeyError(key)
        return self.text(key)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(sources())

    def __len__(self) -> int:
        return len(sources())


class _Escaped(str):
    """A value put into a catalogue string. The string is escaped after formatting, so the
    value must not contain the furigana markup's braces (a desk name could)."""

    def __new__(cls, value: object) -> _Escaped:
        return super().__new__(cls, str(value).replace("{", "(").replace("}", ")"))
