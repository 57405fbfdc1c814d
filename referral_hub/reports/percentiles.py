"""Continuous percentiles (``PERCENTILE_CONT``) for databases without the ordered-set aggregate.

The database sorts the values and numbers them with window functions; only the (at most two)
rows around each requested position come back to Python, so memory stays bounded however many
sheets the period holds. The definition is PostgreSQL's: position ``p * (n - 1)`` over the
sorted non-NULL values, linear interpolation between the neighbours."""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet


def interpolate(values_by_position: dict[int, float], count: int, fraction: float) -> float | None:
    """The percentile from the neighbouring sorted values (0-based positions)."""
    if count == 0:
        return None
    position = fraction * (count - 1)
    lower = math.floor(position)
    low_value = values_by_position[lower]
    if lower + 1 >= count:
        return low_value
    return low_value + (values_by_position[lower + 1] - low_value) * (position - lower)


def window_percentiles(
    queryset: QuerySet, column: str, fractions: Sequence[float]
) -> dict[float, float | None]:
    """Percentiles of annotation ``column`` over ``queryset`` in one query."""
    connection = connections[queryset.db]
    try:
        inner_sql, inner_params = queryset.query.sql_with_params()
    except EmptyResultSet:  # e.g. an empty department scope: nothing to measure
        return dict.fromkeys(fractions)
    name = connection.ops.quote_name(column)
    # Keep the rows within one position of p * (n - 1): that always includes both neighbours,
    # and compares floats only (CAST to integer truncates on SQLite but rounds on PostgreSQL).
    wanted = " OR ".join(
        "(pos >= %s * (total - 1) - 1 AND pos <= %s * (total - 1) + 1)" for _ in fractions
    )
    # Safe: inner_sql comes from the ORM compiler, the column name is quoted by the backend and
    # the fractions are parameters.
    sql = (
        "SELECT pos, value, total FROM ("  # noqa: S608
        "  SELECT value, ROW_NUMBER() OVER (ORDER BY value) - 1 AS pos,"
        "         COUNT(*) OVER () AS total"
        f"  FROM (SELECT {name} AS value FROM ({inner_sql}) AS per_sheet"
        f"        WHERE {name} IS NOT NULL) AS present"
        f") AS numbered WHERE {wanted}"
    )
    params = [*inner_params]
    for fraction in fractions:
        params.extend([float(fraction), float(fraction)])
    values: dict[int, float] = {}
    total = 0
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for pos, value, count in cursor.fetchall():
            values[int(pos)] = float(value)
            total = int(count)
    return {fraction: interpolate(values, total, fraction) for fraction in fractions}
