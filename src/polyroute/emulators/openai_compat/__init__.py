"""Emulators of the OpenAI-compatible provider family (one declared profile per provider)."""

from polyroute.emulators.openai_compat.app import build_app
from polyroute.emulators.openai_compat.catalog import PROFILES
from polyroute.emulators.openai_compat.profiles import ModelCard, Profile, StreamStyle

__all__ = ["PROFILES", "ModelCard", "Profile", "StreamStyle", "build_app"]
