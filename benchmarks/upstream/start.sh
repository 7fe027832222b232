#!/usr/bin/env bash
# Start a fast canned OpenAI-compatible upstream (nginx, pinned to core 1).
#
#   start.sh [PORT] [RUNDIR]      default PORT=18000, RUNDIR=$(mktemp -d)
#
# One port, three base URLs (clients POST to <base>/chat/completions):
#   http://127.0.0.1:PORT/v1        canned chat.completion JSON, no delay
#   http://127.0.0.1:PORT/d50/v1    the same JSON after a 50 ms delay (echo_sleep)
#   http://127.0.0.1:PORT/sse/v1    canned SSE stream of chat.completion.chunk events + [DONE]
#   http://127.0.0.1:PORT/tokens/v1 a token stream: TOKENS (default 40) chunks, 5 ms apart
# Prints the RUNDIR; stop with: upstream/stop.sh RUNDIR
set -euo pipefail

PORT="${1:-18000}"
RUNDIR="${2:-$(mktemp -d /tmp/polyroute-upstream.XXXXXX)}"
CPU="${UPSTREAM_CPU:-1}"
HERE="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$RUNDIR/logs"

BODY_JSON="$(tr -d '\n' <"$HERE/completion.json")"
sse_lines=""
while IFS= read -r chunk; do
  [ -n "$chunk" ] || continue
  sse_lines+="            echo -n 'data: ${chunk}\n\n'; echo_flush;"$'\n'
done <"$HERE/chunks.jsonl"

# A token stream as providers send one: the role chunk, then TOKENS one-word chunks 5 ms
# apart (each its own write), the finish and usage chunks, [DONE].
TOKENS="${TOKENS:-40}"
head='{"id":"chatcmpl-bench0003","object":"chat.completion.chunk","created":1732540000,"model":"some-model","choices":[{"index":0,"delta":'
token_lines="            echo -n 'data: ${head}{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n'; echo_flush;"$'\n'
for _ in $(seq "$TOKENS"); do
  token_lines+="            echo_sleep 0.005; echo -n 'data: ${head}{\"content\":\" token\"},\"finish_reason\":null}]}\n\n'; echo_flush;"$'\n'
done
token_lines+="            echo -n 'data: ${head}{},\"finish_reason\":\"stop\"}]}\n\n';"$'\n'
token_lines+="            echo -n 'data: {\"id\":\"chatcmpl-bench0003\",\"object\":\"chat.completion.chunk\",\"created\":1732540000,\"model\":\"some-model\",\"choices\":[],\"usage\":{\"prompt_tokens\":24,\"completion_tokens\":${TOKENS},\"total_tokens\":$((TOKENS + 24))}}\n\n';"$'\n'

cat >"$RUNDIR/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
worker_processes 1;
daemon on;
pid $RUNDIR/nginx.pid;
error_log $RUNDIR/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_timeout 300s;
    keepalive_requests 10000000;
    client_body_buffer_size 256k;
    client_body_temp_path $RUNDIR/body;
    proxy_temp_path $RUNDIR/proxy;
    fastcgi_temp_path $RUNDIR/fastcgi;
    uwsgi_temp_path $RUNDIR/uwsgi;
    scgi_temp_path $RUNDIR/scgi;
    server {
        listen 127.0.0.1:$PORT backlog=4096;
        location = /v1/chat/completions {
            default_type application/json;
            return 200 '$BODY_JSON';
        }
        location = /d50/v1/chat/completions {
            default_type application/json;
            echo_read_request_body;
            echo_sleep 0.05;
            echo -n '$BODY_JSON';
        }
        location = /sse/v1/chat/completions {
            default_type text/event-stream;
            add_header Cache-Control no-cache;
            echo_read_request_body;
$sse_lines            echo -n 'data: [DONE]\n\n';
        }
        location = /tokens/v1/chat/completions {
            default_type text/event-stream;
            add_header Cache-Control no-cache;
            echo_read_request_body;
$token_lines            echo -n 'data: [DONE]\n\n';
        }
        location / { return 404 '{"error":{"message":"not found","type":"invalid_request_error"}}'; }
    }
}
CONF

taskset -c "$CPU" nginx -p "$RUNDIR" -c "$RUNDIR/nginx.conf"
for _ in $(seq 50); do
  [ -s "$RUNDIR/nginx.pid" ] && break
  sleep 0.1
done
echo "$RUNDIR"
