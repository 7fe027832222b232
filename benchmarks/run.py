"""polyroute hot-path benchmark: direct-to-nginx vs via the gateway.

    .venv/bin/python benchmarks/run.py            # full run, ~3 minutes
    .venv/bin/python benchmarks/run.py --quick    # ~1 minute

The gateway runs on core 0 (`taskset -c 0 polyroute serve --config benchmarks/gateway.yaml`);
nginx, wrk and the TTFB probe share core 1. Writes a Markdown report to stdout and to
benchmarks/results/latest.md. See benchmarks/README.md for the targets.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

import orjson

from benchlib import (
    HERE,
    LOAD_CPU,
    WrkResult,
    markdown_table,
    peak_rss_mb,
    post_once,
    start_process,
    start_upstream,
    stop_process,
    stop_upstream,
    tree_pids,
    upstream_pid,
    wait_port,
    wait_quiet,
    wrk,
)
from probe import run_probe

ROOT = HERE.parent
UPSTREAM_PORT = 18000
KEY = "sk-polyroute-bench"
CONCURRENCIES = (1, 8, 64, 256)
LEDGER_DB = Path("/tmp/polyroute-bench.db")
"""The ledger of ``gateway.yaml``."""


def gateway_exe() -> Path:
    """``polyroute`` in ``.venv-bench`` (an optimized interpreter, see setup.sh), else in
    the project's ``.venv``."""
    for venv in (".venv-bench", ".venv"):
        exe = ROOT / venv / "bin" / "polyroute"
        if exe.exists():
            return exe
    raise FileNotFoundError("no .venv-bench or .venv: run scripts/bootstrap or setup.sh")


def default_gateway_cmd(port: int) -> str:
    config = HERE / "gateway.yaml"
    return f"{gateway_exe()} serve --config {config} --host 127.0.0.1 --port {port}"


