"""Error bodies exactly as each OpenAI-compatible provider sends them.

An error is first described (:class:`ApiError`: status, message, type, code, param), then
rendered in the profile's :data:`ErrorStyle`:

- ``openai``: ``{"error":{"message","type","param","code"}}`` (all four keys, may be null)
- ``groq``: ``{"error":{"message","type","code"?}}`` (no ``param``)
- ``mistral``: ``{"object":"error","message","type","param","code"}``; 422 validation bodies
  wrap pydantic's ``detail`` list in ``message``; 401 is ``{"detail":"Unauthorized"}`` and
  429 ``{"message":"Requests rate limit exceeded"}``
- ``openrouter``: ``{"error":{"code":<int status>,"message","metadata"?},"user_id"?}``
- ``xai``: ``{"code":"<status text>","error":"<message>"}``
- ``cerebras``: top-level ``{"message","type","param","code"}``
- ``vllm``: ``{"object":"error","message","type","param","code":<int status>}``
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from polyroute.emulators.openai_compat.profiles import Profile

_XAI_CODES = {
    400: "Client specified an invalid argument",
    401: "Unauthenticated",
    404: "Some requested entity was not found",
    422: "Client specified an invalid argument",
    429: "Some resource has been exhausted",
    500: "Internal error",
    503: "The service is currently unavailable",
}
_VLLM_TYPES = {400: "BadRequestError", 401: "Unauthorized", 404: "NotFoundError"}
OPENROUTER_USER_ID = "user_2emulatorEmulatorEmulat0r"


@dataclass(frozen=True, slots=True)
class ApiError(Exception):
    status: int
    message: str
    type: str = "invalid_request_error"
    code: str | int | None = None
    param: str | None = None
    body: Any = None
    """A complete body that overrides the style's rendering (Mistral 422, bare bodies)."""


def render(profile: Profile, err: ApiError) -> dict[str, Any]:
    if err.body is not None:
        return err.body
    style = profile.error_style
    if style == "openai":
        return {"error": _four(err)}
    if style == "groq":
        inner: dict[str, Any] = {"message": err.message, "type": err.type}
        if err.code is not None:
            inner["code"] = err.code
        return {"error": inner}
    if style == "mistral":
        return {"object": "error", **_four(err)}
    if style == "openrouter":
        return {
            "error": {"message": err.message, "code": err.status},
            "user_id": OPENROUTER_USER_ID,
        }
    if style == "xai":
        return {"code": _XAI_CODES.get(err.status, "Unknown error"), "error": err.message}
    if style == "cerebras":
        return _four(err)
    return {
        "object": "error",
        "message": err.message,
        "type": _VLLM_TYPES.get(err.status, err.type),
        "param": err.param,
        "code": err.status,
    }


def _four(err: ApiError) -> dict[str, Any]:
    return {"message": err.message, "type": err.type, "param": err.param, "code": err.code}


def response(profile: Profile, err: ApiError) -> web.Response:
    return web.Response(
        status=err.status, body=orjson.dumps(render(profile, err)), content_type="application/json"
    )


def unauthorized(profile: Profile, key: str | None) -> ApiError:
    style = profile.error_style
    if style == "mistral":
        return ApiError(401, "Unauthorized", body={"detail": "Unauthorized"})
    if style == "xai":
        shown = f"{(key or '')[:2]}***{(key or '')[-2:]}"
        msg = f"Incorrect API key provided: {shown}. You can obtain an API key from https://console.x.ai."
        return ApiError(400, msg)
    if style == "openrouter":
        return ApiError(
            401,
            "No auth credentials found" if not key else "User not found.",
            body={
                "error": {
                    "message": "No auth credentials found" if not key else "User not found.",
                    "code": 401,
                }
            },
        )
    if style == "groq":
        return ApiError(401, "Invalid API Key", code="invalid_api_key")
    if style == "cerebras":
        return ApiError(401, "Wrong API Key", param="api_key", code="wrong_api_key")
    if not key:
        return ApiError(
            401,
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or "
            "as the password field (with blank username) if you're accessing the API from your "
            "browser and are prompted for a username and password. You can obtain an API key "
            "from https://platform.openai.com/account/api-keys.",
        )
    shown = f"{key[:3]}*{key[-4:]}" if len(key) > 8 else "***"
    return ApiError(
        401,
        f"Incorrect API key provided: {shown}. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        code="invalid_api_key",
    )


