"""Streaming time-to-first-byte probe: direct to the upstream vs via the gateway.

Concurrency 1, one keep-alive connection per target, requests alternate between the two
targets so that machine noise hits both alike. TTFB is the time from sending the request
to receiving the first SSE ``data:`` bytes; "total" is the time to the end of the stream.

    .venv/bin/python benchmarks/probe.py --direct http://127.0.0.1:18000/sse/v1/chat/completions \
        --via http://127.0.0.1:8080/v1/chat/completions --key sk-... --model benchsse/gpt-4o-mini
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import time
from urllib.parse import urlsplit


class Target:
    """One keep-alive HTTP/1.1 connection that POSTs a streaming chat request."""

    def __init__(self, url: str, key: str, model: str) -> None:
        parts = urlsplit(url)
        self.addr = (parts.hostname or "127.0.0.1", parts.port or 80)
        body = json.dumps(
            {
                "model": model,
                "stream": True,
                "messages": [{"role": "user", "content": "Say hello in one short sentence."}],
                "max_tokens": 64,
            },
            separators=(",", ":"),
        ).encode()
        head = (
            f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
            f"Accept: text/event-stream\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.request = head.encode() + body
        self.sock: socket.socket | None = None

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(self.addr, timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def once(self) -> tuple[float, float]:
        """Send one request; return (ttfb_s, total_s). Raises on a non-200 or bad stream."""
        if self.sock is None:
            self.sock = self._connect()
        sock = self.sock
        start = time.perf_counter()
        sock.sendall(self.request)
        buf = b""
        ttfb = None
        while True:
            data = sock.recv(65536)
            if not data:
                raise ConnectionError("connection closed mid-response")
            buf += data
            if ttfb is None and b"data:" in buf:
                ttfb = time.perf_counter() - start
            if self._complete(buf):
                break
        total = time.perf_counter() - start
        if not buf.startswith(b"HTTP/1.1 200") or b"[DONE]" not in buf or ttfb is None:
            raise RuntimeError(f"bad streaming response: {buf[:300]!r}")
        if b"connection: close" in buf.split(b"\r\n\r\n", 1)[0].lower():
            sock.close()
            self.sock = None
        return ttfb, total

    @staticmethod
    def _complete(buf: bytes) -> bool:
        head, sep, body = buf.partition(b"\r\n\r\n")
        if not sep:
            return False
        lower = head.lower()
        if b"transfer-encoding: chunked" in lower:
            return body.endswith(b"0\r\n\r\n")
        for line in lower.split(b"\r\n"):
            if line.startswith(b"content-length:"):
                return len(body) >= int(line.split(b":", 1)[1])
        return False

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def run_probe(
    direct_url: str, via_url: str, key: str, model: str, n: int, warmup: int = 50
) -> dict[str, float]:
    """Alternate n requests on each target; return ms statistics and the error count."""
    direct = Target(direct_url, "x", model)
    via = Target(via_url, key, model)
    samples: dict[str, list[tuple[float, float]]] = {"direct": [], "via": []}
    errors = 0
    try:
        for i in range(warmup + n):
            for name, target in (("direct", direct), ("via", via)):
                try:
                    sample = target.once()
                except (OSError, RuntimeError):
                    errors += 1
                    target.close()
                    target.sock = None
                    continue
                if i >= warmup:
                    samples[name].append(sample)
    finally:
        direct.close()
        via.close()
    out: dict[str, float] = {"errors": errors}
    for name, rows in samples.items():
        if not rows:
            continue
        ttfb = [r[0] * 1000 for r in rows]
        total = [r[1] * 1000 for r in rows]
        out[f"{name}_ttfb_p50"] = statistics.median(ttfb)
        out[f"{name}_ttfb_p99"] = pct(ttfb, 99)
        out[f"{name}_total_p50"] = statistics.median(total)
        out[f"{name}_n"] = len(rows)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--direct", default="http://127.0.0.1:18000/sse/v1/chat/completions")
    parser.add_argument("--via", default="http://127.0.0.1:8080/v1/chat/completions")
    parser.add_argument("--key", default="sk-polyroute-bench")
    parser.add_argument("--model", default="benchsse/gpt-4o-mini")
    parser.add_argument("-n", type=int, default=2000)
    args = parser.parse_args()
    result = run_probe(args.direct, args.via, args.key, args.model, args.n)
    print(json.dumps({k: round(v, 3) for k, v in result.items()}, indent=2))


if __name__ == "__main__":
    main()
