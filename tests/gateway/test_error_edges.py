"""Error edges end to end: each family provider's statuses as the openai SDK sees them,
Retry-After in whole seconds, echoed provider keys, non-JSON bodies, transport failures.

Grepped tests/ first and left out what is covered: "inject(status" (429 + Retry-After, 5xx
status only, 422), "model_not_found", "x-api-key", "down/any-model" / "reset=True" /
"latency_ms" (status and type only), "redact" / "gsk_" (decode level only), "caplog" (tenant
keys only), "html" / "redirect" (decode or Upstream level only); "Traceback", "405",
"retry_after=0", "inf", "10**20": nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import openai
import pytest
from starlette.applications import Starlette

from polyroute.app import create_app
from polyroute.config import settings_from_mapping
from polyroute.routing.health import HealthBook
from polyroute.server import BackgroundServer
from tests.gateway.conftest import BY_NAME, FIRST_BYTE_S, MASTER_KEY, STREAM_IDLE_S

HELLO = [{"role": "user", "content": "hello"}]
CHAT = "/chat/completions"
FOUR = ("message", "type", "param", "code")
OPENAI = BY_NAME["openai"].chat


# -- every provider of the family, every status ---------------------------------------------

STATUSES = (400, 401, 403, 404, 408, 413, 422, 429, 500, 502, 503, 504)
RETRIED = {500, 502, 503}  # once more on the same target (retries.per_target: 1)
KIND_TYPES = {  # the gateway's type for a status when the provider's body names none
    # (401 and 403 are the operator's key: see OPERATOR below)
    400: "invalid_request_error", 404: "invalid_request_error", 408: "timeout_error",
    413: "invalid_request_error", 422: "invalid_request_error", 429: "rate_limit_error",
    500: "api_error", 502: "api_error", 503: "overloaded_error", 504: "timeout_error",
}  # fmt: skip
XAI_CODES = {  # xAI's body: {"code": "<status text>", "error": "<message>"}
    400: "Client specified an invalid argument", 401: "Unauthenticated",
    404: "Some requested entity was not found", 422: "Client specified an invalid argument",
    429: "Some resource has been exhausted", 500: "Internal error",
    503: "The service is currently unavailable",
}  # fmt: skip
VLLM_TYPES = {400: "BadRequestError", 401: "Unauthorized", 404: "NotFoundError", 429: "requests"}
RATE_LIMITS = {  # type, code, param of each provider's own 429 body
    **dict.fromkeys(("openai", "deepinfra"), ("requests", "rate_limit_exceeded", None)),
    "groq": ("tokens", "rate_limit_exceeded", None),
    "mistral": ("rate_limit_error", None, None),
    "cerebras": ("too_many_requests_error", "request_quota_exceeded", "quota"),
}


OPERATOR = {  # the gateway's own type and code when the operator's key or account is refused
    401: ("upstream_authentication_error", "provider_authentication_failed", None),
    403: ("upstream_permission_error", "provider_permission_denied", None),
}


def expected(provider: str, status: int) -> tuple[str, str | None, str | None]:
    """(type, code, param) the client sees for the provider's real body for ``status``."""
    if status in OPERATOR:
        return OPERATOR[status]
    if provider == "xai":
        return KIND_TYPES[status], XAI_CODES.get(status, "Unknown error"), None
    if provider == "openrouter":
        return KIND_TYPES[status], str(status), None
    if provider == "local":
        return VLLM_TYPES.get(status, "server_error"), str(status), None
    return RATE_LIMITS[provider] if status == 429 else ("server_error", None, None)


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("provider", list(BY_NAME))
def test_upstream_status_as_the_sdk_sees_it(client, emulators, provider, status, stream) -> None:
    emulators[provider].inject(status=status, count=2)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model=BY_NAME[provider].chat, messages=HELLO, stream=stream)
    err = caught.value
    # The operator's key or account failing upstream is not the caller's 401/403.
    assert err.status_code == (502 if status in (401, 403) else status)
    assert list(err.response.json()["error"]) == list(FOUR)
    assert (err.body["type"], err.code, err.param) == expected(provider, status)
    assert err.body["message"].startswith(f"{provider}: ")
    assert "retry-after" not in err.response.headers
    assert err.response.headers["x-request-id"].startswith("req_")
    assert len(emulators[provider].received(CHAT)) == (2 if status in RETRIED else 1)


