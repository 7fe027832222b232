"""What the translation matrix shares: targets, client drivers, and the providers' truth.

A *driver* runs one turn through a real SDK (``openai`` or ``anthropic``) and reduces what
the SDK parsed to a :class:`Turn`. The *truth* of a turn is recomputed from the request body
the emulator received, with the emulator's own pure generation functions, so every cell can
check that the client sees exactly what the provider said (text, tool calls, token counts).
"""

from __future__ import annotations

import base64
import json
import re
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

import anthropic
import openai

from polyroute.emulators import EmulatorServer
from polyroute.emulators.anthropic import catalog as claude_catalog
from polyroute.emulators.anthropic import generation as claude_generation
from polyroute.emulators.gemini import catalog as gemini_catalog
from polyroute.emulators.gemini import generation as gemini_generation
from polyroute.emulators.openai_compat import PROFILES
from polyroute.emulators.openai_compat.generation import generate_chat

MASTER_KEY = "sk-matrix-master-key"
TOOL_RESULT = "22 degrees and sunny"
VALID_ID = re.compile(r"^[a-zA-Z0-9_-]+$")
"""The tool-use id pattern Anthropic enforces; also safe for every OpenAI-dialect client."""


@dataclass(frozen=True)
class Target:
    """One provider's model, as a client addresses it (``provider/model``)."""

    key: str
    provider: str
    model: str

    @property
    def address(self) -> str:
        return f"{self.provider}/{self.model}"

    @property
    def kind(self) -> str:
        if self.provider in ("anthropic", "gemini"):
            return self.provider
        return "openai_compat"

    @property
    def path(self) -> str:
        """A substring of the path the provider's chat requests arrive on."""
        return {
            "anthropic": "/v1/messages",
            "gemini": f"models/{self.model}:",
        }.get(self.kind, "/chat/completions")


OPENAI_COMPAT = Target("groq", "groq", "meta-llama/llama-4-scout-17b-16e-instruct")
MISTRAL = Target("mistral", "mistral", "mistral-small-latest")
ANTHROPIC = Target("anthropic", "anthropic", "claude-haiku-4-5")
GEMINI = Target("gemini", "gemini", "gemini-2.5-flash")
GEMINI_NO_IDS = Target("gemini-noids", "gemini", "gemini-2.0-flash")
TARGETS = (OPENAI_COMPAT, MISTRAL, ANTHROPIC, GEMINI)
TOOL_TARGETS = (*TARGETS, GEMINI_NO_IDS)
CLIENTS = ("openai", "anthropic")
MODES = ("nonstream", "stream")


# -- requests ---------------------------------------------------------------------------


def _png(size: int = 8) -> bytes:
    """A valid ``size`` x ``size`` red PNG."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * size for _ in range(size))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PNG_B64 = base64.b64encode(_png()).decode()
PNG_URL = f"data:image/png;base64,{PNG_B64}"

TEXT_PROMPT = "Say hello to the polyroute translation matrix, please"
TOOL_PROMPT = "Use get_weather to find the weather in Paris"
IMAGE_PROMPT = "Describe this image in one sentence"

_CITY_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string", "description": "City name"}},
    "required": ["city"],
}
OPENAI_TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city",
            "parameters": _CITY_SCHEMA,
        },
    }
]
ANTHROPIC_TOOLS: list[Any] = [
    {
        "name": "get_weather",
        "description": "Current weather for a city",
        "input_schema": _CITY_SCHEMA,
    }
]


def user_message(client: str, scenario: str) -> dict[str, Any]:
    if scenario == "text":
        return {"role": "user", "content": TEXT_PROMPT}
    if scenario == "tool":
        return {"role": "user", "content": TOOL_PROMPT}
    if client == "openai":
        parts: list[Any] = [
            {"type": "text", "text": IMAGE_PROMPT},
            {"type": "image_url", "image_url": {"url": PNG_URL}},
        ]
    else:
        parts = [
            {
                "type": "image",
                "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64},
            },
            {"type": "text", "text": IMAGE_PROMPT},
        ]
    return {"role": "user", "content": parts}


# -- client drivers -----------------------------------------------------------------------


@dataclass
class Call:
    id: str
    name: str
    arguments: dict[str, Any]
    raw_arguments: str = ""


@dataclass
class Turn:
    """One answer as the client's SDK parsed it."""

    text: str
    calls: list[Call]
    finish: str | None
    input_tokens: int
    output_tokens: int
    cached_tokens: int | None
    assistant: dict[str, Any] = field(default_factory=dict)
    """The assistant message to put back into the history for the next turn."""
    extra: dict[str, Any] = field(default_factory=dict)


