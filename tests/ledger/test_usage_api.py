"""The usage API over HTTP: JSON and CSV, filters and pages, errors in OpenAI's envelope,
and a key that never sees another key's calls."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.testclient import TestClient

from polyroute.app import create_app
from polyroute.config import Settings
from polyroute.errors import Unauthorized
from polyroute.inbound.usage_api import usage_routes
from polyroute.ledger import AttemptRecord, CallRecord, Ledger
from polyroute.ledger import query as q

T0 = datetime(2025, 3, 1, 23, 0, tzinfo=UTC)
PRINCIPALS = {"sk-master": None, "sk-a": "key_a", "sk-b": "key_b"}


async def _principal(request: Request) -> str | None:
    """A stand-in for virtual keys: the presented key maps to a key id (``None``: master)."""
    presented = request.headers.get("x-api-key", "")
    if presented not in PRINCIPALS:
        raise Unauthorized("Incorrect API key provided.")
    return PRINCIPALS[presented]


@pytest.fixture
def calls(ledger: Ledger, make_call: Any) -> list[CallRecord]:
    made = [
        make_call(
            n=i,
            ts=T0 + timedelta(minutes=15 * i),
            key_id=[None, "key_a", "key_b"][i % 3],
            model=["small", "large"][i % 2],
            provider=["mistral", "openai"][i % 2],
            status="error" if i % 4 == 0 else "ok",
            cost_usd=Decimal("0.0000012345") * (i + 1),
        )
        for i in range(12)
    ]
    for record in made:
        ledger.submit(record)
    ledger.submit(AttemptRecord(made[1].request_id, 1, made[1].ts, "error", "groq", "x"))
    ledger.submit(AttemptRecord(made[1].request_id, 2, made[1].ts, "ok", "openai", "large"))
    assert ledger.writer.flush(5)
    return made


@pytest.fixture
def client(ledger: Ledger) -> Iterator[TestClient]:
    app = Starlette(routes=usage_routes(_principal))
    app.state.ledger = ledger
    with TestClient(app) as client:
        yield client


def _get(client: TestClient, path: str, key: str = "sk-master", **kwargs: Any) -> Any:
    return client.get(path, headers={"x-api-key": key, **kwargs.pop("headers", {})}, **kwargs)


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_one_call_with_its_attempts(client: TestClient, calls: list[CallRecord]) -> None:
    record = calls[1]
    response = _get(client, f"/v1/usage/calls/{record.request_id}", "sk-a")
    assert response.status_code == 200
    body = response.json()
    assert body["request_id"] == record.request_id
    assert body["key_id"] == "key_a"
    assert body["cost_usd"] == "0.0000024690"  # a string: exact, never a float
    assert body["time"] == "2025-03-01T23:15:00Z"
    assert [(a["attempt"], a["provider"]) for a in body["attempt_records"]] == [
        (1, "groq"),
        (2, "openai"),
    ]


def test_unknown_or_foreign_calls_are_404_in_the_envelope(
    client: TestClient, calls: list[CallRecord]
) -> None:
    for key, request_id in (("sk-master", "req_nope"), ("sk-b", calls[1].request_id)):
        response = _get(client, f"/v1/usage/calls/{request_id}", key)
        assert response.status_code == 404
        error = response.json()["error"]
        assert error["code"] == "not_found"
        assert set(error) == {"message", "type", "param", "code"}
    assert _get(client, "/v1/usage/calls", "sk-wrong").status_code == 401


def test_list_pages_and_filters(client: TestClient, calls: list[CallRecord]) -> None:
    seen: list[str] = []
    params: dict[str, str] = {"limit": "5", "model": "large"}
    while True:
        body = _get(client, "/v1/usage/calls", params=params).json()
        seen += [c["request_id"] for c in body["data"]]
        if not body["has_more"]:
            assert body["next_cursor"] is None
            break
        params["cursor"] = body["next_cursor"]
    large = sorted((c for c in calls if c.model == "large"), key=lambda c: c.ts, reverse=True)
    assert seen == [c.request_id for c in large]

    window = {"start": "2025-03-01T23:30:00Z", "end": "2025-03-02T01:00:00+00:00"}
    body = _get(client, "/v1/usage/calls", params={**window, "status": "ok"}).json()
    expected = [c for c in calls if T0 + timedelta(minutes=30) <= c.ts < T0 + timedelta(hours=2)]
    assert {c["request_id"] for c in body["data"]} == {
        c.request_id for c in expected if c.status == "ok"
    }


def test_a_key_lists_and_sums_only_its_own_calls(
    client: TestClient, calls: list[CallRecord]
) -> None:
    body = _get(client, "/v1/usage/calls", "sk-b", params={"limit": "1000"}).json()
    assert {c["key_id"] for c in body["data"]} == {"key_b"}
    assert len(body["data"]) == 4
    asked_for_other = _get(client, "/v1/usage/calls", "sk-b", params={"key": "key_a"}).json()
    assert asked_for_other["data"] == []
    summary = _get(client, "/v1/usage/summary", "sk-b", params={"group_by": "key"}).json()
    expected = sum(c.cost_usd for c in calls if c.key_id == "key_b")
    assert summary["data"] == [{**summary["data"][0], "key": "key_b", "cost_usd": f"{expected}"}]


def test_csv_lists_parse_back(client: TestClient, calls: list[CallRecord]) -> None:
    by_param = _get(client, "/v1/usage/calls", params={"format": "csv", "limit": "4"})
    by_accept = _get(
        client, "/v1/usage/calls", params={"limit": "4"}, headers={"accept": "text/csv"}
    )
    for response in (by_param, by_accept):
        assert response.headers["content-type"].startswith("text/csv")
        assert response.headers["x-next-cursor"]
        rows = _csv(response.text)
        assert len(rows) == 4
        newest = sorted(calls, key=lambda c: c.ts, reverse=True)[:4]
        assert [r["request_id"] for r in rows] == [c.request_id for c in newest]
        assert [Decimal(r["cost_usd"]) for r in rows] == [c.cost_usd for c in newest]
        assert {r["key_id"] for r in rows} <= {"", "key_a", "key_b"}


def test_summary_json_and_csv_add_up(client: TestClient, calls: list[CallRecord]) -> None:
    params = [("group_by", "provider,day"), ("group_by", "model")]
    body = _get(client, "/v1/usage/summary", params=params).json()
    assert body["group_by"] == ["provider", "day", "model"]
    total = sum(c.cost_usd for c in calls)
    assert sum(Decimal(row["cost_usd"]) for row in body["data"]) == total
    assert sum(row["calls"] for row in body["data"]) == 12
    assert sum(row["errors"] for row in body["data"]) == 3
    rows = _csv(_get(client, "/v1/usage/summary", params=[*params, ("format", "csv")]).text)
    assert list(rows[0]) == ["provider", "day", "model", *list(body["data"][0])[3:]]
    assert sum(Decimal(r["cost_usd"]) for r in rows) == total
    assert {r["day"] for r in rows} == {"2025-03-01", "2025-03-02"}


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"group_by": "week"}, "group_by"),
        ({"limit": "0"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"start": "yesterday"}, "start"),
        ({"cursor": "%%%"}, "cursor"),
        ({"format": "xml"}, "format"),
    ],
)
def test_bad_parameters_are_400s_naming_the_parameter(
    client: TestClient, params: dict[str, str], param: str
) -> None:
    path = "/v1/usage/summary" if "group_by" in params else "/v1/usage/calls"
    response = _get(client, path, params=params)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_the_gateway_serves_the_usage_api_and_drains_on_shutdown(
    database_url: str, make_call: Any
) -> None:
    settings = Settings(database_url=database_url, master_key="sk-master")
    records = [make_call() for _ in range(300)]
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/usage/summary").status_code == 401
        ledger: Ledger = client.app.state.ledger  # type: ignore[attr-defined]
        for record in records:
            ledger.submit(record)
        # no flush: the lifespan's shutdown must write them
    with TestClient(create_app(settings)) as client:
        auth = {"authorization": "Bearer sk-master"}
        body = client.get("/v1/usage/summary", headers=auth).json()
        assert body["data"][0]["calls"] == 300
        assert Decimal(body["data"][0]["cost_usd"]) == sum(r.cost_usd for r in records)
        ledger = client.app.state.ledger  # type: ignore[attr-defined]
        assert q.get_call(ledger.engine, records[0].request_id) is not None
