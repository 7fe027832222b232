"""Micro-benchmark of the routing decision: ``python benchmarks/classifier_bench.py``.

Times ``classify`` alone and a whole ``Router.decide`` on the ``auto`` route (features,
classification, screening, ordering, health) for short, code, hard and long prompts, with
four providers configured. Offline and self-contained; prints microseconds per call.
"""

from __future__ import annotations

import random
import timeit

from polyroute.canonical import ChatRequest, Message, TextPart, ToolSpec
from polyroute.catalog import load_catalog
from polyroute.config import settings_from_mapping
from polyroute.routing import Router, classify, extract_features

PROMPTS = {
    "short": "hi there, how are you?",
    "code": "```python\ndef f(x):\n    return x\n```\nwhy does this fail?",
    "hard": "Prove that there are infinitely many primes, step by step.",
    "long code": "```python\n" + "x = foo(bar) + 1\n" * 2000 + "```\nrefactor this",
    "long prose": "Please read this report carefully. " * 5000,
}


def main() -> None:
    keys = {
        k: "x" for k in ("MISTRAL_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY")
    }
    router = Router(settings_from_mapping({}, keys, "bench"), load_catalog(), rng=random.Random(0))
    tools = [ToolSpec(f"t{i}", parameters={"type": "object"}) for i in range(3)]
    print(f"{'prompt':<12}{'classify us':>14}{'decide us':>12}")
    for name, text in PROMPTS.items():
        request = ChatRequest(
            model="auto", messages=[Message("user", [TextPart(text)])], tools=tools
        )
        features = extract_features(request)
        n = 2000
        c = timeit.timeit(lambda r=request, f=features: classify(r, f), number=n) / n * 1e6
        d = timeit.timeit(lambda r=request: router.decide(r, "auto"), number=n) / n * 1e6
        print(f"{name:<12}{c:>14.1f}{d:>12.1f}")


if __name__ == "__main__":
    main()
