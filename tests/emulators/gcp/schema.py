"""Request-body validation against Google's compute v1 discovery document.

The document ships with google-api-python-client
(``googleapiclient/discovery_cache/documents/compute.v1.json``); it is the same description
Google's own client libraries are generated from, so a field the emulator accepts is a field
the real API knows, with the same JSON type.

Messages follow what the real API answers (Google APIs "Errors" guide, error model):
an unknown field is ``Invalid JSON payload received. Unknown name "x" at 'resource': Cannot
find field.``, a wrong type ``Invalid value at 'resource.bgp.asn' (TYPE_UINT32), "abc"``, a
missing required field ``Required field 'resource.name' not specified`` -- paths in the proto
(snake_case) spelling the real API uses.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import googleapiclient

DISCOVERY = Path(googleapiclient.__file__).parent / "discovery_cache/documents/compute.v1.json"

_INT_RANGES = {
    "int32": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint64": (0, 2**64 - 1),
}
_PROTO_TYPES = {
    "int32": "TYPE_INT32",
    "uint32": "TYPE_UINT32",
    "int64": "TYPE_INT64",
    "uint64": "TYPE_UINT64",
    "boolean": "TYPE_BOOL",
    "string": "TYPE_STRING",
    "number": "TYPE_DOUBLE",
}


class SchemaError(Exception):
    """A request body the real API would reject with 400 (reason ``invalid`` or ``required``)."""

    def __init__(self, message: str, reason: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


@functools.cache
def discovery() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DISCOVERY.read_text())
    return document


def snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def method(resource: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = discovery()["resources"][resource]["methods"][name]
    return found


def validate(body: Any, schema_name: str, method_id: str) -> None:
    """Raise :class:`SchemaError` if ``body`` is not a valid ``schema_name`` for ``method_id``."""
    _check(body, {"$ref": schema_name}, "resource", method_id)


def _check(value: Any, spec: dict[str, Any], path: str, method_id: str) -> None:
    if "$ref" in spec:
        schema = discovery()["schemas"][spec["$ref"]]
        if not isinstance(value, dict):
            raise SchemaError(f"Invalid value at '{path}' (type.googleapis.com/{spec['$ref']})")
        _check_object(value, schema, path, method_id)
        return
    kind = spec.get("type")
    if kind == "array":
        if not isinstance(value, list):
            raise SchemaError(f"Invalid value at '{path}' (type.googleapis.com/list), {value!r}")
        for index, item in enumerate(value):
            _check(item, spec["items"], f"{path}[{index}]", method_id)
    elif kind == "object":
        if not isinstance(value, dict):
            raise SchemaError(f"Invalid value at '{path}' (type.googleapis.com/map), {value!r}")
        if "properties" in spec:
            _check_object(value, spec, path, method_id)
        elif "additionalProperties" in spec:
            for key, item in value.items():
                _check(item, spec["additionalProperties"], f"{path}[{key!r}]", method_id)
    elif kind == "string":
        _check_string(value, spec, path)
    elif kind == "integer":
        _check_integer(value, spec.get("format", "int32"), path)
    elif kind == "boolean":
        if not isinstance(value, bool):
            raise SchemaError(f"Invalid value at '{path}' (TYPE_BOOL), {json.dumps(value)}")
    elif kind == "number" and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise SchemaError(f"Invalid value at '{path}' (TYPE_DOUBLE), {json.dumps(value)}")


def _check_object(value: dict[str, Any], schema: dict[str, Any], path: str, method_id: str) -> None:
    properties: dict[str, Any] = schema.get("properties", {})
    for key, item in value.items():
        if key not in properties:
            raise SchemaError(
                f"Invalid JSON payload received. Unknown name \"{key}\" at '{path}': "
                "Cannot find field."
            )
        _check(item, properties[key], f"{path}.{snake(key)}", method_id)
    for key, spec in properties.items():
        required = spec.get("annotations", {}).get("required", [])
        if method_id in required and value.get(key) in (None, "", []):
            raise SchemaError(
                f"Required field '{path}.{snake(key)}' not specified", reason="required"
            )


def _check_string(value: Any, spec: dict[str, Any], path: str) -> None:
    fmt = spec.get("format")
    if fmt in _INT_RANGES:
        # proto3 JSON: 64-bit integers are strings, but numbers are accepted too.
        _check_integer(value, fmt, path)
        return
    if not isinstance(value, str):
        raise SchemaError(f"Invalid value at '{path}' (TYPE_STRING), {json.dumps(value)}")
    if "enum" in spec and value not in spec["enum"]:
        raise SchemaError(f"Invalid value at '{path}' (TYPE_ENUM), {json.dumps(value)}")


def _check_integer(value: Any, fmt: str, path: str) -> None:
    number: int | None = None
    integral = isinstance(value, float) and value.is_integer()
    numeric = isinstance(value, str) and re.fullmatch(r"-?\d+", value) is not None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif integral or numeric:
        number = int(value)
    low, high = _INT_RANGES.get(fmt, _INT_RANGES["int64"])
    if number is None or not low <= number <= high:
        proto = _PROTO_TYPES.get(fmt, "TYPE_INT64")
        raise SchemaError(f"Invalid value at '{path}' ({proto}), {json.dumps(value)}")
