"""The admin API: virtual keys and per-tenant provider keys. Master key only.

    POST   /v1/admin/keys                          create a key; the answer holds its secret, once
    GET    /v1/admin/keys[?tenant=]                list keys (never a secret or a hash)
    DELETE /v1/admin/keys/{key_id}                 revoke a key
    POST   /v1/admin/provider-keys                 store {tenant, provider, api_key}, encrypted
    GET    /v1/admin/provider-keys[?tenant=]       providers with a stored key (never the key)
    DELETE /v1/admin/provider-keys/{provider}[?tenant=]

The stores are ``request.app.state.keys`` (``KeyStore``) and
``request.app.state.provider_keys`` (``ProviderKeyStore``); the caller is authenticated by
``request.app.state.gateway.auth``. Failures use OpenAI's error envelope. Request bodies
and provider keys are never logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from polyroute.errors import InvalidRequest, PermissionDenied, PolyrouteError
from polyroute.inbound.http import json_response, read_json
from polyroute.keys import (
    DEFAULT_TENANT,
    EncryptionNotConfigured,
    KeyStore,
    ProviderKeyStore,
    StoredProviderKey,
)
from polyroute.wire.openai import encode_error

log = logging.getLogger("polyroute.admin")

MAX_BODY = 64 * 1024
Handler = Callable[[Request], Awaitable[Response]]
M = TypeVar("M", bound=BaseModel)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CreateKey(_Body):
    name: str = Field(min_length=1, max_length=64)
    tenant: str = Field(default=DEFAULT_TENANT, min_length=1, max_length=64)
    budget_daily_usd: Decimal | None = Field(default=None, ge=0)
    budget_monthly_usd: Decimal | None = Field(default=None, ge=0)
    budget_total_usd: Decimal | None = Field(default=None, ge=0)
    rpm: int | None = Field(default=None, ge=1)
    tpm: int | None = Field(default=None, ge=1)
    allowed_models: list[str] | None = None
    expires_at: datetime | None = None


class PutProviderKey(_Body):
    tenant: str = Field(default=DEFAULT_TENANT, min_length=1, max_length=64)
    provider: str = Field(min_length=1, max_length=64)
    api_key: SecretStr


def admin_routes() -> list[Route]:
    return [
        Route("/v1/admin/keys", _endpoint(create_key), methods=["POST"]),
        Route("/v1/admin/keys", _endpoint(list_keys), methods=["GET"]),
        Route("/v1/admin/keys/{key_id}", _endpoint(revoke_key), methods=["DELETE"]),
        Route("/v1/admin/provider-keys", _endpoint(put_provider_key), methods=["POST"]),
        Route("/v1/admin/provider-keys", _endpoint(list_provider_keys), methods=["GET"]),
        Route(
            "/v1/admin/provider-keys/{provider}",
            _endpoint(delete_provider_key),
            methods=["DELETE"],
        ),
    ]


def _endpoint(handler: Handler) -> Handler:
    async def endpoint(request: Request) -> Response:
        try:
            principal = await request.app.state.gateway.auth.authenticate(request)
            if not principal.is_master:
                raise PermissionDenied("The admin API takes the master key.")
            return await handler(request)
        except PolyrouteError as exc:
            return json_response(encode_error(exc), exc.status)
        except EncryptionNotConfigured as exc:
            failure = PolyrouteError(str(exc), status=503, code="encryption_not_configured")
            return json_response(encode_error(failure), failure.status)
        except Exception as exc:  # the type only: a message could quote a request's values
            log.error("admin API failure on %s: %s", request.url.path, type(exc).__name__)
            failure = PolyrouteError("The gateway failed to handle the admin request.")
            return json_response(encode_error(failure), failure.status)

    return endpoint


async def create_key(request: Request) -> Response:
    body = await _body(request, CreateKey)
    expires = body.expires_at
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    fields = body.model_dump(exclude={"expires_at"})
    try:
        key, secret = await asyncio.to_thread(_keys(request).create, expires_at=expires, **fields)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from None
    log.info("created virtual key %s (%s) for tenant %s", key.id, key.prefix, key.tenant)
    return json_response({**key.public_json(), "secret": secret}, 201)


async def list_keys(request: Request) -> Response:
    tenant = request.query_params.get("tenant") or None
    keys = await asyncio.to_thread(_keys(request).list, tenant)
    return json_response({"object": "list", "data": [k.public_json() for k in keys]})


async def revoke_key(request: Request) -> Response:
    key_id = request.path_params["key_id"]
    if not await asyncio.to_thread(_keys(request).revoke, key_id):
        raise InvalidRequest(f"No key with id {key_id!r}.", status=404, code="not_found")
    log.info("revoked virtual key %s", key_id)
    return json_response({"id": key_id, "object": "virtual_key", "revoked": True})


async def put_provider_key(request: Request) -> Response:
    body = await _body(request, PutProviderKey)
    store = _provider_keys(request)
    stored = await asyncio.to_thread(
        store.put, body.tenant, body.provider, body.api_key.get_secret_value()
    )
    _forget(request, stored.tenant, stored.provider)
    log.info("stored the %s key of tenant %s", stored.provider, stored.tenant)
    return json_response(_stored_json(stored), 201)


async def list_provider_keys(request: Request) -> Response:
    tenant = request.query_params.get("tenant") or DEFAULT_TENANT
    stored = await asyncio.to_thread(_provider_keys(request).list, tenant)
    return json_response({"object": "list", "data": [_stored_json(s) for s in stored]})


async def delete_provider_key(request: Request) -> Response:
    provider = request.path_params["provider"]
    tenant = request.query_params.get("tenant") or DEFAULT_TENANT
    if not await asyncio.to_thread(_provider_keys(request).delete, tenant, provider):
        raise InvalidRequest(
            f"Tenant {tenant!r} has no {provider!r} key.", status=404, code="not_found"
        )
    _forget(request, tenant, provider)
    log.info("deleted the %s key of tenant %s", provider, tenant)
    return json_response({"tenant": tenant, "provider": provider, "deleted": True})


def _forget(request: Request, tenant: str, provider: str) -> None:
    """This replica uses the new key at once; others within the pool's cache time."""
    pool = getattr(request.app.state, "pool", None)
    if pool is not None:
        pool.forget(tenant, provider)


def _keys(request: Request) -> KeyStore:
    return request.app.state.keys  # type: ignore[no-any-return]


def _provider_keys(request: Request) -> ProviderKeyStore:
    return request.app.state.provider_keys  # type: ignore[no-any-return]


async def _body(request: Request, model: type[M]) -> M:
    raw: Any = await read_json(request, MAX_BODY)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]  # loc and msg only: never echo the input (it may be a key)
        where = ".".join(str(p) for p in first["loc"]) or None
        message = "unknown field" if first["type"] == "extra_forbidden" else first["msg"]
        raise InvalidRequest(f"{where or 'body'}: {message}", param=where) from None


def _stored_json(stored: StoredProviderKey) -> dict[str, Any]:
    return {
        "object": "provider_key",
        "tenant": stored.tenant,
        "provider": stored.provider,
        "created_at": stored.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": stored.updated_at.isoformat().replace("+00:00", "Z"),
    }
