"""No merge-conflict marker survives in the tracked sources (one did, inside a docstring, where
nothing else noticed it)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = re.compile(r"^(<{7}|={7}|>{7})( |$)", re.MULTILINE)
CHECKED = (".py", ".md", ".html", ".po", ".js", ".css", ".toml", ".txt", ".sh", ".cfg", ".yml")


def _tracked_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: walk the tree
        listed = [
            str(path.relative_to(ROOT))
            for path in ROOT.rglob("*")
            if ".venv" not in path.parts and ".git" not in path.parts
        ]
    return [ROOT / name for name in listed if name.endswith(CHECKED)]


def test_no_merge_conflict_markers():
    files = _tracked_files()
    assert files, "no source files found"
    marked = [
        f"{path.relative_to(ROOT)}:{text[: match.start()].count(chr(10)) + 1}"
        for path in files
        if path.is_file()
        for text in [path.read_text(encoding="utf-8", errors="replace")]
        for match in [MARKER.search(text)]
        if match
    ]
    assert marked == []
