"""The ASGI application: ``create_app(settings)`` wires config, adapters and endpoints.

Nothing happens at import time; HTTP pools are opened in the lifespan and closed on
shutdown, one pool per configured provider.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from polyroute.canonical import ModelInfo
from polyroute.catalog import Catalog, load_catalog
from polyroute.config import ConfigError, Settings
from polyroute.errors import InvalidRequest, PolyrouteError
from polyroute.gateway.calls import CallInfo, new_request_id
from polyroute.gateway.dispatch import Dispatcher
from polyroute.gateway.pool import ProviderPool
from polyroute.gateway.retry import RetryPolicy
from polyroute.gateway.targets import TargetResolver
from polyroute.inbound import anthropic_api, openai_api
from polyroute.inbound.admin_api import admin_routes
from polyroute.inbound.http import Authenticator, json_response
from polyroute.inbound.models_api import models_endpoints
from polyroute.inbound.state import GatewayState
from polyroute.inbound.usage_api import usage_routes
from polyroute.keys import KeyCipher, KeyStore, ProviderKeyStore
from polyroute.ledger import Ledger, LedgerRecorder
from polyroute.limits import Gatekeeper
from polyroute.routing.health import BreakerPolicy, HealthBook
from polyroute.routing.router import Router

log = logging.getLogger("polyroute")


def _model_list(settings: Settings, routes: Iterable[str], catalog: Catalog) -> list[ModelInfo]:
    """Routes (the built-in ``auto`` included), then each provider's models: those its config
    lists, else the catalog's for its kind that are not past their deprecation date (what a
    model picker pointed at the gateway offers; any id may be called regardless)."""
    today = datetime.now(UTC).date().isoformat()
    models = [ModelInfo(id=name, owned_by="polyroute", kind="route") for name in routes]
    for provider in settings.providers.values():
        kind = provider.spec.name
        listed = [(m, catalog.get(kind, m)) for m in provider.models] or [
            (entry.model, entry) for entry in catalog.entries(kind) if not entry.deprecated(today)
        ]
        models.extend(
            ModelInfo(
                id=f"{provider.name}/{model}",
                owned_by=provider.name,
                context_window=entry.context_window if entry else None,
                max_output=entry.max_output if entry else None,
            )
            for model, entry in listed
        )
    return models


Endpoint = Callable[[Request], Awaitable[Response]]


class GatewayApp(Starlette):
    """Starlette, with the proxied endpoints sent straight to their handlers.

    Those handlers render every failure themselves, so Starlette's error middleware and
    router add nothing on the hot path but time (measured: ~20% of a relay's throughput);
    everything else (lifespan, usage and admin APIs, 404s) goes through Starlette as usual.
    """

    def __init__(self, *, fast_routes: dict[tuple[str, str], Endpoint], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._fast_routes = fast_routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            endpoint = self._fast_routes.get((scope["method"], scope["path"]))
            if endpoint is not None:
                scope["app"] = self
                response = await endpoint(Request(scope, receive, send))
                await response(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings) -> Starlette:
    health = HealthBook(BreakerPolicy(**settings.health.model_dump()))
    try:
        cipher = KeyCipher.from_setting(settings.keys.encryption_keys)
    except ValueError as exc:
        raise ConfigError(f"{settings.source}: keys.encryption_keys: {exc}") from None
    router = Router(settings, load_catalog(settings.catalog or None), health=health)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The ledger opens first and closes last, so no call's record is lost.
        app.state.ledger = ledger = await Ledger.aopen(settings.database_url, settings.ledger)
        app.state.keys = keys = KeyStore(ledger.engine, cache_seconds=settings.keys.cache_seconds)
        app.state.provider_keys = tenant_keys = ProviderKeyStore(ledger.engine, cipher)
        gatekeeper = Gatekeeper.from_config(settings.limits, settings.redis_url)
        app.state.pool = pool = ProviderPool(settings.providers, settings.timeouts, tenant_keys)
        # The ledger's flush interval is how long a call's records wait in memory at most.
        recorder = LedgerRecorder(
            ledger, router.cost, delay=settings.ledger.flush_interval_ms / 1000
        )
        app.state.gateway = GatewayState(
            auth=Authenticator(settings.master_key, keys),
            dispatcher=Dispatcher(
                router,
                TargetResolver(settings, router.catalog),
                pool,
                RetryPolicy(settings.retries),
                settings.timeouts,
                recorder=recorder,
                gatekeeper=gatekeeper,
            ),
            max_request_bytes=settings.server.max_request_bytes,
            started_at=time.time(),
            models=_model_list(settings, router.routes, router.catalog),
        )
        # Everything built so far lives as long as the process: keep it out of the cyclic
        # collector's full passes (measured: +40% requests/s on one core, the heap being
        # ~100 MB of catalog, SQLAlchemy and pydantic objects).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await pool.aclose()
            await gatekeeper.aclose()
            recorder.flush()
            await ledger.aclose()

    proxied = {
        "/v1/chat/completions": openai_api.openai_endpoint(openai_api.chat_completions),
        "/v1/fim/completions": openai_api.openai_endpoint(openai_api.fim_completions),
        "/v1/embeddings": openai_api.openai_endpoint(openai_api.embeddings),
        "/v1/messages": anthropic_api.anthropic_endpoint(anthropic_api.messages),
        "/v1/messages/count_tokens": anthropic_api.anthropic_endpoint(anthropic_api.count_tokens),
    }
    list_models, retrieve_model = models_endpoints()
    routes = [
        *(Route(path, endpoint, methods=["POST"]) for path, endpoint in proxied.items()),
        Route("/v1/models", list_models, methods=["GET"]),
        Route("/v1/models/{model:path}", retrieve_model, methods=["GET"]),
        Route("/health", _health, methods=["GET"]),
        *usage_routes(),
        *admin_routes(),
    ]
    return GatewayApp(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={404: _not_found, 405: _method_not_allowed},
        fast_routes={("POST", path): endpoint for path, endpoint in proxied.items()},
    )


async def _health(request: Request) -> Response:
    return json_response({"status": "ok"})


def _error(exc: PolyrouteError) -> Response:
    info = CallInfo(new_request_id())
    return openai_api.error_response(exc, info)


async def _not_found(request: Request, exc: Exception) -> Response:
    return _error(InvalidRequest(f"Invalid URL ({request.method} {request.url.path})", status=404))


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    return _error(
        InvalidRequest(f"Method {request.method} is not allowed on {request.url.path}.", status=405)
    )
