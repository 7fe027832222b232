#!/usr/bin/env python3
"""Regenerate ``src/polyroute/catalog/models.json`` from LiteLLM's price table.

Usage::

    python scripts/refresh_catalog.py PATH/TO/model_prices_and_context_window.json \
        [--effective YYYY-MM-DD] [--out src/polyroute/catalog/models.json]

Where the figures come from: the table BerriAI/litellm ships as
``model_prices_and_context_window.json`` (the team's copy is
``../shared/specs/litellm/``, taken from the ``litellm==1.110.2`` wheel). Only the rows in
``SELECTION`` below are read; prices are converted from USD per token (floats) to USD per
million tokens (exact decimal strings, via ``repr`` of the float, so no binary noise).

Capabilities are read from the row's ``supports_*`` flags, except where the table has no
field and we have better evidence:

* ``fim``: Mistral's ``/v1/fim/completions`` serves the Codestral models (Mistral's OpenAPI
  spec and model cards) -- ``FIM_MODELS``.
* ``prefill``: the row's ``supports_assistant_prefill`` (Mistral calls it ``prefix``);
  providers without that flag are recorded as not supporting it.
* OpenRouter has no rows of its own: OpenRouter passes each upstream's list price through
  (its fee is charged on credit purchases, not per token), so its entries copy the
  upstream vendor's row and name it in ``derived_from``.

Only base (standard-tier, up-to-200k-context) prices are recorded: batch, flex, priority and
long-context surcharges are out of scope of the catalog.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "src/polyroute/catalog/models.json"

# provider -> (our id, LiteLLM key). Our id is the provider's own model id.
SELECTION: dict[str, list[tuple[str, str]]] = {
    "mistral": [
        (m, f"mistral/{m}")
        for m in (
            "mistral-small-latest",
            "mistral-medium-latest",
            "mistral-large-latest",
            "ministral-3b-latest",
            "ministral-8b-latest",
            "ministral-14b-latest",
            "magistral-small-latest",
            "magistral-medium-latest",
            "pixtral-large-latest",
            "open-mistral-nemo",
            "codestral-latest",
            "codestral-2508",
            "devstral-small-latest",
            "devstral-medium-latest",
            "mistral-embed",
            "codestral-embed",
        )
    ],
    "openai": [
        (m, m)
        for m in (
            "gpt-4o",
            "gpt-4o-mini",
            "gpt-4.1",
            "gpt-4.1-mini",
            "gpt-4.1-nano",
            "gpt-5",
            "gpt-5-mini",
            "gpt-5-nano",
            "gpt-5.1",
            "gpt-5.2",
            "o3",
            "o3-mini",
            "o4-mini",
            "text-embedding-3-small",
            "text-embedding-3-large",
        )
    ],
    "anthropic": [
        (m, m)
        for m in (
            "claude-haiku-4-5",
            "claude-sonnet-4-5",
            "claude-sonnet-4-6",
            "claude-opus-4-5",
            "claude-opus-4-6",
        )
    ],
    "gemini": [
        (m, f"gemini/{m}")
        for m in (
            "gemini-2.5-flash",
            "gemini-2.5-flash-lite",
            "gemini-2.5-pro",
            "gemini-flash-latest",
            "gemini-flash-lite-latest",
            "gemini-pro-latest",
            "gemini-3-flash-preview",
            "gemini-3.1-pro-preview",
            "gemini-embedding-001",
        )
    ],
    "groq": [
        (m, f"groq/{m}") for m in ("openai/gpt-oss-120b", "openai/gpt-oss-20b", "qwen/qwen3.8-27b")
    ],
    "cerebras": [
        (m, f"cerebras/{m}")
        for m in ("gpt-oss-120b", "llama3.1-8b", "llama-3.3-70b", "qwen-3-32b", "gemma-4-31b")
    ],
    "deepinfra": [
        (m, f"deepinfra/{m}")
        for m in (
            "meta-llama/Llama-3.3-70B-Instruct-Turbo",
            "meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo",
            "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8",
            "Qwen/Qwen3-235B-A22B-Instruct-2507",
            "Qwen/Qwen3-Coder-480B-A35B-Instruct-Turbo",
            "deepseek-ai/DeepSeek-V3.1",
            "deepseek-ai/DeepSeek-R1-0528",
            "openai/gpt-oss-120b",
            "moonshotai/Kimi-K2-Instruct-0905",
            "mistralai/Mistral-Small-3.2-24B-Instruct-2506",
        )
    ],
    "xai": [
        (m, f"xai/{m}")
        for m in (
            "grok-4.3",
            "grok-4.20-reasoning",
            "grok-4.20-non-reasoning",
            "grok-code-fast-1",
        )
    ],
    "openrouter": [
        ("openai/gpt-4o-mini", "gpt-4o-mini"),
        ("openai/gpt-4o", "gpt-4o"),
        ("openai/gpt-4.1", "gpt-4.1"),
        ("anthropic/claude-haiku-4.5", "claude-haiku-4-5"),
        ("anthropic/claude-sonnet-4.5", "claude-sonnet-4-5"),
        ("google/gemini-2.5-flash", "gemini/gemini-2.5-flash"),
        ("google/gemini-2.5-pro", "gemini/gemini-2.5-pro"),
        ("mistralai/mistral-small-latest", "mistral/mistral-small-latest"),
        ("mistralai/codestral-2508", "mistral/codestral-2508"),
    ],
}

FIM_MODELS = {("mistral", "codestral-latest"), ("mistral", "codestral-2508")}
_DATED = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8}|\d{4})")


def per_million(value: Any) -> str | None:
    """USD per token (a JSON float) -> USD per million tokens as an exact decimal string."""
    if value is None:
        return None
    number = Decimal(repr(float(value))).scaleb(6).normalize()
    return format(number, "f")


def capabilities(provider: str, model: str, row: dict[str, Any]) -> list[str]:
    caps = set()
    flags = {
        "tools": "supports_function_calling",
        "images": "supports_vision",
        "json_schema": "supports_response_schema",
        "reasoning": "supports_reasoning",
        "prefill": "supports_assistant_prefill",
    }
    caps.update(cap for cap, flag in flags.items() if row.get(flag))
    if row.get("mode") == "embedding":
        caps = {"embeddings"}
    if (provider, model) in FIM_MODELS:
        caps.add("fim")
    return sorted(caps)


def prices(row: dict[str, Any]) -> dict[str, str]:
    fields = {
        "input": "input_cost_per_token",
        "output": "output_cost_per_token",
        "cached_input": "cache_read_input_token_cost",
        "cache_write": "cache_creation_input_token_cost",
        "reasoning": "output_cost_per_reasoning_token",
    }
    out = {name: per_million(row.get(key)) for name, key in fields.items()}
    if out["reasoning"] is not None and out["reasoning"] == out["output"]:
        out["reasoning"] = None  # reasoning is billed as ordinary output: keep it inside output
    return {name: value for name, value in out.items() if value is not None}


def aliases(table: dict[str, Any], key: str, model: str, row: dict[str, Any]) -> list[str]:
    """Dated snapshots of ``key`` with exactly the same prices and limits (evidence only)."""
    prefix = key[: len(key) - len(model)]
    found = []
    for other, candidate in table.items():
        if other == key or not other.startswith(key + "-") or not isinstance(candidate, dict):
            continue
        if not _DATED.fullmatch(other[len(key) :]):
            continue
        same = all(
            candidate.get(f) == row.get(f)
            for f in ("input_cost_per_token", "output_cost_per_token", "max_input_tokens")
        )
        if same:
            found.append(other[len(prefix) :])
    return sorted(found)


def entry(provider: str, model: str, key: str, table: dict[str, Any]) -> dict[str, Any]:
    row = table[key]
    data: dict[str, Any] = {
        "kind": "embedding" if row.get("mode") == "embedding" else "chat",
        "context_window": row.get("max_input_tokens"),
        "max_output": row.get("max_output_tokens"),
        "capabilities": capabilities(provider, model, row),
        "prices": prices(row),
    }
    if provider == "openrouter":
        data["derived_from"] = key
        data["capabilities"] = [c for c in data["capabilities"] if c not in ("prefill", "fim")]
    else:
        found = aliases(table, key, model, row)
        if found:
            data["aliases"] = found
    if row.get("deprecation_date"):
        data["deprecation_date"] = row["deprecation_date"]
    return {k: v for k, v in data.items() if v is not None}


def build(table: dict[str, Any], source_digest: str, effective: str) -> dict[str, Any]:
    providers: dict[str, dict[str, Any]] = {}
    for provider, selected in SELECTION.items():
        models = {}
        for model, key in selected:
            if key not in table:
                raise SystemExit(f"{key!r} is not in the reference table; update SELECTION")
            models[model] = entry(provider, model, key, table)
        providers[provider] = models
    return {
        "version": f"{effective}+litellm.{source_digest[:12]}",
        "effective_date": effective,
        "currency": "USD",
        "price_unit": "per 1M tokens",
        "source": "BerriAI/litellm model_prices_and_context_window.json (litellm==1.110.2)",
        "providers": providers,
    }


def render(catalog: dict[str, Any]) -> str:
    """JSON with one line per model, so a price change is a one-line diff."""
    head = {k: v for k, v in catalog.items() if k != "providers"}
    lines = ["{"]
    lines += [f" {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()]
    lines.append(' "providers": {')
    providers = list(catalog["providers"].items())
    for i, (provider, models) in enumerate(providers):
        lines.append(f"  {json.dumps(provider)}: {{")
        rows = [f"   {json.dumps(m)}: {json.dumps(e)}" for m, e in models.items()]
        lines.append(",\n".join(rows))
        lines.append("  }" + ("," if i < len(providers) - 1 else ""))
    lines += [" }", "}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("table", type=Path, help="LiteLLM model_prices_and_context_window.json")
    parser.add_argument("--effective", default=dt.date.today().isoformat())
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    raw = args.table.read_bytes()
    catalog = build(json.loads(raw), hashlib.sha256(raw).hexdigest(), args.effective)
    args.out.write_text(render(catalog))
    count = sum(len(m) for m in catalog["providers"].values())
    print(f"wrote {args.out} ({count} models, version {catalog['version']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
