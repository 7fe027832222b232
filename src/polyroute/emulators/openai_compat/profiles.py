"""One declared profile per OpenAI-compatible provider: models, field tables, wire quirks.

Field tables are written from the published specs (``../shared/specs``):
OpenAI ``CreateChatCompletionRequest`` (allOf resolved), Mistral ``ChatCompletionRequest`` /
``FIMCompletionRequest`` / ``EmbeddingRequest``, OpenRouter ``ChatRequest``, DeepInfra
``OpenAIChatCompletionsIn``. Groq, Cerebras and xAI have no published spec: OpenAI's table
plus the extras their SDKs declare. ``tests/emulators/test_spec_tables.py`` re-derives the
tables from the spec files and compares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

ErrorStyle = Literal["openai", "groq", "mistral", "openrouter", "xai", "cerebras", "vllm"]
Strictness = Literal["reject", "forbid", "permissive"]
"""``reject``: 400 on the first unknown field; ``forbid``: 422 listing every extra field
(pydantic ``extra="forbid"``); ``permissive``: unknown fields are ignored."""
IdStyle = Literal["openai", "hex32", "uuid", "openrouter", "vllm"]
ToolIdStyle = Literal["openai", "mistral", "groq", "cerebras", "plain"]
UsageInStream = Literal["opt_in", "last_chunk", "x_groq", "always_final"]
UsageShape = Literal[
    "openai", "mistral", "groq", "cerebras", "openrouter", "xai", "deepinfra", "vllm"
]


@dataclass(frozen=True, slots=True)
class ModelCard:
    id: str
    kind: Literal["chat", "embedding"] = "chat"
    vision: bool = False
    reasoning: bool = False
    fim: bool = False
    context_window: int = 128_000
    dimensions: int = 0
    """Embedding vector size (embedding models)."""
    snapshot: str | None = None
    """The dated name the provider echoes in ``model`` (OpenAI does)."""
    owned_by: str = "system"


@dataclass(frozen=True, slots=True)
class StreamStyle:
    usage: UsageInStream = "opt_in"
    """``opt_in``: a ``choices: []`` chunk when ``stream_options.include_usage``;
    ``last_chunk``: usage always on the finish chunk; ``x_groq``: ``x_groq.usage`` on the
    finish chunk (+ top-level usage chunk on opt-in); ``always_final``: a final usage chunk
    is always sent (OpenRouter)."""
    obfuscation: bool = False
    usage_null_on_chunks: bool = False
    """With opt-in usage, every chunk carries ``"usage": null`` (OpenAI)."""
    logprobs_key: bool = True
    refusal_in_first_delta: bool = False
    finish_delta: Mapping[str, object] = field(default_factory=dict)
    tool_calls_whole: bool = False
    """The provider sends each tool call complete in one delta (Mistral)."""
    keepalive: bytes | None = None
    native_finish_reason: bool = False
    time_info: bool = False
    groq_ids: bool = False


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    base_path: str
    models: tuple[ModelCard, ...]
    error_style: ErrorStyle
    strictness: Strictness
    chat_fields: frozenset[str]
    embedding_fields: frozenset[str]
    fim_fields: frozenset[str] = frozenset()
    message_fields: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Per role; checked only under ``forbid`` (Mistral validates message objects too)."""
    required_chat: tuple[str, ...] = ("model", "messages")
    max_tokens_fields: tuple[str, ...] = ("max_completion_tokens", "max_tokens")
    seed_field: str = "seed"
    required_tool_choices: frozenset[str] = frozenset({"required"})
    reasoning_only_fields: frozenset[str] = frozenset()
    """Fields a non-reasoning model rejects as unrecognised (OpenAI ``reasoning_effort``)."""
    tool_call_id_rule: tuple[int, str] | None = None
    """(length, alphabet) every tool-call id sent back must match, else 400."""
    completion_ids: IdStyle = "openai"
    tool_ids: ToolIdStyle = "openai"
    embedding_dimensions_field: str | None = "dimensions"
    logprobs: bool = True
    stream: StreamStyle = field(default_factory=StreamStyle)
    headers: Mapping[str, str] = field(default_factory=dict)
    """Static response headers (rate limits); per-request ids are added by the app."""
    request_id_header: str | None = None
    system_fingerprint: bool = True
    service_tier: bool = False
    usage_shape: UsageShape = "openai"
    """Which fields ``usage`` carries (timings, cost, token details)."""
    processing_ms_header: str | None = None
    null_logprobs_in_body: bool = True
    """Non-stream choices carry ``"logprobs": null`` when none were asked for (OpenAI's
    2026 recordings omit the key; its stream chunks still carry it)."""

    def model(self, model_id: object) -> ModelCard | None:
        return next((m for m in self.models if m.id == model_id), None)


