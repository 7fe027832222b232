#!/usr/bin/env bash
# Install the benchmark's system tools (idempotent): nginx + echo module (upstream), wrk (load).
set -euo pipefail

need=()
command -v nginx >/dev/null || need+=(nginx)
[ -e /usr/share/nginx/modules-available/mod-http-echo.conf ] \
  || [ -e /usr/lib/nginx/modules/ngx_http_echo_module.so ] || need+=(libnginx-mod-http-echo)
command -v wrk >/dev/null || need+=(wrk)
command -v taskset >/dev/null || need+=(util-linux)

if [ "${#need[@]}" -gt 0 ]; then
  echo "installing: ${need[*]}"
  apt-get update -qq
  # Do not let the package start the system nginx service on port 80.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

nginx -v
wrk -v 2>&1 | head -1 || true
ls /usr/lib/nginx/modules/ngx_http_echo_module.so

# The gateway under test runs on an optimized CPython build (PGO + LTO), as a production
# image's would (the official python images are built so): Debian's python3.11 here. The
# pyenv build without --enable-optimizations that `python3` may point to spends ~8% more
# CPU per call (README, Benchmark). run.py uses .venv-bench when it exists.
cd "$(dirname "$0")/.."
# select_stack.py compares servers and clients, granian and rnet among them (neither is a
# dependency of polyroute).
if [ -x .venv/bin/python ]; then
  .venv/bin/python -m pip install --quiet 'granian>=2.8,<3' 'rnet>=2.4,<3'
fi
bench_python=${BENCH_PYTHON:-/usr/bin/python3.11}
if [ -x "$bench_python" ]; then
  [ -x .venv-bench/bin/python ] || "$bench_python" -m venv .venv-bench
  .venv-bench/bin/python -m pip install --quiet -e .
  .venv-bench/bin/python -c 'import sys; print("benchmark interpreter:", sys.executable, sys.version.split()[0])'
fi
