"""Typed readers for request fields that fail the way OpenAI does.

Each reader takes the body (or sub-object), the key, and the param path used in the error,
treats ``null`` as absent, and raises ``InvalidRequest`` naming the offending path.
"""

from __future__ import annotations

from typing import Any

from polyroute.errors import InvalidRequest

_TYPE_NAMES: dict[type, str] = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "an array",
    dict: "an object",
    type(None): "null",
}


def type_name(value: object) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def wrong_type(param: str, expected: str, value: object) -> InvalidRequest:
    return InvalidRequest(
        f"Invalid type for '{param}': expected {expected}, but got {type_name(value)} instead.",
        param=param,
        code="invalid_type",
    )


def invalid_value(param: str, message: str) -> InvalidRequest:
    return InvalidRequest(
        f"Invalid value for '{param}': {message}", param=param, code="invalid_value"
    )


def missing(param: str) -> InvalidRequest:
    return InvalidRequest(
        f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
    )


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def opt_str(obj: dict[str, Any], key: str, path: str = "") -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise wrong_type(join(path, key), "a string", value)


def req_str(obj: dict[str, Any], key: str, path: str = "", *, nonempty: bool = True) -> str:
    value = obj.get(key)
    if value is None:
        raise missing(join(path, key))
    if not isinstance(value, str):
        raise wrong_type(join(path, key), "a string", value)
    if nonempty and not value:
        raise invalid_value(join(path, key), "expected a non-empty string.")
    return value


def opt_bool(obj: dict[str, Any], key: str, path: str = "") -> bool | None:
    value = obj.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise wrong_type(join(path, key), "a boolean", value)


def opt_int(
    obj: dict[str, Any],
    key: str,
    path: str = "",
    *,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    # JSON has one number type: accept 3.0 for an integer field, as OpenAI does; never a bool.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise wrong_type(join(path, key), "an integer", value)
    _check_range(join(path, key), value, minimum, maximum)
    if not _INT64_MIN <= value <= _INT64_MAX:  # no provider takes more; nor does orjson
        raise InvalidRequest(
            f"Invalid '{join(path, key)}': {value} does not fit in a 64-bit integer.",
            param=join(path, key),
            code="integer_out_of_range",
        )
    return value


def opt_number(
    obj: dict[str, Any],
    key: str,
    path: str = "",
    *,
    minimum: float | None = None,
    maximum: float | None = None,
) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise wrong_type(join(path, key), "a number", value)
    _check_range(join(path, key), value, minimum, maximum)
    return value


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _check_range(param: str, value: float, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and value < minimum:
        raise InvalidRequest(
            f"Invalid '{param}': {value} is below the minimum of {minimum}.",
            param=param,
            code="integer_below_min_value" if isinstance(value, int) else "decimal_below_min_value",
        )
    if maximum is not None and value > maximum:
        raise InvalidRequest(
            f"Invalid '{param}': {value} is above the maximum of {maximum}.",
            param=param,
            code="integer_above_max_value" if isinstance(value, int) else "decimal_above_max_value",
        )


def opt_object(obj: dict[str, Any], key: str, path: str = "") -> dict[str, Any] | None:
    value = obj.get(key)
    if value is None or isinstance(value, dict):
        return value
    raise wrong_type(join(path, key), "an object", value)


def opt_stop(obj: dict[str, Any], key: str, path: str = "") -> list[str] | None:
    """``stop``: a string or an array of strings."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise wrong_type(f"{join(path, key)}[{i}]", "a string", item)
        return list(value)
    raise wrong_type(join(path, key), "a string or an array of strings", value)


def extra_fields(body: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """Top-level fields with no canonical slot, kept verbatim."""
    return {k: v for k, v in body.items() if k not in known}
