"""Database expressions the ORM lacks: elapsed seconds between two timestamps, and
``PERCENTILE_CONT`` (PostgreSQL's ordered-set aggregate)."""

from __future__ import annotations

from typing import Any

from django.db.models import Aggregate, Expression, FloatField, Func


class SecondsBetween(Func):
    """``later - earlier`` in seconds (float); NULL when either side is NULL."""

    output_field = FloatField()
    arity = 2

    def __init__(self, later: Any, earlier: Any) -> None:
        super().__init__(later, earlier)

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list]:
        later, later_params = compiler.compile(self.source_expressions[0])
        earlier, earlier_params = compiler.compile(self.source_expressions[1])
        # Portable fallback (SQLite stores UTC text timestamps; julianday keeps sub-ms precision).
        sql = f"((julianday({later}) - julianday({earlier})) * 86400.0)"
        return sql, [*later_params, *earlier_params]

    def as_postgresql(
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, list]:
        later, later_params = compiler.compile(self.source_expressions[0])
        earlier, earlier_params = compiler.compile(self.source_expressions[1])
        sql = f"(EXTRACT(EPOCH FROM ({later} - {earlier})))::double precision"
        return sql, [*later_params, *earlier_params]


class PercentileCont(Aggregate):
    """PostgreSQL ``percentile_cont(fraction) WITHIN GROUP (ORDER BY expr)``: the continuous
    percentile with linear interpolation; NULL inputs are ignored. Other databases use
    ``reports.percentiles.window_percentiles``, which computes the same definition."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    output_field = FloatField()
    arity = 1
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Expression | str, fraction: float, **extra: Any) -> None:
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, Any]:
        if connection.vendor != "postgresql":
            raise NotImplementedError("PERCENTILE_CONT is only used on PostgreSQL")
        return super().as_sql(compiler, connection, **extra_context)
