"""つなぎ先のご案内: the one-page handout the resident takes from the counter to the desk.

It carries what the resident needs to get there and be recognised, and nothing of the case:
the owner desk's name, place, hours, phone, what to bring, languages, accessibility notes and
a current notice (``Desk`` directory fields), the arrival code with its QR code, the counter
that referred them, and the date by which the desk should have been in touch (the SLA's
``ack_due_at``). No summary, resident words, tax, health or household text, no name: the paper
may be lost on the way. Words come from ``resident_texts`` in the resident's language.

Who may print it: the sending side and the owner desk, exactly those who may read the sheet
(``selectors.view_sheet``: refusals are recorded by the gate); each print is audited as
``sheet.handout_printed`` with the language.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import segno
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from referral_hub.audit.log import record
from referral_hub.directory import roles
from referral_hub.directory.desk_hours import HoursRule, parse_opening_hours
from referral_hub.directory.models import Desk
from referral_hub.handoffs import selectors
from referral_hub.handoffs.errors import NotFound, Refused
from referral_hub.handoffs.models import ConnectSheet
from referral_hub.resident_texts import Words, plain
from referral_hub.resident_texts.languages import RESIDENT_LANGUAGES

PAPERS = ("a4", "receipt")


def local_date(words: Words, day: datetime.date) -> str:
    """``day`` in the words' language, with its weekday (keys ``date``, ``wd0``..``wd6``)."""
    values = {
        "year": day.year,
        "month": day.month,
        "day": day.day,
        "weekday": _plain(words, f"wd{day.weekday()}"),
    }
    return plain(words.raw("date") % values)


def _plain(words: Words, key: str) -> str:
    return plain(words.raw(key))


def _day_span(words: Words, days: tuple[int, ...]) -> str:
    """``(0, 1, 2, 3, 4)`` -> "月曜日〜金曜日"; gaps are listed ("月曜日・水曜日")."""
    runs: list[list[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{_plain(words, f'wd{run[0]}')}〜{_plain(words, f'wd{run[-1]}')}")
        else:
            parts.extend(_plain(words, f"wd{day}") for day in run)
    return words.raw("list_sep").join(parts)


def hours_lines(words: Words, rules: list[HoursRule]) -> list[str]:
    return [f"{_day_span(words, rule.weekdays)} {rule.opens}〜{rule.closes}" for rule in rules]


def desk_name(desk: Desk, words: Words) -> str:
    """The Japanese name (the sign at the desk), with the English name for non-Japanese readers."""
    if words.language not in ("ja", "easy_ja") and desk.name_en:
        return f"{desk.name} ({desk.name_en})"
    return desk.name


def _current_notice(desk: Desk, today: datetime.date) -> str:
    if desk.temporary_notice_until is not None and desk.temporary_notice_until < today:
        return ""
    return desk.temporary_notice.strip()


@dataclass(frozen=True)
class Handout:
    words: Words
    sheet_number: str
    arrival_code: str
    qr_data_uri: str
    desk_name: str
    place: str
    hours: list[str]
    phone: str
    documents: list[str]
    languages: list[str]
    accessibility: str
    notice: str
    referred_by: str
    contact_by: str
    paper: str


def build_handout(sheet: ConnectSheet, language: str, paper: str = "a4") -> Handout:
    """The handout of ``sheet`` in ``language`` (unknown: やさしい日本語). Reads only the desk
    directory and the sheet's number, code, sending place and deadline."""
    words = Words(language)
    desk = sheet.owner_desk
    sender_place = sheet.from_department or sheet.from_desk
    today = timezone.localdate()
    qr = segno.make(sheet.arrival_code, error="m")
    return Handout(
        words=words,
        sheet_number=sheet.number or "",
        arrival_code=sheet.arrival_code,
        qr_data_uri=qr.svg_data_uri(scale=4, border=2),
        desk_name=desk_name(desk, words),
        place=" ".join(p for p in (desk.building, desk.floor, desk.room) if p),
        hours=hours_lines(words, parse_opening_hours(desk.opening_hours))
        or ([desk.office_hours] if desk.office_hours else []),
        phone=desk.phone,
        documents=[line.strip() for line in desk.required_documents.splitlines() if line.strip()],
        languages=[RESIDENT_LANGUAGES.get(c, (c, c))[0] for c in desk.languages_spoken],
        accessibility=desk.accessibility_notes.strip(),
        notice=_current_notice(desk, today),
        referred_by=sender_place.name if sender_place is not None else "",
        contact_by=words.text(
            "deadline", date=local_date(words, timezone.localtime(sheet.ack_due_at).date())
        ),
        paper=paper if paper in PAPERS else "a4",
    )


def handout_for(actor: Any, sheet_id: int, language: str, paper: str = "a4") -> Handout:
    """The handout, for the sending side or the owner desk (``selectors.view_sheet`` decides and
    records refusals: ``NotFound`` 404, ``Refused`` 403); audited as ``sheet.handout_printed``.
    The decision and the record are one transaction, on the reader's locked account
    (docs/operations/locks.md): a sender transferred meanwhile gets no handout. A refusal
    raised inside ends the block normally first, so what the gate recorded commits."""
    refusal: Exception | None = None
    with transaction.atomic():
        try:
            view = selectors.view_sheet(actor, sheet_id)
        except (NotFound, Refused) as exc:
            refusal = exc
        else:
            handout = build_handout(view.sheet, language, paper)
            record(
                "sheet.handout_printed",
                actor=actor,
                actor_desk=roles.place_label(actor),
                target_type="sheet",
                target_id=view.sheet.pk,
                resident_id=view.sheet.resident_id,
                details={"language": handout.words.language, "side": view.role},
            )
    if refusal is not None:
        raise refusal
    return handout


def render_html(handout: Handout, *, for_pdf: bool = False) -> str:
    return render_to_string("handoffs/handout.html", {"h": handout, "for_pdf": for_pdf})
