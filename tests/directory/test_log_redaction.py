"""Access logs never carry query strings (a duplicate search puts kana and a birth date there)."""

import logging

from referral_hub.log_redaction import StripQueryStrings


def test_query_string_is_cut_from_access_log_lines():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/v1/residents/?q=ヤマダ&birth_date=1970-04-01", "1.1", 200),
        None,
    )
    assert StripQueryStrings().filter(record)
    line = record.getMessage()
    assert "ヤマダ" not in line and "1970" not in line
    assert "/api/v1/residents/?[redacted]" in line


def test_lines_without_query_are_untouched():
    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Forbidden: %s",
        ("/api/v1/sheets/3/",),
        None,
    )
    StripQueryStrings().filter(record)
    assert record.getMessage() == "Forbidden: /api/v1/sheets/3/"
