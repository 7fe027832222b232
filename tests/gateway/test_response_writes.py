"""How the server writes responses: each head goes out with what follows it, nothing waits."""

from __future__ import annotations

import asyncio
import socket
import time

import httpx
import pytest

from polyroute.server import BackgroundServer, _HeadHoldingTransport


class _RecordingTransport:
    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "write after close"
        self.sent.append(data)

    def writelines(self, chunks: tuple[bytes, ...]) -> None:
        self.write(b"".join(chunks))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


def _holding() -> tuple[_HeadHoldingTransport, _RecordingTransport]:
    raw = _RecordingTransport()
    return _HeadHoldingTransport(raw, asyncio.get_running_loop()), raw  # type: ignore[arg-type]


async def test_a_head_and_its_body_leave_in_one_write() -> None:
    transport, raw = _holding()
    transport.write(b"HEAD1")
    assert raw.sent == []
    transport.write(b"BODY1")
    assert raw.sent == [b"HEAD1BODY1"]
    transport.next_response()
    transport.write(b"HEAD2")
    transport.write(b"BODY2")
    assert raw.sent == [b"HEAD1BODY1", b"HEAD2BODY2"]


async def test_a_stream_s_later_chunks_are_not_held() -> None:
    transport, raw = _holding()
    transport.write(b"HEAD")
    transport.write(b"chunk1")
    transport.write(b"chunk2")
    assert raw.sent == [b"HEADchunk1", b"chunk2"]


async def test_a_lone_head_leaves_by_the_end_of_the_loop_pass() -> None:
    """A stream whose first chunk is not ready yet still gets its headers at once."""
    transport, raw = _holding()
    transport.write(b"HEAD")
    await asyncio.sleep(0)
    assert raw.sent == [b"HEAD"]
    transport.write(b"chunk")
    assert raw.sent == [b"HEAD", b"chunk"]


async def test_the_end_of_a_response_and_a_close_send_what_is_held() -> None:
    transport, raw = _holding()
    transport.write(b"HEAD-204")  # a response with no body
    transport.next_response()
    assert raw.sent == [b"HEAD-204"]
    transport.write(b"HEAD-400")
    transport.close()
    assert raw.sent == [b"HEAD-204", b"HEAD-400"] and raw.closed
    await asyncio.sleep(0)  # the pending flush finds nothing left and writes nothing
    assert raw.sent == [b"HEAD-204", b"HEAD-400"]


async def test_other_calls_reach_the_transport() -> None:
    transport, _ = _holding()
    assert transport.get_extra_info("peername") == "info:peername"


def test_one_connection_serves_several_whole_responses(gateway: BackgroundServer) -> None:
    with httpx.Client(base_url=gateway.base_url, timeout=10) as client:
        for _ in range(3):
            response = client.get("/health")
            assert response.status_code == 200 and response.json() == {"status": "ok"}
            response = client.get("/nowhere")
            assert response.status_code == 404 and "error" in response.json()


def test_a_response_is_sent_before_the_connection_closes(gateway: BackgroundServer) -> None:
    """HTTP/1.0, no keep-alive: the server closes right after the body; nothing is lost."""
    with socket.create_connection((gateway.host, gateway.port), timeout=10) as sock:
        sock.sendall(b"GET /health HTTP/1.0\r\nHost: x\r\n\r\n")
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.startswith(b"HTTP/1.1 200")
    assert received.endswith(b'{"status":"ok"}')


def test_the_server_re_arms_after_each_response(
    gateway: BackgroundServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn tells the protocol each response is complete (``on_response_complete``, an
    internal hook): without it only a connection's first head would be held."""
    completed: list[None] = []
    original = _HeadHoldingTransport.next_response

    def counting(self: _HeadHoldingTransport) -> None:
        completed.append(None)
        original(self)

    monkeypatch.setattr(_HeadHoldingTransport, "next_response", counting)
    with httpx.Client(base_url=gateway.base_url, timeout=10) as client:
        for _ in range(3):
            assert client.get("/health").status_code == 200
    # The server marks a response complete just after writing it, so the client can read
    # the last one first: give the server thread a moment to catch up.
    deadline = time.monotonic() + 5
    while len(completed) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(completed) == 3