OPENAI_CHAT_FIELDS = frozenset(
    {
        "audio", "frequency_penalty", "function_call", "functions", "logit_bias", "logprobs",
        "max_completion_tokens", "max_tokens", "messages", "metadata", "modalities", "model",
        "moderation", "n", "parallel_tool_calls", "prediction", "presence_penalty",
        "prompt_cache_key", "prompt_cache_options", "prompt_cache_retention", "reasoning_effort",
        "response_format", "safety_identifier", "seed", "service_tier", "stop", "store",
        "stream", "stream_options", "temperature", "tool_choice", "tools", "top_logprobs",
        "top_p", "user", "verbosity", "web_search_options",
    }
)  # fmt: skip
OPENAI_EMBEDDING_FIELDS = frozenset({"dimensions", "encoding_format", "input", "model", "user"})
MISTRAL_CHAT_FIELDS = frozenset(
    {
        "frequency_penalty", "guardrails", "max_tokens", "messages", "metadata", "model", "n",
        "parallel_tool_calls", "prediction", "presence_penalty", "prompt_cache_key",
        "prompt_mode", "random_seed", "reasoning_effort", "response_format", "safe_prompt",
        "service_tier", "stop", "stream", "temperature", "tool_choice", "tools", "top_p",
    }
)  # fmt: skip
MISTRAL_FIM_FIELDS = frozenset(
    {
        "max_tokens", "metadata", "min_tokens", "model", "prompt", "prompt_cache_key",
        "random_seed", "stop", "stream", "suffix", "temperature", "top_p",
    }
)  # fmt: skip
MISTRAL_EMBEDDING_FIELDS = frozenset(
    {"encoding_format", "input", "metadata", "model", "output_dimension", "output_dtype"}
)
MISTRAL_MESSAGE_FIELDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "system": frozenset({"content", "role"}),
        "user": frozenset({"content", "role"}),
        "assistant": frozenset({"content", "prefix", "role", "tool_calls"}),
        "tool": frozenset({"content", "name", "role", "tool_call_id"}),
    }
)
OPENROUTER_CHAT_FIELDS = frozenset(
    {
        "cache_control", "debug", "frequency_penalty", "image_config", "logit_bias", "logprobs",
        "max_completion_tokens", "max_tokens", "messages", "metadata", "min_p", "modalities",
        "model", "models", "parallel_tool_calls", "plugins", "prediction", "presence_penalty",
        "prompt_cache_key", "prompt_cache_options", "provider", "reasoning", "reasoning_effort",
        "repetition_penalty", "response_format", "route", "seed", "service_tier", "session_id",
        "stop", "stop_server_tools_when", "stream", "stream_options", "temperature",
        "tool_choice", "tools", "top_a", "top_k", "top_logprobs", "top_p", "trace", "user",
    }
)  # fmt: skip
DEEPINFRA_CHAT_FIELDS = frozenset(
    {
        "chat_template_kwargs", "frequency_penalty", "logprobs", "max_tokens", "messages",
        "min_p", "model", "n", "presence_penalty", "prompt_cache_key", "reasoning",
        "reasoning_effort", "repetition_penalty", "response_format", "seed", "stop", "stream",
        "stream_options", "temperature", "tool_choice", "tools", "top_k", "top_p", "user",
    }
)  # fmt: skip
DEEPINFRA_EMBEDDING_FIELDS = frozenset(
    {"dimensions", "encoding_format", "input", "model", "service_tier"}
)
GROQ_EXTRA_FIELDS = frozenset(
    {
        "reasoning_format", "include_reasoning", "search_settings", "compound_custom",
        "disable_tool_validation", "documents", "citation_options", "exclude_domains",
        "include_domains",
    }
)  # fmt: skip
CEREBRAS_EXTRA_FIELDS = frozenset({"reasoning_format", "clear_thinking", "disable_reasoning"})
XAI_EXTRA_FIELDS = frozenset({"search_parameters", "deferred"})
