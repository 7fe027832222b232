"""Two gateway replicas on one PostgreSQL and one Redis: a key's rate limit is global,
not multiplied by the number of replicas, and each replica sees the other's keys."""

from __future__ import annotations

import httpx
import openai

from polyroute.app import create_app
from polyroute.config import settings_from_mapping
from polyroute.emulators import EmulatorServer
from polyroute.server import BackgroundServer

MASTER = "sk-replica-master"
ASK = [{"role": "user", "content": "hello"}]


def _replica(database: str, redis_url: str, prefix: str, upstream: str) -> BackgroundServer:
    raw = {
        "master_key": MASTER,
        "database_url": database,
        "redis_url": redis_url,
        "providers": {"openai": {"api_key": "k", "base_url": upstream}},
        "limits": {"backend": "redis", "key_prefix": prefix},
        "keys": {"cache_seconds": 0},
    }
    return BackgroundServer(create_app(settings_from_mapping(raw, env={}, source="<replica>")))


def test_rate_limit_is_shared_by_replicas(
    postgres_url: str, redis_url: str, redis_prefix: str
) -> None:
    with (
        EmulatorServer("openai") as upstream,
        _replica(postgres_url, redis_url, redis_prefix, upstream.base_url) as one,
        _replica(postgres_url, redis_url, redis_prefix, upstream.base_url) as two,
    ):
        with httpx.Client(
            base_url=one.base_url, headers={"Authorization": f"Bearer {MASTER}"}
        ) as admin:
            created = admin.post("/v1/admin/keys", json={"name": "shared", "rpm": 3})
            created.raise_for_status()
            secret = created.json()["secret"]
        outcomes = []
        for server in (one, two, one, two, one, two):
            client = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key=secret, max_retries=0)
            try:
                client.chat.completions.create(model="openai/gpt-4o-mini", messages=ASK)
                outcomes.append("ok")
            except openai.RateLimitError:
                outcomes.append("429")
        # Three requests a minute in total, whichever replica serves them.
        assert outcomes.count("ok") == 3, outcomes
        assert len(upstream.received("/chat/completions")) == 3
