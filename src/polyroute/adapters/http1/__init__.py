"""polyroute's HTTP client for providers: HTTP/1.1 on the event loop, read by httptools.

Relaying a call is the gateway's hot path, so the client was chosen by measuring a bare
relay (uvicorn, raw ASGI, parse and re-serialise) on one core, 256 calls at once, 50 ms
upstream (2026-12-02, ``select_stack.py``): 106-118 µs of CPU per call through this client,
203-219 through rnet, 288 through aiosonic, 331 through aiohttp. rnet runs each request on
its Rust runtime's thread, so every call crosses to that thread and back, each crossing a
handoff of the GIL and a wakeup; aiohttp and aiosonic stay on the loop but do much more per
call. Here a call is one ``write`` and one future, and httptools (llhttp, the parser
uvicorn serves with) reads the answer. Streams take the same path (token streams: ~200 µs
of CPU less per stream than through aiohttp, paired).

What it speaks: HTTP/1.1 with keep-alive (an answer gains nothing from HTTP/2), TLS
verified against the given context, gzip answers. No cookies, redirects are returned, not
followed (the request carries a key), and no proxy: where traffic goes is the config's
``base_url``.

- ``headers``: request headers checked and encoded once; response headers as text;
- ``answers``: a whole ``Answer``, a ``StreamedAnswer`` read as it arrives, the errors;
- ``connection``: one connection, the protocol the loop feeds;
- ``client``: ``HttpClient``, the pool a request goes through.
"""

from polyroute.adapters.http1.answers import (
    Answer,
    BadResponse,
    ConnectionClosed,
    StreamedAnswer,
)
from polyroute.adapters.http1.client import HttpClient
from polyroute.adapters.http1.headers import DEFAULT_HEADERS, header_block, header_map

__all__ = [
    "DEFAULT_HEADERS",
    "Answer",
    "BadResponse",
    "ConnectionClosed",
    "HttpClient",
    "StreamedAnswer",
    "header_block",
    "header_map",
]
