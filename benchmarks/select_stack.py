"""Stack selection: the same minimal relay on several server stacks, measured with wrk.

    .venv/bin/python benchmarks/select_stack.py [--seconds 10] [--rounds 2] [--only a,b]

Each relay runs pinned to core 0 (single worker); nginx and wrk share core 1. Writes a
Markdown table to stdout and benchmarks/results/stacks.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from benchlib import (
    HERE,
    markdown_table,
    post_once,
    start_process,
    start_upstream,
    stop_process,
    stop_upstream,
    upstream_pid,
    wait_port,
    wait_quiet,
    wrk,
)

PY = sys.executable
UPSTREAM_PORT = 18000
RELAY_PORT = 8090
UVICORN = [PY, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(RELAY_PORT)]
UVICORN += ["--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level"]
UVICORN += ["warning", "--backlog", "4096"]
GRANIAN = [str(HERE.parent / ".venv" / "bin" / "granian"), "--interface", "asgi"]
GRANIAN += ["--host", "127.0.0.1", "--port", str(RELAY_PORT), "--workers", "1"]
GRANIAN += ["--loop", "uvloop", "--runtime-mode", "st", "--no-access-log"]
GRANIAN += ["--log-level", "warning", "--backlog", "4096"]

# key -> (label, command, extra env)
STACKS: dict[str, tuple[str, list[str], dict]] = {
    "a": ("aiohttp.web + aiohttp client (uvloop)", [PY, "aiohttp_web.py"], {}),
    "a-asyncio": (
        "aiohttp.web + aiohttp client (asyncio loop)",
        [PY, "aiohttp_web.py"],
        {"RELAY_LOOP": "asyncio"},
    ),
    "b": ("uvicorn + Starlette + aiohttp client", [*UVICORN, "starlette_aiohttp:app"], {}),
    "b-json": (
        "uvicorn + Starlette + aiohttp client, stdlib json",
        [*UVICORN, "starlette_aiohttp:app"],
        {"RELAY_JSON": "json"},
    ),
    "c": ("uvicorn + raw ASGI + aiohttp client", [*UVICORN, "raw_asgi:app"], {}),
    "f": (
        "uvicorn + raw ASGI + rnet client",
        [*UVICORN, "raw_asgi:app"],
        {"RELAY_CLIENT": "rnet"},
    ),
    "h": (
        "uvicorn + raw ASGI + polyroute's HTTP/1.1 client",
        [*UVICORN, "raw_asgi:app"],
        {"RELAY_CLIENT": "polyroute"},
    ),
    "d": (
        "granian (uvloop, st) + Starlette + aiohttp client",
        [*GRANIAN, "starlette_aiohttp:app"],
        {},
    ),
    "d-raw": ("granian (uvloop, st) + raw ASGI + aiohttp client", [*GRANIAN, "raw_asgi:app"], {}),
    "g": (
        "granian (uvloop, st) + raw ASGI + rnet client",
        [*GRANIAN, "raw_asgi:app"],
        {"RELAY_CLIENT": "rnet"},
    ),
    "e": ("uvicorn + Starlette + httpx.AsyncClient", [*UVICORN, "starlette_httpx:app"], {}),
}
BODY = b'{"model":"bench/m","messages":[{"role":"user","content":"hi"}]}'


def measure(key: str, seconds: float, concurrencies: list[int], nginx: int) -> dict:
    _label, cmd, env = STACKS[key]
    env = {**env, "RELAY_PORT": str(RELAY_PORT)}
    proc = start_process(cmd, "0", env=env, cwd=HERE / "stacks")
    try:
        wait_port(RELAY_PORT, proc=proc)
        status, _ = post_once(f"http://127.0.0.1:{RELAY_PORT}/v1/chat/completions", BODY, "k")
        if status != 200:
            raise RuntimeError(f"{key}: relay answered {status}")
        roots = [proc.pid, nginx]
        wrk(f"http://127.0.0.1:{RELAY_PORT}", 64, 1)  # warm-up
        out = {}
        for c in concurrencies:
            wait_quiet(roots)
            out[c] = wrk(f"http://127.0.0.1:{RELAY_PORT}", c, seconds, roots=roots, server=proc.pid)
        return out
    finally:
        stop_process(proc)
        time.sleep(0.5)


def fmt_runs(values: list[float], digits: int = 0) -> str:
    text = " / ".join(f"{v:,.{digits}f}" for v in values)
    if len(values) > 1 and statistics.mean(values):
        spread = (max(values) - min(values)) / statistics.mean(values) * 100
        text += f" (±{spread / 2:.0f}%)"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default=",".join(STACKS))
    args = parser.parse_args()
    keys = args.only.split(",")
    conc = [1, 64]

    rundir = start_upstream(UPSTREAM_PORT)
    results: dict[str, list[dict]] = {k: [] for k in keys}
    try:
        direct = [wrk(f"http://127.0.0.1:{UPSTREAM_PORT}", c, args.seconds / 2) for c in conc]
        for rnd in range(args.rounds):
            for key in keys:
                print(f"round {rnd + 1}: {key}", file=sys.stderr, flush=True)
                results[key].append(measure(key, args.seconds, conc, upstream_pid(rundir)))
    finally:
        stop_upstream(rundir)

    header = ["stack", "c=1 req/s", "c=1 p50 ms", "c=1 p99 ms", "c=64 req/s", "c=64 p50 ms"]
    header += ["c=64 p99 ms", "CPU us/req (c=64)", "errors", "noise %"]
    rows = [
        [
            "direct to nginx (reference)",
            f"{direct[0].rps:,.0f}",
            f"{direct[0].p50_us / 1000:.2f}",
            f"{direct[0].p99_us / 1000:.2f}",
            f"{direct[1].rps:,.0f}",
            f"{direct[1].p50_us / 1000:.2f}",
            f"{direct[1].p99_us / 1000:.2f}",
            "",
            str(direct[0].errors + direct[1].errors),
            "",
        ]
    ]
    for key in keys:
        runs = results[key]
        row = [f"({key}) {STACKS[key][0]}"]
        for c in conc:
            row.append(fmt_runs([r[c].rps for r in runs]))
            row.append(" / ".join(f"{r[c].p50_us / 1000:.2f}" for r in runs))
            row.append(" / ".join(f"{r[c].p99_us / 1000:.2f}" for r in runs))
        row.append(" / ".join(f"{r[64].cpu_us:.0f}" for r in runs))
        row.append(str(sum(r[c].errors for r in runs for c in conc)))
        row.append(" / ".join(f"{max(r[c].noise for c in conc):.0f}" for r in runs))
        rows.append(row)
    table = markdown_table(header, rows)
    note = (
        f"\n{args.rounds} round(s) of {args.seconds:g} s per cell, values listed per round; "
        "relay on core 0, nginx + wrk on core 1, 0 ms upstream. noise % = CPU used by "
        "other processes on the machine during the cell (max over the row's cells), in % "
        "of one core; rows with high noise are not comparable. CPU us/req = relay CPU time "
        "per request at c=64 (robust to noise; 1e6 / it = req/s the relay could do on a "
        "free core).\n"
    )
    print(table + note)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "stacks.md").write_text("# Stack selection\n\n" + table + "\n" + note)


if __name__ == "__main__":
    main()