def openai_turn(
    client: openai.OpenAI,
    model: str,
    messages: list[Any],
    *,
    stream: bool,
    tools: list[Any] | None = None,
) -> Turn:
    kwargs: dict[str, Any] = {"model": model, "messages": messages}
    if tools:
        kwargs["tools"] = tools
    if not stream:
        completion = client.chat.completions.create(**kwargs)
        choice = completion.choices[0]
        assert completion.usage is not None, "a non-streaming completion carries usage"
        calls = [
            Call(c.id, c.function.name, json.loads(c.function.arguments), c.function.arguments)
            for c in choice.message.tool_calls or []
            if c.type == "function"
        ]
        details = completion.usage.prompt_tokens_details
        turn = Turn(
            choice.message.content or "",
            calls,
            choice.finish_reason,
            completion.usage.prompt_tokens,
            completion.usage.completion_tokens,
            details.cached_tokens if details else None,
        )
    else:
        turn = _openai_stream(client, kwargs)
    assistant: dict[str, Any] = {"role": "assistant", "content": turn.text or None}
    if turn.calls:
        assistant["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": c.raw_arguments},
            }
            for c in turn.calls
        ]
    turn.assistant = assistant
    return turn


def _openai_stream(client: openai.OpenAI, kwargs: dict[str, Any]) -> Turn:
    text: list[str] = []
    calls: dict[int, dict[str, str]] = {}
    finish = None
    usage_chunks = []
    ids = set()
    with client.chat.completions.create(
        **kwargs, stream=True, stream_options={"include_usage": True}
    ) as stream:
        for chunk in stream:
            ids.add(chunk.id)
            if chunk.usage is not None:
                usage_chunks.append(chunk)
            for choice in chunk.choices:
                delta = choice.delta
                if delta.content:
                    text.append(delta.content)
                for tc in delta.tool_calls or []:
                    slot = calls.setdefault(tc.index, {"id": "", "name": "", "arguments": ""})
                    if tc.id:
                        slot["id"] = tc.id
                    if tc.function and tc.function.name:
                        slot["name"] += tc.function.name
                    if tc.function and tc.function.arguments:
                        slot["arguments"] += tc.function.arguments
                if choice.finish_reason:
                    finish = choice.finish_reason
    assert len(ids) == 1, f"every chunk of one completion carries its id, got {ids}"
    assert len(usage_chunks) == 1, f"include_usage: exactly one usage chunk, got {usage_chunks}"
    usage_chunk = usage_chunks[0]
    assert usage_chunk.choices == [], "the usage chunk has empty choices (OpenAI's shape)"
    usage = usage_chunk.usage
    assert usage is not None
    details = usage.prompt_tokens_details
    return Turn(
        "".join(text),
        [
            Call(c["id"], c["name"], json.loads(c["arguments"] or "{}"), c["arguments"])
            for _, c in sorted(calls.items())
        ],
        finish,
        usage.prompt_tokens,
        usage.completion_tokens,
        details.cached_tokens if details else None,
    )


def anthropic_turn(
    client: anthropic.Anthropic,
    model: str,
    messages: list[Any],
    *,
    stream: bool,
    tools: list[Any] | None = None,
    system: Any = None,
) -> Turn:
    kwargs: dict[str, Any] = {"model": model, "max_tokens": 1024, "messages": messages}
    if tools:
        kwargs["tools"] = tools
    if system is not None:
        kwargs["system"] = system
    streamed_text = None
    if stream:
        with client.messages.stream(**kwargs) as s:
            streamed_text = "".join(s.text_stream)
            message = s.get_final_message()
    else:
        message = client.messages.create(**kwargs)
    text = "".join(b.text for b in message.content if b.type == "text")
    if streamed_text is not None:
        assert streamed_text == text, "text deltas add up to the final message's text"
    calls = [
        Call(b.id, b.name, dict(b.input), json.dumps(b.input))  # type: ignore[arg-type]
        for b in message.content
        if b.type == "tool_use"
    ]
    return Turn(
        text,
        calls,
        message.stop_reason,
        message.usage.input_tokens,
        message.usage.output_tokens,
        message.usage.cache_read_input_tokens,
        assistant={"role": "assistant", "content": message.content},
        extra={"message": message},
    )


