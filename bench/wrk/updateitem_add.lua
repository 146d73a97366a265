-- wrk script: DynamoDB UpdateItem `ADD #c :one` (an atomic counter) on random keys of a
-- pre-loaded key space.
--
--   BENCH_TABLE=bench BENCH_ITEMS=10000 wrk -s bench/wrk/updateitem_add.lua http://127.0.0.1:PORT/
--
-- Keys are pk = "item#<n>" with n uniform in [0, BENCH_ITEMS), as in getitem.lua; the counter
-- attribute is "counter" (through ExpressionAttributeNames: COUNTER is a reserved word). Each
-- request is a read-modify-write of one ~200-byte item. Non-2xx responses are counted in
-- response() and reported by done() in a BENCH_RESULT line.
local table_name = os.getenv("BENCH_TABLE") or "bench"
local items = tonumber(os.getenv("BENCH_ITEMS") or "10000")

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + (id or 0))
  wrk.method = "POST"
  wrk.path = "/"
  wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
  wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.UpdateItem"
  wrk.headers["X-Amz-Date"] = "20260101T000000Z"
  wrk.headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0"
  non200 = 0
  responses = 0
  first_error = ""
end

function request()
  local n = math.random(0, items - 1)
  local body = string.format(
    '{"TableName":"%s","Key":{"pk":{"S":"item#%d"}},"UpdateExpression":"ADD #c :one",' ..
    '"ExpressionAttributeNames":{"#c":"counter"},"ExpressionAttributeValues":{":one":{"N":"1"}}}',
    table_name, n)
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
