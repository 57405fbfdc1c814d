"""The "which desk?" guide (相談チャート): desks that handle the concerns the clerk ticked.

A desk that covers every ticked concern comes first; among equals the more specialised desk
(fewer concerns in total) comes first, so debt alone points to 家計改善支援 while several
problems at once point to the comprehensive 自立相談支援窓口.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from referral_hub.directory.models import Concern, Desk

MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class Suggestion:
    desk: Desk
    matched: list[Concern]
    covers_all: bool


@dataclass(frozen=True)
class Guide:
    suggestions: list[Suggestion]
    emergency: list[Concern]


def suggest_desks(concern_ids: Iterable[int]) -> Guide:
    ids = {int(i) for i in concern_ids}
    if not ids:
        return Guide([], [])
    chosen = list(Concern.objects.filter(pk__in=ids))
    desks = Desk.objects.filter(is_active=True).prefetch_related("concerns").order_by("pk")
    ranked = []
    for desk in desks:
        handled = list(desk.concerns.all())
        matched = [c for c in chosen if c in handled]
        if matched:
            ranked.append(
                (
                    -len(matched),
                    len(handled),
                    desk.pk,
                    Suggestion(desk, matched, len(matched) == len(chosen)),
                )
            )
    ranked.sort(key=lambda row: row[:3])
    return Guide(
        [row[3] for row in ranked[:MAX_SUGGESTIONS]],
        [c for c in chosen if c.emergency],
    )