def tool_result_messages(client: str, turn: Turn) -> list[dict[str, Any]]:
    """The messages that answer every call of ``turn`` with :data:`TOOL_RESULT`."""
    if client == "openai":
        return [
            {"role": "tool", "tool_call_id": c.id, "content": f"{TOOL_RESULT} in {c.name}"}
            for c in turn.calls
        ]
    return [
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": c.id,
                    "content": f"{TOOL_RESULT} in {c.name}",
                }
                for c in turn.calls
            ],
        }
    ]


# -- the providers' truth ---------------------------------------------------------------


@dataclass
class Truth:
    """What the provider answered to ``body``, in canonical terms."""

    text: str
    calls: list[tuple[str, dict[str, Any], str | None]]
    """(name, arguments, the provider's own id when it is deterministic)."""
    input_total: int
    """Every prompt token, cached or not."""
    cached: int
    """Tokens read from the cache (included in ``input_total``)."""
    cache_creation: int
    output: int
    """Every output token, reasoning included."""
    signature: str | None = None
    """Gemini: the thought signature on the first function call."""


def truth(target: Target, body: dict[str, Any]) -> Truth:
    if target.kind == "openai_compat":
        profile = PROFILES[target.provider]
        card = profile.model(target.model)
        assert card is not None
        reply = generate_chat(profile, card, body)
        choice = reply.choices[0]
        calls = [(c.name, json.loads(c.arguments), None) for c in choice.tool_calls]
        u = reply.usage
        return Truth(choice.text, calls, u.prompt, u.cached, 0, u.completion)
    if target.kind == "anthropic":
        model = claude_catalog.find(target.model)
        assert model is not None
        r = claude_generation.answer(body, model)
        text = "".join(b["text"] for b in r.content if b["type"] == "text")
        calls = [(b["name"], b["input"], b["id"]) for b in r.content if b["type"] == "tool_use"]
        u = r.usage
        read, created = u["cache_read_input_tokens"], u["cache_creation_input_tokens"]
        total = u["input_tokens"] + read + created
        return Truth(text, calls, total, read, created, u["output_tokens"])
    gmodel = gemini_catalog.find(target.model)
    assert gmodel is not None
    g = gemini_generation.answer(body, gmodel)
    text = "".join(p["text"] for p in g.parts if "text" in p and not p.get("thought"))
    calls = [
        (p["functionCall"]["name"], p["functionCall"]["args"], p["functionCall"].get("id"))
        for p in g.parts
        if "functionCall" in p
    ]
    signature = next((p.get("thoughtSignature") for p in g.parts if "functionCall" in p), None)
    return Truth(
        text,
        calls,
        g.prompt_tokens,
        g.cached_tokens,
        0,
        g.output_tokens + g.thoughts_tokens,
        signature,
    )


def last_body(server: EmulatorServer, target: Target) -> dict[str, Any]:
    received = server.received(target.path)
    assert received, f"{target.provider} received no request on {target.path}"
    body = received[-1]["body"]
    assert isinstance(body, dict)
    return body


def expected_usage(client: str, t: Truth) -> tuple[int, int]:
    """(input, output) tokens in the client's vocabulary.

    OpenAI's ``prompt_tokens`` counts cached tokens; Anthropic's ``input_tokens`` counts
    only the uncached ones (cache reads and writes are reported beside it).
    """
    if client == "openai":
        return t.input_total, t.output
    return t.input_total - t.cached - t.cache_creation, t.output


def finish_for(client: str, *, tool: bool) -> str:
    if client == "openai":
        return "tool_calls" if tool else "stop"
    return "tool_use" if tool else "end_turn"
