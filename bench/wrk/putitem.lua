-- wrk script: DynamoDB PutItem with a distinct key per request (~200-byte items).
--
--   BENCH_TABLE=bench wrk -s bench/wrk/putitem.lua http://127.0.0.1:PORT/
--
-- Keys are pk = "put#<run>#<thread>#<n>", n counting up per thread, <run> from BENCH_RUN_ID
-- (default: the time) so that repeated runs (e.g. warm-up, then measurement) write new items.
-- Non-2xx responses are counted in response() and reported by done() in a BENCH_RESULT line.
local table_name = os.getenv("BENCH_TABLE") or "bench"
local run_id = os.getenv("BENCH_RUN_ID") or tostring(os.time())
-- ~150 bytes of payload: with the key and the other attributes the item is ~200 bytes.
local payload = string.rep("abcdefghij", 15)

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.path = "/"
  wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
  wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.PutItem"
  wrk.headers["X-Amz-Date"] = "20260101T000000Z"
  wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"
  seq = 0
  non200 = 0
  responses = 0
  first_error = ""
end

function request()
  seq = seq + 1
  local body = string.format(
    '{"TableName":"%s","Item":{"pk":{"S":"put#%s#%d#%d"},"n":{"N":"%d"},"name":{"S":"user %d"},"payload":{"S":"%s"}}}',
    table_name, run_id, id, seq, seq, seq, payload)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  responses = responses + 1
  if status < 200 or status > 299 then
    non200 = non200 + 1
    if first_error == "" then first_error = status .. " " .. string.sub(body or "", 1, 200) end
  end
end

function done(summary, latency, requests)
  local non200_total, responses_total, first = 0, 0, ""
  for _, t in ipairs(threads) do
    non200_total = non200_total + (t:get("non200") or 0)
    responses_total = responses_total + (t:get("responses") or 0)
    local e = t:get("first_error")
    if first == "" and e and e ~= "" then first = e end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d responses=%d non200=%d misses=0 socket_errors=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    responses_total, non200_total,
    e.connect + e.read + e.write + e.timeout))
  if first ~= "" then io.write("BENCH_FIRST_ERROR " .. string.gsub(first, "\n", " ") .. "\n") end
end
