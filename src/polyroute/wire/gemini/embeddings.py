"""Canonical embeddings to Gemini's ``:batchEmbedContents`` and back.

One ``EmbedContentRequest`` per input (``{model: "models/x", content: {parts: [{text}]},
outputDimensionality}``); ``taskType`` and ``title`` from the client's ``extra`` are copied
into each. Gemini embeds text only, so token-id inputs are refused.

Usage: newer responses carry ``usageMetadata.promptTokenCount``, which is used when present.
Otherwise Gemini reports nothing and the input is *estimated* at Google's documented rate of
about four characters a token (rounded up per input), so cost tracking is close rather than
zero.
"""

from __future__ import annotations

import base64
import math
import struct
from typing import Any

from polyroute.canonical import Embedding, EmbeddingRequest, EmbeddingResponse, Usage
from polyroute.errors import InvalidRequest
from polyroute.wire.gemini.requests import model_resource
from polyroute.wire.gemini.responses import count

EXTRA_FIELDS = {"taskType": "taskType", "task_type": "taskType", "title": "title"}
"""Client ``extra`` keys copied into each ``EmbedContentRequest``."""


def encode_embed_request(req: EmbeddingRequest, model: str) -> dict[str, Any]:
    if any(not isinstance(text, str) for text in req.inputs):
        raise InvalidRequest(
            "Gemini embeds text only; token-id inputs are not supported.", param="input"
        )
    template: dict[str, Any] = {"model": model_resource(model)}
    if req.dimensions is not None:
        template["outputDimensionality"] = req.dimensions
    for key, value in req.extra.items():
        if key in EXTRA_FIELDS:
            template[EXTRA_FIELDS[key]] = value
    return {
        "requests": [{**template, "content": {"parts": [{"text": text}]}} for text in req.inputs]
    }


def estimate_tokens(inputs: list[str] | list[list[int]]) -> int:
    return sum(math.ceil(len(text) / 4) for text in inputs if isinstance(text, str))


def decode_embed_response(
    body: dict[str, Any], req: EmbeddingRequest, model: str
) -> EmbeddingResponse:
    data = []
    for index, item in enumerate(body.get("embeddings") or []):
        values = [float(v) for v in (item.get("values") or [])] if isinstance(item, dict) else []
        vector: list[float] | str = values
        if req.encoding_format == "base64":
            vector = base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode()
        data.append(Embedding(index=index, vector=vector))
    meta = body.get("usageMetadata")
    tokens = count(meta.get("promptTokenCount")) if isinstance(meta, dict) else 0
    return EmbeddingResponse(
        model=model,
        data=data,
        usage=Usage(input_tokens=tokens or estimate_tokens(req.inputs)),
    )
