"""``polyroute demo``: emulated providers and a gateway in front of them, in one process.

Works with no keys and no network: every provider is polyroute's own emulator of that
provider's wire format, listening on a free loopback port.
"""

from __future__ import annotations

import contextlib
import tempfile

from polyroute.app import create_app
from polyroute.config import settings_from_mapping
from polyroute.emulators import EmulatorServer
from polyroute.server import serve

DEMO_KEY = "sk-polyroute-demo"
DEMO_PROVIDERS = ("mistral", "openai", "anthropic", "gemini", "groq", "openrouter")
DEMO_ROUTES = {"demo": ["mistral/mistral-small-latest", "openai/gpt-4o-mini"]}
"""Plus the built-in ``auto`` route, tiered over whichever of these providers are configured."""


def demo_config(base_urls: dict[str, str], database_url: str) -> dict[str, object]:
    return {
        "master_key": DEMO_KEY,
        "database_url": database_url,
        "providers": {
            name: {"api_key": f"emulated-{name}-key", "base_url": url}
            for name, url in base_urls.items()
        },
        "routes": {name: {"strategy": "ordered", "targets": t} for name, t in DEMO_ROUTES.items()},
    }


def banner(host: str, port: int, providers: dict[str, str]) -> str:
    url = f"http://{host}:{port}"
    emulated = "\n".join(f"  {name:<11} {base}" for name, base in providers.items())
    return f"""polyroute demo: gateway on {url} (master key {DEMO_KEY})
emulated providers:
{emulated}

curl:
  curl {url}/v1/chat/completions -H 'Authorization: Bearer {DEMO_KEY}' \\
    -H 'Content-Type: application/json' \\
    -d '{{"model": "mistral/mistral-small-latest",
         "messages": [{{"role": "user", "content": "Hello"}}]}}'

openai SDK (model "auto" picks a small, flagship or code model per prompt):
  from openai import OpenAI
  client = OpenAI(base_url="{url}/v1", api_key="{DEMO_KEY}")
  reply = client.chat.completions.create(
      model="auto", messages=[{{"role": "user", "content": "Hello"}}])
  print(reply.choices[0].message.content)

anthropic SDK (served here by Gemini):
  import anthropic
  client = anthropic.Anthropic(base_url="{url}", api_key="{DEMO_KEY}")
  message = client.messages.create(model="gemini/gemini-flash-latest", max_tokens=200,
      messages=[{{"role": "user", "content": "Hello"}}])
  print(message.content[0].text)

Ctrl-C stops it."""


async def run_demo(host: str, port: int) -> None:
    emulators = [EmulatorServer(name) for name in DEMO_PROVIDERS]
    with tempfile.TemporaryDirectory(prefix="polyroute-demo-") as tmp:
        try:
            for emulator in emulators:
                await emulator.start()
            urls = {e.profile: e.base_url for e in emulators}
            raw = demo_config(urls, f"sqlite:///{tmp}/polyroute.db")
            settings = settings_from_mapping(raw, env={}, source="<demo>")
            print(banner(host, port, urls), flush=True)
            await serve(create_app(settings), host, port)
        finally:
            for emulator in emulators:
                with contextlib.suppress(Exception):
                    await emulator.astop()
