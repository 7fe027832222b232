"""Model listings and embeddings in each provider's shape (deterministic vectors)."""

from __future__ import annotations

import base64
import hashlib
import math
import struct
import uuid
from typing import Any

from polyroute.emulators.openai_compat.profiles import ModelCard, Profile

_CREATED = 1_717_200_000


def model_entry(profile: Profile, card: ModelCard) -> dict[str, Any]:
    shape = profile.usage_shape
    if shape == "openrouter":
        inputs = ["text", "image"] if card.vision else ["text"]
        return {
            "id": card.id,
            "canonical_slug": card.id,
            "name": card.id,
            "created": _CREATED,
            "description": f"{card.id} (emulated)",
            "context_length": card.context_window,
            "architecture": {
                "modality": f"{'+'.join(inputs)}->text",
                "input_modalities": inputs,
                "output_modalities": ["text"],
            },
            "pricing": {"prompt": "0.00000015", "completion": "0.0000006"},
            "supported_parameters": [
                "max_tokens",
                "temperature",
                "tools",
                "tool_choice",
                "response_format",
                "stop",
                "seed",
            ],
        }
    entry: dict[str, Any] = {
        "id": card.id,
        "object": "model",
        "created": _CREATED,
        "owned_by": card.owned_by,
    }
    if shape == "mistral":
        chat = card.kind == "chat"
        entry.update(
            capabilities={
                "completion_chat": chat,
                "completion_fim": card.fim,
                "function_calling": chat,
                "fine_tuning": False,
                "vision": card.vision,
                "classification": False,
            },
            name=card.id,
            description=f"{card.id} (emulated)",
            max_context_length=card.context_window,
            aliases=[],
            deprecation=None,
            default_model_temperature=0.3 if chat else None,
            type="base",
        )
    return entry


def models_body(profile: Profile) -> dict[str, Any]:
    data = [model_entry(profile, card) for card in profile.models]
    if profile.usage_shape == "openrouter":
        return {"data": data}
    return {"object": "list", "data": data}


def vector(text: str, model: str, dims: int) -> list[float]:
    """A unit vector derived from sha256(model, text)."""
    raw = b""
    counter = 0
    while len(raw) < dims * 2:
        raw += hashlib.sha256(f"{model}\x00{counter}\x00{text}".encode()).digest()
        counter += 1
    values = [(int.from_bytes(raw[2 * i : 2 * i + 2], "little") / 32767.5) - 1 for i in range(dims)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [round(v / norm, 8) for v in values]


def embeddings_body(profile: Profile, card: ModelCard, body: dict[str, Any]) -> dict[str, Any]:
    inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
    field = profile.embedding_dimensions_field
    dims = int(body[field]) if field and field in body else card.dimensions
    data = []
    for i, item in enumerate(inputs):
        vec: Any = vector(str(item), card.id, dims)
        if body.get("encoding_format") == "base64":
            vec = base64.b64encode(struct.pack(f"<{dims}f", *vec)).decode()
        data.append({"object": "embedding", "index": i, "embedding": vec})
    tokens = sum(math.ceil(len(str(item)) / 4) for item in inputs)
    out: dict[str, Any] = {
        "object": "list",
        "data": data,
        "model": card.id,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    if profile.usage_shape == "mistral":
        out = {"id": uuid.uuid4().hex, **out}
        out["usage"]["completion_tokens"] = 0
    return out
