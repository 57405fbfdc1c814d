"""``<id:name>`` in URL patterns: a row id that fits PostgreSQL's ``bigint``.

Django's ``<int:…>`` accepts any number of digits; 9223372036854775808 then reaches a query
or, worse, the audit row that records a refusal, and PostgreSQL fails the insert (issue 15,
input 2). Here such a path simply does not match: 404 before any view runs. Importing this
module registers the converter; every urls module that uses ``<id:…>`` imports it."""

from __future__ import annotations

from django.urls import register_converter

MAX_ID = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError("id out of range")  # Django: the pattern does not match
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))


register_converter(IdConverter, "id")