def model_not_found(profile: Profile, model: object) -> ApiError:
    style = profile.error_style
    if style == "mistral":
        return ApiError(400, f"Invalid model: {model}", type="invalid_model", code="1500")
    if style == "openrouter":
        return ApiError(400, f"{model} is not a valid model ID")
    if style == "xai":
        return ApiError(
            404,
            f"The model {model} does not exist or your team does not have "
            "access to it. Please ensure you're using the correct API key.",
        )
    if style == "cerebras":
        return ApiError(
            404,
            f"Model {model} does not exist or you do not have access to it.",
            type="not_found_error",
            param="model",
            code="model_not_found",
        )
    if style == "vllm":
        return ApiError(404, f"The model `{model}` does not exist.", type="NotFoundError")
    return ApiError(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        code="model_not_found",
    )


def invalid_json(profile: Profile) -> ApiError:
    if profile.error_style == "mistral":
        detail = [
            {
                "type": "json_invalid",
                "loc": ["body", 0],
                "msg": "JSON decode error",
                "input": {},
                "ctx": {"error": "Expecting value"},
            }
        ]
        return validation_422(detail)
    return ApiError(
        400,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
        "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
        "sent was not valid JSON. If you have trouble figuring out how to fix this, please "
        "contact us through our help center at help.openai.com.)",
    )


def validation_422(detail: list[dict[str, Any]]) -> ApiError:
    """Mistral's wrapped pydantic validation error."""
    body = {
        "object": "error",
        "message": {"detail": detail},
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }
    return ApiError(422, "validation error", body=body)


def unknown_field(profile: Profile, name: str) -> ApiError:
    if profile.error_style in ("groq", "cerebras"):
        return ApiError(
            400,
            f"property '{name}' is unsupported",
            param=name,
            code="wrong_api_format" if profile.error_style == "cerebras" else None,
        )
    return ApiError(400, f"Unrecognized request argument supplied: {name}")


def missing(profile: Profile, param: str) -> ApiError:
    if param == "model" and profile.error_style == "openai":
        return ApiError(400, "you must provide a model parameter")
    return ApiError(
        400,
        f"Missing required parameter: '{param}'.",
        param=param,
        code="missing_required_parameter",
    )


def invalid(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


_STATUS_TEXT = {
    429: ("rate_limit_exceeded", "requests"),
    500: ("server_error", "server_error"),
    502: ("bad_gateway", "server_error"),
    503: ("service_unavailable", "server_error"),
}


def for_status(profile: Profile, status: int, model: object = None) -> ApiError:
    """The provider's own body for an injected status (429, 5xx, anything else)."""
    style = profile.error_style
    if style == "mistral" and status == 429:
        return ApiError(429, "", body={"message": "Requests rate limit exceeded"})
    if style == "openrouter":
        raw = (
            f"{model} is temporarily rate-limited upstream." if status == 429 else "Upstream error"
        )
        body = {
            "error": {
                "code": status,
                "message": "Provider returned error",
                "metadata": {"provider_name": "Emulator", "raw": raw},
            },
            "user_id": OPENROUTER_USER_ID,
        }
        return ApiError(status, "Provider returned error", body=body)
    if status == 429:
        if style == "cerebras":
            return ApiError(
                429,
                "Requests per minute limit exceeded - too many requests sent.",
                type="too_many_requests_error",
                param="quota",
                code="request_quota_exceeded",
            )
        return ApiError(
            429,
            f"Rate limit reached for {model} in organization org-emulator on requests per min "
            "(RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.",
            type="tokens" if style == "groq" else "requests",
            code="rate_limit_exceeded",
        )
    if status == 500:
        return ApiError(
            500,
            "The server had an error while processing your request. Sorry about that!",
            type="server_error",
        )
    if status == 503:
        return ApiError(
            503, "The engine is currently overloaded, please try again later.", type="server_error"
        )
    if status == 502:
        return ApiError(
            502, "Bad gateway.", type="server_error", code=502 if style == "vllm" else None
        )
    return ApiError(status, f"Emulated HTTP {status} error.", type="server_error")


def context_length(profile: Profile, limit: int, tokens: int) -> ApiError:
    style = profile.error_style
    if style == "mistral":
        return ApiError(
            400,
            f"Prompt contains {tokens} tokens and 0 draft tokens, too large "
            f"for model with {limit} maximum context length",
            code="3051",
        )
    if style == "openrouter":
        return ApiError(
            400,
            f"This endpoint's maximum context length is {limit} tokens. "
            f"However, you requested about {tokens} tokens. Please reduce the "
            'length of either one, or use the "middle-out" transform to '
            "compress your prompt automatically.",
        )
    if style == "groq":
        return ApiError(
            400,
            "Please reduce the length of the messages or completion.",
            param="messages",
            code="context_length_exceeded",
        )
    return ApiError(
        400,
        f"This model's maximum context length is {limit} tokens. However, your messages "
        f"resulted in {tokens} tokens. Please reduce the length of the messages.",
        param="messages",
        code="context_length_exceeded",
    )
