"""Cross-dialect edge cells: system prompts, upstream errors, streams cut short, cached tokens."""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest
from matrix_support import (
    ANTHROPIC,
    CLIENTS,
    GEMINI,
    MODES,
    OPENAI_COMPAT,
    TARGETS,
    TEXT_PROMPT,
    Target,
    anthropic_turn,
    expected_usage,
    last_body,
    openai_turn,
    truth,
    user_message,
)

from polyroute.emulators import EmulatorServer
from polyroute.emulators.gemini.errors import api_key_invalid

# -- system prompts -----------------------------------------------------------------------

SYSTEM_TEXTS = ("You are terse.", "Always answer in French.")
SYSTEM_FORMS = [("openai", "string"), ("anthropic", "string"), ("anthropic", "blocks")]


def _texts(content: Any) -> list[str]:
    if isinstance(content, str):
        return [content]
    return [p["text"] for p in content if p.get("type", "text") == "text"]


def system_as_received(target: Target, body: dict[str, Any]) -> str:
    """The system prompt in the provider's own form, checked and flattened to text."""
    if target.kind == "openai_compat":
        messages = body["messages"]
        roles = [m["role"] for m in messages]
        n = roles.count("system")
        assert n >= 1 and roles[:n] == ["system"] * n, f"system messages come first: {roles}"
        return "\n".join(t for m in messages[:n] for t in _texts(m["content"]))
    if target.kind == "anthropic":
        assert all(m["role"] in ("user", "assistant") for m in body["messages"])
        return "\n".join(_texts(body["system"]))
    assert all(c.get("role", "user") in ("user", "model") for c in body["contents"])
    parts = body["systemInstruction"]["parts"]
    return "\n".join(p["text"] for p in parts)


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.key)
@pytest.mark.parametrize(("client", "form"), SYSTEM_FORMS, ids=lambda v: v)
def test_system_prompt_reaches_provider_in_its_form(
    openai_client: openai.OpenAI,
    anthropic_client: anthropic.Anthropic,
    emulators: dict[str, EmulatorServer],
    client: str,
    form: str,
    target: Target,
) -> None:
    question = user_message(client, "text")
    system: Any
    if form == "blocks":
        system = [{"type": "text", "text": t} for t in SYSTEM_TEXTS]
    else:
        system = " ".join(SYSTEM_TEXTS)
    if client == "openai":
        messages = [{"role": "system", "content": system}, question]
        turn = openai_turn(openai_client, target.address, messages, stream=False)
    else:
        turn = anthropic_turn(
            anthropic_client, target.address, [question], stream=False, system=system
        )
    body = last_body(emulators[target.provider], target)
    received = system_as_received(target, body)
    position = 0
    for text in SYSTEM_TEXTS:  # every text, in order
        position = received.index(text, position) + len(text)
    turns = body.get("messages") or body.get("contents") or []
    user_side = str([m for m in turns if m.get("role") != "system"])
    assert SYSTEM_TEXTS[0] not in user_side, "the system prompt is not repeated as a user turn"
    if target.kind == "anthropic" and client == "anthropic":
        # Plain text blocks may be joined (the codec does); the text must be untouched.
        assert body["system"] in (system, "\n\n".join(SYSTEM_TEXTS))
    assert TEXT_PROMPT in turn.text


# -- upstream errors ------------------------------------------------------------------------

ERROR_CASES = [(t, s) for t in TARGETS for s in (429, 503)] + [(ANTHROPIC, 529)]
ANTHROPIC_TYPES = {429: {"rate_limit_error"}, 503: {"api_error", "overloaded_error"}}
ANTHROPIC_TYPES[529] = {"overloaded_error"}


def _call(
    openai_client: openai.OpenAI,
    anthropic_client: anthropic.Anthropic,
    client: str,
    target: Target,
    stream: bool,
) -> None:
    question = user_message(client, "text")
    if client == "openai":
        openai_turn(openai_client, target.address, [question], stream=stream)
    else:
        anthropic_turn(anthropic_client, target.address, [question], stream=stream)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("target", "status"), ERROR_CASES, ids=[f"{t.key}-{s}" for t, s in ERROR_CASES]
)
@pytest.mark.parametrize("client", CLIENTS)
def test_upstream_error_reaches_client_as_its_own_class(
    openai_client: openai.OpenAI,
    anthropic_client: anthropic.Anthropic,
    emulators: dict[str, EmulatorServer],
    client: str,
    target: Target,
    status: int,
    mode: str,
) -> None:
    emulators[target.provider].inject(status=status, retry_after=7 if status == 429 else None)
    expected: type[Exception]
    if client == "openai":
        expected = openai.RateLimitError if status == 429 else openai.InternalServerError
    else:
        expected = anthropic.RateLimitError if status == 429 else anthropic.InternalServerError
        if status == 529:
            expected = anthropic.OverloadedError
    with pytest.raises(expected) as info:
        _call(openai_client, anthropic_client, client, target, mode == "stream")
    error = info.value
    assert isinstance(error, openai.APIStatusError | anthropic.APIStatusError)
    assert error.status_code == 429 if status == 429 else error.status_code >= 500
    body = error.response.json()
    if client == "openai":
        assert set(body) == {"error"} and body["error"]["message"]
    else:
        assert body["type"] == "error", body
        assert body["error"]["type"] in ANTHROPIC_TYPES[status], body
        assert body["error"]["message"]
    assert emulators[target.provider].received(target.path), "the provider was asked"


