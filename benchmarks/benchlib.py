"""Helpers shared by the benchmark scripts: processes, readiness, wrk runs, tables."""

from __future__ import annotations

import contextlib
import os
import re
import resource
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
WRK_SCRIPT = HERE / "load" / "chat.lua"
LOAD_CPU = os.environ.get("BENCH_LOAD_CPU", "1")
RESULT_RE = re.compile(r"RESULT (.*)")
CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class WrkResult:
    rps: float
    p50_us: float
    p90_us: float
    p99_us: float
    requests: int
    errors: int
    noise: float = 0.0
    """CPU used by processes outside the benchmark during the run, in % of one core."""
    cpu_us: float = 0.0
    """CPU time the server (``server`` process tree) spent per request, in microseconds."""


def start_upstream(port: int) -> Path:
    out = subprocess.run(
        [str(HERE / "upstream" / "start.sh"), str(port)],
        check=True,
        capture_output=True,
        text=True,
    )
    rundir = Path(out.stdout.strip().splitlines()[-1])
    wait_port(port)
    return rundir


def upstream_pid(rundir: Path) -> int:
    return int((rundir / "nginx.pid").read_text())


def stop_upstream(rundir: Path) -> None:
    subprocess.run([str(HERE / "upstream" / "stop.sh"), str(rundir)], check=False)


def start_process(cmd: list[str], cpu: str, env: dict | None = None, **kw) -> subprocess.Popen:
    """Start cmd pinned to cpu, in its own process group (so it is stopped as one unit)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.Popen(
        ["taskset", "-c", cpu, *cmd], env=full_env, start_new_session=True, **kw
    )


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def wait_port(port: int, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with code {proc.returncode} before listening")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def post_once(url: str, body: bytes, key: str, timeout: float = 5.0) -> tuple[int, bytes]:
    req = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _busy_seconds() -> float:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / CLK_TCK


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def tree_pids(root: int) -> list[int]:
    """root and all its descendants (a server may fork workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    pids, todo = [], [root]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(children.get(pid, []))
    return pids


def own_pids(roots: list[int]) -> list[int]:
    """This process and the process trees of the benchmark's servers."""
    pids = [os.getpid()]
    for root in roots:
        pids += tree_pids(root)
    return pids


class NoiseMeter:
    """Measures CPU burnt by other processes on the machine (e.g. someone's test suite)."""

    def __init__(self, roots: list[int]) -> None:
        self.pids = own_pids(roots)

    def __enter__(self) -> NoiseMeter:
        self.t0 = time.monotonic()
        self.busy0 = _busy_seconds()
        self.own0 = _cpu_seconds(self.pids) + _children_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        elapsed = time.monotonic() - self.t0
        own = _cpu_seconds(self.pids) + _children_seconds() - self.own0
        self.percent = max(0.0, (_busy_seconds() - self.busy0 - own) / elapsed * 100)


def _children_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wait_quiet(roots: list[int], limit: float = 15.0, max_wait: float = 30.0) -> float:
    """Wait (up to max_wait s) until foreign CPU use is under limit % of a core."""
    deadline = time.monotonic() + max_wait
    while True:
        with NoiseMeter(roots) as meter:
            time.sleep(0.5)
        if meter.percent < limit or time.monotonic() > deadline:
            return meter.percent


def wrk(
    base_url: str,
    conns: int,
    seconds: float,
    path: str = "/v1/chat/completions",
    key: str = "sk-bench",
    model: str = "bench/gpt-4o-mini",
    roots: list[int] | None = None,
    server: int | None = None,
    stream: bool = False,
) -> WrkResult:
    """Run wrk (1 thread, pinned to the load core) and parse the script's RESULT line.

    roots: pids of the benchmark's servers, so that the CPU used by anything else on the
    machine during the run is reported as ``noise``. server: pid of the process under test,
    whose CPU time per request is reported as ``cpu_us`` (robust to noise, unlike req/s).
    """
    env = {**os.environ, "BENCH_PATH": path, "BENCH_KEY": key, "BENCH_MODEL": model}
    env["BENCH_STREAM"] = "1" if stream else "0"
    cmd = ["taskset", "-c", LOAD_CPU, "wrk", "-t1", f"-c{conns}", f"-d{max(1, round(seconds))}s"]
    cmd += ["--timeout", "10s", "-s", str(WRK_SCRIPT), base_url]
    server_pids = tree_pids(server) if server else []
    cpu0 = _cpu_seconds(server_pids)
    with NoiseMeter(roots or []) as meter:
        out = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=seconds + 30, check=True
        )
    server_cpu = _cpu_seconds(server_pids) - cpu0
    match = RESULT_RE.search(out.stdout)
    if not match:
        raise RuntimeError(f"wrk printed no RESULT line:\n{out.stdout}\n{out.stderr}")
    fields = dict(item.split("=") for item in match.group(1).split())
    return WrkResult(
        rps=float(fields["rps"]),
        p50_us=float(fields["p50"]),
        p90_us=float(fields["p90"]),
        p99_us=float(fields["p99"]),
        requests=int(fields["requests"]),
        errors=int(fields["errors"]),
        noise=meter.percent,
        cpu_us=server_cpu / max(1, int(fields["requests"])) * 1e6,
    )


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM of pid (or of its child if pid is a taskset/launcher wrapper that exec'd)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"VmHWM:\s+(\d+) kB", text)
    return int(match.group(1)) / 1024 if match else None


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
