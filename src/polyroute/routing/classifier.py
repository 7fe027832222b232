"""The ``auto`` route's local classifier: which tier -- small, flagship or code -- a request
needs. Rules, not a model: every decision names the cues that made it.

Rules (scores are small integers; only the latest user turn's first and last
``SCAN_CHARS / 2`` characters are read, so a decision costs tens of microseconds whatever
the prompt's size; every test is a substring or word-set lookup, no regular expression):

* FIM request                                        -> ``code``
* code score: code fence +2; code markers -- keywords (``def``, ``#include``, ``const``
  ...), operators (``=>``, ``::``, ``&&``, ``();``), symbol density (``{}();=<>[]`` over
  4% of the text), SQL (``select`` + ``from`` + ``where``) -- +1 for one kind, +2 for two
  or for SQL; a language name (``python``, ``sql``, ``c++`` ...) +1; a code-task word
  (``implement``, ``refactor``, ``debug``, ``traceback``, ``unit test`` ...) +1
* hard score: reasoning cues (``prove``, ``derive``, ``step by step``, ``trade-offs``,
  ``\\frac``, ``∑`` ...) +1, or +2 for two or more; three or more numbered steps +1;
  input over ~3k tokens +1 (over ~12k +2); four or more tools +1; twelve or more messages
  +1; ``reasoning_effort`` medium or higher +2
* code score >= 2 and hard score < 3                  -> ``code``
* hard score >= 2                                     -> ``flagship``
* otherwise                                           -> ``small``
"""

from __future__ import annotations

from dataclasses import dataclass

from polyroute.canonical import ChatRequest, FimRequest
from polyroute.routing.features import RequestFeatures

SCAN_CHARS = 3_000
"""Characters of the latest user turn the text rules read (head and tail halves)."""

# Every test is a word-set lookup or a C-level ``in``/``count``: regular expressions cost ~10x
# more here. Code markers are grouped by kind; two kinds or more count double.
_CODE_KEYWORDS = frozenset(
    [
        "def",
        "fn",
        "func",
        "elif",
        "lambda",
        "async",
        "await",
        "import",
        "#include",
        "const",
        "var",
        "public",
        "private",
        "static",
        "void",
        "println",
        "printf",
        "console",
        "struct",
        "impl",
        "namespace",
    ]
)
_CODE_OPERATORS = ("=>", "::", "&&", "();")
_CODE_SYMBOLS = "{}();=<>[]"
_SYMBOL_DENSITY = 0.04
"""Share of ``{}();=<>[]`` characters above which text reads as code (prose: ~1%)."""
_SQL = frozenset({"select", "from", "where"})
_LANGUAGES = frozenset(
    [
        "python",
        "javascript",
        "typescript",
        "java",
        "golang",
        "rust",
        "kotlin",
        "swift",
        "c++",
        "c#",
        "ruby",
        "php",
        "sql",
        "bash",
        "regex",
        "dockerfile",
        "yaml",
        "json",
        "html",
        "css",
        "react",
        "django",
        "numpy",
        "pandas",
    ]
)
_CODE_TASKS = frozenset(
    [
        "code",
        "coding",
        "implement",
        "implementation",
        "refactor",
        "debug",
        "compile",
        "compiler",
        "traceback",
        "segfault",
        "bug",
        "script",
        "snippet",
        "endpoint",
        "repo",
        "regex",
    ]
)
_CODE_PHRASES = (
    "stack trace",
    "unit test",
    "pull request",
    "code review",
    "write a program",
    "write a function",
    "write a script",
    "function that",
    "function to",
    "method that",
)
_REASONING = frozenset(
    [
        "prove",
        "proof",
        "theorem",
        "lemma",
        "derive",
        "derivation",
        "integral",
        "equation",
        "probability",
        "optimize",
        "optimise",
        "complexity",
        "rigorous",
        "rigorously",
        "analyze",
        "analyse",
        "tradeoffs",
        "trade-offs",
        "architecture",
        "strategy",
        "implications",
        "justify",
        "critique",
        "evaluate",
    ]
)
_REASONING_PHRASES = ("step by step", "step-by-step", "compare and contrast", "why does")
_MATH_MARKERS = ("\\frac", "\\sum", "\\int", "\\sqrt", "∑", "∫", "√", "≤", "≥", "∀", "∃")
_PUNCTUATION = str.maketrans({c: " " for c in "!\"$%&'()*,./:;<=>?@[\\]^_`{|}~\n\t"})
_HARD_EFFORT = frozenset({"medium", "high", "xhigh", "max"})