@pytest.mark.parametrize(
    ("status", "retry_after", "sent", "header"),
    [(429, 0.4, 2, "1"), (429, 7.2, 1, "8"), (503, 30, 1, "30")],
    ids=["429-short-honoured", "429-long", "503-long"],
)
@pytest.mark.parametrize("provider", list(BY_NAME))
def test_retry_after_reaches_the_client_rounded_up(
    client, emulators, provider, status, retry_after, sent, header
) -> None:
    emulators[provider].inject(status=status, retry_after=retry_after, count=2)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model=BY_NAME[provider].chat, messages=HELLO)
    assert caught.value.status_code == status
    assert caught.value.response.headers["retry-after"] == header
    assert len(emulators[provider].received(CHAT)) == sent


@pytest.mark.parametrize(
    ("retry_after", "header"),
    [
        (0, "0"),
        (float("inf"), None),
    ],
    ids=["zero", "inf"],
)
def test_odd_retry_after_values(client, emulators, retry_after, header) -> None:
    emulators["openai"].inject(status=429, retry_after=retry_after, count=2)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model=OPENAI, messages=HELLO)
    assert caught.value.response.headers.get("retry-after") == header


def test_a_long_provider_message_is_cut_at_1000_characters(client, emulators) -> None:
    body = {"error": {"message": "x" * 5000, "type": None, "param": None, "code": None}}
    emulators["openai"].inject(status=400, body=body)
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=OPENAI, messages=HELLO)
    assert caught.value.body["message"] == "openai: " + "x" * 1000 + "…"


# -- transport failures ---------------------------------------------------------------------


TRANSPORT = {  # fault, model, status, type, message (a prefix), requests the provider saw
    "reset": ({"reset": True, "count": 2}, OPENAI, 502, "api_connection_error",
              "openai: connection failed (", 2),
    "unreachable": (None, "down/any-model", 502, "api_connection_error",
                    "down: connection failed (", 0),
    "silent": ({"latency_ms": int(FIRST_BYTE_S + 3) * 1000}, OPENAI, 504, "timeout_error",
               "openai: timed out waiting for a response", 1),
}  # fmt: skip


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("case", list(TRANSPORT))
def test_transport_failures(client, emulators, case: str, stream: bool) -> None:
    fault, model, status, kind, message, sent = TRANSPORT[case]
    if stream and case == "silent":
        message = f"openai: no first token within {FIRST_BYTE_S:g} s"
    if fault:
        emulators["openai"].inject(**fault)
    started = time.monotonic()
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model=model, messages=HELLO, stream=stream)
    took = time.monotonic() - started
    assert took < FIRST_BYTE_S + 1 and (took >= FIRST_BYTE_S or case != "silent")
    err = caught.value
    assert (err.status_code, err.body["type"], err.code, err.param) == (status, kind, None, None)
    assert err.body["message"].startswith(message)
    # A connection failure is tried once more; a timeout is not.
    assert err.response.headers["x-polyroute-attempts"] == ("1" if case == "silent" else "2")
    assert len(emulators["openai"].received(CHAT)) == sent


# -- a provider that answers whatever a test scripts ------------------------------------------

SHAPES = {  # one provider per key shape that _SECRET claims (wire/redaction.py)
    "proj": "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb3dEf6h",
    "ant": "sk-ant-api03-Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE-dC_bA987654",
    "groq": "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",
    "cerebras": "csk-9f8e7d6c5b4a39281716f5e4d3c2b1a0f9e8d7c6b5a4",
    "xai": "xai-Kp3Lq8Rs2Tu7Vw1Xy6Za0Bc5De9Fg4Hi8Jk3Lm7No2Pq6Rs1Tu5Vw9",
    "openrouter": "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",
    "google": "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
}
KEYS = {**SHAPES, "plain": "Q7vXk2LmN9pR4tY8wZ3aB6cD1eF5gH0j"}  # Mistral/DeepInfra: no prefix


class Scripted(ThreadingHTTPServer):
    """Answers, byte for byte, what the test scripted; ``{key}`` and ``{auth}`` in the body
    become the key and the key header (Authorization, x-api-key, x-goog-api-key) the gateway
    sent."""

    status, body, headers, seen = 200, b"", {}, []

    def script(self, status: int, body: str, content_type="application/json", **headers) -> None:
        self.status, self.body, self.seen = status, body.encode(), []
        self.headers = {"content-type": content_type, **headers}


_KEY_HEADERS = ("authorization", "x-api-key", "x-goog-api-key")


