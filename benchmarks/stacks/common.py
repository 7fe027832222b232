"""Shared settings for the minimal relay stacks used to choose the server stack.

Every relay does the same work: read the POST body, parse it, re-serialise it, POST it to
the upstream with a pooled client, parse the upstream answer and return it re-serialised.

Env: RELAY_UPSTREAM (full URL), RELAY_JSON (orjson | json), RELAY_PORT.
"""

from __future__ import annotations

import json
import os
from typing import Any

import aiohttp
import orjson

UPSTREAM = os.environ.get("RELAY_UPSTREAM", "http://127.0.0.1:18000/v1/chat/completions")
PORT = int(os.environ.get("RELAY_PORT", "8090"))
UPSTREAM_HEADERS = {"Authorization": "Bearer x", "Content-Type": "application/json"}

if os.environ.get("RELAY_JSON", "orjson") == "json":

    def loads(data: bytes | str) -> object:
        return json.loads(data)

    def dumps(obj: object) -> bytes:
        return json.dumps(obj, separators=(",", ":")).encode()

else:
    loads = orjson.loads
    dumps = orjson.dumps


def aiohttp_session() -> aiohttp.ClientSession:
    """A pooled aiohttp client: unlimited keep-alive connections, no cookie jar."""
    connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=None, keepalive_timeout=300)
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        skip_auto_headers=("User-Agent",),
        auto_decompress=False,
    )


async def relay_aiohttp(session: aiohttp.ClientSession, body: bytes) -> tuple[int, bytes]:
    """Parse the inbound body, forward it, parse the answer; return (status, body)."""
    request = loads(body)
    async with session.post(UPSTREAM, data=dumps(request), headers=UPSTREAM_HEADERS) as resp:
        data = await resp.read()
        status = resp.status
    return status, dumps(loads(data))


def rnet_client() -> Any:
    """A pooled rnet client (imported here so the other stacks run without it)."""
    import rnet

    return rnet.Client(cookie_store=False, allow_redirects=False, no_proxy=True)


async def relay_rnet(client: Any, body: bytes) -> tuple[int, bytes]:
    """``relay_aiohttp``'s work through rnet."""
    request = loads(body)
    resp = await client.post(UPSTREAM, headers=UPSTREAM_HEADERS, body=dumps(request))
    async with resp:
        data = await resp.bytes()
    return resp.status, dumps(loads(data))


def polyroute_client() -> Any:
    """polyroute's own HTTP/1.1 client (``adapters/http1/``), with the relay's headers."""
    from polyroute.adapters.http1 import HttpClient, header_block
    from polyroute.adapters.tls import tls_context

    return HttpClient(5.0, tls_context(None)), header_block(UPSTREAM_HEADERS)


async def relay_polyroute(session: Any, body: bytes) -> tuple[int, bytes]:
    """``relay_aiohttp``'s work through polyroute's HTTP/1.1 client."""
    client, headers = session
    request = loads(body)
    answer = await client.post(UPSTREAM, headers, dumps(request))
    return answer.status, dumps(loads(answer.body))
