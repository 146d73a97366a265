-- wrk script: DynamoDB UpdateItem `SET v = :v` with `ConditionExpression attribute_exists(pk)`
-- (update only if the item exists) on random keys of a pre-loaded key space.
--
--   BENCH_TABLE=bench BENCH_ITEMS=10000 wrk -s bench/wrk/updateitem_set_if.lua http://127.0.0.1:PORT/
--
-- Keys are pk = "item#<n>" with n uniform in [0, BENCH_ITEMS), as in getitem.lua, so the
-- condition always holds: a ConditionalCheckFailedException (HTTP 400) means the key space was
-- not loaded and counts as a "miss". Other non-2xx responses are counted too; done() reports
-- both in a BENCH_RESULT line. :v is a 16-character string that changes with every request.
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
  seq = 0
  non200 = 0
  misses = 0
  responses = 0
  first_error = ""
end

function request()
  seq = seq + 1
  local n = math.random(0, items - 1)
  local body = string.format(
    '{"TableName":"%s","Key":{"pk":{"S":"item#%d"}},"UpdateExpression":"SET v = :v",' ..
    '"ConditionExpression":"attribute_exists(pk)","ExpressionAttributeValues":{":v":{"S":"value-%03d-%06d"}}}',
    table_name, n, id or 0, seq % 1000000)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  responses = responses + 1
  if status < 200 or status > 299 then
    if string.find(body or "", "ConditionalCheckFailed", 1, true) then
      misses = misses + 1
    else
      non200 = non200 + 1
    end
    if first_error == "" then first_error = status .. " " .. string.sub(body or "", 1, 200) end
  end
end

function done(summary, latency, requests)
  local non200_total, misses_total, responses_total, first = 0, 0, 0, ""
  for _, t in ipairs(threads) do
    non200_total = non200_total + (t:get("non200") or 0)
    misses_total = misses_total + (t:get("misses") or 0)
    responses_total = responses_total + (t:get("responses") or 0)
    local e = t:get("first_error")
    if first == "" and e and e ~= "" then first = e end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d responses=%d non200=%d misses=%d socket_errors=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    responses_total, non200_total, misses_total,
    e.connect + e.read + e.write + e.timeout))
  if first ~= "" then io.write("BENCH_FIRST_ERROR " .. string.gsub(first, "\n", " ") .. "\n") end
end
