"""Request features and the capability screen, with the reasons kept."""

from __future__ import annotations

from routing_helpers import CATALOG, chat, names, t

from polyroute.canonical import (
    ChatRequest,
    EmbeddingRequest,
    FimRequest,
    Message,
    TextPart,
    ToolChoice,
)
from polyroute.routing import estimate_input_tokens, extract_features, screen
from polyroute.routing.features import DEFAULT_OUTPUT_TOKENS, IMAGE_TOKENS


def lookup(target):  # type: ignore[no-untyped-def]
    return CATALOG.get(target.provider, target.model)


def test_token_estimate_is_local_and_roughly_chars_over_four() -> None:
    assert estimate_input_tokens(chat("a" * 4000)) in range(1000, 1010)
    assert estimate_input_tokens(chat("日本語" * 100)) >= 300  # ~1 token per CJK character
    with_image = estimate_input_tokens(chat("hi", image=True))
    assert with_image - estimate_input_tokens(chat("hi")) == IMAGE_TOKENS
    assert estimate_input_tokens(chat("hi", tools=3)) > estimate_input_tokens(chat("hi"))


def test_features_of_a_chat_request() -> None:
    f = extract_features(chat("hi", tools=2, image=True, schema=True, max_tokens=100))
    assert (f.tools, f.images, f.json_schema, f.fim, f.output_tokens) == (2, True, True, False, 100)
    assert f.explicit_max_tokens
    assert extract_features(chat("hi")).output_tokens == DEFAULT_OUTPUT_TOKENS


def test_tool_choice_none_needs_no_tools() -> None:
    request = chat("hi", tools=2, tool_choice=ToolChoice("none"))
    assert extract_features(request).tools == 0


def test_prefill_is_a_trailing_prefix_assistant_message() -> None:
    request = ChatRequest(
        model="x",
        messages=[
            Message("user", [TextPart("Say hi")]),
            Message("assistant", [TextPart("Hi")], prefix=True),
        ],
    )
    assert extract_features(request).prefill


def test_fim_features() -> None:
    f = extract_features(FimRequest(model="x", prompt="def f(", suffix="return 1", max_tokens=64))
    assert f.fim and f.output_tokens == 64 and f.input_tokens > 0


def test_screen_skips_with_reasons() -> None:
    targets = [
        t("mistral/codestral-latest"),  # no images
        t("openai/gpt-4o"),
        t("mistral/mistral-embed"),  # an embedding model
        t("local/llama"),  # unknown: kept, unchecked
    ]
    result = screen(targets, extract_features(chat("look", image=True)), lookup)
    assert names(result.kept) == ["openai/gpt-4o", "local/llama"]
    assert [(x.name, why) for x, why in result.skipped] == [
        ("mistral/codestral-latest", "no images"),
        ("mistral/mistral-embed", "embedding model"),
    ]
    assert names(result.unknown) == ["local/llama"]


def test_screen_context_window() -> None:
    request = chat("word " * 600_000)  # ~750k tokens
    result = screen(
        [t("openai/gpt-4o"), t("gemini/gemini-2.5-flash")], extract_features(request), lookup
    )
    assert names(result.kept) == ["gemini/gemini-2.5-flash"]
    (target, why), = result.skipped  # fmt: skip
    assert target.name == "openai/gpt-4o" and why.startswith("context 128000 < ~")


def test_screen_max_output_tools_schema_prefill_fim() -> None:
    def reasons(request: ChatRequest | FimRequest, *models: str) -> list[str]:
        result = screen([t(m) for m in models], extract_features(request), lookup)
        return [why for _, why in result.skipped]

    assert reasons(chat(max_tokens=50_000), "openai/gpt-4o") == [
        "max output 16384 < max_tokens 50000"
    ]
    assert reasons(chat(tools=1), "mistral/open-mistral-nemo") == ["no tools"]
    assert reasons(chat(schema=True), "cerebras/llama3.1-8b") == ["no json_schema"]
    prefill = ChatRequest(
        model="x",
        messages=[
            Message("user", [TextPart("q")]),
            Message("assistant", [TextPart("a")], prefix=True),
        ],
    )
    assert reasons(prefill, "openai/gpt-4o", "anthropic/claude-haiku-4-5") == ["no prefill"]
    fim = FimRequest(model="x", prompt="def f(")
    assert reasons(fim, "mistral/codestral-latest", "mistral/mistral-large-latest") == ["no fim"]


def test_token_estimate_of_embedding_inputs() -> None:
    texts = EmbeddingRequest(model="m", inputs=["a" * 400, "b" * 40])
    assert estimate_input_tokens(texts) == 100 + 10
    assert estimate_input_tokens(EmbeddingRequest(model="m", inputs=[[1, 2, 3], [4]])) == 4
