"""The ``auto`` route's classifier on a labelled set of prompts, and its speed (reported)."""

from __future__ import annotations

import time

import pytest
from routing_helpers import chat

from polyroute.canonical import ChatRequest, FimRequest, Message, TextPart
from polyroute.routing import classify, extract_features

LABELLED: list[tuple[str, str]] = [
    # simple
    ("small", "hi there, how are you?"),
    ("small", "What is the capital of Australia?"),
    ("small", "What is the function of the liver?"),
    ("small", "Summarize this email: the meeting moved to 3pm, bring the slides."),
    ("small", "Translate 'good morning' into French and German."),
    ("small", "Give me three name ideas for a bakery."),
    ("small", "Plan my trip:\n1. book flights\n2. hotel\n3. car\n4. museum tickets"),
    ("small", "Is a tomato a fruit or a vegetable?"),
    ("small", "Let me know a good time for lunch, and what to cook tonight."),
    # code
    ("code", "```python\ndef f(x):\n    return x\n```\nwhy does this fail?"),
    ("code", "Write a function in Python that parses a CSV file."),
    ("code", "Implement a binary search in Rust."),
    ("code", "const total = items.reduce((a, b) => a + b, 0); why is total NaN?"),
    ("code", "SELECT name FROM users WHERE id = 3 is slow, how do I speed it up?"),
    ("code", "I get this traceback in my Django view: KeyError 'user'. How do I debug it?"),
    ("code", '#include <stdio.h>\nint main() { printf("hi"); return 0; }\nexplain the output'),
    ("code", "Refactor this TypeScript class to use dependency injection."),
    ("code", "Write unit tests for my Go HTTP handler in golang."),
    # hard
    ("flagship", "Prove that there are infinitely many primes, step by step."),
    ("flagship", "Derive the closed form of the integral of x^2 e^x and justify each step."),
    ("flagship", "Compare and contrast the trade-offs of event sourcing versus CRUD architecture."),
    (
        "flagship",
        "Analyze the implications of rising interest rates, and evaluate three strategy options.",
    ),
    (
        "flagship",
        "Design a rollout:\n1. analyze risk\n2. derive a schedule\n3. evaluate cost\n4. memo",
    ),
    (
        "flagship",
        "What is the probability that two of 23 people share a birthday? Show a rigorous proof.",
    ),
]


@pytest.mark.parametrize(
    ("tier", "text"), LABELLED, ids=[f"{t}-{i}" for i, (t, _) in enumerate(LABELLED)]
)
def test_labelled_prompts(tier: str, text: str) -> None:
    request = chat(text)
    choice = classify(request, extract_features(request))
    assert choice.tier == tier, choice
    assert choice.reasons


def test_fim_goes_to_code() -> None:
    request = FimRequest(model="auto", prompt="def add(a, b):\n    ", suffix="\n")
    choice = classify(request, extract_features(request))
    assert (choice.tier, choice.reasons) == ("code", ("fim request",))


def test_structural_cues_escalate() -> None:
    long = chat("Please read this report. " * 2500)  # ~15k tokens
    assert classify(long, extract_features(long)).tier == "flagship"
    effort = chat("hello", reasoning_effort="high")
    assert classify(effort, extract_features(effort)).tier == "flagship"
    agentic = chat("Book me a table and tell me the weather.", tools=5)
    choice = classify(agentic, extract_features(agentic))
    assert choice.hard_score == 1 and choice.tier == "small"  # tools alone are not enough
    deep = ChatRequest(
        model="auto",
        messages=[
            Message("user" if i % 2 == 0 else "assistant", [TextPart("and then?")])
            for i in range(13)
        ],
        tools=agentic.tools,
    )
    assert classify(deep, extract_features(deep)).tier == "flagship"


def test_only_the_latest_user_turn_is_read() -> None:
    request = ChatRequest(
        model="auto",
        messages=[
            Message("user", [TextPart("```python\nprint(1)\n```")]),
            Message("assistant", [TextPart("It prints 1.")]),
            Message("user", [TextPart("Thanks! What's a good name for a cat?")]),
        ],
    )
    assert classify(request, extract_features(request)).tier == "small"


def test_decision_time_is_reported() -> None:
    """Reports (does not assert) the time per classification; see benchmarks/classifier_bench.py."""
    requests = [chat(text) for _, text in LABELLED]
    requests.append(chat("```python\n" + "x = foo(bar) + 1\n" * 400 + "```\nrefactor this"))
    features = [extract_features(r) for r in requests]
    rounds = 200
    start = time.perf_counter()
    for _ in range(rounds):
        for request, feature in zip(requests, features, strict=True):
            classify(request, feature)
    per_call = (time.perf_counter() - start) / (rounds * len(requests))
    print(f"\nclassify: {per_call * 1e6:.1f} us per request (mean over {len(requests)} prompts)")
