"""Make a client-supplied filename safe to store and to offer back for download.

The name is only a label (storage objects get random names), but it ends up in a
``Content-Disposition`` header and on staff screens, so: no directories, no control or
bidirectional-override characters, no characters Windows refuses, no reserved device
names, a bounded length, and an extension that matches the detected content type.
Japanese names are kept as they are.
"""

from __future__ import annotations

import re
import unicodedata

from referral_hub.vault.content_types import EXTENSIONS

MAX_FILENAME_CHARS = 120
DEFAULT_STEM = "attachment"
_UNSAFE = re.compile(r'[<>:"/\\|?*]')
_SPACES = re.compile(r"\s+")
_WINDOWS_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}


INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})


def drop_invisible(text: str, *, keep: str = "") -> str:
    """``text`` without control (Cc), format (Cf), surrogate (Cs) and private-use (Co)
    characters, except those in ``keep``. Format characters include U+202E RIGHT-TO-LEFT
    OVERRIDE, which can make "invoice\u202efdp.exe" display as "invoiceexe.pdf". Also the rule
    for names and narratives (``referral_hub.api_input.clean_text``)."""
    return "".join(
        ch for ch in text if ch in keep or unicodedata.category(ch) not in INVISIBLE_CATEGORIES
    )


def sanitize_filename(raw: str, *, content_type: str) -> str:
    """Return a safe display name whose extension fits ``content_type``."""
    text = unicodedata.normalize("NFC", raw or "")
    text = re.split(r"[/\\]", text)[-1]  # a browser may send a full Windows path
    text = drop_invisible(text)
    text = _UNSAFE.sub("_", text)
    text = _SPACES.sub(" ", text).strip(" .")
    stem, dot, extension = text.rpartition(".")
    if not dot:
        stem, extension = text, ""
    stem = stem.strip(" .") or DEFAULT_STEM
    if stem.split(".")[0].lower() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    allowed = EXTENSIONS.get(content_type, ())
    suffix = f".{extension.lower()}" if extension else ""
    if allowed and suffix not in allowed:
        # Keep the original extension visible in the stem ("scan.exe" → "scan.exe.pdf").
        if suffix:
            stem = f"{stem}{suffix}"
        suffix = allowed[0]
    stem = stem[: MAX_FILENAME_CHARS - len(suffix)].rstrip(" .") or DEFAULT_STEM
    return f"{stem}{suffix}"
