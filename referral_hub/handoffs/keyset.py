"""Keyset ("cursor") pagination for the sheet lists, API and pages alike.

Offset pages shift under a live list: a sheet sent while someone pages through 送ったシート
pushed a row onto the next page (seen twice), and a sheet withdrawn from page 1 of the inbox
pulled one off the next page (never seen) (issue 14, input 7). Here a page is "the next
``size`` rows after this key", where the key is the list's sort order ending in the sheet id,
a unique tiebreaker. A walk over ``next`` links therefore sees every row that was in the list
when the walk started and is still in it, exactly once, in order: rows added or removed
elsewhere in the list move nothing.

Keys must not change while a sheet stays in a list. ``sent_at`` and ``id`` never change. A
desk's deadline (``ack_due_at``) restarts when a sheet is resent to it or redirected to it; such
a sheet is news (the live inbox announces it), so a walk leaves out rows whose ``owner_since``
is later than the walk's start (``as_of``, carried in the cursor): never listed twice, and the
next walk from the first page lists it.

A cursor is an opaque URL-safe token (base64 of JSON: the key values, the direction and
``as_of``); it names no person.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime


class BadCursor(ValueError):
    """The cursor parameter is not one this server issued (or was edited)."""


@dataclass(frozen=True)
class Cursor:
    key: tuple[Any, ...]
    backwards: bool
    as_of: datetime.datetime

    def encode(self) -> str:
        raw = json.dumps(
            {"k": [_dump(v) for v in self.key], "b": self.backwards, "t": self.as_of.isoformat()},
            separators=(",", ":"),
        )
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _dump(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.datetime) else value


def decode(token: str) -> Cursor:
    try:
        raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        key = tuple(raw["k"])
        as_of = parse_datetime(raw["t"])
        backwards = raw["b"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise BadCursor(token) from exc
    if as_of is None or not isinstance(backwards, bool) or not key:
        raise BadCursor(token)
    if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in key):
        raise BadCursor(token)
    return Cursor(key, backwards, as_of)


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    next: Cursor | None
    previous: Cursor | None


def _after(ordering: Sequence[str], key: Sequence[Any], *, backwards: bool) -> Q:
    """Rows strictly after ``key`` in ``ordering`` (before it when walking ``backwards``):
    (a > x) or (a = x and b > y) or …, each comparison in its field's direction."""
    condition = Q(pk__in=[])
    for depth, term in enumerate(ordering):
        field = term.lstrip("-")
        ascending = not term.startswith("-")
        op = "gt" if ascending != backwards else "lt"
        step = Q(**{f"{field}__{op}": key[depth]})
        for earlier, value in zip(ordering[:depth], key[:depth], strict=True):
            step &= Q(**{earlier.lstrip("-"): value})
        condition |= step
    return condition


def _reversed(ordering: Sequence[str]) -> list[str]:
    return [term[1:] if term.startswith("-") else f"-{term}" for term in ordering]


def _key_of(row: Model, ordering: Sequence[str]) -> tuple[Any, ...]:
    return tuple(getattr(row, term.lstrip("-")) for term in ordering)


def paginate(
    rows: QuerySet[Any],
    ordering: Sequence[str],
    cursor: Cursor | None,
    size: int,
    *,
    arrived_field: str | None = None,
) -> Page:
    """One page of ``rows`` in ``ordering`` (its last term must be unique, e.g. ``pk``).

    ``arrived_field`` names a timestamp set whenever a row's key changes (``owner_since``);
    rows whose value is after the walk's start are left out of its later pages."""
    if not ordering or ordering[-1].lstrip("-") not in ("pk", "id"):
        raise ValueError("keyset ordering must end with the unique id")
    as_of = cursor.as_of if cursor is not None else timezone.now()
    backwards = cursor is not None and cursor.backwards
    if cursor is not None:
        if len(cursor.key) != len(ordering):
            raise BadCursor("cursor does not fit this list")
        rows = rows.filter(_after(ordering, cursor.key, backwards=backwards))
        if arrived_field:
            rows = rows.exclude(**{f"{arrived_field}__gt": as_of})
    try:
        window = list(rows.order_by(*(_reversed(ordering) if backwards else ordering))[: size + 1])
    except (ValidationError, ValueError, TypeError) as exc:  # a key value of the wrong type
        raise BadCursor("cursor does not fit this list") from exc
    more = len(window) > size
    window = window[:size]
    if backwards:
        window.reverse()
    if not window:
        return Page([], None, None)
    first, last = _key_of(window[0], ordering), _key_of(window[-1], ordering)
    # Forwards: a next page exists if we fetched one row more; a previous one if we came from
    # a cursor. Backwards: the other way round.
    has_next = more if not backwards else True
    has_previous = (cursor is not None) if not backwards else more
    return Page(
        window,
        Cursor(last, False, as_of) if has_next else None,
        Cursor(first, True, as_of) if has_previous else None,
    )
