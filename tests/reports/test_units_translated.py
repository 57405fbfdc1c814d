"""The monthly page's durations and month labels follow the page's language (issue 16, input 11)."""

from __future__ import annotations

import pytest
from django.utils import translation

from referral_hub.reports.views import _month_label, duration_label


@pytest.mark.parametrize(
    ("seconds", "japanese", "english"),
    [
        (45 * 60, "45分", "45 min"),
        (3.5 * 3600, "3.5時間", "3.5 h"),
        (2.1 * 86400, "2.1日", "2.1 days"),
        (None, "—", "—"),
    ],
)
def test_duration_units_follow_the_language(seconds, japanese, english):
    with translation.override("ja"):
        assert duration_label(seconds) == japanese
    with translation.override("en"):
        assert duration_label(seconds) == english


def test_month_labels_follow_the_language():
    with translation.override("ja"):
        assert _month_label("2026-11") == "11月"
    with translation.override("en"):
        assert _month_label("2026-11") == "Nov"
