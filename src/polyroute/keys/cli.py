"""``polyroute keys create|list|revoke``: virtual keys from the command line, as rich tables."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from rich.console import Console
from rich.table import Table

from polyroute.keys.models import DEFAULT_TENANT, VirtualKey
from polyroute.keys.store import KeyStore
from polyroute.tables import print_table

_RELATIVE = re.compile(r"^(\d+)([dhw])$")


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = commands.add_parser("keys", help="create, list and revoke virtual keys")
    actions = keys.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="create a key (its secret is printed once)")
    create.add_argument("name")
    create.add_argument("--tenant", default=DEFAULT_TENANT)
    create.add_argument("--budget-daily", type=_usd, metavar="USD")
    create.add_argument("--budget-monthly", type=_usd, metavar="USD")
    create.add_argument("--budget-total", type=_usd, metavar="USD")
    create.add_argument("--rpm", type=int, help="requests per minute")
    create.add_argument("--tpm", type=int, help="tokens per minute")
    create.add_argument(
        "--allow", action="append", metavar="MODEL", help="route or provider/model glob"
    )
    create.add_argument("--expires", type=_when, help="7d, 12h, 2w, or an ISO date/time (UTC)")
    listing = actions.add_parser("list", help="list keys (never their secrets)")
    listing.add_argument("--tenant")
    revoke = actions.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("key_id")
    for action in (create, listing, revoke):
        action.add_argument("--config", help="YAML config file whose database_url to use")


def run(args: argparse.Namespace, database_url: str) -> int:
    from polyroute.ledger import create_ledger_engine, migrate

    engine = create_ledger_engine(database_url)
    try:
        migrate(engine)
        store = KeyStore(engine)
        console = Console()
        if args.action == "create":
            try:
                key, secret = store.create(
                    args.name,
                    tenant=args.tenant,
                    budget_daily_usd=args.budget_daily,
                    budget_monthly_usd=args.budget_monthly,
                    budget_total_usd=args.budget_total,
                    rpm=args.rpm,
                    tpm=args.tpm,
                    allowed_models=args.allow,
                    expires_at=args.expires,
                )
            except ValueError as exc:
                print(f"polyroute keys: {exc}", file=sys.stderr)
                return 2
            print_table(_table([key]), console)
            console.print(f"secret (shown once, store it now): [bold]{secret}[/bold]")
            return 0
        if args.action == "list":
            print_table(_table(store.list(args.tenant)), console)
            return 0
        if not store.revoke(args.key_id):
            print(f"polyroute keys: no key with id {args.key_id!r}", file=sys.stderr)
            return 1
        console.print(f"revoked {args.key_id}")
        return 0
    finally:
        engine.dispose()


def _table(keys: list[VirtualKey]) -> Table:
    table = Table(title="polyroute virtual keys")
    table.add_column("id", no_wrap=True)
    table.add_column("prefix", no_wrap=True)
    for column in ("name", "tenant", "budgets USD d/m/total", "rpm/tpm", "models", "expires"):
        table.add_column(column, overflow="fold")
    table.add_column("status", no_wrap=True)
    now = datetime.now(UTC)
    for k in keys:
        data = k.public_json()
        budgets = "/".join(data[f"budget_{p}_usd"] or "-" for p in ("daily", "monthly", "total"))
        status = "revoked" if k.revoked_at else ("active" if k.active(now) else "expired")
        table.add_row(
            k.id,
            k.prefix,
            k.name,
            k.tenant,
            budgets,
            f"{k.rpm or '-'}/{k.tpm or '-'}",
            " ".join(k.allowed_models) if k.allowed_models is not None else "*",
            f"{k.expires_at:%Y-%m-%d %H:%M}" if k.expires_at else "-",
            status,
        )
    return table


def _usd(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not an amount in USD: {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise argparse.ArgumentTypeError(f"not a non-negative amount: {value!r}")
    return amount


def _when(value: str) -> datetime:
    match = _RELATIVE.match(value)
    if match:
        unit = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
        now = datetime.now(UTC).replace(microsecond=0)
        return now + int(match.group(1)) * unit[match.group(2)]
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a time: {value!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
