"""Recorded Gemini exchanges and the v1beta spec from ``../shared/specs`` (skipped when absent)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

# The specs folder lives beside the clone: <repo>/../shared/specs.
SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "specs"
EXAMPLES = SPECS / "examples" / "gemini"
OPENAPI = SPECS / "gemini" / "generativelanguage-v1beta.openapi.json"

_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def _require(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} not found (../shared/specs is absent)")


@cache
def _schemas() -> dict[str, Any]:
    return orjson.loads(OPENAPI.read_bytes())["components"]["schemas"]


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while True:
        if "$ref" in schema:
            schema = _schemas()[schema["$ref"].rsplit("/", 1)[1]]
        elif len(schema.get("allOf") or ()) == 1:
            schema = schema["allOf"][0]
        else:
            return schema


def spec_violations(value: Any, schema_name: str) -> list[str]:
    """Where ``value`` breaks the spec schema: unknown field names, wrong JSON types, values
    outside an enum. Free-form schemas (``args``, ``parametersJsonSchema``…) accept anything."""
    problems: list[str] = []
    _check(value, {"$ref": f"#/{schema_name}"}, schema_name, problems)
    return problems


def _check(value: Any, schema: dict[str, Any], path: str, problems: list[str]) -> None:
    schema = _resolve(schema)
    kind = schema.get("type")
    if kind in _TYPES and (
        not isinstance(value, _TYPES[kind]) or (kind != "boolean" and isinstance(value, bool))
    ):
        problems.append(f"{path}: expected {kind}, got {type(value).__name__}")
        return
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{path}: {value!r} not in enum")
    properties = schema.get("properties")
    if isinstance(value, dict) and properties:
        for key, item in value.items():
            if key not in properties:
                problems.append(f"{path}.{key}: unknown field")
            else:
                _check(item, properties[key], f"{path}.{key}", problems)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            _check(item, schema["items"], f"{path}[{i}]", problems)


@pytest.fixture
def spec_check() -> Callable[[Any, str], list[str]]:
    """``spec_check(body, "GenerateContentRequest")`` → the body's violations of the spec."""
    _require(OPENAPI)
    return spec_violations


def load_cassette(name: str) -> list[dict[str, Any]]:
    _require(EXAMPLES / name)
    return yaml.safe_load((EXAMPLES / name).read_text())["interactions"]


def sse_payloads(body: str) -> list[dict[str, Any]]:
    """The JSON chunks of an ``alt=sse`` body (events separated by ``\\r\\n\\r\\n``)."""
    return [
        orjson.loads(line[5:])
        for line in body.replace("\r\n", "\n").split("\n")
        if line.startswith("data:")
    ]


@pytest.fixture
def cassette() -> Callable[[str], list[dict[str, Any]]]:
    """``cassette("generateContent-function-calls.cassette.yaml")`` → its interactions."""
    return load_cassette


@pytest.fixture
def sse() -> Callable[[str], list[dict[str, Any]]]:
    return sse_payloads
