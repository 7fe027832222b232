"""The SSE decoder every upstream stream goes through: line ends, fields, and chunk splits."""

from __future__ import annotations

from collections.abc import AsyncIterator

from hypothesis import given
from hypothesis import strategies as st

from polyroute.wire.sse import SSEEvent, SSEParser, iter_sse


def _parse(chunks: list[bytes]) -> list[SSEEvent]:
    parser = SSEParser()
    events = [event for chunk in chunks for event in parser.feed(chunk)]
    return events + parser.close()


def test_openai_style_events_and_done() -> None:
    body = b'data: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n'
    assert _parse([body]) == [SSEEvent('{"a":1}'), SSEEvent('{"b":2}'), SSEEvent("[DONE]")]


def test_named_events_and_multi_line_data() -> None:
    body = b"event: message_start\ndata: one\ndata: two\n\nevent: ping\ndata: {}\n\n"
    assert _parse([body]) == [SSEEvent("one\ntwo", "message_start"), SSEEvent("{}", "ping")]


def test_an_event_name_does_not_outlive_its_event() -> None:
    assert _parse([b"event: error\n\ndata: x\n\n"]) == [SSEEvent("x")]


def test_comments_and_keep_alives_are_skipped() -> None:
    body = b": OPENROUTER PROCESSING\n\ndata: x\n\n:\n\n"
    assert _parse([body]) == [SSEEvent("x")]


def test_every_line_ending() -> None:
    for sep in (b"\n", b"\r\n", b"\r"):
        body = b"data: a" + sep + sep + b"data: b" + sep + sep
        assert _parse([body]) == [SSEEvent("a"), SSEEvent("b")], sep


def test_a_crlf_split_across_chunks_is_one_line_end() -> None:
    assert _parse([b"data: a\r", b"\n\r", b"\ndata: b\r\n\r\n"]) == [SSEEvent("a"), SSEEvent("b")]


def test_a_last_event_without_its_blank_line_is_kept() -> None:
    assert _parse([b"data: a\n\ndata: b"]) == [SSEEvent("a"), SSEEvent("b")]
    assert _parse([b"data: a\n\ndata: b\r"]) == [SSEEvent("a"), SSEEvent("b")]


def test_a_value_keeps_all_but_one_leading_space_and_colons() -> None:
    assert _parse([b"data:  two spaces: here\n\ndata:none\n\n"]) == [
        SSEEvent(" two spaces: here"),
        SSEEvent("none"),
    ]


async def test_iter_sse_reads_an_async_body() -> None:
    async def body() -> AsyncIterator[bytes]:
        for chunk in (b"data: a\n", b"\ndata: ", b"b\n\n", b"data: c"):
            yield chunk

    assert [e async for e in iter_sse(body())] == [SSEEvent("a"), SSEEvent("b"), SSEEvent("c")]


_text = st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",))
_lines = st.lists(
    st.one_of(
        st.sampled_from([b"", b":", b": keep-alive", b"event: delta", b"data: [DONE]", b"id: 7"]),
        st.text(alphabet=_text, max_size=20).map(lambda t: b"data: " + t.encode()),
    ),
    max_size=30,
)


@given(_lines, st.sampled_from([b"\n", b"\r\n", b"\r"]), st.data())
def test_how_the_body_is_split_into_chunks_never_changes_the_events(
    lines: list[bytes], sep: bytes, data: st.DataObject
) -> None:
    body = b"".join(line + sep for line in lines)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(body)), max_size=8)))
    chunks = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    assert _parse(chunks) == _parse([body])
