"""The JSON parser every API view uses (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``).

It imports nothing from DRF's views: DRF reads that setting while ``rest_framework.views`` is
being imported, so a parser module that imports the views (or ``api_errors``) is circular.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer

MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays/objects accepted. Real bodies nest three or four levels; Python's
parser recurses per level and dies with RecursionError (a 500) near a thousand."""

# A JSON string, or an unterminated one up to the end of the text. Possessive, and never failing
# once it has started at a quote, so the scan stays linear: a pattern that can fail would retry
# from every escaped quote inside an unterminated string, quadratic in the body size.
_STRINGS = re.compile(r'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


def _malformed(detail: str) -> ParseError:
    return ParseError(detail)


def json_depth(text: str, stop_above: int | None = None) -> int:
    """The deepest nesting of ``[``/``{`` in ``text``, ignoring brackets inside strings; linear
    in the length. With ``stop_above``, returns as soon as the depth passes it."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub("", text)):
        if bracket in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_above is not None and deepest > stop_above:
                    break
        else:
            depth -= 1
    return deepest


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise _malformed(
                f"同じ項目が二度あります: {key} / Duplicate key in JSON object: {key}"[:200]
            )
        seen[key] = value
    return seen


def _refuse_constant(name: str) -> Any:
    raise _malformed(f"JSONの値ではありません: {name} / Not a JSON value: {name}")


def parse_json_bytes(raw: bytes) -> Any:
    """Parse a request body as JSON (RFC 8259): strict UTF-8, no duplicate keys, no NaN or
    Infinity, at most :data:`MAX_JSON_DEPTH` levels. Raises DRF's ``ParseError``, which the API
    answers as 400 ``malformed_request``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _malformed("本文がUTF-8ではありません。/ The body is not valid UTF-8.") from None
    if json_depth(text, stop_above=MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise _malformed(
            f"JSONの入れ子が深すぎます(最大{MAX_JSON_DEPTH}段)。"
            f"/ JSON nested deeper than {MAX_JSON_DEPTH} levels."
        )
    try:
        return json.loads(
            text, object_pairs_hook=_refuse_duplicates, parse_constant=_refuse_constant
        )
    except ValueError as error:  # JSONDecodeError is a ValueError
        if isinstance(error, json.JSONDecodeError):
            raise _malformed(
                f"JSONとして読めません({error.msg}、{error.pos}文字目)。"
                f"/ JSON parse error: {error.msg} at character {error.pos}."
            ) from None
        raise
    except RecursionError:  # belt and braces: the depth check above should make this impossible
        raise _malformed("JSONの入れ子が深すぎます。/ JSON nested too deeply.") from None


class StrictJSONParser(BaseParser):
    """DRF's JSONParser, made strict: JSON is UTF-8 whatever ``charset`` the client declares
    (a ``charset`` other than UTF-8 is refused rather than used to decode UTF-8 bytes into
    mojibake), duplicate keys are refused rather than the last one silently winning, and the
    nesting depth is bounded."""

    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(
        self,
        stream: IO[bytes] | None,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        charset = _charset(media_type or "")
        if charset and charset.replace("-", "").replace("_", "") != "utf8":
            raise _malformed(
                f"JSONはUTF-8で送ってください(charset={charset[:40]}は使えません)。"
                f"/ JSON must be UTF-8; charset={charset[:40]} is not accepted."
            )
        return parse_json_bytes(stream.read() if stream is not None else b"")


def _charset(media_type: str) -> str:
    for parameter in media_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return ""
