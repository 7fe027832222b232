"""Every failure polyroute can report, classified by what must happen next.

    PolyrouteError                 status, message, code, param; rendered in the client's envelope
    ├── RequestError               the caller must fix it: never retried, never failed over
    │   ├── InvalidRequest         400 malformed JSON, invalid or missing fields
    │   ├── Unauthorized           401 missing or wrong polyroute key
    │   ├── PermissionDenied       403 the key may not use this model
    │   ├── ModelNotFound          404 no route or provider/model by that name
    │   └── PayloadTooLarge        413 body over the configured limit
    └── UpstreamError              a provider, or the way to it, failed; ``kind`` tells the router
                                   whether to retry the target (``retryable``) or move to the next
                                   one (``failover``)

Inbound codecs render these; adapters raise ``UpstreamError`` from one mapping function each,
by status and structured code, never by searching message text.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class PolyrouteError(Exception):
    status: int = 500
    type: str = "api_error"
    code: str | None = None

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.param = param
        if status is not None:
            self.status = status


class RequestError(PolyrouteError):
    status = 400
    type = "invalid_request_error"


class InvalidRequest(RequestError):
    pass


class Unauthorized(RequestError):
    status = 401
    type = "authentication_error"
    code = "invalid_api_key"


class PermissionDenied(RequestError):
    status = 403
    type = "permission_error"


class ModelNotFound(RequestError):
    status = 404
    type = "invalid_request_error"
    code = "model_not_found"


class PayloadTooLarge(RequestError):
    status = 413
    type = "invalid_request_error"
    code = "request_too_large"


class UnsupportedEncoding(RequestError):
    status = 415
    type = "invalid_request_error"
    code = "unsupported_content_encoding"


class UpstreamKind(Enum):
    """What went wrong upstream, in the router's terms."""

    INVALID_REQUEST = "invalid_request"
    """The provider rejected the request's content: the caller must fix it."""
    AUTHENTICATION = "authentication"
    """The provider rejected the operator's provider key."""
    PERMISSION = "permission"
    NOT_FOUND = "not_found"
    RATE_LIMITED = "rate_limited"
    OVERLOADED = "overloaded"
    SERVER = "server"
    CONTEXT_LENGTH = "context_length"
    CONTENT_FILTER = "content_filter"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    STREAM_BROKEN = "stream_broken"
    """The stream was cut, stalled or carried garbage after it started."""


_RETRYABLE = {UpstreamKind.SERVER, UpstreamKind.OVERLOADED, UpstreamKind.UNREACHABLE}
_FAILOVER = _RETRYABLE | {
    UpstreamKind.RATE_LIMITED,
    UpstreamKind.TIMEOUT,
    UpstreamKind.CONTEXT_LENGTH,
    UpstreamKind.STREAM_BROKEN,
    # The operator's account at that provider (key, permission, model access) failed, not
    # the caller's request: another provider may well serve it.
    UpstreamKind.AUTHENTICATION,
    UpstreamKind.PERMISSION,
    UpstreamKind.NOT_FOUND,
}

OPERATOR_KINDS = frozenset({UpstreamKind.AUTHENTICATION, UpstreamKind.PERMISSION})
"""The provider refused the operator's own key or account (401, 402, 403, a key Google calls
invalid), not the caller's: shown as a 502 in the gateway's own words, because a client reads
a provider's ``invalid_api_key`` or ``authentication_error`` as its own key failing."""

# The error ``type`` an OpenAI-dialect client sees for each kind when the provider named none.
# The OpenAI codec names the operator kinds itself, whatever the provider said; their entries
# here are the same names, so that ``type`` never says "permission_error" (the client's own).
_OPENAI_TYPES = {
    UpstreamKind.INVALID_REQUEST: "invalid_request_error",
    UpstreamKind.AUTHENTICATION: "upstream_authentication_error",
    UpstreamKind.PERMISSION: "upstream_permission_error",
    UpstreamKind.NOT_FOUND: "invalid_request_error",
    UpstreamKind.RATE_LIMITED: "rate_limit_error",
    UpstreamKind.OVERLOADED: "overloaded_error",
    UpstreamKind.SERVER: "api_error",
    UpstreamKind.CONTEXT_LENGTH: "invalid_request_error",
    UpstreamKind.CONTENT_FILTER: "invalid_request_error",
    UpstreamKind.TIMEOUT: "timeout_error",
    UpstreamKind.UNREACHABLE: "api_connection_error",
    UpstreamKind.STREAM_BROKEN: "api_error",
}


@dataclass(eq=False)
class UpstreamError(PolyrouteError):
    kind: UpstreamKind
    message: str
    provider: str
    status: int = 502
    """The HTTP status the client is shown (the provider's own where it had one)."""
    code: str | None = None
    """The provider's structured error code, as a string."""
    param: str | None = None
    provider_type: str | None = None
    """The provider's own error type name, when it sent one."""
    retry_after: float | None = None
    """Seconds the provider asked us to wait (Retry-After, Gemini RetryInfo)."""

    def __post_init__(self) -> None:
        Exception.__init__(self, self.message)

    @property
    def type(self) -> str:  # type: ignore[override]
        return self.provider_type or _OPENAI_TYPES[self.kind]

    @property
    def shown_message(self) -> str:
        """The message for the client: the provider's, saying whose key it was when the
        provider refused the operator's (see ``OPERATOR_KINDS``)."""
        if self.kind not in OPERATOR_KINDS:
            return self.message
        reason = self.message.removeprefix(f"{self.provider}: ")  # the provider is named once
        return f"{self.provider}: the provider key configured in polyroute was refused: {reason}"

    @property
    def retryable(self) -> bool:
        """Worth trying the same target again after a backoff."""
        return self.kind in _RETRYABLE

    @property
    def failover(self) -> bool:
        """Worth trying the next target of the route."""
        return self.kind in _FAILOVER
