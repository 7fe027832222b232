"""The per-app state every endpoint reaches through ``request.app.state.gateway``."""

from __future__ import annotations

from dataclasses import dataclass, field

from polyroute.canonical import ModelInfo
from polyroute.gateway.dispatch import Dispatcher
from polyroute.inbound.http import Authenticator, DisconnectWatch


@dataclass(slots=True)
class GatewayState:
    auth: Authenticator
    dispatcher: Dispatcher
    max_request_bytes: int
    started_at: float
    models: list[ModelInfo] = field(default_factory=list)
    disconnects: DisconnectWatch = field(default_factory=DisconnectWatch)
