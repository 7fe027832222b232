"""Strict emulator of the Anthropic Messages API (validation, deterministic answers, SSE)."""

from polyroute.emulators.anthropic.app import build_app

__all__ = ["build_app"]
