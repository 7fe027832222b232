"""Every dialect delta the provider registry declares, checked on the wire of each provider.

``providers/registry.py`` declares how each provider's OpenAI-compatible API differs from
OpenAI's; ``adapters/dialect.py`` applies those deltas. Each test sends one request through
the gateway with the openai SDK and asserts on the body the provider's emulator received.
The expected values are written out here from the registry, not read from it, so a changed
row fails a test.

Deltas (``OpenAIDialect`` fields) that no earlier test asserted, found by grepping
``tests/`` for the field and the wire names it controls:

* ``message_name_field`` (Mistral drops ``name`` from every message but tool results)
* ``max_tokens_field`` (asserted exactly only for Mistral; test_chat accepts either name)
* ``seed_field`` (asserted only for Mistral; test_chat accepts either name)
* ``required_tool_choice`` (asserted only for Mistral's ``any``)
* ``tool_call_ids`` (asserted only for Mistral; nobody checked the others leave ids alone)
* ``known_fields`` / ``accepts_unknown_fields``: ``reasoning_format``, ``include_reasoning``,
  ``search_settings``, ``search_parameters``, ``prompt_mode``, ``guardrails``,
  ``prediction``, ``verbosity``, ``store``, ``metadata``, ``service_tier`` (only
  ``safe_prompt``, ``top_k`` and ``min_p`` were checked, on a few providers)
* ``unsupported``: ``top_k`` on mistral/groq/cerebras/xai, ``logprobs``/``top_logprobs``
  on Mistral, ``user`` on everyone but Mistral
* ``embedding_accepts_user`` (Mistral drops ``user`` from embeddings)
* ``embedding_dimensions_field`` (checked for openai and mistral only)
* ``assistant_prefix`` (False: ``prefix`` is stripped; only Mistral's True was checked)

Already covered elsewhere and not repeated: ``stream_usage_opt_in`` (test_dialects),
``fim_path`` (test_embeddings_fim), ``assistant_prefix_echoed`` (test_stream_faults),
Mistral's ``tool_call_ids`` and ``required_tool_choice`` (test_tools). Mistral's
``seed_field`` / ``max_tokens_field`` (test_dialects) stay in the per-provider tables below.
"""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from tests.gateway.conftest import BY_NAME, FAMILY, WEATHER, last_body

HELLO = [{"role": "user", "content": "hello"}]
PROVIDERS = [f.provider for f in FAMILY]
EMBEDDERS = [f.provider for f in FAMILY if f.embed]
PERMISSIVE = frozenset({"deepinfra", "openrouter", "local"})
"""``accepts_unknown_fields``: anything the client sent is forwarded."""
DROPPED = "x-polyroute-dropped-params"


by_provider = pytest.mark.parametrize("provider", PROVIDERS)


def _chat(client: openai.OpenAI, provider: str, **kwargs: Any) -> Any:
    raw = client.chat.completions.with_raw_response.create(model=BY_NAME[provider].chat, **kwargs)
    reply = raw.parse()
    assert raw.headers["x-polyroute-provider"] == provider
    return raw, reply


# -- message_name_field ---------------------------------------------------------------------


@by_provider
def test_message_names_are_dropped_only_for_mistral(
    client: openai.OpenAI, emulators, provider: str
) -> None:
    messages = [
        {"role": "system", "content": "Be brief.", "name": "rules"},
        {"role": "user", "content": "Hi there.", "name": "alice"},
        {"role": "assistant", "content": "Hello Alice.", "name": "bot"},
        {"role": "user", "content": "Say hello again.", "name": "alice"},
    ]
    raw, reply = _chat(client, provider, messages=messages)
    assert reply.choices[0].message.content

    sent = last_body(emulators[provider])["messages"]
    if provider == "mistral":
        # Mistral's message schema has no ``name``: it would be a 422.
        assert sent == [{k: v for k, v in m.items() if k != "name"} for m in messages]
        assert raw.headers[DROPPED] == "messages.name"
    else:
        assert sent == messages
        assert DROPPED not in raw.headers


