#!/usr/bin/env bash
# Stop the nginx upstream started by start.sh and remove its run dir: stop.sh RUNDIR
set -euo pipefail
RUNDIR="$1"
[ -s "$RUNDIR/nginx.pid" ] || exit 0
pid="$(cat "$RUNDIR/nginx.pid")"
kill -TERM "$pid" 2>/dev/null || true # fast shutdown: closes idle keep-alive connections too
for _ in $(seq 50); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
kill -KILL "$pid" 2>/dev/null || true
case "$RUNDIR" in /tmp/polyroute-upstream.*) rm -rf "$RUNDIR" ;; esac
