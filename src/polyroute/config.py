"""Configuration: a YAML file with ``${VAR}`` interpolation, on top of zero-config defaults.

With no file at all, every provider whose key is in its standard environment variable
(``MISTRAL_API_KEY``, ``OPENAI_API_KEY``, ...) is configured at its public address, and
the operator key comes from ``POLYROUTE_MASTER_KEY``. A config error names the file, the
key and what is wrong.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from polyroute.providers.registry import PROVIDERS, provider_type
from polyroute.providers.spec import ProviderSpec

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(Exception):
    """A configuration problem, phrased for the operator: file, key, what is wrong."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProviderConfig(_Strict):
    type: str | None = None
    """A provider kind from the registry; defaults to the provider's own name."""
    api_key: str | None = Field(default=None, repr=False)
    base_url: str | None = None
    models: list[str] = []
    """Model ids to list on ``GET /v1/models`` (any id may be called regardless)."""
    headers: dict[str, str] = {}
    """Extra headers sent on every request to this provider (e.g. OpenRouter's X-Title)."""

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
        return value.rstrip("/") if value else value


class RouteConfig(_Strict):
    strategy: Literal["ordered"] = "ordered"
    targets: list[str]

    @field_validator("targets")
    @classmethod
    def _targets(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("a route needs at least one target")
        for target in value:
            if "/" not in target:
                raise ValueError(f"target {target!r} must be <provider>/<model-id>")
        return value


class TimeoutConfig(_Strict):
    connect: float = Field(default=10.0, gt=0)
    first_byte: float = Field(default=120.0, gt=0)
    """Seconds to wait for response headers (and, for streams, the first event)."""
    stream_idle: float = Field(default=60.0, gt=0)
    """A stream silent this long is abandoned with an error."""


class ServerConfig(_Strict):
    max_request_bytes: int = Field(default=32 * 1024 * 1024, gt=0)


class FileConfig(_Strict):
    master_key: str | None = Field(default=None, repr=False)
    database_url: str | None = None
    redis_url: str | None = None
    providers: dict[str, ProviderConfig] = {}
    routes: dict[str, RouteConfig] = {}
    timeouts: TimeoutConfig = TimeoutConfig()
    server: ServerConfig = ServerConfig()


@dataclass(frozen=True, slots=True)
class ResolvedProvider:
    """One provider the gateway can call: its spec plus this deployment's key and address."""

    name: str
    spec: ProviderSpec
    base_url: str
    api_key: str | None = field(default=None, repr=False)
    models: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the gateway needs, resolved from file, environment and defaults."""

    source: str = "<defaults>"
    master_key: str | None = field(default=None, repr=False)
    database_url: str = "sqlite:///polyroute.db"
    redis_url: str | None = None
    providers: Mapping[str, ResolvedProvider] = field(default_factory=dict)
    routes: Mapping[str, RouteConfig] = field(default_factory=dict)
    timeouts: TimeoutConfig = field(default_factory=TimeoutConfig)
    server: ServerConfig = field(default_factory=ServerConfig)


def interpolate(value: Any, env: Mapping[str, str], path: str = "") -> Any:
    """Replace ``${VAR}`` and ``${VAR:-default}`` in every string of a parsed YAML tree."""
    if isinstance(value, str):

        def sub(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            raise ConfigError(f"{path or '<root>'}: environment variable {name} is not set")

        return _VAR.sub(sub, value)
    if isinstance(value, dict):
        return {k: interpolate(v, env, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def _format_validation(source: str, error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        key = ".".join(str(p) for p in item["loc"]) or "<root>"
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        lines.append(f"{source}: {key}: {message}")
    return "\n".join(lines)


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the config file (if any), interpolate it, merge the environment, validate it."""
    env = os.environ if env is None else env
    source = str(path) if path else "<defaults>"
    raw: Any = {}
    if path is not None:
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise ConfigError(f"{source}: cannot read: {exc.strerror}") from None
        try:
            raw = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{source}: not valid YAML: {exc}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{source}: <root>: must be a mapping of settings")
        try:
            raw = interpolate(raw, env)
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
    try:
        file_config = FileConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_format_validation(source, exc)) from None
    return _resolve(file_config, env, source)


def _resolve(config: FileConfig, env: Mapping[str, str], source: str) -> Settings:
    providers: dict[str, ResolvedProvider] = {}
    for name, spec in PROVIDERS.items():
        if spec.key_env and env.get(spec.key_env) and name not in config.providers:
            providers[name] = ResolvedProvider(
                name=name, spec=spec, api_key=env[spec.key_env], base_url=spec.base_url
            )
    for name, entry in config.providers.items():
        try:
            spec = provider_type(name, entry.type)
        except KeyError:
            known = ", ".join(sorted(PROVIDERS))
            key = f"providers.{name}.type" if entry.type else f"providers.{name}"
            raise ConfigError(
                f"{source}: {key}: unknown provider type {entry.type or name!r}; "
                f"set type to one of: {known}"
            ) from None
        api_key = entry.api_key or (env.get(spec.key_env) if spec.key_env else None)
        if spec.requires_key and not api_key:
            raise ConfigError(
                f"{source}: providers.{name}.api_key: no key given and "
                f"{spec.key_env or 'no environment variable'} is not set"
            )
        if spec.name == "openai-compatible" and not entry.base_url:
            raise ConfigError(
                f"{source}: providers.{name}.base_url: required for a self-hosted server"
            )
        providers[name] = ResolvedProvider(
            name=name,
            spec=spec,
            api_key=api_key,
            base_url=entry.base_url or spec.base_url,
            models=tuple(entry.models),
            headers=entry.headers,
        )
    for route_name, route in config.routes.items():
        if "/" in route_name:
            raise ConfigError(f"{source}: routes.{route_name}: a route name cannot contain '/'")
        for i, target in enumerate(route.targets):
            provider = target.split("/", 1)[0]
            if provider not in providers:
                raise ConfigError(
                    f"{source}: routes.{route_name}.targets[{i}]: provider {provider!r} "
                    "is not configured (add it under providers, or set its API key variable)"
                )
    master_key = config.master_key or env.get("POLYROUTE_MASTER_KEY") or None
    return Settings(
        source=source,
        master_key=master_key,
        database_url=config.database_url or "sqlite:///polyroute.db",
        redis_url=config.redis_url,
        providers=providers,
        routes=config.routes,
        timeouts=config.timeouts,
        server=config.server,
    )
