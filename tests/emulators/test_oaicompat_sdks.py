"""The official SDKs, pointed straight at the emulators, parse every answer and stream."""

from __future__ import annotations

import json

import openai
import pytest
from mistralai.client import Mistral

USER = [{"role": "user", "content": "What is the capital of the UK? Use the tool."}]
TOOL = {
    "type": "function",
    "function": {
        "name": "get_capital",
        "parameters": {
            "type": "object",
            "properties": {"country": {"type": "string"}},
            "required": ["country"],
        },
    },
}


@pytest.fixture
def oai(emulators):
    clients = []

    def make(profile: str) -> openai.OpenAI:
        client = openai.OpenAI(
            base_url=emulators[profile].base_url, api_key="sk-test", max_retries=0
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.mark.parametrize(
    ("profile", "model"),
    [
        ("openai", "gpt-4o-mini"),
        ("groq", "llama-3.3-70b-versatile"),
        ("cerebras", "llama-3.3-70b"),
        ("deepinfra", "meta-llama/Meta-Llama-3.1-8B-Instruct"),
        ("xai", "grok-3"),
        ("openrouter", "openai/gpt-4o-mini"),
        ("openai-compatible", "meta-llama/Llama-3.1-8B-Instruct"),
        ("mistral", "mistral-small-latest"),
    ],
)
def test_openai_sdk_chat_stream_tools(oai, profile, model):
    client = oai(profile)
    out = client.chat.completions.create(model=model, messages=USER)
    assert out.choices[0].message.content.startswith("You said:")
    assert out.usage.total_tokens > 0
    options = {} if profile == "mistral" else {"stream_options": {"include_usage": True}}
    stream = client.chat.completions.create(model=model, messages=USER, stream=True, **options)
    text, usage = "", None
    for chunk in stream:
        if chunk.choices:
            text += chunk.choices[0].delta.content or ""
        usage = chunk.usage or usage
    assert text == out.choices[0].message.content
    assert usage is not None and usage.total_tokens == out.usage.total_tokens
    tools = client.chat.completions.create(model=model, messages=USER, tools=[TOOL])
    call = tools.choices[0].message.tool_calls[0]
    assert json.loads(call.function.arguments) == {"country": "tool"}


def test_openai_sdk_streamed_tool_call_accumulates(oai):
    client = oai("openai")
    with client.chat.completions.stream(model="gpt-4o-mini", messages=USER, tools=[TOOL]) as s:
        for _ in s:
            pass
        final = s.get_final_completion()
    call = final.choices[0].message.tool_calls[0]
    assert call.function.name == "get_capital"
    assert json.loads(call.function.arguments)["country"]


def test_openai_sdk_errors_and_embeddings(oai, emulators):
    client = oai("openai")
    with pytest.raises(openai.NotFoundError) as err:
        client.chat.completions.create(model="nope", messages=USER)
    assert err.value.code == "model_not_found"
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="gpt-4o-mini", messages=USER, extra_body={"top_k": 1})
    emulators["openai"].inject(status=429, retry_after=1)
    with pytest.raises(openai.RateLimitError) as rl:
        client.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert rl.value.response.headers["retry-after"] == "1"
    emb = client.embeddings.create(model="text-embedding-3-small", input="hello", dimensions=32)
    assert len(emb.data[0].embedding) == 32
    emb64 = client.embeddings.create(model="text-embedding-3-small", input="hello")
    assert len(emb64.data[0].embedding) == 1536  # the SDK asks for base64 and decodes it
    assert [m.id for m in client.models.list()][:2] == ["gpt-4o-mini", "gpt-4o"]


async def test_openai_async_sdk_stream(emulators):
    async with openai.AsyncOpenAI(
        base_url=emulators["groq"].base_url, api_key="k", max_retries=0
    ) as client:
        stream = await client.chat.completions.create(
            model="llama-3.1-8b-instant", messages=USER, stream=True
        )
        pieces = [c.choices[0].delta.content async for c in stream if c.choices]
    assert "".join(p or "" for p in pieces).startswith("You said:")


@pytest.fixture
def mistral(emulators):
    with Mistral(api_key="k", server_url=emulators["mistral"].origin) as client:
        yield client


def test_mistral_sdk_chat_stream_tools(mistral):
    out = mistral.chat.complete(model="mistral-small-latest", messages=USER)
    assert out.choices[0].message.content.startswith("You said:")
    assert out.usage.total_tokens > 0
    text, usage = "", None
    for event in mistral.chat.stream(model="mistral-small-latest", messages=USER):
        text += event.data.choices[0].delta.content or ""
        usage = event.data.usage or usage
    assert text == out.choices[0].message.content
    assert usage.total_tokens == out.usage.total_tokens
    tools = mistral.chat.complete(
        model="mistral-small-latest", messages=USER, tools=[TOOL], tool_choice="any"
    )
    call = tools.choices[0].message.tool_calls[0]
    assert len(call.id) == 9
    history = [
        *USER,
        {"role": "assistant", "content": "", "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "name": "get_capital", "content": "London"},
    ]
    final = mistral.chat.complete(model="mistral-small-latest", messages=history, tools=[TOOL])
    assert "London" in final.choices[0].message.content


def test_mistral_sdk_fim_embeddings_errors(mistral):
    fim = mistral.fim.complete(model="codestral-latest", prompt="def f():", suffix="f()")
    assert "return None" in fim.choices[0].message.content
    chunks = list(mistral.fim.stream(model="codestral-latest", prompt="def f():"))
    assert chunks[-1].data.usage.total_tokens > 0
    emb = mistral.embeddings.create(model="mistral-embed", inputs=["a", "b"])
    assert len(emb.data) == 2 and len(emb.data[0].embedding) == 1024
    with pytest.raises(Exception, match="Invalid model"):
        mistral.chat.complete(model="nope", messages=USER)
