"""Provider emulators: strict, faithful fakes of each provider's wire format.

``EmulatorServer(profile)`` runs one provider (``openai``, ``mistral``, ``groq``,
``cerebras``, ``deepinfra``, ``xai``, ``openrouter``, ``openai-compatible``) on loopback;
``faults`` holds the protocol-agnostic fault injection every emulator shares.
"""

from polyroute.emulators.faults import (
    FAULT_KEYS,
    EmulatorState,
    Fault,
    FaultPlan,
    RequestLog,
    StreamPlan,
    control_routes,
    send_stream,
)
from polyroute.emulators.server import EmulatorServer, available_profiles, register_protocol

__all__ = [
    "FAULT_KEYS",
    "EmulatorServer",
    "EmulatorState",
    "Fault",
    "FaultPlan",
    "RequestLog",
    "StreamPlan",
    "available_profiles",
    "control_routes",
    "register_protocol",
    "send_stream",
]
