"""The pooled upstream session is shared by every tenant of a provider: nothing one call
receives may ride along on another's request."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestServer

from polyroute.adapters.http import Upstream, create_session
from polyroute.errors import UpstreamError


async def test_cookies_set_by_a_provider_are_not_sent_back() -> None:
    seen: list[str | None] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Cookie"))
        response = web.json_response({"ok": True})
        response.set_cookie("__cf_bm", "tenant-a-session", path="/")
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", handler)
    async with TestServer(app, host="127.0.0.1") as server:
        session = create_session(connect_timeout=2.0)
        upstream = Upstream(
            "p", session, {"Authorization": "Bearer k"}, 5.0, lambda *a: UpstreamError(*a)
        )
        # A host name: the cookie jar ignores cookies from bare IP addresses.
        url = str(server.make_url("/v1/chat/completions").with_host("localhost"))
        assert await upstream.post_json(url, {"n": 1}) == {"ok": True}
        assert await upstream.post_json(url, {"n": 2}) == {"ok": True}
    assert seen == [None, None]