@pytest.mark.parametrize(("retry_after", "header"), [(7, "7"), (float("inf"), None)])
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.key)
@pytest.mark.parametrize("client", CLIENTS)
def test_retry_after_is_passed_on(
    openai_client: openai.OpenAI,
    anthropic_client: anthropic.Anthropic,
    emulators: dict[str, EmulatorServer],
    client: str,
    target: Target,
    retry_after: float,
    header: str | None,
) -> None:
    """A provider's ``Retry-After`` on a 429 reaches the client, so its SDK backs off as asked;
    one that is no number (``inf``, as a misbehaving proxy may send) is dropped, and the
    caller still gets the 429 in its envelope (it was a plain-text 500)."""
    emulators[target.provider].inject(status=429, retry_after=retry_after)
    with pytest.raises((openai.RateLimitError, anthropic.RateLimitError)) as info:
        _call(openai_client, anthropic_client, client, target, False)
    assert info.value.response.headers.get("retry-after") == header
    assert info.value.response.json()["error"]["message"]


@pytest.mark.parametrize("client", CLIENTS)
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.key)
def test_target_recovers_after_one_upstream_failure(
    openai_client: openai.OpenAI,
    anthropic_client: anthropic.Anthropic,
    emulators: dict[str, EmulatorServer],
    client: str,
    target: Target,
) -> None:
    """One failed call does not poison the target: the next calls are served."""
    emulators[target.provider].inject(status=503)
    with pytest.raises((openai.InternalServerError, anthropic.InternalServerError)):
        _call(openai_client, anthropic_client, client, target, False)
    for stream in (False, True):
        _call(openai_client, anthropic_client, client, target, stream)


# -- the operator's provider key refused ------------------------------------------------------

REFUSALS = [(t, s) for t in TARGETS for s in (401, 403)] + [(GEMINI, "API_KEY_INVALID")]
OPERATOR_ERRORS = {  # the gateway's own type and code on OpenAI routes
    401: ("upstream_authentication_error", "provider_authentication_failed"),
    403: ("upstream_permission_error", "provider_permission_denied"),
    "API_KEY_INVALID": ("upstream_authentication_error", "provider_authentication_failed"),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("target", "refusal"), REFUSALS, ids=[f"{t.key}-{s}" for t, s in REFUSALS])
@pytest.mark.parametrize("client", CLIENTS)
def test_a_refused_provider_key_is_not_the_callers_key_failing(
    openai_client: openai.OpenAI,
    anthropic_client: anthropic.Anthropic,
    emulators: dict[str, EmulatorServer],
    client: str,
    target: Target,
    refusal: int | str,
    mode: str,
) -> None:
    """The caller's polyroute key was fine: neither the status, the SDK's exception class, nor
    the envelope's type and code may read as its own key failing (the provider's own
    ``invalid_api_key`` / ``authentication_error`` would); the message names who refused."""
    if refusal == "API_KEY_INVALID":  # Google's answer to a wrong key is a 400
        emulators[target.provider].inject(status=400, body=api_key_invalid().body())
    else:
        emulators[target.provider].inject(status=refusal)
    with pytest.raises((openai.APIStatusError, anthropic.APIStatusError)) as info:
        _call(openai_client, anthropic_client, client, target, mode == "stream")
    error = info.value
    assert isinstance(error, openai.InternalServerError | anthropic.InternalServerError)
    assert error.status_code == 502
    shown = error.response.json()["error"]
    if client == "openai":
        assert (shown["type"], shown["code"], shown["param"]) == (*OPERATOR_ERRORS[refusal], None)
    else:
        assert shown["type"] == "api_error"
    refused = f"{target.provider}: the provider key configured in polyroute was refused: "
    assert shown["message"].startswith(refused)
    assert shown["message"].removeprefix(refused)  # ... and the provider's reason


# -- a stream cut mid-answer -------------------------------------------------------------------

CUT_AFTER = {"openai_compat": 8, "anthropic": 6, "gemini": 2}
"""Events the provider sends before the cut: some text has reached the client by then."""


def _partial_openai(client: openai.OpenAI, target: Target, text: list[str]) -> None:
    with client.chat.completions.create(
        model=target.address, messages=[user_message("openai", "text")], stream=True
    ) as stream:
        for chunk in stream:
            text.extend(c.delta.content or "" for c in chunk.choices)