@dataclass(frozen=True, slots=True)
class TierChoice:
    tier: str
    reasons: tuple[str, ...]
    code_score: int = 0
    hard_score: int = 0


def _scan_text(request: ChatRequest) -> str:
    for message in reversed(request.messages):
        if message.role == "user":
            text = message.text()
            if len(text) > SCAN_CHARS:
                half = SCAN_CHARS // 2
                return text[:half] + "\n" + text[-half:]
            return text
    return ""


def _code_kinds(text: str, words: frozenset[str]) -> list[str]:
    kinds = []
    if words & _CODE_KEYWORDS:
        kinds.append("keyword")
    if any(op in text for op in _CODE_OPERATORS):
        kinds.append("operator")
    symbols = sum(text.count(c) for c in _CODE_SYMBOLS)
    if text and symbols / len(text) >= _SYMBOL_DENSITY:
        kinds.append("symbols")
    if words >= _SQL:
        kinds.append("sql")
    return kinds


def _numbered_steps(text: str) -> int:
    """How many of ``1.``/``2.``... (or ``1)``...) start a line, counting up from 2."""
    steps = 1
    while steps < 9 and (f"\n{steps + 1}. " in text or f"\n{steps + 1}) " in text):
        steps += 1
    return steps if steps > 1 else 0


def _code_score(text: str, words: frozenset[str], lowered: str, reasons: list[str]) -> int:
    score = 0
    if "```" in text:
        score += 2
        reasons.append("code fence")
    kinds = _code_kinds(text, words)
    if kinds:
        score += 2 if len(kinds) > 1 or kinds == ["sql"] else 1
        reasons.append("code tokens: " + ",".join(kinds))
    language = words & _LANGUAGES
    if language:
        score += 1
        reasons.append("language: " + ",".join(sorted(language)[:3]))
    task = words & _CODE_TASKS or {p for p in _CODE_PHRASES if p in lowered}
    if task:
        score += 1
        reasons.append("code task: " + ",".join(sorted(task)[:3]))
    return score


def _hard_score(
    text: str,
    words: frozenset[str],
    lowered: str,
    request: ChatRequest,
    features: RequestFeatures,
    reasons: list[str],
) -> int:
    score = 0
    cues = len(words & _REASONING) + sum(1 for p in _REASONING_PHRASES if p in lowered)
    cues += 1 if any(m in text for m in _MATH_MARKERS) else 0
    if cues:
        score += 2 if cues >= 2 else 1
        reasons.append(f"reasoning cues x{cues}")
    steps = _numbered_steps(text)
    if steps >= 3:
        score += 1
        reasons.append(f"{steps} numbered steps")
    if features.input_tokens > 3_000:
        score += 2 if features.input_tokens > 12_000 else 1
        reasons.append(f"long input ~{features.input_tokens} tokens")
    if features.tools >= 4:
        score += 1
        reasons.append(f"{features.tools} tools")
    if features.messages >= 12:
        score += 1
        reasons.append(f"{features.messages} messages deep")
    if request.reasoning_effort in _HARD_EFFORT:
        score += 2
        reasons.append(f"reasoning_effort {request.reasoning_effort}")
    return score


def classify(request: ChatRequest | FimRequest, features: RequestFeatures) -> TierChoice:
    """The tier a request needs, with the cues that decided it."""
    if isinstance(request, FimRequest):
        return TierChoice("code", ("fim request",), code_score=2)
    text = _scan_text(request)
    lowered = text.lower()
    words = frozenset(lowered.translate(_PUNCTUATION).split())
    code_reasons: list[str] = []
    hard_reasons: list[str] = []
    code = _code_score(text, words, lowered, code_reasons)
    hard = _hard_score(text, words, lowered, request, features, hard_reasons)
    if code >= 2 and hard < 3:
        return TierChoice("code", tuple(code_reasons), code, hard)
    if hard >= 2:
        return TierChoice("flagship", tuple(hard_reasons), code, hard)
    return TierChoice("small", ("no escalation cue",), code, hard)