class _Answer(BaseHTTPRequestHandler):
    server: Scripted

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        auth = next(filter(None, map(self.headers.get, _KEY_HEADERS)), "")
        self.server.seen.append(auth)
        body = self.server.body.replace(b"{auth}", auth.encode())
        body = body.replace(b"{key}", auth.removeprefix("Bearer ").encode())
        self.send_response(self.server.status)
        for name, value in [*self.server.headers.items(), ("content-length", str(len(body)))]:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def own_gateway() -> Iterator[tuple[Scripted, BackgroundServer, Starlette]]:
    """A gateway of our own: one provider per key, all in front of one ``Scripted``."""
    scripted = Scripted(("127.0.0.1", 0), _Answer)
    threading.Thread(target=scripted.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{scripted.server_address[1]}/v1"
    providers = {
        n: {"type": "openai-compatible", "base_url": url, "api_key": k} for n, k in KEYS.items()
    }
    # The other two protocols, with the prefix-less key no generic pattern can recognise.
    for protocol in ("anthropic", "gemini"):
        providers[protocol] = {"type": protocol, "base_url": url, "api_key": KEYS["plain"]}
    config = {
        "master_key": MASTER_KEY, "database_url": "sqlite://", "providers": providers,
        "timeouts": {
            "connect": 1, "first_byte": FIRST_BYTE_S, "answer": FIRST_BYTE_S,
            "stream_idle": STREAM_IDLE_S,
        },
        "retries": {"per_target": 1, "backoff_base": 0.05, "backoff_max": 0.2},
    }  # fmt: skip
    app = create_app(settings_from_mapping(config, env={}, source="<edges>"))
    with BackgroundServer(app) as server:
        yield scripted, server, app
    scripted.shutdown()
    scripted.server_close()


@pytest.fixture
def scripted(own_gateway) -> Scripted:
    own_gateway[2].state.gateway.dispatcher.router.health = HealthBook()  # no open circuits
    return own_gateway[0]


@pytest.fixture
def own(own_gateway) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {MASTER_KEY}"}
    with httpx.Client(base_url=own_gateway[1].base_url, headers=headers, timeout=10) as c:
        yield c


def _chat(own: httpx.Client, provider: str, **extra: object) -> httpx.Response:
    body = {"model": f"{provider}/m", "messages": HELLO, **extra}
    return own.post("/v1/chat/completions", json=body)


ECHOES = {  # (status, body): how a provider's error may repeat the key it was sent
    "openai": (401, '{"error":{"message":"Incorrect API key provided: {key}.","code":"x"}}'),
    "header": (400, '{"error":"invalid header Authorization: {auth}"}'),
    "text": (403, "Forbidden: key {key} is not allowed here\n<more>"),
    "mistral": (400, '{"object":"error","message":"bad key {key}","type":"t","code":"1"}'),
    "openrouter": (402, '{"error":{"code":402,"message":"Provider returned error","metadata"'
                        ':{"provider_name":"P","raw":{"detail":"key {key} has no credit"}}}}'),
}  # fmt: skip


@pytest.mark.parametrize("echo", list(ECHOES))
@pytest.mark.parametrize("provider", list(SHAPES))
def test_an_echoed_provider_key_reaches_neither_client_nor_log(
    own, scripted, caplog, provider: str, echo: str
) -> None:
    caplog.set_level(logging.DEBUG)
    status, body = ECHOES[echo]
    scripted.script(status, body, "text/plain" if echo == "text" else "application/json")
    response = _chat(own, provider)
    assert scripted.seen == [f"Bearer {SHAPES[provider]}"]  # the key went out, and came back
    assert response.status_code == (400 if status == 400 else 502)
    assert "[redacted]" in response.json()["error"]["message"]
    assert SHAPES[provider] not in response.text + str(response.headers) + caplog.text


STREAM_THEN_ERROR = (
    'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
    '"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}'
    '\n\ndata: {"error":{"message":"upstream refused Bearer {key}","code":502}}\n\n'
)


@pytest.mark.parametrize("provider", list(SHAPES))
def test_an_in_stream_error_echoing_the_key_is_redacted(own, scripted, caplog, provider) -> None:
    caplog.set_level(logging.DEBUG)
    scripted.script(200, STREAM_THEN_ERROR, "text/event-stream")
    response = _chat(own, provider, stream=True)
    assert response.status_code == 200 and '"Hi"' in response.text
    assert f"{provider}: upstream refused [redacted]" in response.text
    assert "attempt failed" in caplog.text  # the failure was logged ...
    assert SHAPES[provider] not in response.text + caplog.text  # ... without the key


HI = (
    'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
    '"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}'
    "\n\n"
)
ANTHROPIC_HI = (
    'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","type":'
    '"message","role":"assistant","model":"m","content":[],"stop_reason":null,'
    '"usage":{"input_tokens":1,"output_tokens":1}}}\n\n'
    'event: content_block_start\ndata: {"type":"content_block_start","index":0,'
    '"content_block":{"type":"text","text":""}}\n\n'
    'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
    '"delta":{"type":"text_delta","text":"Hi"}}\n\n'
)
GEMINI_HI = 'data: {"candidates":[{"content":{"role":"model","parts":[{"text":"Hi"}]}}]}\n\n'
IN_STREAM = {  # provider, the events before the error, the error event echoing the key
    "openrouter-chunk": ("plain", HI, 'data: {"error":{"message":"refused {key}","code":502}}'),
    "bare-chunk": ("plain", HI, 'data: {"object":"error","message":"refused {key}","code":"1"}'),
    "anthropic": ("anthropic", ANTHROPIC_HI, 'event: error\ndata: {"type":"error","error":'
                  '{"type":"api_error","message":"refused {key}"}}'),
    "gemini": ("gemini", GEMINI_HI,
               'data: {"error":{"code":500,"message":"refused {key}","status":"INTERNAL"}}'),
}  # fmt: skip


@pytest.mark.parametrize("started", [True, False], ids=["after-start", "before-start"])
@pytest.mark.parametrize("shape", list(IN_STREAM))
def test_an_in_stream_error_echoing_a_prefixless_key_is_redacted(
    own, scripted, caplog, shape: str, started: bool
) -> None:
    """A Mistral / DeepInfra style key has no shape a pattern knows: only the configured key
    itself can find it, in a stream as in an error response."""
    caplog.set_level(logging.DEBUG)
    provider, head, error = IN_STREAM[shape]
    scripted.script(200, (head if started else "") + error + "\n\n", "text/event-stream")
    response = _chat(own, provider, stream=True)
    assert scripted.seen[0].endswith(KEYS["plain"])  # the key went out, and came back
    if started:  # the client's SSE error event
        assert response.status_code == 200 and '"Hi"' in response.text
        shown = response.text
    else:  # the attempt failed before the stream began: an error response
        assert response.status_code >= 500
        shown = response.json()["error"]["message"]
    assert "refused [redacted]" in shown
    assert "refused [redacted]" in caplog.text  # the failure was logged ...
    assert KEYS["plain"] not in response.text + caplog.text  # ... without the key


# -- the log line of a failed attempt --------------------------------------------------------

LOGGED = {  # status, body (echoing the key), log level, status shown, kind
    "callers-own": (400, '{"error":{"message":"bad {key}","type":"invalid_request_error"}}',
                    logging.INFO, 400, "invalid_request"),
    "operator-key": (401, ECHOES["openai"][1], logging.WARNING, 502, "authentication"),
    "rate-limited": (429, '{"error":{"message":"slow down {key}","code":"rate_limit_exceeded"}}',
                     logging.WARNING, 429, "rate_limited"),
    "server": (500, '{"error":{"message":"oops {key}"}}', logging.WARNING, 500, "server"),
}  # fmt: skip


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
@pytest.mark.parametrize("case", list(LOGGED))
def test_each_failed_attempt_is_logged_once_without_the_key(
    own, scripted, caplog, case: str, stream: bool
) -> None:
    caplog.set_level(logging.DEBUG)
    status, body, level, shown, kind = LOGGED[case]
    scripted.script(status, body)
    response = _chat(own, "plain", stream=stream)
    assert response.status_code == shown
    lines = [r for r in caplog.records if r.name == "polyroute.gateway"]
    # One line per attempt: the 500 was tried twice.
    assert len(lines) == len(scripted.seen) == int(response.headers["x-polyroute-attempts"])
    for record in lines:
        assert record.levelno == level
        text = record.getMessage()
        wanted = (response.headers["x-request-id"], "provider=plain", "model=m",
                  f"status={shown}", f"kind={kind}", "[redacted]")  # fmt: skip
        assert all(part in text for part in wanted), text
    assert KEYS["plain"] not in caplog.text


def test_a_failed_over_attempt_is_logged_and_the_answer_is_not(client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    raw = client.chat.completions.with_raw_response.create(model="fallback", messages=HELLO)
    lines = [r for r in caplog.records if r.name == "polyroute.gateway"]
    # down/any-model refused the connection twice (one retry), then mistral answered.
    assert raw.headers["x-polyroute-attempts"] == "3" and len(lines) == 2
    for record in lines:
        text = record.getMessage()
        assert record.levelno == logging.WARNING and raw.headers["x-request-id"] in text
        assert "provider=down model=any-model status=502 kind=unreachable" in text


IN_FIELDS = '{"error":{"message":"no","type":"t","param":"{key}","code":"{key}"}}'


@pytest.mark.parametrize(
    ("provider", "body"),
    [
        ("plain", ECHOES["header"][1]),  # "Bearer <key>" is caught whatever the key's shape
        ("plain", ECHOES["openai"][1]),
        ("proj", IN_FIELDS),
    ],
    ids=["prefixless-after-bearer", "prefixless-bare", "in-code-and-param"],
)
def test_other_echoes_of_a_key(own, scripted, provider: str, body: str) -> None:
    scripted.script(401, body)
    response = _chat(own, provider)
    assert scripted.seen == [f"Bearer {KEYS[provider]}"]
    assert response.status_code == 502
    assert KEYS[provider] not in response.text


HTML = "<!DOCTYPE html><html><body><h1>Oops</h1><p>cf-ray 8a1b</p></body></html>"
NOT_JSON = "response was not JSON"


@pytest.mark.parametrize(
    ("status", "body", "content_type", "shown", "kind", "message", "sent"),
    [
        (502, HTML, "text/html", 502, "api_error", "HTTP 502 Bad Gateway", 2),
        (503, HTML, "text/html", 503, "overloaded_error", "HTTP 503 Service Unavailable", 2),
        (404, HTML, "text/html", 404, "invalid_request_error", "HTTP 404 Not Found", 1),
        (401, HTML, "text/html", 502, "upstream_authentication_error",
         "the provider key configured in polyroute was refused: HTTP 401 Unauthorized", 1),
        (500, "", "application/json", 500, "api_error", "HTTP 500 Internal Server Error", 2),
        (429, "", "text/plain", 429, "rate_limit_error", "HTTP 429 Too Many Requests", 1),
        (504, "upstream timeout\nat edge", "text/plain", 504, "timeout_error", "upstream timeout",
         1),
        (400, '{"error": {"message": ', "application/json", 400, "invalid_request_error",
         '{"error": {"message":', 1),
        (200, HTML, "text/html", 502, "api_error", NOT_JSON, 2),
        (200, "", "application/json", 502, "api_error", NOT_JSON, 2),
        (200, "[]", "application/json", 502, "api_error",
         "unexpected response shape (AttributeError)", 2),
        (307, "", "text/plain", 502, "api_error", "answered 307, a redirect (not followed)", 2),
    ],
)  # fmt: skip
def test_a_body_that_is_not_the_providers_json(
    own, scripted, status, body, content_type, shown, kind, message, sent
) -> None:
    scripted.script(status, body, content_type, location="http://127.0.0.1:9/v1/chat/completions")
    response = _chat(own, "proj")
    assert response.status_code == shown
    code = OPERATOR[status][1] if status in OPERATOR else None
    error = (f"proj: {message}", kind, None, code)
    assert response.json()["error"] == dict(zip(FOUR, error, strict=True))
    assert len(scripted.seen) == sent


# -- the gateway's own failures -------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [{"seed": 10**20}, {"seed": 10**20, "stream": True}, {"max_tokens": 1e30}, {"n": [[[[]]]]}],
    ids=["huge-seed", "huge-seed-stream", "huge-max-tokens", "nested"],
)
def test_no_response_carries_a_traceback(own, extra) -> None:
    response = _chat(own, "proj", **extra)
    assert 400 <= response.status_code < 600
    assert set(response.json()) == {"error"} and list(response.json()["error"]) == list(FOUR)
    assert response.headers["x-request-id"].startswith("req_")
    for trace in ("Traceback", 'File "', ".py", "Error:"):
        assert trace not in response.text


@pytest.mark.parametrize("field", ["seed", "max_tokens"])
def test_an_integer_beyond_64_bits_is_the_callers_400(own, field) -> None:
    response = _chat(own, "proj", **{field: 10**20})
    assert (response.status_code, response.json()["error"]["param"]) == (400, field)


def test_wrong_method_and_wrong_key_use_the_openai_envelope(gateway: BackgroundServer) -> None:
    url = f"{gateway.base_url}/v1/chat/completions"
    got = httpx.get(url, headers={"Authorization": f"Bearer {MASTER_KEY}"})
    method = ("Method GET is not allowed on /v1/chat/completions.", "invalid_request_error")
    assert got.status_code == 405
    assert got.json()["error"] == dict(zip(FOUR, (*method, None, None), strict=True))
    wrong = httpx.post(url, json={}, headers={"x-api-key": "sk-caller-typo-123456"})
    error = ("Incorrect API key provided.", "authentication_error", None, "invalid_api_key")
    assert wrong.status_code == 401
    assert wrong.json()["error"] == dict(zip(FOUR, error, strict=True))
