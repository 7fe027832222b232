"""Typed readers for request fields that fail the way Anthropic's API does.

Anthropic reports validation failures as ``<dotted path>: <reason>``, with array indexes as
path segments (``messages.0.content.1.type: ...``); the ``param`` of each ``InvalidRequest``
is that dotted path. ``null`` counts as absent.
"""

from __future__ import annotations

from typing import Any

from polyroute.errors import InvalidRequest

_TYPE_NAMES: dict[type, str] = {
    bool: "a valid boolean",
    int: "a valid integer",
    float: "a valid number",
    str: "a valid string",
    list: "a valid list",
    dict: "a valid dictionary",
}


def join(path: str, key: str | int) -> str:
    return f"{path}.{key}" if path else str(key)


def invalid(param: str, reason: str) -> InvalidRequest:
    return InvalidRequest(f"{param}: {reason}", param=param)


def missing(param: str) -> InvalidRequest:
    return invalid(param, "Field required")


def wrong_type(param: str, expected: type) -> InvalidRequest:
    return invalid(param, f"Input should be {_TYPE_NAMES[expected]}")


def req_str(obj: dict[str, Any], key: str, path: str = "") -> str:
    value = obj.get(key)
    if value is None:
        raise missing(join(path, key))
    if not isinstance(value, str):
        raise wrong_type(join(path, key), str)
    return value


def opt_str(obj: dict[str, Any], key: str, path: str = "") -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise wrong_type(join(path, key), str)


def opt_bool(obj: dict[str, Any], key: str, path: str = "") -> bool | None:
    value = obj.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise wrong_type(join(path, key), bool)


def opt_int(obj: dict[str, Any], key: str, path: str = "", *, minimum: int = 0) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise wrong_type(join(path, key), int)
    if value < minimum:
        raise invalid(join(path, key), f"Input should be greater than or equal to {minimum}")
    return value


def opt_number(
    obj: dict[str, Any], key: str, path: str = "", *, maximum: float | None = None
) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise wrong_type(join(path, key), float)
    if value < 0:
        raise invalid(join(path, key), "Input should be greater than or equal to 0")
    if maximum is not None and value > maximum:
        raise invalid(join(path, key), f"Input should be less than or equal to {maximum:g}")
    return value


def opt_dict(obj: dict[str, Any], key: str, path: str = "") -> dict[str, Any] | None:
    value = obj.get(key)
    if value is None or isinstance(value, dict):
        return value
    raise wrong_type(join(path, key), dict)


def opt_list(obj: dict[str, Any], key: str, path: str = "") -> list[Any] | None:
    value = obj.get(key)
    if value is None or isinstance(value, list):
        return value
    raise wrong_type(join(path, key), list)


def as_dict(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise wrong_type(path, dict)
    return value
