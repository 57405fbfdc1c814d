"""``details`` is stored exactly in its canonical JSON text.

On PostgreSQL the column is ``json`` rather than ``jsonb``: ``json`` keeps the text as written
(``jsonb`` re-orders keys and adds spaces), so the verifier can splice the stored text straight
into the canonical encoding (:mod:`referral_hub.audit.verify`). The price: SQL comparisons on
``details`` keys (``details__owner_desk="x"``) do not work on PostgreSQL; the audit code reads
details in Python. SQLite stores JSON as text anyway.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from referral_hub.audit import chain


class CanonicalJSONField(models.JSONField):  # type: ignore[type-arg]
    def db_type(self, connection: Any) -> str | None:
        if connection.vendor == "postgresql":
            return "json"
        return super().db_type(connection)

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if value is None or hasattr(value, "as_sql"):
            return super().get_db_prep_value(value, connection, prepared)
        return chain.canonical_json(value)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        # psycopg already parses ``json`` columns; SQLite hands back the text.
        if isinstance(value, str):
            return json.loads(value)
        return value
