"""The ``polyroute`` command: ``serve`` the gateway, or run a self-contained ``demo``."""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import sys

from polyroute import __version__
from polyroute.config import ConfigError, load_settings

_LOOPBACK_NAMES = {"localhost"}


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _serve(args: argparse.Namespace) -> int:
    from polyroute.app import create_app
    from polyroute.server import serve

    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"polyroute: configuration error\n{exc}", file=sys.stderr)
        return 2
    if settings.master_key is None and not _is_loopback(args.host):
        print(
            "polyroute: refusing to serve on a non-loopback address without a master key; "
            "set POLYROUTE_MASTER_KEY or master_key in the config",
            file=sys.stderr,
        )
        return 2
    if settings.master_key is None:
        print("polyroute: no master key set: any caller on this machine may use the gateway")
    names = ", ".join(settings.providers) or "none (set a provider API key variable or --config)"
    print(f"polyroute {__version__} on http://{args.host}:{args.port}  providers: {names}")
    asyncio.run(serve(create_app(settings), args.host, args.port))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from polyroute.demo import run_demo

    asyncio.run(run_demo(args.host, args.port))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="polyroute", description=__doc__)
    parser.add_argument("--version", action="version", version=f"polyroute {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the gateway")
    serve.add_argument("--config", help="YAML config file (default: environment only)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=4000)
    serve.set_defaults(run=_serve)

    demo = commands.add_parser("demo", help="run the gateway in front of emulated providers")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=4000)
    demo.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
