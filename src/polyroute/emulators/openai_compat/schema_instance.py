"""A deterministic JSON value that is valid for a JSON schema (the subset tools use)."""

from __future__ import annotations

from typing import Any


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return node
    target: Any = root
    for part in ref[2:].split("/"):
        target = target.get(part, {}) if isinstance(target, dict) else {}
    return _resolve(target, root) if isinstance(target, dict) else {}


def instance_for(node: Any, root: dict[str, Any], *, hint: str = "example", depth: int = 0) -> Any:
    """A value valid for ``node``: required object properties filled, strings from ``hint``."""
    if not isinstance(node, dict) or depth > 8:
        return None
    node = _resolve(node, root)
    if "const" in node:
        return node["const"]
    if node.get("enum"):
        return node["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if node.get(key):
            options = [o for o in node[key] if _resolve(o, root).get("type") != "null"]
            return instance_for((options or node[key])[0], root, hint=hint, depth=depth + 1)
    kind = node.get("type", "object" if "properties" in node else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    return _by_type(kind, node, root, hint, depth)


def _by_type(kind: str, node: dict[str, Any], root: dict[str, Any], hint: str, depth: int) -> Any:
    if kind == "object":
        props = node.get("properties") or {}
        return {
            name: instance_for(sub, root, hint=hint, depth=depth + 1) for name, sub in props.items()
        }
    if kind == "array":
        count = max(1, int(node.get("minItems", 1)))
        item = instance_for(node.get("items") or {}, root, hint=hint, depth=depth + 1)
        return [item] * count
    if kind in ("integer", "number"):
        low = node.get("minimum", node.get("exclusiveMinimum", 0) + 1)
        value = min(low, node["maximum"]) if "maximum" in node else low
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    text = hint or "example"
    min_len = int(node.get("minLength", 0))
    text = text.ljust(min_len, "x")
    if "maxLength" in node:
        text = text[: int(node["maxLength"])]
    return text
