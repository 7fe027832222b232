"""Every provider polyroute knows, declared as data.

Field sets come from each provider's published spec (see ``../shared/specs/README.md`` in
the project's reading): OpenAI and Mistral reject fields they do not know (400 / 422), so
only the fields below are forwarded to them; self-hosted servers and aggregators take
anything the client sent.
"""

from __future__ import annotations

from polyroute.providers.spec import OpenAIDialect, ProviderSpec, ToolCallIdRule

_OPENAI_FIELDS = frozenset(
    {
        "audio",
        "logit_bias",
        "metadata",
        "modalities",
        "prediction",
        "prompt_cache_key",
        "prompt_cache_retention",
        "safety_identifier",
        "service_tier",
        "store",
        "verbosity",
        "web_search_options",
    }
)

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

PROVIDERS: dict[str, ProviderSpec] = {
    spec.name: spec
    for spec in (
        ProviderSpec(
            name="openai",
            protocol="openai",
            base_url="https://api.openai.com/v1",
            key_env="OPENAI_API_KEY",
            openai=OpenAIDialect(known_fields=_OPENAI_FIELDS, unsupported=frozenset({"top_k"})),
        ),
        ProviderSpec(
            name="mistral",
            protocol="openai",
            base_url="https://api.mistral.ai/v1",
            key_env="MISTRAL_API_KEY",
            openai=OpenAIDialect(
                seed_field="random_seed",
                max_tokens_field="max_tokens",
                required_tool_choice="any",
                tool_call_ids=ToolCallIdRule(length=9, alphabet=_ALNUM),
                stream_usage_opt_in=False,
                known_fields=frozenset(
                    {
                        "safe_prompt",
                        "prompt_mode",
                        "prediction",
                        "guardrails",
                        "prompt_cache_key",
                        "service_tier",
                        "metadata",
                    }
                ),
                unsupported=frozenset({"logprobs", "top_logprobs", "user", "top_k"}),
                embedding_dimensions_field="output_dimension",
                embedding_accepts_user=False,
                embedding_fields=frozenset({"output_dtype", "metadata"}),
                fim_path="/fim/completions",
                fim_fields=frozenset({"metadata", "prompt_cache_key"}),
                message_name_field=False,
                assistant_prefix=True,
                assistant_prefix_echoed=True,
            ),
        ),
        ProviderSpec(
            name="anthropic",
            protocol="anthropic",
            base_url="https://api.anthropic.com",
            auth="x-api-key",
            key_env="ANTHROPIC_API_KEY",
        ),
        ProviderSpec(
            name="gemini",
            protocol="gemini",
            base_url="https://generativelanguage.googleapis.com/v1beta",
            auth="x-goog-api-key",
            key_env="GEMINI_API_KEY",
        ),
        ProviderSpec(
            name="groq",
            protocol="openai",
            base_url="https://api.groq.com/openai/v1",
            key_env="GROQ_API_KEY",
            openai=OpenAIDialect(
                max_tokens_field="max_completion_tokens",
                known_fields=frozenset(
                    {
                        "reasoning_format",
                        "include_reasoning",
                        "service_tier",
                        "search_settings",
                        "compound_custom",
                        "disable_tool_validation",
                        "metadata",
                        "documents",
                        "citation_options",
                    }
                ),
                unsupported=frozenset({"top_k"}),
            ),
        ),
        ProviderSpec(
            name="cerebras",
            protocol="openai",
            base_url="https://api.cerebras.ai/v1",
            key_env="CEREBRAS_API_KEY",
            openai=OpenAIDialect(
                known_fields=frozenset({"service_tier", "reasoning_format", "prediction"}),
                unsupported=frozenset({"top_k"}),
            ),
        ),
        ProviderSpec(
            name="deepinfra",
            protocol="openai",
            base_url="https://api.deepinfra.com/v1/openai",
            key_env="DEEPINFRA_API_KEY",
            openai=OpenAIDialect(max_tokens_field="max_tokens", accepts_unknown_fields=True),
        ),
        ProviderSpec(
            name="xai",
            protocol="openai",
            base_url="https://api.x.ai/v1",
            key_env="XAI_API_KEY",
            openai=OpenAIDialect(
                known_fields=_OPENAI_FIELDS | {"search_parameters"},
                unsupported=frozenset({"top_k"}),
            ),
        ),
        ProviderSpec(
            name="openrouter",
            protocol="openai",
            base_url="https://openrouter.ai/api/v1",
            key_env="OPENROUTER_API_KEY",
            openai=OpenAIDialect(max_tokens_field="max_tokens", accepts_unknown_fields=True),
        ),
        ProviderSpec(
            name="openai-compatible",
            protocol="openai",
            base_url="http://127.0.0.1:8000/v1",
            requires_key=False,
            openai=OpenAIDialect(max_tokens_field="max_tokens", accepts_unknown_fields=True),
            description="A self-hosted OpenAI-compatible server (vLLM, Ollama, llama.cpp).",
        ),
    )
}


def provider_type(name: str, declared: str | None) -> ProviderSpec:
    """The spec for a configured provider: its declared ``type``, else its own name."""
    key = declared or name
    if key not in PROVIDERS:
        raise KeyError(key)
    return PROVIDERS[key]
