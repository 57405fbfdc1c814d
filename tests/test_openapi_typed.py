"""Every API operation describes what it returns (issue 16, input 12): a typed 2xx body (an
object with properties, a list of typed items, a file as binary) and the error body
``{"code","detail"}`` on every 4xx it declares. Real responses are checked against the
declared schema for the sheets API (tests/handoffs/test_openapi_responses.py, with ``check``
from here), so a body and its description cannot drift apart."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft202012Validator

SHEET_OPERATIONS = 20  # 2 on /sheets/, detail, events, 2 on messages, 9 actions, attachments,
# handout, arrived, 2 on contact-attempts


def generated_schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return generated_schema()


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def untyped(schema: dict[str, Any], node: dict[str, Any] | None) -> str | None:
    """Why a JSON body's schema says nothing about its shape, or None when it is typed."""
    if not node:
        return "no schema"
    node = resolve(schema, node)
    for key in ("oneOf", "anyOf"):
        if key in node:
            reasons = [untyped(schema, option) for option in node[key]]
            return next((r for r in reasons if r), None)
    if node.get("type") == "array":
        return untyped(schema, node.get("items")) and "a list of untyped items"
    if node.get("type") == "object" or "properties" in node or "additionalProperties" in node:
        return None if node.get("properties") else "an object without properties"
    return f"not an object or a list ({node.get('type')})"


def is_error_body(schema: dict[str, Any], node: dict[str, Any] | None) -> bool:
    if not node:
        return False
    node = resolve(schema, node)
    properties = node.get("properties", {})
    return {"code", "detail"} <= set(node.get("required", [])) and all(
        resolve(schema, properties[name]).get("type") == "string" for name in ("code", "detail")
    )


def operations(schema: dict[str, Any]):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_success_response_is_typed(schema):
    problems = []
    for path, method, operation in operations(schema):
        for status, response in operation["responses"].items():
            if not status.startswith("2") or status == "204":
                continue
            content = response.get("content")
            if not content:
                problems.append(f"{method.upper()} {path} {status}: no content")
                continue
            for media_type, body in content.items():
                if "json" in media_type:
                    reason = untyped(schema, body.get("schema"))
                elif body.get("schema", {}).get("type") == "string":
                    reason = None  # a file or CSV: bytes
                else:
                    reason = "a non-JSON body without a string schema"
                if reason:
                    problems.append(f"{method.upper()} {path} {status} {media_type}: {reason}")
    assert problems == []


def test_every_declared_client_error_carries_the_error_body(schema):
    problems = [
        f"{method.upper()} {path} {status}"
        for path, method, operation in operations(schema)
        for status, response in operation["responses"].items()
        if status.startswith("4")
        and not any(
            is_error_body(schema, body.get("schema"))
            for media_type, body in response.get("content", {}).items()
            if "json" in media_type
        )
    ]
    assert problems == []


def test_every_sheet_operation_declares_its_refusals(schema):
    sheet_operations = [
        (path, method, operation)
        for path, method, operation in operations(schema)
        if path.startswith("/api/v1/sheets/")
    ]
    assert len(sheet_operations) == SHEET_OPERATIONS
    # The gate may refuse every operation on one sheet, and the sheet may not exist.
    missing = [
        f"{method.upper()} {path} {status}"
        for path, method, operation in sheet_operations
        if "{sheet_id}" in path
        for status in ("403", "404")
        if status not in operation["responses"]
    ]
    assert missing == []


def test_lists_are_declared_as_lists(schema):
    for path in ("/api/v1/sheets/{sheet_id}/events/", "/api/v1/sheets/{sheet_id}/messages/"):
        body = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        assert body["schema"]["type"] == "array", path
        assert resolve(schema, body["schema"]["items"])["properties"], path


# --- real responses against their declared schema -------------------------------------------


def as_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 → JSON Schema: ``nullable`` becomes a null alternative, and an object with
    properties admits no undeclared keys (a field added to a body must be described)."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: as_json_schema(value) for key, value in node.items()}
    if "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    if node.pop("nullable", False):
        if "type" in node and "enum" not in node:
            node["type"] = [node["type"], "null"]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    node.pop("discriminator", None)
    return node


def check(schema: dict[str, Any], path: str, method: str, status: int, body: Any) -> None:
    response = schema["paths"][path][method]["responses"][str(status)]
    declared = copy.deepcopy(response["content"]["application/json"]["schema"])
    root = as_json_schema({**declared, "components": schema["components"]})
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in Draft202012Validator(root).iter_errors(body)
    ]
    assert errors == [], (method.upper(), path, status)
