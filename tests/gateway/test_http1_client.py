"""The whole-answer client against raw HTTP/1.1 servers that answer byte for byte as told:
keep-alive, every framing of a body, the server closing a kept-alive connection, answers
cut short or malformed, cancellation. Each case runs on asyncio's loop and on uvloop (what
``polyroute serve`` runs on)."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import zlib
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvloop
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyroute import __version__
from polyroute.adapters.http1 import (
    BadResponse,
    ConnectionClosed,
    HttpClient,
    StreamedAnswer,
    header_block,
)
from polyroute.adapters.tls import tls_context
from tests.gateway.test_upstream_session import _self_signed

LOOPS = {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}
HEADERS = header_block({"authorization": "Bearer k", "content-type": "application/json"})


def run(loop: str, main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    with asyncio.Runner(loop_factory=LOOPS[loop]) as runner:
        runner.run(asyncio.wait_for(main(), 10))


@dataclass
class Request:
    head: bytes
    body: bytes

    @property
    def line(self) -> bytes:
        return self.head.split(b"\r\n", 1)[0]

    def header(self, name: bytes) -> list[bytes]:
        found = []
        for line in self.head.split(b"\r\n")[1:]:
            key, _, value = line.partition(b":")
            if key.lower() == name:
                found.append(value.strip())
        return found


Writer = asyncio.StreamWriter
Answerer = Callable[[int, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[bool]]
"""Answers the n-th request (counted over all connections); False closes the connection."""


@dataclass
class RawServer:
    answer: Answerer
    requests: list[Request] = field(default_factory=list)
    connections: int = 0
    url: str = ""

    tls: ssl.SSLContext | None = None

    async def __aenter__(self) -> RawServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        port = self._server.sockets[0].getsockname()[1]
        scheme, host = ("https", "localhost") if self.tls else ("http", "127.0.0.1")
        self.url = f"{scheme}://{host}:{port}/v1/chat/completions"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return  # the client closed the connection
                request = Request(head, b"")
                length = int((request.header(b"content-length") or [b"0"])[0])
                request.body = await reader.readexactly(length)
                self.requests.append(request)
                if not await self.answer(len(self.requests), reader, writer):
                    return
        finally:
            writer.close()


def ok(body: bytes = b'{"ok":true}', extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n%b\r\n%b"
        % (
            len(body),
            extra,
            body,
        )
    )


def answering(*responses: bytes | None) -> Answerer:
    """The n-th request gets the n-th response; None: the connection is closed instead."""

    async def answer(n: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        response = responses[min(n, len(responses)) - 1]
        if response is None:
            return False
        writer.write(response)
        await writer.drain()
        return True

    return answer


def client(**kw: Any) -> HttpClient:
    return HttpClient(2.0, tls_context(None), **kw)


def pool_is_empty(answers: HttpClient) -> bool:
    """No connection is kept for another call."""
    return all(not origin.idle for origin in answers._origins.values())


@pytest.mark.parametrize("loop", LOOPS)
def test_a_kept_alive_connection_carries_the_next_calls(loop: str) -> None:
    async def main() -> None:
        async with RawServer(answering(ok())) as server:
            answers = client()
            for n in range(3):
                answer = await answers.post(server.url, HEADERS, b'{"n":%d}' % n)
                assert (answer.status, answer.body) == (200, b'{"ok":true}')
            assert answer.header_map()["content-type"] == "application/json"
            answers.close()
        assert server.connections == 1
        assert [r.body for r in server.requests] == [b'{"n":0}', b'{"n":1}', b'{"n":2}']
        sent = server.requests[0]
        assert sent.line == b"POST /v1/chat/completions HTTP/1.1"
        assert sent.header(b"host") == [server.url.split("/")[2].encode()]
        assert sent.header(b"user-agent") == [f"polyroute/{__version__}".encode()]
        assert sent.header(b"authorization") == [b"Bearer k"]
        assert sent.header(b"content-length") == [b"7"]

    run(loop, main)


@pytest.mark.parametrize("loop", LOOPS)
def test_tls_to_a_trusted_server_and_only_to_one(loop: str, tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)

    large = bytes(range(256)) * 1000  # several times the client's read buffer

    async def main() -> None:
        async with RawServer(answering(ok(), ok(large)), tls=served) as server:
            answers = HttpClient(2.0, tls_context(cert))
            assert (await answers.post(server.url, HEADERS, b"0")).body == b'{"ok":true}'
            assert (await answers.post(server.url, HEADERS, b"1")).body == large
            with pytest.raises(ssl.SSLCertVerificationError):
                await client().post(server.url, HEADERS, b"x")
        assert server.connections == 1  # kept alive for both calls; the refused one never got in
        assert [r.body for r in server.requests] == [b"0", b"1"]

    run(loop, main)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_chunked_answer_is_read_whole(loop: str) -> None:
    async def answer(n: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        for piece in (b'{"a":', b'"bc"', b"}"):
            writer.write(b"%x\r\n%b\r\n" % (len(piece), piece))
            await writer.drain()
            await asyncio.sleep(0.01)
        writer.write(b"0\r\n\r\n")
        return True

    async def main() -> None:
        async with RawServer(answer) as server:
            answers = client()
            assert (await answers.post(server.url, HEADERS, b"{}")).body == b'{"a":"bc"}'
            assert (await answers.post(server.url, HEADERS, b"{}")).body == b'{"a":"bc"}'
        assert server.connections == 1

    run(loop, main)


@pytest.mark.parametrize("loop", LOOPS)
def test_an_answer_without_length_ends_where_the_connection_does(loop: str) -> None:
    async def answer(n: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n" + b"x" * 70_000)
        await writer.drain()
        return False

    async def main() -> None:
        async with RawServer(answer) as server:
            answers = client()
            assert (await answers.post(server.url, HEADERS, b"{}")).body == b"x" * 70_000
            assert (await answers.post(server.url, HEADERS, b"{}")).body == b"x" * 70_000
        assert server.connections == 2

    run(loop, main)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_gzip_answer_is_decompressed(loop: str) -> None:
    body = b'{"text":"' + b"abc" * 1000 + b'"}'
    packed = gzip.compress(body)

    async def main() -> None:
        async with RawServer(answering(ok(packed, b"Content-Encoding: gzip\r\n"))) as server:
            answer = await client().post(server.url, HEADERS, b"{}")
        assert answer.body == body
        assert server.requests[0].header(b"accept-encoding") == [b"gzip"]

    run(loop, main)


@pytest.mark.parametrize("loop", LOOPS)
def test_an_unknown_content_encoding_is_a_bad_response(loop: str) -> None:
    async def main() -> None:
        async with RawServer(answering(ok(b"????", b"content-encoding: br\r\n"))) as server:
            with pytest.raises(BadResponse, match="unsupported Content-Encoding 'br'"):
                await client().post(server.url, HEADERS, b"{}")

    run(loop, main)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_connection_the_server_closed_while_idle_is_not_reused(loop: str) -> None:
    async def answer(n: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        writer.write(ok())  # says nothing of closing: HTTP/1.1 keeps a connection by default
        await writer.drain()
        return False

    async def main() -> None:
        async with RawServer(answer) as server:
            answers = client()
            await answers.post(server.url, HEADERS, b"1")
            await asyncio.sleep(0.05)
            assert pool_is_empty(answers)
            assert (await answers.post(server.url, HEADERS, b"2")).status == 200
        assert server.connections == 2

    run(loop, main)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_request_the_server_closed_on_unanswered_is_not_sent_again(loop: str) -> None:
    """Even on a kept-alive connection (the server may have timed it out just as the
    request went out): the server may have acted on a POST; the dispatcher decides."""

    async def main() -> None:
        async with RawServer(answering(ok(), None)) as server:
            answers = client()
            await answers.post(server.url, HEADERS, b"1")
            with pytest.raises(ConnectionClosed):
                await answers.post(server.url, HEADERS, b"2")
        assert [r.body for r in server.requests] == [b"1", b"2"]

    run(loop, main)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_new_connection_closed_without_an_answer_is_an_error(loop: str) -> None:
    async def main() -> None:
        async with RawServer(answering(None)) as server:
            with pytest.raises(ConnectionClosed):
                await client().post(server.url, HEADERS, b"1")
        assert len(server.requests) == 1

    run(loop, main)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_kept_alive_connection_cut_mid_answer_is_not_retried(loop: str) -> None:
    async def answer(n: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        if n == 1:
            writer.write(ok())
            return True
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n" + b"x" * 10)
        await writer.drain()
        return False  # and close

    async def main() -> None:
        async with RawServer(answer) as server:
            answers = client()
            await answers.post(server.url, HEADERS, b"1")
            with pytest.raises(ConnectionClosed, match="before its answer ended"):
                await answers.post(server.url, HEADERS, b"2")
        assert len(server.requests) == 2

    run(loop, main)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_malformed_answer_is_a_bad_response(loop: str) -> None:
    async def main() -> None:
        async with RawServer(answering(b"HTTP/1.1 2x0 OK\r\n\r\n")) as server:
            with pytest.raises(BadResponse, match="malformed HTTP response"):
                await client().post(server.url, HEADERS, b"1")

    run(loop, main)


@pytest.mark.parametrize("loop", LOOPS)
def test_an_interim_answer_is_skipped(loop: str) -> None:
    async def main() -> None:
        async with RawServer(answering(b"HTTP/1.1 100 Continue\r\n\r\n" + ok())) as server:
            answer = await client().post(server.url, HEADERS, b"1")
        assert (answer.status, answer.body) == (200, b'{"ok":true}')

    run(loop, main)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_cancelled_call_drops_its_connection(loop: str) -> None:
    """The provider sees the connection close, and can stop generating."""

    async def main() -> None:
        asked, dropped = asyncio.Event(), asyncio.Event()

        async def hold(n: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
            asked.set()
            if await reader.read() == b"":
                dropped.set()
            return False

        async with RawServer(hold) as server:
            answers = client()
            call = asyncio.create_task(answers.post(server.url, HEADERS, b"1"))
            await asked.wait()
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
            await asyncio.wait_for(dropped.wait(), 2)
        assert pool_is_empty(answers)

    run(loop, main)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_connection_idle_too_long_is_not_reused(loop: str) -> None:
    async def main() -> None:
        async with RawServer(answering(ok())) as server:
            answers = client(idle_timeout=0.05)
            await answers.post(server.url, HEADERS, b"1")
            await asyncio.sleep(0.1)
            await answers.post(server.url, HEADERS, b"2")
        assert server.connections == 2

    run(loop, main)


@pytest.mark.parametrize("loop", LOOPS)
def test_the_request_target_is_escaped_and_keeps_its_query(loop: str) -> None:
    async def main() -> None:
        async with RawServer(answering(ok())) as server:
            base = server.url.rsplit("/v1/", 1)[0]
            await client().post(f"{base}/v1/models/a b:go?key=x&alt=sse", HEADERS, b"1")
        assert server.requests[0].line == b"POST /v1/models/a%20b:go?key=x&alt=sse HTTP/1.1"

    run(loop, main)


def test_a_header_value_cannot_smuggle_a_header_or_a_request() -> None:
    with pytest.raises(ValueError, match="'x-title'"):
        header_block({"x-title": "a\r\nx-injected: 1"})
    with pytest.raises(ValueError, match="invalid HTTP header name"):
        header_block({"x title": "a"})
    with pytest.raises(ValueError):
        header_block({"x-title": "caf\u00e9\u2603"})


def test_a_header_given_replaces_the_default_of_that_name() -> None:
    lines = header_block({"User-Agent": "mine/1"}).split(b"\r\n")
    assert b"User-Agent: mine/1" in lines
    assert not [line for line in lines if line.lower().startswith(b"user-agent: polyroute")]
    assert b"accept-encoding: gzip" in lines


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.binary(max_size=3000),
    chunk=st.integers(min_value=1, max_value=700),
    segment=st.integers(min_value=1, max_value=900),
)
def test_any_body_in_any_framing_and_segmentation_arrives_intact(
    body: bytes, chunk: int, segment: int
) -> None:
    """The answer written in pieces of ``segment`` bytes, its body in chunks of ``chunk``."""
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)]
    wire = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
    wire += b"".join(b"%x\r\n%b\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"

    async def answer(n: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        for i in range(0, len(wire), segment):
            writer.write(wire[i : i + segment])
            await writer.drain()
            await asyncio.sleep(0)
        return True

    async def main() -> None:
        async with RawServer(answer) as server:
            answers = client()
            assert (await answers.post(server.url, HEADERS, b"1")).body == body
            assert (await answers.post(server.url, HEADERS, b"2")).body == body
        assert server.connections == 1

    run("uvloop", main)


# -- streamed answers ------------------------------------------------------------------------


def chunked(*pieces: bytes) -> list[bytes]:
    """A chunked 200 answer, one write per piece (the head first, the last chunk last)."""
    head = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    )
    return [head, *(b"%x\r\n%b\r\n" % (len(p), p) for p in pieces), b"0\r\n\r\n"]


def writing(
    writes: list[bytes], *, pause: float = 0.01, close_after: int | None = None
) -> Answerer:
    """Writes each piece apart; ``close_after``: closes after that many writes instead."""

    async def answer(n: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        for i, piece in enumerate(writes):
            if close_after is not None and i == close_after:
                return False
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(pause)
        return close_after is None

    return answer


@pytest.mark.parametrize("loop", LOOPS)
def test_a_streamed_answer_arrives_as_sent_and_frees_its_connection(loop: str) -> None:
    pieces = [b"data: %d\n\n" % i for i in range(5)]

    async def main() -> None:
        async with RawServer(writing(chunked(*pieces))) as server:
            answers = client()
            for _ in range(2):
                answer = await answers.open(server.url, HEADERS, b"{}")
                assert answer.status == 200
                assert answer.header_map()["content-type"] == "text/event-stream"
                received = [piece async for piece in answer.chunks()]
                answer.close()
                assert b"".join(received) == b"".join(pieces)
                assert len(received) >= 2  # pieces were handed on as they came
        assert server.connections == 1

    run(loop, main)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_stream_left_before_its_end_drops_its_connection(loop: str) -> None:
    async def main() -> None:
        dropped = asyncio.Event()

        async def endless(
            n: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> bool:
            writer.write(chunked(b"data: 1\n\n")[0] + chunked(b"data: 1\n\n")[1])
            await writer.drain()
            if await reader.read() == b"":
                dropped.set()
            return False

        async with RawServer(endless) as server:
            answers = client()
            answer = await answers.open(server.url, HEADERS, b"{}")
            async for piece in answer.chunks():
                assert piece == b"data: 1\n\n"
                break
            answer.close()
            await asyncio.wait_for(dropped.wait(), 2)
        assert pool_is_empty(answers)

    run(loop, main)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_stream_cut_short_raises_and_one_ended_by_closing_does_not(loop: str) -> None:
    async def main() -> None:
        cut = writing(chunked(b"data: 1\n\n", b"data: 2\n\n"), close_after=2)
        async with RawServer(cut) as server:
            answer = await client().open(server.url, HEADERS, b"{}")
            received = []
            with pytest.raises(ConnectionClosed, match="before its answer ended"):
                async for piece in answer.chunks():
                    received.append(piece)
            assert b"".join(received) == b"data: 1\n\n"
        unframed = [b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n", b"data: 1\n\n", b"data: 2\n\n"]
        async with RawServer(writing(unframed, close_after=3)) as server:
            answer = await client().open(server.url, HEADERS, b"{}")
            assert await answer.read() == b"data: 1\n\ndata: 2\n\n"

    run(loop, main)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_gzip_stream_is_decompressed_as_it_comes(loop: str) -> None:
    pieces = [b"data: %d\n\n" % i * 50 for i in range(4)]
    packer = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
    packed = [packer.compress(p) + packer.flush(zlib.Z_SYNC_FLUSH) for p in pieces]
    packed.append(packer.flush())
    writes = chunked(*packed)
    writes[0] = writes[0].replace(b"\r\n\r\n", b"\r\ncontent-encoding: gzip\r\n\r\n", 1)

    async def main() -> None:
        async with RawServer(writing(writes)) as server:
            answer = await client().open(server.url, HEADERS, b"{}")
            assert await answer.read() == b"".join(pieces)

    run(loop, main)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_slow_reader_gets_a_large_stream_whole(loop: str) -> None:
    """More than the unread limit: the connection stops reading until the reader catches up,
    so what waits in memory stays near the limit, not the whole answer."""
    piece = bytes(range(256)) * 256  # 64 KiB
    pieces = [piece] * 48  # 3 MiB

    async def main() -> None:
        async with RawServer(writing(chunked(*pieces), pause=0)) as server:
            answer = await client().open(server.url, HEADERS, b"{}")
            parts = answer.chunks()
            received = [await anext(parts)]
            await asyncio.sleep(0.3)  # the reader stalls; the server keeps writing
            assert answer._size <= StreamedAnswer._HIGH_WATER + len(piece)
            received += [part async for part in parts]
            assert b"".join(received) == b"".join(pieces)

    run(loop, main)