def _partial_anthropic(client: anthropic.Anthropic, target: Target, text: list[str]) -> None:
    with client.messages.stream(
        model=target.address, max_tokens=1024, messages=[user_message("anthropic", "text")]
    ) as stream:
        text.extend(stream.text_stream)


CONTINUABLE = frozenset({"mistral", "anthropic"})
"""Providers that can continue an assistant message (prefill): the gateway resumes a stream
cut on them once, on the same target, and the client sees one whole answer."""


def _stream_text(
    openai_client: openai.OpenAI,
    anthropic_client: anthropic.Anthropic,
    client: str,
    target: Target,
    text: list[str] | None = None,
) -> list[str]:
    """Stream a text answer with ``client``'s SDK into ``text`` (kept if the stream raises)."""
    text = [] if text is None else text
    if client == "openai":
        _partial_openai(openai_client, target, text)
    else:
        _partial_anthropic(anthropic_client, target, text)
    return text


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.key)
@pytest.mark.parametrize("client", CLIENTS)
def test_stream_cut_mid_answer_raises(
    openai_client: openai.OpenAI,
    anthropic_client: anthropic.Anthropic,
    emulators: dict[str, EmulatorServer],
    client: str,
    target: Target,
) -> None:
    """A cut that cannot be repaired (no prefill, or the continuation is cut too) raises."""
    server = emulators[target.provider]
    cuts = 2 if target.provider in CONTINUABLE else 1
    server.inject(cut_after_chunks=CUT_AFTER[target.kind], count=cuts)
    text: list[str] = []
    expected = openai.APIError if client == "openai" else anthropic.APIError
    with pytest.raises(expected):
        _stream_text(openai_client, anthropic_client, client, target, text)
    assert len(server.received(target.path)) == cuts
    full = truth(target, server.received(target.path)[0]["body"]).text
    partial = "".join(text)
    assert partial, "the client saw the start of the answer before the cut"
    if target.provider not in CONTINUABLE:
        # (A continued stream may deliver the whole text before its own cut.)
        assert partial != full
    assert full.startswith(partial[: len(partial) // 2 or 1])


@pytest.mark.parametrize(
    "target", [t for t in TARGETS if t.provider in CONTINUABLE], ids=lambda t: t.key
)
@pytest.mark.parametrize("client", CLIENTS)
def test_stream_cut_once_is_continued_seamlessly(
    openai_client: openai.OpenAI,
    anthropic_client: anthropic.Anthropic,
    emulators: dict[str, EmulatorServer],
    client: str,
    target: Target,
) -> None:
    server = emulators[target.provider]
    server.inject(cut_after_chunks=CUT_AFTER[target.kind])
    text = "".join(_stream_text(openai_client, anthropic_client, client, target))
    requests = server.received(target.path)
    assert len(requests) == 2, "the answer was continued with a second request"
    assert text == truth(target, requests[0]["body"]).text


# -- cached prompt tokens: OpenAI counts them in prompt_tokens, Anthropic beside input_tokens --

LONG_PROMPT = "Summarise this: " + "the quick brown fox jumps over the lazy dog " * 110


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("client", CLIENTS)
def test_cached_tokens_from_openai_compatible(
    openai_client: openai.OpenAI,
    anthropic_client: anthropic.Anthropic,
    emulators: dict[str, EmulatorServer],
    client: str,
    mode: str,
) -> None:
    target = OPENAI_COMPAT
    messages = [{"role": "user", "content": LONG_PROMPT}]
    stream = mode == "stream"
    if client == "openai":
        turn = openai_turn(openai_client, target.address, messages, stream=stream)
    else:
        turn = anthropic_turn(anthropic_client, target.address, messages, stream=stream)
    t = truth(target, last_body(emulators[target.provider], target))
    assert t.cached > 0, "the emulator reports a cache hit for a prompt this long"
    assert (turn.input_tokens, turn.output_tokens) == expected_usage(client, t)
    assert turn.cached_tokens == t.cached


@pytest.mark.parametrize("mode", MODES)
def test_cached_tokens_anthropic_to_anthropic(
    anthropic_client: anthropic.Anthropic, emulators: dict[str, EmulatorServer], mode: str
) -> None:
    system = [{"type": "text", "text": LONG_PROMPT, "cache_control": {"type": "ephemeral"}}]
    turn = anthropic_turn(
        anthropic_client,
        ANTHROPIC.address,
        [user_message("anthropic", "text")],
        stream=mode == "stream",
        system=system,
    )
    t = truth(ANTHROPIC, last_body(emulators["anthropic"], ANTHROPIC))
    assert t.cached > 0 and t.cache_creation > 0
    assert (turn.input_tokens, turn.output_tokens) == expected_usage("anthropic", t)
    assert turn.cached_tokens == t.cached
    message = turn.extra["message"]
    assert message.usage.cache_creation_input_tokens == t.cache_creation
