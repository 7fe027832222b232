"""The eight OpenAI-compatible profiles, one data row each (see ``profiles.py``)."""

from __future__ import annotations

from types import MappingProxyType

from polyroute.emulators.openai_compat.profiles import (
    CEREBRAS_EXTRA_FIELDS,
    DEEPINFRA_CHAT_FIELDS,
    DEEPINFRA_EMBEDDING_FIELDS,
    GROQ_EXTRA_FIELDS,
    MISTRAL_CHAT_FIELDS,
    MISTRAL_EMBEDDING_FIELDS,
    MISTRAL_FIM_FIELDS,
    MISTRAL_MESSAGE_FIELDS,
    OPENAI_CHAT_FIELDS,
    OPENAI_EMBEDDING_FIELDS,
    OPENROUTER_CHAT_FIELDS,
    XAI_EXTRA_FIELDS,
    ModelCard,
    Profile,
    StreamStyle,
)

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

_OPENAI = Profile(
    name="openai",
    base_path="/v1",
    models=(
        ModelCard("gpt-4o-mini", vision=True, snapshot="gpt-4o-mini-2024-07-18", owned_by="system"),
        ModelCard("gpt-4o", vision=True, snapshot="gpt-4o-2024-08-06", owned_by="system"),
        ModelCard(
            "o4-mini",
            vision=True,
            reasoning=True,
            context_window=200_000,
            snapshot="o4-mini-2025-04-16",
        ),
        ModelCard("text-embedding-3-small", kind="embedding", dimensions=1536),
        ModelCard("text-embedding-3-large", kind="embedding", dimensions=3072),
    ),
    error_style="openai",
    strictness="reject",
    chat_fields=OPENAI_CHAT_FIELDS,
    embedding_fields=OPENAI_EMBEDDING_FIELDS,
    reasoning_only_fields=frozenset({"reasoning_effort"}),
    stream=StreamStyle(obfuscation=True, usage_null_on_chunks=True, refusal_in_first_delta=True),
    headers=MappingProxyType(
        {
            "openai-version": "2020-10-01",
            "x-ratelimit-limit-requests": "10000",
            "x-ratelimit-limit-tokens": "30000000",
            "x-ratelimit-remaining-requests": "9999",
            "x-ratelimit-remaining-tokens": "29999950",
            "x-ratelimit-reset-requests": "6ms",
            "x-ratelimit-reset-tokens": "0s",
        }
    ),
    request_id_header="x-request-id",
    processing_ms_header="openai-processing-ms",
    null_logprobs_in_body=False,
    service_tier=True,
)

_MISTRAL = Profile(
    name="mistral",
    base_path="/v1",
    models=(
        ModelCard("mistral-small-latest", vision=True, owned_by="mistralai"),
        ModelCard("mistral-large-latest", vision=True, owned_by="mistralai"),
        ModelCard("magistral-medium-latest", reasoning=True, owned_by="mistralai"),
        ModelCard("codestral-latest", fim=True, context_window=256_000, owned_by="mistralai"),
        ModelCard("mistral-embed", kind="embedding", dimensions=1024, owned_by="mistralai"),
        ModelCard("codestral-embed", kind="embedding", dimensions=1536, owned_by="mistralai"),
    ),
    error_style="mistral",
    strictness="forbid",
    chat_fields=MISTRAL_CHAT_FIELDS,
    embedding_fields=MISTRAL_EMBEDDING_FIELDS,
    fim_fields=MISTRAL_FIM_FIELDS,
    message_fields=MISTRAL_MESSAGE_FIELDS,
    max_tokens_fields=("max_tokens",),
    seed_field="random_seed",
    required_tool_choices=frozenset({"required", "any"}),
    tool_call_id_rule=(9, _ALNUM),
    completion_ids="hex32",
    tool_ids="mistral",
    embedding_dimensions_field="output_dimension",
    logprobs=False,
    stream=StreamStyle(
        usage="last_chunk",
        logprobs_key=False,
        finish_delta=MappingProxyType({"content": ""}),
        tool_calls_whole=True,
    ),
    headers=MappingProxyType(
        {
            "x-ratelimit-limit-tokens-minute": "2000000",
            "x-ratelimit-remaining-tokens-minute": "1999950",
            "x-ratelimit-tokens-query-cost": "50",
            "x-ratelimit-limit-req-minute": "360",
            "x-ratelimit-remaining-req-minute": "359",
        }
    ),
    request_id_header="mistral-correlation-id",
    system_fingerprint=False,
    usage_shape="mistral",
)

_GROQ = Profile(
    name="groq",
    base_path="/openai/v1",
    models=(
        ModelCard("llama-3.1-8b-instant", context_window=131_072),
        ModelCard("llama-3.3-70b-versatile", context_window=131_072),
        ModelCard("openai/gpt-oss-20b", reasoning=True, context_window=131_072),
        ModelCard("meta-llama/llama-4-scout-17b-16e-instruct", vision=True),
    ),
    error_style="groq",
    strictness="reject",
    chat_fields=OPENAI_CHAT_FIELDS | GROQ_EXTRA_FIELDS,
    embedding_fields=OPENAI_EMBEDDING_FIELDS,
    completion_ids="uuid",
    tool_ids="groq",
    stream=StreamStyle(usage="x_groq", groq_ids=True),
    headers=MappingProxyType(
        {
            "x-ratelimit-limit-requests": "14400",
            "x-ratelimit-limit-tokens": "6000",
            "x-ratelimit-remaining-requests": "14399",
            "x-ratelimit-remaining-tokens": "5950",
            "x-ratelimit-reset-requests": "6s",
            "x-ratelimit-reset-tokens": "500ms",
        }
    ),
    request_id_header="x-request-id",
    usage_shape="groq",
)