def interpreter(exe: Path) -> str:
    """The Python that runs ``exe`` (a venv's console script): its path and version."""
    python = exe.parent / "python"
    out = subprocess.run(
        [str(python), "-c", "import sys; print(sys.version.split()[0])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return f"{python.resolve()} {out.stdout.strip()}"


def check_gateway(port: int) -> None:
    body = orjson.dumps(
        {"model": "bench/gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    )
    status, data = post_once(f"http://127.0.0.1:{port}/v1/chat/completions", body, KEY)
    if status != 200 or b"choices" not in data:
        raise RuntimeError(f"gateway sanity request failed: {status} {data[:500]!r}")


def ms(us: float) -> str:
    return f"{us / 1000:.2f}"


def pair_row(name: str, d: WrkResult, g: WrkResult) -> list[str]:
    return [
        name,
        f"{d.rps:,.0f}",
        f"{g.rps:,.0f}",
        f"{g.rps / d.rps * 100:.0f}%",
        ms(d.p50_us),
        ms(g.p50_us),
        ms(g.p50_us - d.p50_us),
        ms(d.p99_us),
        ms(g.p99_us),
        ms(g.p99_us - d.p99_us),
        str(d.errors + g.errors),
        f"{g.cpu_us:.0f}",
        f"{max(d.noise, g.noise):.0f}",
    ]


TOKEN_HEADER = ["scenario", "direct req/s", "gateway req/s", "gw p50 ms", "gw p99 ms"]
TOKEN_HEADER += ["errors", "gw CPU us/stream", "gw CPU us/chunk"]


def token_row(d: WrkResult, g: WrkResult) -> list[str]:
    return [
        f"token streams, c={TOKEN_STREAMS}",
        f"{d.rps:,.0f}",
        f"{g.rps:,.0f}",
        ms(g.p50_us),
        ms(g.p99_us),
        str(d.errors + g.errors),
        f"{g.cpu_us:,.0f}",
        f"{g.cpu_us / TOKENS:.0f}",
    ]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(results: dict, args: argparse.Namespace) -> str:
    header = ["scenario", "direct req/s", "gateway req/s", "gw/direct", "direct p50 ms"]
    header += ["gw p50 ms", "added p50 ms", "direct p99 ms", "gw p99 ms", "added p99 ms", "errors"]
    header += ["gw CPU us/req", "noise %"]
    rows = [pair_row(f"0 ms upstream, c={c}", *results[c]) for c in CONCURRENCIES]
    rows.append(pair_row("50 ms upstream, c=256", *results["slow"]))
    probe = results["probe"]
    c1_d, c1_g = results[1]
    slow_d, slow_g = results["slow"]
    best_rps = max(results[c][1].rps for c in CONCURRENCIES)
    added_ttfb_p50 = probe["via_ttfb_p50"] - probe["direct_ttfb_p50"]
    added_ttfb_p99 = probe["via_ttfb_p99"] - probe["direct_ttfb_p99"]
    rss = results["rss_mb"]
    checks = [
        ["gateway req/s on one core (best c)", ">= 3,000", f"{best_rps:,.0f}", best_rps >= 3000],
        ["added p50 at c=1", "< 0.5 ms", ms(c1_g.p50_us - c1_d.p50_us) + " ms",
         c1_g.p50_us - c1_d.p50_us < 500],
        ["added p99 at c=1", "< 2 ms", ms(c1_g.p99_us - c1_d.p99_us) + " ms",
         c1_g.p99_us - c1_d.p99_us < 2000],
        ["throughput at c=256, 50 ms upstream", ">= 90% of direct",
         f"{slow_g.rps / slow_d.rps * 100:.0f}%", slow_g.rps >= 0.9 * slow_d.rps],
        ["added stream TTFB p50 (p99)", "< 1 ms",
         f"{added_ttfb_p50:.2f} ms ({added_ttfb_p99:.2f} ms)", added_ttfb_p50 < 1.0],
        ["gateway peak RSS (VmHWM)", "< 150 MB", f"{rss:.0f} MB", rss < 150],
    ]  # fmt: skip
    check_rows = [[name, goal, got, verdict(ok)] for name, goal, got, ok in checks]
    ttfb_rows = [
        [
            name,
            f"{probe[f'{key}_ttfb_p50']:.3f}",
            f"{probe[f'{key}_ttfb_p99']:.3f}",
            f"{probe[f'{key}_total_p50']:.3f}",
            str(int(probe[f"{key}_n"])),
        ]
        for name, key in (("direct", "direct"), ("via gateway", "via"))
    ]
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    return "\n".join(
        [
            f"# polyroute hot-path benchmark ({'quick' if args.quick else 'full'}, {stamp})",
            "",
            f"Gateway: `{args.gateway_cmd}` on core 0; nginx, wrk and probe on core "
            f"{LOAD_CPU}. {args.seconds:g} s per wrk cell. Host: {platform.node()}, "
            f"{os.cpu_count()} CPUs. Gateway's Python: {args.interpreter}.",
            "",
            f"Machine speed: a fixed pure-Python loop ({platform.python_version()}, the"
            " interpreter running this script) on core 0 took "
            + " s before and ".join(f"{c:.2f}" for c in args.calibration)
            + " s after the run (lower is faster; on this VM it has ranged 0.9-2.4 s, so"
            " compare runs of different days through it).",
            "",
            "## Targets",
            "",
            markdown_table(["target", "goal", "measured", "result"], check_rows),
            "",
            "## Non-streaming (wrk, POST /v1/chat/completions)",
            "",
            markdown_table(header, rows),
            "",
            f"## Token streams (wrk, {TOKEN_STREAMS} at once, {TOKENS} chunks 5 ms apart each)",
            "",
            markdown_table(TOKEN_HEADER, [token_row(*results["tokens"])]),
            "",
            "## Streaming time to first byte (probe, concurrency 1, ms)",
            "",
            markdown_table(["target", "TTFB p50", "TTFB p99", "total p50", "n"], ttfb_rows),
            "",
            f"Probe errors: {int(probe['errors'])}. Gateway peak RSS (VmHWM, process tree): "
            f"{rss:.1f} MB.",
            "",
            "noise % = CPU used by other processes on the machine during the cell, in % of "
            "one core (each cell first waits up to 30 s for the machine to be quiet); cells "
            "with high noise understate the gateway. gw CPU us/req = gateway CPU time per "
            "request (robust to noise: 1e6 / it is the req/s the gateway could do on a free "
            "core).",
            "",
        ]
    )


def measure(args: argparse.Namespace) -> dict:
    direct = f"http://127.0.0.1:{UPSTREAM_PORT}"
    via = f"http://127.0.0.1:{args.port}"
    roots = args.roots
    results: dict = {}
    wrk(via, 64, 2, key=KEY)  # warm-up (also opens the upstream pool)

    def pair(c: int, path: str, model: str, stream: bool = False) -> tuple[WrkResult, WrkResult]:
        wait_quiet(roots)
        upstream = f"{path}/chat/completions"
        d = wrk(direct, c, args.seconds, path=upstream, roots=roots, stream=stream)
        wait_quiet(roots)
        g = wrk(via, c, args.seconds, key=KEY, model=model, roots=roots, server=roots[0],
                stream=stream)  # fmt: skip
        return d, g

    for c in CONCURRENCIES:
        print(f"0 ms upstream, c={c}", file=sys.stderr, flush=True)
        results[c] = pair(c, "/v1", "bench/gpt-4o-mini")
    print("50 ms upstream, c=256", file=sys.stderr, flush=True)
    results["slow"] = pair(256, "/d50/v1", "benchslow/gpt-4o-mini")
    print(f"token streams, c={TOKEN_STREAMS}", file=sys.stderr, flush=True)
    results["tokens"] = pair(TOKEN_STREAMS, "/tokens/v1", "benchtokens/gpt-4o-mini", True)
    print("streaming TTFB probe", file=sys.stderr, flush=True)
    wait_quiet(roots)
    results["probe"] = run_probe(
        f"{direct}/sse/v1/chat/completions",
        f"{via}/v1/chat/completions",
        KEY,
        "benchsse/gpt-4o-mini",
        args.probe_n,
    )
    return results


TOKEN_STREAMS = 64
TOKENS = 40  # upstream/start.sh's default


CALIBRATION_LOOP = "s = 0\nfor i in range(20_000_000):\n    s += i"


def calibrate() -> float:
    """CPU seconds of a fixed pure-Python loop on core 0: how fast the VM is right now."""
    started = os.times()
    subprocess.run(["taskset", "-c", "0", sys.executable, "-c", CALIBRATION_LOOP], check=True)
    ended = os.times()
    return (ended.children_user + ended.children_system) - (
        started.children_user + started.children_system
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short cells (~1 minute in all)")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--gateway-cmd", help="command that serves the gateway on --port")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.md")
    args = parser.parse_args()
    args.seconds = 3 if args.quick else 12
    args.probe_n = 300 if args.quick else 2000
    args.gateway_cmd = args.gateway_cmd or default_gateway_cmd(args.port)
    args.interpreter = (
        interpreter(gateway_exe())
        if args.gateway_cmd == default_gateway_cmd(args.port)
        else "as the command says"
    )
    os.sched_setaffinity(0, {int(LOAD_CPU)})  # this process runs the probe: keep it off core 0

    args.calibration = [calibrate()]
    if args.gateway_cmd == default_gateway_cmd(args.port):
        # Every run starts from an empty ledger (gateway.yaml's database), so that runs
        # write into tables of the same size and stay comparable.
        for leftover in LEDGER_DB.parent.glob(LEDGER_DB.name + "*"):
            leftover.unlink()
    rundir = start_upstream(UPSTREAM_PORT)
    log = (HERE / "results" / "gateway.log").open("wb")
    gateway = start_process(
        shlex.split(args.gateway_cmd), "0", cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_port(args.port, timeout=30, proc=gateway)
        check_gateway(args.port)
        args.roots = [gateway.pid, upstream_pid(rundir)]
        results = measure(args)
        results["rss_mb"] = sum(peak_rss_mb(pid) or 0 for pid in tree_pids(gateway.pid))
    finally:
        stop_process(gateway)
        stop_upstream(rundir)
        log.close()
    args.calibration.append(calibrate())
    text = report(results, args)
    print(text)
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(text)


if __name__ == "__main__":
    main()
