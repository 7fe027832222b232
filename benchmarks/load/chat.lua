-- wrk script: POST a small OpenAI chat request with a bearer token.
-- Env: BENCH_PATH (default /v1/chat/completions), BENCH_KEY, BENCH_MODEL, BENCH_STREAM=1.
local path = os.getenv("BENCH_PATH") or "/v1/chat/completions"
local key = os.getenv("BENCH_KEY") or "sk-bench"
local model = os.getenv("BENCH_MODEL") or "bench/gpt-4o-mini"

wrk.method = "POST"
wrk.path = path
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. key
wrk.body = '{"model":"' .. model .. '","messages":['
  .. '{"role":"system","content":"You are a helpful assistant."},'
  .. '{"role":"user","content":"Say hello in one short sentence."}],'
  .. '"max_tokens":64,"temperature":0.2'
  .. (os.getenv("BENCH_STREAM") == "1" and ',"stream":true}' or '}')

local non2xx = 0
response = function(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

-- One machine-readable line for run.py: requests, errors, req/s, latency percentiles (us).
done = function(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout + e.status
  io.write(string.format(
    "RESULT requests=%d errors=%d rps=%.1f p50=%.1f p90=%.1f p99=%.1f mean=%.1f max=%.1f\n",
    summary.requests, errors, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
