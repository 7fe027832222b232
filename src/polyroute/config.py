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
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from polyroute.adapters.http1 import header_block
from polyroute.catalog.model import Capability
from polyroute.keys.config import KeysConfig
from polyroute.ledger.config import LedgerConfig
from polyroute.limits.config import LimitsConfig
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
    ca_bundle: str | None = None
    """A PEM file of the certificate authorities to trust for this provider (a self-hosted
    server behind a private CA); by default, the system's trust store."""

    @field_validator("ca_bundle")
    @classmethod
    def _ca_file(cls, value: str | None) -> str | None:
        if value is not None and not Path(value).is_file():
            raise ValueError(f"no such file: {value!r}")
        return value

    @field_validator("headers")
    @classmethod
    def _headers(cls, value: dict[str, str]) -> dict[str, str]:
        header_block(value)  # raises ValueError, naming the header (never its value)
        return value

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
        return value.rstrip("/") if value else value


Strategy = Literal["ordered", "weighted", "cheapest", "fastest", "tiered"]
TIERS = ("small", "flagship", "code")
"""The tiers of a ``tiered`` route, in escalation order (see ``polyroute.routing.tiers``)."""


class RouteConfig(_Strict):
    """A route: candidate ``provider/model`` targets and how to choose among them.

    ``targets`` is always a list of ``provider/model`` strings in fallback order. For
    ``weighted`` each item may be ``{target, weight}`` (a bare string weighs 0: fallback
    only); the shares land in ``weights``. For ``tiered``, ``tiers`` maps ``small``,
    ``flagship`` and ``code`` to target lists and ``targets`` defaults to all of them.
    """

    strategy: Strategy = "ordered"
    targets: list[str] = []
    weights: tuple[float, ...] | None = None
    """``weighted`` only: one non-negative share per target (normalised at use)."""
    tiers: dict[str, list[str]] | None = None

    @model_validator(mode="before")
    @classmethod
    def _split_weights(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("targets"), list):
            return data
        items = data["targets"]
        if not any(isinstance(item, dict) for item in items):
            return data
        if data.get("strategy") != "weighted":
            raise ValueError("{target, weight} items are only for strategy: weighted")
        targets, weights = [], []
        for i, item in enumerate(items):
            if isinstance(item, dict):
                if set(item) - {"target", "weight"} or "target" not in item:
                    raise ValueError(f"targets[{i}]: expected {{target, weight}}, got {item!r}")
                targets.append(item["target"])
                weights.append(item.get("weight", 0))
            else:
                targets.append(item)
                weights.append(0)
        return {**data, "targets": targets, "weights": weights}

    @model_validator(mode="after")
    def _check(self) -> RouteConfig:
        if self.tiers is not None:
            self._check_tiers(self.tiers)
        elif self.strategy == "tiered":
            raise ValueError("a tiered route needs tiers (small, flagship, code)")
        if not self.targets:
            raise ValueError("a route needs at least one target")
        for target in (*self.targets, *(t for ts in (self.tiers or {}).values() for t in ts)):
            provider, _, model = target.partition("/")
            if not provider or not model:
                raise ValueError(f"target {target!r} must be <provider>/<model-id>")
        if len(set(self.targets)) != len(self.targets):
            raise ValueError("a target is listed twice")
        if self.strategy == "weighted":
            if self.weights is None:
                raise ValueError("a weighted route needs {target, weight} items")
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("weights must be >= 0 and at least one must be > 0")
        elif self.weights is not None:
            raise ValueError("weights are only for strategy: weighted")
        return self

    def _check_tiers(self, tiers: dict[str, list[str]]) -> None:
        if self.strategy != "tiered":
            raise ValueError("tiers are only for strategy: tiered")
        unknown = sorted(set(tiers) - set(TIERS))
        if unknown:
            raise ValueError(f"unknown tier {unknown[0]!r}; tiers are {', '.join(TIERS)}")
        if not tiers or any(not targets for targets in tiers.values()):
            raise ValueError("each tier needs at least one target")
        if not self.targets:
            every = [t for tier in TIERS for t in tiers.get(tier, [])]
            object.__setattr__(self, "targets", list(dict.fromkeys(every)))


class PriceOverride(_Strict):
    """Per-million-token USD prices; per-hour (GPU-time) pricing is out of scope."""

    input: Decimal | None = Field(default=None, ge=0)
    output: Decimal | None = Field(default=None, ge=0)
    cached_input: Decimal | None = Field(default=None, ge=0)
    cache_write: Decimal | None = Field(default=None, ge=0)
    reasoning: Decimal | None = Field(default=None, ge=0)


class ModelOverride(_Strict):
    """Changes to (or a new) catalog entry; unset fields keep the catalog's value."""

    kind: Literal["chat", "embedding"] | None = None
    context_window: int | None = Field(default=None, gt=0)
    max_output: int | None = Field(default=None, gt=0)
    capabilities: list[Capability] | None = None
    prices: PriceOverride | None = None
    aliases: list[str] = []


class TimeoutConfig(_Strict):
    connect: float = Field(default=10.0, gt=0)
    """Seconds to open a connection to a provider."""
    first_byte: float = Field(default=120.0, gt=0)
    """Seconds to wait for a stream's response headers, and then for its first event."""
    answer: float = Field(default=600.0, gt=0)
    """Seconds to wait for a whole (non-streamed) answer. A provider sends its headers only
    once the answer is complete, which for a long or reasoning answer takes minutes: the
    OpenAI and Anthropic SDKs wait 600 s by default, and so does this."""
    stream_idle: float = Field(default=60.0, gt=0)
    """A stream silent this long after its first event is abandoned with an error (before
    it, ``first_byte`` applies: a model may think for minutes before answering)."""
    total: float = Field(default=600.0, gt=0)
    """The whole call until its answer or its stream's first byte, every attempt and every
    wait included (a stream that is flowing is bounded by ``stream_idle`` instead)."""


