"""Strict emulator of the Gemini native API (``/v1beta/models/{model}:generateContent`` ...)."""

from polyroute.emulators.gemini.app import build_app

__all__ = ["build_app"]
