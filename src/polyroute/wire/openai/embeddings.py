"""``POST /v1/embeddings``: request and response, both directions.

``input`` may be a string, an array of strings, an array of token ids, or an array of
token-id arrays; the canonical request keeps a list plus whether the client sent a list.
"""

from __future__ import annotations

import os
from typing import Any

from polyroute.canonical import Embedding, EmbeddingRequest, EmbeddingResponse, Usage
from polyroute.errors import InvalidRequest
from polyroute.wire.openai.fields import (
    extra_fields,
    invalid_value,
    missing,
    opt_int,
    opt_str,
    req_str,
    wrong_type,
)
from polyroute.wire.openai.responses import decode_usage

_KNOWN = frozenset({"model", "input", "dimensions", "encoding_format", "user"})
_EXPECTED_INPUT = "a string, an array of strings, or an array of token ids"


def decode_embedding_request(body: object) -> EmbeddingRequest:
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.", code="invalid_body")
    model = req_str(body, "model")
    inputs, was_list = _decode_input(body.get("input"))
    encoding = opt_str(body, "encoding_format")
    if encoding not in (None, "float", "base64"):
        raise invalid_value("encoding_format", f"'{encoding}' is not one of 'float', 'base64'.")
    return EmbeddingRequest(
        model=model,
        inputs=inputs,
        dimensions=opt_int(body, "dimensions", minimum=1),
        encoding_format=encoding,  # type: ignore[arg-type]  # checked just above
        user=opt_str(body, "user"),
        input_was_list=was_list,
        extra=extra_fields(body, _KNOWN),
    )


def _decode_input(value: object) -> tuple[list[str] | list[list[int]], bool]:
    if value is None:
        raise missing("input")
    if isinstance(value, str):
        _nonempty_string("input", value)
        return [value], False
    if not isinstance(value, list):
        raise wrong_type("input", _EXPECTED_INPUT, value)
    if not value:
        raise invalid_value("input", "expected a non-empty array.")
    first = value[0]
    if isinstance(first, str):
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise wrong_type(f"input[{i}]", "a string", item)
            _nonempty_string(f"input[{i}]", item)
        return list(value), True
    if _is_token(first):
        return [_token_ids("input", value)], False
    if isinstance(first, list):
        return [_token_ids(f"input[{i}]", item) for i, item in enumerate(value)], True
    raise wrong_type("input[0]", "a string, a token id or an array of token ids", first)


def _is_token(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _token_ids(path: str, value: object) -> list[int]:
    if not isinstance(value, list):
        raise wrong_type(path, "an array of token ids", value)
    if not value:
        raise invalid_value(path, "expected a non-empty array of token ids.")
    for i, token in enumerate(value):
        if not _is_token(token) or token < 0:
            raise wrong_type(f"{path}[{i}]", "a non-negative integer token id", token)
    return list(value)


def _nonempty_string(path: str, value: str) -> None:
    if not value:
        raise invalid_value(path, "expected a non-empty string.")


def encode_embedding_request(req: EmbeddingRequest, model: str) -> dict[str, Any]:
    """The reference OpenAI embeddings body for ``req``, sent as ``model``."""
    inputs: Any = req.inputs if req.input_was_list or len(req.inputs) != 1 else req.inputs[0]
    body: dict[str, Any] = {"model": model, "input": inputs}
    if req.dimensions is not None:
        body["dimensions"] = req.dimensions
    if req.encoding_format is not None:
        body["encoding_format"] = req.encoding_format
    if req.user is not None:
        body["user"] = req.user
    for key, value in req.extra.items():
        body.setdefault(key, value)
    return body


# -- responses --------------------------------------------------------------------------


def encode_embedding_response(resp: EmbeddingResponse) -> dict[str, Any]:
    # ``id`` is not in OpenAI's shape but Mistral's SDK requires it; OpenAI's SDK ignores it.
    return {
        "id": resp.id or f"embd-{os.urandom(16).hex()}",
        "object": "list",
        "data": [
            {"object": "embedding", "index": e.index, "embedding": e.vector} for e in resp.data
        ],
        "model": resp.model,
        "usage": {
            "prompt_tokens": resp.usage.input_tokens,
            "total_tokens": resp.usage.total_tokens,
        },
    }


def decode_embedding_response(body: dict[str, Any]) -> EmbeddingResponse:
    data = body.get("data") or []
    embeddings = [
        Embedding(index=item.get("index", i), vector=item.get("embedding") or [])
        for i, item in enumerate(data)
        if isinstance(item, dict)
    ]
    usage = body.get("usage")
    return EmbeddingResponse(
        model=body.get("model") or "",
        data=embeddings,
        usage=decode_usage(usage) if isinstance(usage, dict) else Usage(),
        id=body.get("id") if isinstance(body.get("id"), str) else None,
    )