class RetryConfig(_Strict):
    per_target: int = Field(default=1, ge=0, le=5)
    """Extra tries on the same target after a transient error (5xx, 529, reset)."""
    backoff_base: float = Field(default=0.25, ge=0)
    backoff_max: float = Field(default=4.0, ge=0)
    max_retry_after: float = Field(default=5.0, ge=0)
    """A provider asking to wait longer than this is failed over instead of waited for."""
    failover_on_content_filter: bool = False
    """Try the next target when a provider refuses on content policy (off: pass it on)."""


class HealthConfig(_Strict):
    """Per-target circuit breakers (see ``polyroute.routing.health``)."""

    consecutive_failures: int = Field(default=5, ge=1)
    failure_rate: float = Field(default=0.5, gt=0, le=1)
    window: float = Field(default=60.0, gt=0)
    min_calls: int = Field(default=10, ge=1)
    cooldown: float = Field(default=30.0, gt=0)
    backoff: float = Field(default=2.0, ge=1)
    max_cooldown: float = Field(default=600.0, gt=0)


class ServerConfig(_Strict):
    max_request_bytes: int = Field(default=32 * 1024 * 1024, gt=0)


class FileConfig(_Strict):
    master_key: str | None = Field(default=None, repr=False)
    database_url: str | None = None
    redis_url: str | None = None
    providers: dict[str, ProviderConfig] = {}
    routes: dict[str, RouteConfig] = {}
    catalog: dict[str, dict[str, ModelOverride]] = {}
    """Catalog overrides: ``provider -> model id -> ModelOverride``."""
    timeouts: TimeoutConfig = TimeoutConfig()
    retries: RetryConfig = RetryConfig()
    health: HealthConfig = HealthConfig()
    ledger: LedgerConfig = LedgerConfig()
    server: ServerConfig = ServerConfig()
    keys: KeysConfig = KeysConfig()
    limits: LimitsConfig = LimitsConfig()


@dataclass(frozen=True, slots=True)
class ResolvedProvider:
    """One provider the gateway can call: its spec plus this deployment's key and address."""

    name: str
    spec: ProviderSpec
    base_url: str
    api_key: str | None = field(default=None, repr=False)
    models: tuple[str, ...] = ()
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)  # may carry a key
    ca_bundle: str | None = None


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the gateway needs, resolved from file, environment and defaults."""

    source: str = "<defaults>"
    master_key: str | None = field(default=None, repr=False)
    database_url: str = "sqlite:///polyroute.db"
    redis_url: str | None = None
    providers: Mapping[str, ResolvedProvider] = field(default_factory=dict)
    routes: Mapping[str, RouteConfig] = field(default_factory=dict)
    catalog: Mapping[str, Mapping[str, ModelOverride]] = field(default_factory=dict)
    timeouts: TimeoutConfig = field(default_factory=TimeoutConfig)
    retries: RetryConfig = field(default_factory=RetryConfig)
    health: HealthConfig = field(default_factory=HealthConfig)
    ledger: LedgerConfig = field(default_factory=LedgerConfig)
    server: ServerConfig = field(default_factory=ServerConfig)
    keys: KeysConfig = field(default_factory=KeysConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    """Resolved: ``backend`` is always set."""


def interpolate(value: Any, env: Mapping[str, str], path: str = "") -> Any:
    """Replace ``${VAR}`` and ``${VAR:-default}`` in every string of a parsed YAML tree."""
    if isinstance(value, str):

        def sub(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            found = env.get(name)
            if default is not None:  # as in the shell: the default when unset or empty
                return found or default
            if found is None:
                raise ConfigError(f"{path or '<root>'}: environment variable {name} is not set")
            return found

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
            raise ConfigError(f"{source}: not valid YAML: {_yaml_problem(exc)}") from None
    return settings_from_mapping(raw, env, source)


def _yaml_problem(error: yaml.YAMLError) -> str:
    """What is wrong and where, without the parser's quote of the line: it may hold a key."""
    if not isinstance(error, yaml.MarkedYAMLError):
        return type(error).__name__
    parts = [
        f"{what} at line {mark.line + 1}, column {mark.column + 1}"
        for what, mark in ((error.problem, error.problem_mark), (error.context, error.context_mark))
        if what and mark is not None
    ]
    return ", ".join(parts) or type(error).__name__


def settings_from_mapping(raw: Any, env: Mapping[str, str], source: str) -> Settings:
    """Validate an already-parsed config tree (``${VAR}`` not yet interpolated)."""
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
            ca_bundle=entry.ca_bundle,
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
    try:
        limits = config.limits.resolved(config.redis_url)
    except ValueError as exc:
        raise ConfigError(f"{source}: limits.backend: {exc}") from None
    return Settings(
        source=source,
        master_key=master_key,
        database_url=config.database_url or "sqlite:///polyroute.db",
        redis_url=config.redis_url,
        providers=providers,
        routes=config.routes,
        catalog=config.catalog,
        timeouts=config.timeouts,
        retries=config.retries,
        health=config.health,
        ledger=config.ledger,
        server=config.server,
        keys=config.keys.resolved(env),
        limits=limits,
    )
