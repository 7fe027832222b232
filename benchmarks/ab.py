"""Paired A/B of two builds: which one spends less CPU per request, to a microsecond or two.

    git worktree add /tmp/polyroute-base main          # the build to compare against
    .venv/bin/python benchmarks/ab.py --base /tmp/polyroute-base/src

Both gateways run at once on core 0, each under its own wrk on core 1 (same concurrency,
upstream and config), so a drift in the VM's speed — which moves `run.py`'s figures by
±10% between runs — hits both alike. Each round prints both builds' CPU time per request
and their difference; the summary is the mean difference and its spread. The figures are
higher than `run.py`'s (the two builds share the core) and only their difference counts.
Comparing a build with itself shows the method's own bias: within ±5 µs here.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import threading
from pathlib import Path

from benchlib import (
    HERE,
    WrkResult,
    start_process,
    start_upstream,
    stop_process,
    stop_upstream,
    wait_port,
    wrk,
)
from run import KEY, LEDGER_DB, UPSTREAM_PORT, gateway_exe

ROOT = HERE.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the src/ of the other build")
    parser.add_argument(
        "--this-packages",
        type=Path,
        help="packages ahead of the installed ones for this build only, to measure a "
        "dependency upgrade (`pip install --target DIR pkg==X`)",
    )
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=128)
    parser.add_argument("--model", help="default: benchslow/gpt-4o-mini, or with --stream")
    parser.add_argument(
        "--stream",
        action="store_true",
        help="stream token answers (benchtokens/gpt-4o-mini: 40 chunks 5 ms apart)",
    )
    args = parser.parse_args()
    if args.model is None:
        args.model = "benchtokens/gpt-4o-mini" if args.stream else "benchslow/gpt-4o-mini"
    builds = {"base": [args.base.resolve()], "this": [ROOT / "src"]}
    if args.this_packages:
        builds["this"].append(args.this_packages.resolve())
    upstream = start_upstream(UPSTREAM_PORT)
    gateways = {}
    try:
        for port, (name, paths) in enumerate(builds.items(), start=18081):
            gateways[name] = (_start(name, paths, port), port)
        for proc, port in gateways.values():
            wait_port(port, proc=proc)
            warm_up = f"http://127.0.0.1:{port}"
            wrk(warm_up, 32, 2, key=KEY, model=args.model, stream=args.stream)
        diffs = []
        for n in range(args.rounds):
            results = _round(gateways, args)
            base, this = results["base"], results["this"]
            diffs.append(this.cpu_us - base.cpu_us)
            print(
                f"round {n}: base {base.cpu_us:.0f} µs/req ({base.rps:,.0f}/s), "
                f"this {this.cpu_us:.0f} µs/req ({this.rps:,.0f}/s), {diffs[-1]:+.1f} µs",
                flush=True,
            )
        spread = statistics.stdev(diffs) if len(diffs) > 1 else 0.0
        print(f"this - base: {statistics.mean(diffs):+.1f} µs of CPU per request (sd {spread:.1f})")
    finally:
        for proc, _ in gateways.values():
            stop_process(proc)
        stop_upstream(upstream)


def _start(name: str, paths: list[Path], port: int) -> subprocess.Popen:
    """One build's gateway on core 0, with a ledger of its own (empty at the start)."""
    ledger = LEDGER_DB.with_name(f"polyroute-ab-{name}.db")
    for leftover in ledger.parent.glob(ledger.name + "*"):
        leftover.unlink()
    config = Path(f"/tmp/polyroute-ab-{name}.yaml")
    config.write_text((HERE / "gateway.yaml").read_text().replace(str(LEDGER_DB), str(ledger)))
    cmd = f"{gateway_exe()} serve --config {config} --host 127.0.0.1 --port {port}"
    env = {"PYTHONPATH": os.pathsep.join(map(str, paths))}  # ahead of the installed packages
    return start_process(shlex.split(cmd), "0", env=env, stdout=subprocess.DEVNULL)


def _round(gateways: dict, args: argparse.Namespace) -> dict[str, WrkResult]:
    results: dict[str, WrkResult] = {}

    def load(name: str, proc: subprocess.Popen, port: int) -> None:
        url = f"http://127.0.0.1:{port}"
        results[name] = wrk(
            url,
            args.connections,
            args.seconds,
            key=KEY,
            model=args.model,
            server=proc.pid,
            stream=args.stream,
        )

    threads = [threading.Thread(target=load, args=(n, *g)) for n, g in gateways.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


if __name__ == "__main__":
    os.sched_setaffinity(0, {1})  # keep this script off the gateways' core
    main()
