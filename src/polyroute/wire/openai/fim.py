"""Mistral's fill-in-the-middle body (``POST /v1/fim/completions``), both directions.

The FIM answer is chat-completion shaped, so responses and stream chunks use the chat
codecs. Mistral always reports usage on a FIM stream's last chunk, so a FIM client gets it
unless it explicitly opts out with ``stream_options.include_usage: false``.
"""

from __future__ import annotations

from typing import Any

from polyroute.canonical import FimRequest
from polyroute.errors import InvalidRequest
from polyroute.wire.openai.fields import (
    extra_fields,
    opt_bool,
    opt_int,
    opt_number,
    opt_object,
    opt_stop,
    opt_str,
    req_str,
)

_KNOWN = frozenset(
    {
        "model", "prompt", "suffix", "max_tokens", "min_tokens", "stop", "random_seed",
        "temperature", "top_p", "stream", "stream_options",
    }
)  # fmt: skip


def decode_fim_request(body: object) -> FimRequest:
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.", code="invalid_body")
    model = req_str(body, "model")
    prompt = req_str(body, "prompt", nonempty=False)
    stream = bool(opt_bool(body, "stream"))
    options = opt_object(body, "stream_options") or {}
    include_usage = opt_bool(options, "include_usage", "stream_options")
    return FimRequest(
        model=model,
        prompt=prompt,
        suffix=opt_str(body, "suffix"),
        stream=stream,
        max_tokens=opt_int(body, "max_tokens", minimum=0),
        min_tokens=opt_int(body, "min_tokens", minimum=0),
        temperature=opt_number(body, "temperature", minimum=0, maximum=1.5),
        top_p=opt_number(body, "top_p", minimum=0, maximum=1),
        stop=opt_stop(body, "stop"),
        seed=opt_int(body, "random_seed", minimum=0),
        include_usage=stream and include_usage is not False,
        extra=extra_fields(body, _KNOWN),
    )


def encode_fim_request(req: FimRequest, model: str) -> dict[str, Any]:
    """Mistral's FIM body for ``req``, sent as ``model``."""
    body: dict[str, Any] = {"model": model, "prompt": req.prompt}
    fields: tuple[tuple[str, Any], ...] = (
        ("suffix", req.suffix),
        ("max_tokens", req.max_tokens),
        ("min_tokens", req.min_tokens),
        ("stop", req.stop),
        ("random_seed", req.seed),
        ("temperature", req.temperature),
        ("top_p", req.top_p),
    )
    body.update((key, value) for key, value in fields if value is not None)
    if req.stream:
        body["stream"] = True
    for key, value in req.extra.items():
        body.setdefault(key, value)
    return body