@by_provider
def test_tool_result_names_are_kept_even_for_mistral(
    client: openai.OpenAI, emulators, provider: str
) -> None:
    history = [
        {"role": "user", "content": "What is the weather in Paris?"},
        {
            "role": "assistant",
            "name": "bot",
            "tool_calls": [
                {
                    "id": "abcDEF123",  # Mistral's own form, so no id is remapped
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "abcDEF123",
            "name": "get_weather",
            "content": '{"temp_c": 21}',
        },
    ]
    raw, reply = _chat(client, provider, messages=history, tools=[WEATHER])
    assert "21" in (reply.choices[0].message.content or "")
    assert raw.headers.get(DROPPED) == ("messages.name" if provider == "mistral" else None)

    sent = last_body(emulators[provider])["messages"]
    assert sent[2] == history[2]
    assert sent[1].get("name") == (None if provider == "mistral" else "bot")


# -- max_tokens_field and seed_field --------------------------------------------------------

MAX_TOKENS_FIELD = {
    "openai": "max_completion_tokens",
    "mistral": "max_tokens",
    "groq": "max_completion_tokens",
    "cerebras": "max_completion_tokens",
    "deepinfra": "max_tokens",
    "xai": "max_completion_tokens",
    "openrouter": "max_tokens",
    "local": "max_tokens",
}


@by_provider
@pytest.mark.parametrize(
    "limits",
    [
        {"max_tokens": 33},
        {"max_completion_tokens": 33},
        {"max_tokens": 99, "max_completion_tokens": 33},
    ],
    ids=["max_tokens", "max_completion_tokens", "both"],
)
@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_max_tokens_field_name_per_provider(
    client: openai.OpenAI, emulators, provider: str, limits: dict[str, int], stream: bool
) -> None:
    response = client.chat.completions.create(
        model=BY_NAME[provider].chat, messages=HELLO, stream=stream, **limits
    )
    if stream:
        list(response)

    body = last_body(emulators[provider])
    field = MAX_TOKENS_FIELD[provider]
    other = "max_tokens" if field == "max_completion_tokens" else "max_completion_tokens"
    # With both, max_completion_tokens (OpenAI's current name) wins.
    assert body[field] == 33
    assert other not in body


@by_provider
def test_seed_field_name_per_provider(client: openai.OpenAI, emulators, provider: str) -> None:
    _chat(client, provider, messages=HELLO, seed=1234)
    body = last_body(emulators[provider])
    field, other = ("random_seed", "seed") if provider == "mistral" else ("seed", "random_seed")
    assert body[field] == 1234
    assert other not in body


# -- required_tool_choice and tool_call_ids ---------------------------------------------------


@pytest.mark.parametrize("provider", [p for p in PROVIDERS if p != "mistral"])
def test_required_tool_choice_is_sent_as_required(
    client: openai.OpenAI, emulators, provider: str
) -> None:
    _, reply = _chat(
        client,
        provider,
        messages=[{"role": "user", "content": "Weather in Oslo?"}],
        tools=[WEATHER],
        tool_choice="required",
    )
    assert reply.choices[0].message.tool_calls
    assert last_body(emulators[provider])["tool_choice"] == "required"


@pytest.mark.parametrize("provider", [p for p in PROVIDERS if p != "mistral"])
def test_tool_call_ids_are_untouched_where_no_rule_is_declared(
    client: openai.OpenAI, emulators, provider: str
) -> None:
    call_id = "call_Zq8sLw0PxT3vY6nR1mK4dB7e"
    history = [
        {"role": "user", "content": "What is the weather in Paris?"},
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call_id, "content": "sunny, 24 C"},
    ]
    _chat(client, provider, messages=history, tools=[WEATHER])
    sent = last_body(emulators[provider])["messages"]
    assert sent[1]["tool_calls"][0]["id"] == call_id
    assert sent[2]["tool_call_id"] == call_id


# -- known_fields, accepts_unknown_fields, unsupported ----------------------------------------

ALL = frozenset(PROVIDERS)
PASSTHROUGH: dict[str, tuple[object, frozenset[str]]] = {
    # field: (value, the providers it reaches)
    "reasoning_format": ("parsed", PERMISSIVE | {"groq", "cerebras"}),
    "include_reasoning": (False, PERMISSIVE | {"groq"}),
    "search_settings": ({"include_domains": ["example.com"]}, PERMISSIVE | {"groq"}),
    "search_parameters": ({"mode": "off"}, PERMISSIVE | {"xai"}),
    "prompt_mode": ("reasoning", PERMISSIVE | {"mistral"}),
    "guardrails": ([{"type": "moderation"}], PERMISSIVE | {"mistral"}),
    "prediction": (
        {"type": "content", "content": "hello"},
        PERMISSIVE | {"openai", "mistral", "cerebras", "xai"},
    ),
    "verbosity": ("low", PERMISSIVE | {"openai", "xai"}),
    "store": (False, PERMISSIVE | {"openai", "xai"}),
    "metadata": ({"team": "tests"}, PERMISSIVE | {"openai", "mistral", "groq", "xai"}),
    "service_tier": ("auto", ALL),
    # Canonical fields a provider declares ``unsupported``.
    "top_k": (5, PERMISSIVE),
    "user": ("alice", ALL - {"mistral"}),
}


@by_provider
@pytest.mark.parametrize("field", sorted(PASSTHROUGH))
def test_provider_specific_fields_reach_only_the_providers_that_take_them(
    client: openai.OpenAI, emulators, provider: str, field: str
) -> None:
    value, takers = PASSTHROUGH[field]
    raw, reply = _chat(client, provider, messages=HELLO, extra_body={field: value})
    assert reply.choices[0].message.content

    body = last_body(emulators[provider])
    if provider in takers:
        assert body[field] == value
        assert DROPPED not in raw.headers
    else:
        assert field not in body
        assert raw.headers[DROPPED] == field


@by_provider
def test_logprobs_are_dropped_and_reported_only_for_mistral(
    client: openai.OpenAI, emulators, provider: str
) -> None:
    raw, _ = _chat(client, provider, messages=HELLO, logprobs=True, top_logprobs=2)
    body = last_body(emulators[provider])
    if provider == "mistral":
        assert "logprobs" not in body and "top_logprobs" not in body
        assert raw.headers[DROPPED] == "logprobs,top_logprobs"
    else:
        assert body["logprobs"] is True and body["top_logprobs"] == 2
        assert DROPPED not in raw.headers


@pytest.mark.parametrize(
    ("provider", "extra", "reported"),
    [
        (
            "xai",
            {"reasoning_format": "parsed", "search_parameters": {"mode": "off"}},
            "reasoning_format",
        ),
        (
            "groq",
            {"reasoning_format": "parsed", "search_parameters": {"mode": "off"}},
            "search_parameters",
        ),
        ("cerebras", {"top_k": 5, "metadata": {"a": "b"}}, "metadata,top_k"),
    ],
)
def test_dropped_params_are_reported_on_streams_too(
    client: openai.OpenAI, emulators, provider: str, extra: dict[str, object], reported: str
) -> None:
    with client.chat.completions.with_streaming_response.create(
        model=BY_NAME[provider].chat, messages=HELLO, stream=True, extra_body=extra
    ) as response:
        assert response.headers[DROPPED] == reported
        chunks = list(response.parse())
    assert chunks[-1].choices[0].finish_reason == "stop"
    body = last_body(emulators[provider])
    dropped = reported.split(",")
    assert {k: body.get(k) for k in extra} == {
        k: None if k in dropped else v for k, v in extra.items()
    }


def test_dropped_params_are_those_of_the_provider_that_answered(
    client: openai.OpenAI, emulators
) -> None:
    # The route tries ``down`` (self-hosted: takes anything) first, then Mistral answers.
    raw = client.chat.completions.with_raw_response.create(
        model="fallback", messages=HELLO, extra_body={"top_k": 5, "safe_prompt": True}
    )
    assert raw.headers["x-polyroute-provider"] == "mistral"
    assert raw.headers[DROPPED] == "top_k"
    body = last_body(emulators["mistral"])
    assert body["safe_prompt"] is True and "top_k" not in body


# -- assistant_prefix ---------------------------------------------------------------------------


def test_prefix_is_stripped_for_a_provider_without_assistant_prefix(
    client: openai.OpenAI, emulators
) -> None:
    # A self-hosted model the catalog does not know is not screened for prefill.
    messages = [
        {"role": "user", "content": "Tell me a story."},
        {"role": "assistant", "content": "Once upon a time", "prefix": True},
    ]
    raw, _ = _chat(client, "local", messages=messages)
    sent = last_body(emulators["local"])["messages"]
    assert sent[-1] == {"role": "assistant", "content": "Once upon a time"}
    assert raw.headers[DROPPED] == "messages.prefix"


# -- embeddings: embedding_accepts_user and embedding_dimensions_field --------------------------


@pytest.mark.parametrize("provider", EMBEDDERS)
def test_embedding_user_reaches_only_providers_that_accept_it(
    client: openai.OpenAI, emulators, provider: str
) -> None:
    result = client.embeddings.create(model=BY_NAME[provider].embed, input="hi", user="alice")
    assert len(result.data) == 1
    body = last_body(emulators[provider], "/embeddings")
    if provider == "mistral":
        assert "user" not in body
    else:
        assert body["user"] == "alice"


def test_embedding_user_dropped_for_mistral_is_reported(client: openai.OpenAI) -> None:
    raw = client.embeddings.with_raw_response.create(
        model=BY_NAME["mistral"].embed, input="hi", user="alice"
    )
    assert raw.headers.get(DROPPED) == "user"


DIMENSIONS_FIELD = {
    "openai": "dimensions",
    "mistral": "output_dimension",
    "deepinfra": "dimensions",
    "openrouter": "dimensions",
    "local": "dimensions",
}


@pytest.mark.parametrize("provider", EMBEDDERS)
def test_embedding_dimensions_field_per_provider(
    client: openai.OpenAI, emulators, provider: str
) -> None:
    client.embeddings.create(model=BY_NAME[provider].embed, input="hi", dimensions=64)
    body = last_body(emulators[provider], "/embeddings")
    field = DIMENSIONS_FIELD[provider]
    assert body[field] == 64
    assert ({"dimensions", "output_dimension"} - {field}).isdisjoint(body)


# Each endpoint forwards its own provider fields: a chat-only field sent to /embeddings or
# /fim/completions is dropped and reported, not passed on for the provider to reject.
@pytest.mark.parametrize(
    ("provider", "field", "value"),
    [("mistral", "safe_prompt", True), ("openai", "store", False)],
)
def test_chat_only_fields_do_not_reach_embeddings(
    client: openai.OpenAI, emulators, provider: str, field: str, value: object
) -> None:
    raw = client.embeddings.with_raw_response.create(
        model=BY_NAME[provider].embed, input="hi", extra_body={field: value}
    )
    assert len(raw.parse().data) == 1
    assert raw.headers.get(DROPPED) == field
    assert field not in last_body(emulators[provider], "/embeddings")


@pytest.mark.parametrize(("field", "value"), [("safe_prompt", True), ("service_tier", "auto")])
def test_chat_only_fields_do_not_reach_fim(
    client: openai.OpenAI, emulators, field: str, value: object
) -> None:
    raw = client.post(
        "/fim/completions",
        body={"model": "mistral/codestral-latest", "prompt": "def f():", field: value},
        cast_to=httpx.Response,
    )
    assert raw.headers.get(DROPPED) == field
    assert field not in last_body(emulators["mistral"], "/fim/completions")


def test_mistrals_own_embedding_and_fim_fields_reach_it(client: openai.OpenAI, emulators) -> None:
    raw = client.embeddings.with_raw_response.create(
        model=BY_NAME["mistral"].embed,
        input="hi",
        extra_body={"output_dtype": "float", "metadata": {"team": "a"}},
    )
    assert DROPPED not in raw.headers
    body = last_body(emulators["mistral"], "/embeddings")
    assert (body["output_dtype"], body["metadata"]) == ("float", {"team": "a"})
    client.post(
        "/fim/completions",
        body={"model": "mistral/codestral-latest", "prompt": "def f():", "prompt_cache_key": "k"},
        cast_to=object,
    )
    assert last_body(emulators["mistral"], "/fim/completions")["prompt_cache_key"] == "k"