_CEREBRAS = Profile(
    name="cerebras",
    base_path="/v1",
    models=(
        ModelCard("llama3.1-8b", context_window=32_768),
        ModelCard("llama-3.3-70b", context_window=65_536),
        ModelCard("gpt-oss-120b", reasoning=True, context_window=65_536),
        ModelCard("zai-glm-4.6", reasoning=True, context_window=131_072),
    ),
    error_style="cerebras",
    strictness="reject",
    chat_fields=OPENAI_CHAT_FIELDS | CEREBRAS_EXTRA_FIELDS,
    embedding_fields=OPENAI_EMBEDDING_FIELDS,
    completion_ids="uuid",
    tool_ids="cerebras",
    stream=StreamStyle(usage="last_chunk", time_info=True, logprobs_key=False),
    headers=MappingProxyType(
        {
            "x-ratelimit-limit-requests-day": "14400",
            "x-ratelimit-limit-tokens-minute": "60000",
            "x-ratelimit-remaining-requests-day": "14399",
            "x-ratelimit-remaining-tokens-minute": "59950",
            "x-ratelimit-reset-requests-day": "33011.38",
            "x-ratelimit-reset-tokens-minute": "11.38",
        }
    ),
    request_id_header="inference-id",
    usage_shape="cerebras",
)

_DEEPINFRA = Profile(
    name="deepinfra",
    base_path="/v1/openai",
    models=(
        ModelCard("meta-llama/Meta-Llama-3.1-8B-Instruct", owned_by="deepinfra"),
        ModelCard("meta-llama/Llama-3.3-70B-Instruct", owned_by="deepinfra"),
        ModelCard("Qwen/Qwen2.5-VL-32B-Instruct", vision=True, owned_by="deepinfra"),
        ModelCard("BAAI/bge-base-en-v1.5", kind="embedding", dimensions=768, owned_by="deepinfra"),
    ),
    error_style="openai",
    strictness="permissive",
    chat_fields=DEEPINFRA_CHAT_FIELDS,
    embedding_fields=DEEPINFRA_EMBEDDING_FIELDS,
    max_tokens_fields=("max_tokens", "max_completion_tokens"),
    completion_ids="openai",
    tool_ids="plain",
    usage_shape="deepinfra",
)

_XAI = Profile(
    name="xai",
    base_path="/v1",
    models=(
        ModelCard("grok-4", vision=True, reasoning=True, context_window=256_000, owned_by="xai"),
        ModelCard("grok-3-mini", reasoning=True, context_window=131_072, owned_by="xai"),
        ModelCard("grok-3", context_window=131_072, owned_by="xai"),
    ),
    error_style="xai",
    strictness="reject",
    chat_fields=OPENAI_CHAT_FIELDS | XAI_EXTRA_FIELDS,
    embedding_fields=OPENAI_EMBEDDING_FIELDS,
    completion_ids="uuid",
    tool_ids="plain",
    usage_shape="xai",
    headers=MappingProxyType(
        {
            "x-ratelimit-limit-requests": "480",
            "x-ratelimit-limit-tokens": "2000000",
            "x-ratelimit-remaining-requests": "479",
            "x-ratelimit-remaining-tokens": "1999950",
        }
    ),
)

_OPENROUTER = Profile(
    name="openrouter",
    base_path="/api/v1",
    models=(
        ModelCard("openai/gpt-4o-mini", vision=True, owned_by="openai"),
        ModelCard(
            "anthropic/claude-sonnet-4.5",
            vision=True,
            reasoning=True,
            context_window=1_000_000,
            owned_by="anthropic",
        ),
        ModelCard("mistralai/mistral-small-3.2-24b-instruct", vision=True, owned_by="mistralai"),
        ModelCard(
            "openai/text-embedding-3-small", kind="embedding", dimensions=1536, owned_by="openai"
        ),
    ),
    error_style="openrouter",
    strictness="permissive",
    chat_fields=OPENROUTER_CHAT_FIELDS,
    embedding_fields=OPENAI_EMBEDDING_FIELDS,
    required_chat=("messages",),
    completion_ids="openrouter",
    tool_ids="plain",
    stream=StreamStyle(
        usage="always_final", native_finish_reason=True, keepalive=b": OPENROUTER PROCESSING\n\n"
    ),
    system_fingerprint=False,
    usage_shape="openrouter",
)

_SELF_HOSTED = Profile(
    name="openai-compatible",
    base_path="/v1",
    models=(
        ModelCard("meta-llama/Llama-3.1-8B-Instruct", context_window=32_768, owned_by="vllm"),
        ModelCard(
            "Qwen/Qwen2.5-VL-7B-Instruct", vision=True, context_window=32_768, owned_by="vllm"
        ),
        ModelCard("nomic-embed-text", kind="embedding", dimensions=768, owned_by="vllm"),
    ),
    error_style="vllm",
    strictness="permissive",
    chat_fields=OPENAI_CHAT_FIELDS,
    embedding_fields=OPENAI_EMBEDDING_FIELDS,
    completion_ids="vllm",
    tool_ids="plain",
    system_fingerprint=False,
    usage_shape="vllm",
)

PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (_OPENAI, _MISTRAL, _GROQ, _CEREBRAS, _DEEPINFRA, _XAI, _OPENROUTER, _SELF_HOSTED)
}
