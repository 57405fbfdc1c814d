"""Helpers of the no-drop tests (issue 20): a frozen clock and an accepted jiritsu sheet."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from referral_hub import office_calendar


class Clock:
    """``timezone.now()`` frozen at a chosen Japan-time moment; ``advance`` moves it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.real = self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def set(self, *args: int) -> datetime.datetime:
        self.now = datetime.datetime(*args, tzinfo=office_calendar.TOKYO)  # type: ignore[misc]
        return self.now

    def advance(self, **delta: Any) -> datetime.datetime:
        self.now = self.now + datetime.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def attempt(api: Any, sheet_id: int, result: str = "no_answer", **body: Any) -> Any:
    return api.post(
        f"/sheets/{sheet_id}/contact-attempts/",
        {"channel": body.pop("channel", "phone"), "result": result, **body},
    )
