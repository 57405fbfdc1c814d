"""One way to read what comes in: a strict JSON object (referral_hub.json_parser) with no unknown
fields, every field validated,
free text cleaned of invisible characters, ids within bigint, dates within a plausible range.

The rules here are the one place both the API serializers and the page forms
(``frontend/forms``) take them from, so a value refused on one path is refused on the other.
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone
from rest_framework import serializers

from referral_hub import wareki
from referral_hub.api_errors import ApiError
from referral_hub.url_converters import MAX_ID
from referral_hub.vault.filenames import drop_invisible

# Query dates outside this range find nothing and overflow date arithmetic (day + 1).
EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_QUERY_DATE = datetime.date(2199, 12, 31)
# Nested JSON deeper than this is not something any client of ours sends.
MAX_CLEAN_DEPTH = 32


# --- free text -----------------------------------------------------------------------------------


def clean_text(value: str) -> str:
    """NFC, and without the characters the filename rule drops (``vault.filenames``): Unicode
    format characters such as U+202E RIGHT-TO-LEFT OVERRIDE (which shows "田山" as "山田"),
    zero-width spaces, surrogates, private use, and control characters. Line breaks and tabs
    stay (narratives have paragraphs); CR LF becomes LF."""
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    return drop_invisible(text, keep="\n\t")


_BODY_NUL_DETAIL = "使えない文字(NUL)が含まれています。/ A text field contains NUL."


def _clean_tree(value: Any, depth: int = 0) -> Any:
    if depth > MAX_CLEAN_DEPTH:
        raise ApiError(
            "malformed_request", "JSONの入れ子が深すぎます。/ The JSON is nested too deeply.", 400
        )
    if isinstance(value, str):
        if "\x00" in value:  # PostgreSQL refuses NUL; dropping it silently would alter the text
            raise ApiError("malformed_request", _BODY_NUL_DETAIL, 400)
        return clean_text(value)
    if isinstance(value, list):
        return [_clean_tree(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {key: _clean_tree(item, depth + 1) for key, item in value.items()}
    return value


def clean_json(data: Any) -> Any:
    """A parsed JSON body with every string cleaned (``clean_text``); other shapes as given."""
    if isinstance(data, dict) and not hasattr(data, "getlist"):
        return _clean_tree(data)
    return data


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """Validate ``data`` or raise a 400 the client can act on. Unknown fields are refused rather
    than dropped: a typo such as ``detail`` for ``details`` must not silently lose tax details.
    Every string is cleaned (``clean_text``) before validation, so a name that is only a bidi
    override counts as empty."""
    if not hasattr(data, "keys"):
        raise ApiError(
            "malformed_request", "JSONオブジェクトを送ってください。/ Send a JSON object.", 400
        )
    form = serializer_class(data=clean_json(data))
    unknown = sorted(set(data.keys()) - set(form.fields))
    if unknown:
        error = ApiError(
            "unknown_field",
            f"不明な項目があります: {', '.join(unknown)} / Unknown field(s): {', '.join(unknown)}",
            400,
        )
        error.field = unknown[0]  # type: ignore[attr-defined]
        raise error
    form.is_valid(raise_exception=True)
    return dict(form.validated_data)


class NormalisedCharField(serializers.CharField):
    """A text field stored in one canonical form: ``normalise`` (``consent.kana.to_katakana``,
    ``to_phone``) returns it, or raises ``ValueError`` with the message for the client."""

    def __init__(self, *, normalise: Callable[[str], str], **kwargs: Any) -> None:
        self.normalise = normalise
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        try:
            return self.normalise(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc), code="invalid") from exc


# --- dates ---------------------------------------------------------------------------------------


def _date_between(low: datetime.date, high: datetime.date, message: str) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        day = value.date() if isinstance(value, datetime.datetime) else value
        if day is not None and not low <= day <= high:
            raise ValidationError(message, code="implausible_date")

    return check


def plausible_query_date(value: Any) -> None:
    """A date (or datetime) used to search: 1900-01-01 to 2199-12-31."""
    _date_between(
        EARLIEST_DATE,
        LATEST_QUERY_DATE,
        "1900年から2199年までの日付を指定してください。/ Use a date between 1900 and 2199.",
    )(value)


class WarekiDateField(serializers.DateField):
    """A date as ISO 8601 or as clerks type it in 和暦 (昭和55年4月1日, S55.4.1, R2/1/1, 元年;
    ``referral_hub.wareki``). An invalid era date (昭和65年) is refused with why."""

    def to_internal_value(self, value: Any) -> datetime.date:
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return value
        if not isinstance(value, str):
            self.fail("invalid", format="YYYY-MM-DD")
        try:
            return wareki.parse_date(value)
        except wareki.InvalidDate as invalid:
            raise serializers.ValidationError(invalid.message, code="invalid") from None


def plausible_received_on(value: Any) -> None:
    """The day a request was received: today (local) or at most two years ago."""
    today = timezone.localdate()
    try:
        low = today.replace(year=today.year - 2)
    except ValueError:  # 29 February
        low = today.replace(year=today.year - 2, day=28)
    _date_between(
        low,
        today,
        "受付日は今日から2年前までの日付を入力してください。"
        " / received_on lies between two years ago and today.",
    )(value)


def plausible_birth_date(value: Any) -> None:
    """A birth date: from 1900-01-01 to today (local)."""
    _date_between(
        EARLIEST_DATE,
        timezone.localdate(),
        "生年月日は1900年1月1日から今日までの日付を入力してください。"
        " / A birth date lies between 1900-01-01 and today.",
    )(value)


def latest_valid_until() -> datetime.date:
    """Today plus ``RETENTION_YEARS``: a consent cannot outlive the records it covers."""
    today = timezone.localdate()
    years = int(settings.RETENTION_YEARS)
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February
        return today.replace(year=today.year + years, day=28)


def plausible_valid_until(value: Any) -> None:
    """A consent's end date: at most the retention period (``RETENTION_YEARS``) ahead."""
    if value is not None and value > latest_valid_until():
        raise ValidationError(
            f"有効期限は{latest_valid_until():%Y年%m月%d日}(保存期間の終わり)までにしてください。"
            " / valid_until may be at most the retention period ahead.",
            code="valid_until_too_far",
        )


def parse_id(value: object) -> int | None:
    """A row id sent as text (a form field, a query parameter): ASCII digits from 1 to
    2**63 − 1, else None. ``str.isdigit`` is not enough: "²" passes it and ``int`` fails."""
    text = str(value)
    if not (text.isascii() and text.isdecimal()):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


class IdField(serializers.IntegerField):
    """A row id in a JSON body or query: 1 to 2**63 − 1 (PostgreSQL bigint)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


# --- query strings -------------------------------------------------------------------------------

_NUL_DETAIL = (
    "URLのパラメータに使えない文字(NUL)が含まれています。/ A query parameter contains NUL."
)


class QueryStringGuard:
    """Refuse a query string with a NUL byte in any name or value, before any view, query
    or audit write sees it (PostgreSQL refuses NUL in text: issue 15, input 2). API paths
    answer 400 JSON ``malformed_request``; pages a Japanese 400 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.META.get("QUERY_STRING", "") or _has_nul(request):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"code": "malformed_request", "detail": _NUL_DETAIL}, status=400
                )
            return HttpResponseBadRequest(render_to_string("400.html", request=request))
        return self.get_response(request)


def _has_nul(request: HttpRequest) -> bool:
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in request.GET.lists()
    )
