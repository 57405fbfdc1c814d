"""One way to read a JSON body: strict JSON (referral_hub.json_parser), an object, no unknown
fields, every field validated."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from referral_hub.api_errors import ApiError


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """Validate ``data`` or raise a 400 the client can act on. Unknown fields are refused rather
    than dropped: a typo such as ``detail`` for ``details`` must not silently lose tax details."""
    if not hasattr(data, "keys"):
        raise ApiError(
            "malformed_request", "JSONオブジェクトを送ってください。/ Send a JSON object.", 400
        )
    form = serializer_class(data=data)
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
