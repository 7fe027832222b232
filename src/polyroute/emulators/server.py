"""Running emulators: in the caller's event loop (async tests) or in a thread (sync tests).

    async with EmulatorServer("groq") as emu:          # or: await emu.start() / emu.stop()
        client = AsyncOpenAI(base_url=emu.base_url, api_key="k")

    with EmulatorServer("mistral") as emu:             # thread mode (start_in_thread())
        emu.inject(status=429, retry_after=2)

Fault and log helpers (``inject``, ``requests``, ``reset``) work directly on the shared
state, so they are usable from either mode without an HTTP round trip.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from polyroute.emulators.anthropic import build_app as build_anthropic
from polyroute.emulators.faults import EmulatorState, Fault
from polyroute.emulators.gemini import build_app as build_gemini
from polyroute.emulators.openai_compat import PROFILES as OPENAI_COMPAT_PROFILES
from polyroute.emulators.openai_compat import build_app as build_openai_compat

AppFactory = Callable[..., tuple[web.Application, str]]
"""``factory(profile, state, *, api_key, models) -> (app, base_path)``."""

_FACTORIES: dict[str, AppFactory] = dict.fromkeys(OPENAI_COMPAT_PROFILES, build_openai_compat)
_FACTORIES.update(anthropic=build_anthropic, gemini=build_gemini)


def register_protocol(profiles: Iterable[str], factory: AppFactory) -> None:
    """Make other emulators (Anthropic, Gemini) available under their profile names."""
    for name in profiles:
        _FACTORIES[name] = factory


def available_profiles() -> list[str]:
    return sorted(_FACTORIES)


class EmulatorServer:
    def __init__(
        self,
        profile: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        models: list[str] | None = None,
    ) -> None:
        if profile not in _FACTORIES:
            raise ValueError(f"unknown emulator profile {profile!r}; known: {available_profiles()}")
        self.profile = profile
        self.host = host
        self.state = EmulatorState()
        self._requested_port = port
        self._api_key = api_key
        self._models = models
        self._runner: web.AppRunner | None = None
        self._base_path = ""
        self.port = 0
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The provider's API root on this server, e.g. ``http://127.0.0.1:PORT/openai/v1``."""
        return self.origin + self._base_path

    # -- in the running loop ------------------------------------------------------------------

    async def start(self) -> Self:
        app, self._base_path = _FACTORIES[self.profile](
            self.profile, self.state, api_key=self._api_key, models=self._models
        )
        self.state.stopping = asyncio.Event()
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._requested_port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else self._requested_port
        return self

    async def astop(self) -> None:
        if self.state.stopping is not None:
            self.state.stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.astop()

    # -- in a thread ------------------------------------------------------------------------

    def start_in_thread(self) -> Self:
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._loop = loop

        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except Exception as exc:  # reported to the caller below
                failure.append(exc)
                return
            finally:
                ready.set()
            loop.run_forever()

        self._thread = threading.Thread(target=run, name=f"emulator-{self.profile}", daemon=True)
        self._thread.start()
        if not ready.wait(10) or failure:
            self._thread.join(1)
            loop.close()
            self._loop = self._thread = None
            raise RuntimeError(f"emulator {self.profile!r} did not start") from (
                failure[0] if failure else None
            )
        return self

    def stop(self) -> Any:
        """Stop the server. In thread mode this blocks; in loop mode it returns an awaitable."""
        if self._loop is None:
            return self.astop()
        loop, thread = self._loop, self._thread
        asyncio.run_coroutine_threadsafe(self.astop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(10)
        loop.close()
        self._loop = self._thread = None
        return None

    def __enter__(self) -> Self:
        return self.start_in_thread()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- faults and the request log -------------------------------------------------------------

    def inject(self, **fault: Any) -> None:
        """Queue one fault (keys as for ``POST /_emulator/faults``)."""
        self.state.faults.add([Fault.from_json(fault)])

    def inject_many(self, faults: Iterable[dict[str, Any]]) -> None:
        self.state.faults.add([Fault.from_json(f) for f in faults])

    def requests(self) -> list[dict[str, Any]]:
        return self.state.log.entries()

    def received(self, path_substring: str = "") -> list[dict[str, Any]]:
        return [r for r in self.requests() if path_substring in r["path"]]

    def reset(self) -> None:
        self.state.faults.clear()
        self.state.log.clear()
