"""Typed access to the process environment: the only source of configuration and secrets.

The demo keeps its generated secrets in ``DATA_DIR/demo-secrets.env``; that file is read
only when DEBUG is on, so a production process can never silently run on demo keys.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    """Raised at startup when a required setting is missing or malformed."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from exc


def env_float(name: str, default: float, *, positive: bool = False) -> float:
    """A decimal number (``0.25``, ``30``); ``positive`` refuses zero and negatives. NaN and
    infinities are always refused."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a number, got {raw!r}") from exc
    if not math.isfinite(value) or (positive and value <= 0):
        qualifier = "a positive finite" if positive else "a finite"
        raise ConfigurationError(f"{name} must be {qualifier} number, got {raw!r}")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def load_demo_secrets(path: Path) -> None:
    """Load KEY=VALUE lines written by ``manage.py init_demo_secrets`` without overriding
    anything the real environment already sets."""
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip())
