"""Desks and concern categories, kept per process and read on every send (issue 22).

A send looks up its desk by code and its concerns by code. Both tables are reference data that
an administrator changes a few times a year, so each worker keeps them in memory, keyed by the
version PostgreSQL keeps for them (migration ``directory.0007_reference_version``: a trigger
bumps it in the same transaction as any change to desks, concerns or departments, whoever
makes it: the admin, a bulk ``update()``, ``loaddata``, plain SQL). A request reads that version
once (one small statement); a new version reloads both tables before anything is answered, so
a change is seen by every worker from its commit on, like a query would see it.

Only reference data is kept here: nothing about a person or a right (memberships, consents,
tokens), which are read per request. Each call hands out new model instances, so a caller may
change what it got without touching the cache. Other databases than PostgreSQL have no version
and read the tables every time.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection

from referral_hub.directory.models import Concern, Desk


@dataclass(frozen=True)
class _Tables:
    version: int
    desks: dict[int, tuple[Any, ...]]  # id -> row (values of _DESK_FIELDS)
    desk_ids: dict[str, int]  # code -> id
    concerns: dict[str, tuple[Any, ...]]  # code -> row (values of _CONCERN_FIELDS)


_DESK_FIELDS = [field.attname for field in Desk._meta.concrete_fields]
_CONCERN_FIELDS = [field.attname for field in Concern._meta.concrete_fields]
_kept: _Tables | None = None  # replaced whole, never changed: safe across threads


def _version() -> int | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM directory_referenceversion WHERE id = 1")
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _load(version: int) -> _Tables:
    """Both tables as they are now (read after the version, so never older than it)."""
    desks = {row[0]: row for row in Desk.objects.order_by().values_list(*_DESK_FIELDS)}
    code = _DESK_FIELDS.index("code")
    concern_code = _CONCERN_FIELDS.index("code")
    return _Tables(
        version=version,
        desks=desks,
        desk_ids={row[code]: pk for pk, row in desks.items()},
        concerns={
            row[concern_code]: row
            for row in Concern.objects.order_by().values_list(*_CONCERN_FIELDS)
        },
    )


class ReferenceData:
    """The desks and concerns as of one version, for one request (``current()``)."""

    def __init__(self, tables: _Tables | None) -> None:
        self._tables = tables

    def desk(self, *, pk: int | None = None, code: str | None = None) -> Desk | None:
        """The desk with this id, else this code; None when there is none."""
        if self._tables is None:
            found = Desk.objects.filter(pk=pk) if pk is not None else Desk.objects.filter(code=code)
            return found.first()
        desk_id = pk if pk is not None else self._tables.desk_ids.get(code or "")
        row = self._tables.desks.get(desk_id) if desk_id is not None else None
        return None if row is None else _instance(Desk, _DESK_FIELDS, row)

    def concerns(self, codes: Iterable[str]) -> list[Concern]:
        """The concerns with these codes that exist, in display order (``Concern.Meta``)."""
        wanted = set(codes)
        if self._tables is None:
            return list(Concern.objects.filter(code__in=wanted))
        found = [
            _instance(Concern, _CONCERN_FIELDS, self._tables.concerns[code])
            for code in wanted
            if code in self._tables.concerns
        ]
        ordering = Concern._meta.ordering  # plain ascending field names
        return sorted(found, key=lambda c: tuple(getattr(c, name) for name in ordering))


def _instance(model: type[Any], fields: list[str], row: tuple[Any, ...]) -> Any:
    # JSON columns hold lists and dicts: each instance gets its own copy.
    return model.from_db(connection.alias, fields, copy.deepcopy(row))


def current() -> ReferenceData:
    """The reference data at the committed version, reloaded when it changed (one statement to
    read the version; two more after a change)."""
    global _kept
    version = _version()
    if version is None:
        return ReferenceData(None)
    kept = _kept
    if kept is None or kept.version != version:
        kept = _kept = _load(version)
    return ReferenceData(kept)
