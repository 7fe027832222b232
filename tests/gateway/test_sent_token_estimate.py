"""The estimate of what a stream's sent deltas cost, used when its usage report never came."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from polyroute.gateway.continuation import delta_tokens


def test_a_token_sized_delta_is_one_token() -> None:
    for delta in ("a", " the", " Hello", " stream", "!\n"):
        assert delta_tokens(delta) == 1


def test_nothing_sent_costs_nothing() -> None:
    assert delta_tokens("") == 0


def test_long_ascii_is_about_four_characters_a_token() -> None:
    assert delta_tokens("x" * 400) == 100
    assert delta_tokens("word " * 80) == 100


def test_other_scripts_count_by_bytes() -> None:
    assert delta_tokens("日本語のテキスト" * 10) == len(("日本語のテキスト" * 10).encode()) // 3
    assert delta_tokens("é") == 1


@given(st.text(max_size=2_000))
def test_never_more_tokens_than_characters_and_one_at_least(text: str) -> None:
    tokens = delta_tokens(text)
    assert (tokens == 0) == (text == "")
    assert tokens <= max(len(text.encode()), 1)


@given(st.lists(st.text(alphabet=st.characters(max_codepoint=127), max_size=50), max_size=50))
def test_however_text_is_split_each_delta_is_off_by_one_token_at_most(parts: list[str]) -> None:
    whole = delta_tokens("".join(parts))
    assert abs(sum(delta_tokens(p) for p in parts) - whole) <= len(parts)
