"""The pooled upstream client: shared by every tenant of a provider, so nothing one call
receives may ride along on another's request; and it talks only to servers it can trust,
directly. Each case runs for a whole answer and for a stream."""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from polyroute.adapters.http import Upstream, create_session
from polyroute.config import ConfigError, TimeoutConfig, settings_from_mapping
from polyroute.errors import UpstreamError, UpstreamKind

CALLS = ["whole", "stream"]
TIMEOUTS = TimeoutConfig(first_byte=5, answer=5)


async def _call(upstream: Upstream, url: str, body: dict[str, object], how: str) -> object:
    """The answer's JSON, taken as a whole answer or read as a stream."""
    if how == "whole":
        return await upstream.post_json(url, body)
    async with await upstream.open_stream(url, body) as stream:
        return orjson.loads(b"".join([chunk async for chunk in stream.chunks()]))


@pytest.mark.parametrize("how", CALLS)
async def test_cookies_set_by_a_provider_are_not_sent_back(how: str) -> None:
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
            "p", session, {"Authorization": "Bearer k"}, TIMEOUTS, lambda *a: UpstreamError(*a)
        )
        # A host name: the cookie jar ignores cookies from bare IP addresses.
        url = str(server.make_url("/v1/chat/completions").with_host("localhost"))
        assert await _call(upstream, url, {"n": 1}, how) == {"ok": True}
        assert await _call(upstream, url, {"n": 2}, how) == {"ok": True}
        upstream.session.close()
    assert seen == [None, None]


async def test_a_redirect_is_not_followed_with_the_key() -> None:
    """A provider address that redirects (a moved or hijacked endpoint) is an error; the
    request, and the key in it, never goes where the redirect points."""
    elsewhere: list[str] = []

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect("/elsewhere")

    async def other(request: web.Request) -> web.Response:
        elsewhere.append(request.headers.get("Authorization", ""))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", redirect)
    app.router.add_post("/elsewhere", other)
    async with TestServer(app, host="127.0.0.1") as server:
        upstream = Upstream(
            "p", create_session(2.0), {"Authorization": "Bearer k"}, TIMEOUTS, _never_decoded
        )
        url = str(server.make_url("/v1/chat/completions"))
        with pytest.raises(UpstreamError) as answer:
            await upstream.post_json(url, {"n": 1})
        with pytest.raises(UpstreamError) as stream:
            await upstream.open_stream(url, {"n": 2})
    for caught in (answer, stream):
        assert (caught.value.kind, caught.value.status) == (UpstreamKind.SERVER, 502)
        assert "answered 307, a redirect (not followed)" in str(caught.value)
    assert elsewhere == []


@contextlib.asynccontextmanager
async def _tls_provider(tmp_path: Path, reached: list[str]) -> AsyncIterator[tuple[str, Path]]:
    """A provider on loopback with a self-signed certificate: (its URL, its certificate)."""
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    async def handler(request: web.Request) -> web.Response:
        reached.append(request.headers.get("Authorization", ""))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"https://localhost:{port}/v1/chat/completions", cert
    finally:
        await runner.cleanup()


def _upstream(ca_bundle: str | None = None) -> Upstream:
    session = create_session(2.0, ca_bundle)
    return Upstream("p", session, {"Authorization": "Bearer k"}, TIMEOUTS, _never_decoded)


@pytest.mark.parametrize("how", CALLS)
async def test_a_provider_with_an_untrusted_certificate_is_refused(
    tmp_path: Path, how: str
) -> None:
    """TLS is verified: a self-signed certificate (as a man in the middle would present)
    fails the call as unreachable instead of sending the key to it."""
    reached: list[str] = []
    async with _tls_provider(tmp_path, reached) as (url, _):
        upstream = _upstream()
        with pytest.raises(UpstreamError) as caught:
            await _call(upstream, url, {}, how)
        upstream.session.close()
    assert caught.value.kind is UpstreamKind.UNREACHABLE
    assert reached == []


@pytest.mark.parametrize("how", CALLS)
async def test_a_private_ca_is_trusted_when_configured(tmp_path: Path, how: str) -> None:
    reached: list[str] = []
    async with _tls_provider(tmp_path, reached) as (url, cert):
        upstream = _upstream(str(cert))
        assert await _call(upstream, url, {}, how) == {"ok": True}
        upstream.session.close()
    assert reached == ["Bearer k"]


@pytest.mark.parametrize("how", CALLS)
async def test_the_system_trust_store_is_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """What Python's TLS trusts, polyroute trusts: here ``SSL_CERT_FILE``, as an operator
    would point it at a bundle holding their private CA."""
    reached: list[str] = []
    async with _tls_provider(tmp_path, reached) as (url, cert):
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        upstream = _upstream()
        assert await _call(upstream, url, {}, how) == {"ok": True}
        upstream.session.close()
    assert reached == ["Bearer k"]


@pytest.mark.parametrize("how", CALLS)
async def test_a_proxy_in_the_environment_is_not_used(
    monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """Where provider traffic goes is the config's ``base_url``, not the environment's."""

    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", handler)
    async with TestServer(app, host="127.0.0.1") as server:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
            monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        upstream = _upstream()
        url = str(server.make_url("/v1/chat/completions").with_host("localhost"))
        assert await _call(upstream, url, {}, how) == {"ok": True}
        upstream.session.close()


def test_a_missing_ca_bundle_is_a_config_error(tmp_path: Path) -> None:
    raw = {"providers": {"vllm": {"type": "openai-compatible", "base_url": "https://h/v1",
                                  "ca_bundle": str(tmp_path / "nope.pem")}}}  # fmt: skip
    with pytest.raises(ConfigError, match=r"providers\.vllm\.ca_bundle: .*no such file"):
        settings_from_mapping(raw, {}, "test.yaml")


def _never_decoded(*args: object) -> UpstreamError:
    raise AssertionError("no HTTP response was expected")


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_providers_with_the_same_trust_store_share_one_tls_context(tmp_path: Path) -> None:
    """Each TLS context holds its own parsed copy of its CA store (~2 MB for the system's):
    ten providers on the system store hold one, not ten."""
    cert, _ = _self_signed(tmp_path)
    first, second = create_session(2.0), create_session(5.0)
    private = create_session(2.0, str(cert))
    assert first._tls is second._tls
    assert private._tls is not first._tls
    assert private._tls is create_session(2.0, str(cert))._tls


def test_without_a_system_ca_file_streams_still_trust_the_public_roots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slim image may have no CA file: both clients fall back to certifi's copy of the
    Mozilla roots rather than trusting nothing."""
    from polyroute.adapters.tls import tls_context

    (tmp_path / "empty.pem").write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "empty.pem"))  # the system has none
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    context = tls_context.__wrapped__(None)  # uncached: built under this environment
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] >= 100
