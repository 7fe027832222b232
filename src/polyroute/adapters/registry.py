"""Which adapter speaks which protocol: one line per wire protocol."""

from __future__ import annotations

from collections.abc import Callable

from polyroute.adapters.anthropic import AnthropicAdapter
from polyroute.adapters.base import Adapter
from polyroute.adapters.gemini import GeminiAdapter
from polyroute.adapters.http import HttpClient
from polyroute.adapters.openai_compat import OpenAICompatAdapter
from polyroute.config import ResolvedProvider, TimeoutConfig

AdapterFactory = Callable[[ResolvedProvider, HttpClient, TimeoutConfig], Adapter]

ADAPTERS: dict[str, AdapterFactory] = {
    "openai": OpenAICompatAdapter,
    "anthropic": AnthropicAdapter,
    "gemini": GeminiAdapter,
}


def adapter_for(
    provider: ResolvedProvider, session: HttpClient, timeouts: TimeoutConfig
) -> Adapter:
    return ADAPTERS[provider.spec.protocol](provider, session, timeouts)
