-- Shared code of the wrk scripts in bench/wrk/ (loaded with require("common"); each script puts
-- its own directory on package.path first, see the top of getitem.lua).
--
-- A workload script calls common.workload{...}, which defines wrk's global hooks (setup, init,
-- request, response, done): fake-SigV4 DynamoDB headers, per-thread counters of non-2xx
-- responses, "misses" and items returned, and a machine-readable line printed by done():
--
--   BENCH_RESULT requests=.. duration_us=.. rps=.. p50_us=.. p90_us=.. p99_us=.. max_us=..
--                responses=.. non200=.. misses=.. socket_errors=.. returned=..
--   BENCH_FIRST_ERROR <status> <first 200 bytes of the first failed response>
--
-- Environment (all scripts):
--   BENCH_TABLE           table name (default bench)
--   BENCH_ITEMS           size of the pre-loaded key space: items 0 .. BENCH_ITEMS-1 (default 10000)
--   BENCH_PARTITION_SIZE  0 (default): hash-key-only table, item n has pk = "item#<n>" (the layout
--                         of bench/lib/load.py); k > 0: hash + range key, item n has
--                         pk = BENCH_KEY_PREFIX .. (n // k) and sk = string.format("%04d", n % k),
--                         i.e. partitions of k items
--   BENCH_KEY_PREFIX      partition-key prefix of the composite layout (default "part#")
--   BENCH_ITEM_BYTES      approximate item size written by putitem.lua / load.lua (default 200)
--   BENCH_RUN_ID          distinguishes runs (default: the time)
--   BENCH_HOT_ITEMS       with BENCH_HOT_PCT: a hot set of this many items, spread evenly over the
--                         key space, takes BENCH_HOT_PCT percent of the reads (default 0: uniform)
--   BENCH_REQUEST_POOL    most distinct requests a thread formats once and reuses, for the read
--                         workloads (default 100000; 0: format every request)
--   BENCH_PAYLOAD         "repeat" (default): the filler is "abcdefghij" repeated, which LZ4
--                         shrinks ~9x on disk; "random": random letters, which it cannot shrink
--                         (for a data set larger than memory: BENCH_SCALE_MEMORY_MB, bench/README.md)
local M = {}

M.table_name = os.getenv("BENCH_TABLE") or "bench"
M.items = tonumber(os.getenv("BENCH_ITEMS") or "10000")
M.part_size = tonumber(os.getenv("BENCH_PARTITION_SIZE") or "0")
M.prefix = os.getenv("BENCH_KEY_PREFIX") or "part#"
M.run_id = os.getenv("BENCH_RUN_ID") or tostring(os.time())
M.item_bytes = tonumber(os.getenv("BENCH_ITEM_BYTES") or "200")

local AUTH = "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/dynamodb/aws4_request, " ..
             "SignedHeaders=host, Signature=0"

-- Filler attribute so that an item is about BENCH_ITEM_BYTES long in DynamoDB's size accounting
-- (attribute names + values): "abcdefghij" repeated, 150 characters for 200-byte items, as the
-- items of bench/lib/load.py.
local function make_payload(bytes)
  local n = math.max(10, bytes - 50)
  return string.sub(string.rep("abcdefghij", math.ceil(n / 10)), 1, n)
end
M.payload = make_payload(M.item_bytes)

-- With BENCH_PAYLOAD=random, each item's filler is a slice at a random offset of 1 MB of random
-- letters: no two items in one 4 KB block share bytes, so the files hold what was written.
local random_pool
if os.getenv("BENCH_PAYLOAD") == "random" then
  local letters, chunk = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", {}
  for i = 1, 1024 * 1024 do
    local c = math.random(1, #letters)
    chunk[i] = string.sub(letters, c, c)
  end
  random_pool = table.concat(chunk)
end

local function payload_of_item()
  if not random_pool then return M.payload end
  local start = math.random(1, #random_pool - #M.payload)
  return string.sub(random_pool, start, start + #M.payload - 1)
end

-- Request headers for operation `op` (a table usable with wrk.format).
function M.headers(op)
  return {
    ["Content-Type"] = "application/x-amz-json-1.0",
    ["X-Amz-Target"] = "DynamoDB_20120810." .. op,
    ["X-Amz-Date"] = "20260101T000000Z",
    ["Authorization"] = AUTH,
  }
end

-- Partition-key value of pre-loaded item n.
function M.pk(n)
  if M.part_size > 0 then
    return M.prefix .. math.floor(n / M.part_size)
  end
  return "item#" .. n
end

-- JSON `Key` map of pre-loaded item n.
function M.key_json(n)
  if M.part_size > 0 then
    return string.format('{"pk":{"S":"%s%d"},"sk":{"S":"%04d"}}',
                         M.prefix, math.floor(n / M.part_size), n % M.part_size)
  end
  return string.format('{"pk":{"S":"item#%d"}}', n)
end

-- JSON `Item` of pre-loaded item n (the same items as bench/lib/load.py for the hash-only layout).
function M.item_json(n)
  if M.part_size > 0 then
    return string.format('{"pk":{"S":"%s%d"},"sk":{"S":"%04d"},"n":{"N":"%d"},"payload":{"S":"%s"}}',
                         M.prefix, math.floor(n / M.part_size), n % M.part_size, n, payload_of_item())
  end
  return string.format('{"pk":{"S":"item#%d"},"n":{"N":"%d"},"name":{"S":"user %d"},"payload":{"S":"%s"}}',
                       n, n, n, payload_of_item())
end

-- A hot set (BENCH_HOT_ITEMS items spread evenly over the key space) that takes BENCH_HOT_PCT
-- percent of the requests; the rest are uniform over every item. Off by default.
M.hot_items = tonumber(os.getenv("BENCH_HOT_ITEMS") or "0")
M.hot_pct = tonumber(os.getenv("BENCH_HOT_PCT") or "0")

function M.random_item()
  if M.hot_items > 0 and math.random() * 100 < M.hot_pct then
    return math.floor(math.random(0, M.hot_items - 1) * M.items / M.hot_items)
  end
  return math.random(0, M.items - 1)
end

-- Value of the top-level "Count" of a Query/Scan response (it follows "Items", so look at the
-- end of the body first), or nil.
function M.count(body)
  if not body then return nil end
  local c = string.match(string.sub(body, -200), '"Count"%s*:%s*(%d+)')
  if not c then c = string.match(body, '"Count"%s*:%s*(%d+)') end
  return tonumber(c)
end

-- Most distinct formatted requests a thread keeps for `keyed` workloads (BENCH_REQUEST_POOL,
-- default 100k requests of ~400 bytes, ~40 MB); past it a request is formatted each time. The
-- scale run sets 0: there the client must cost the same per request at 10k and at 1M items,
-- and at 1M items most keys would miss a pool.
local POOL_MAX = tonumber(os.getenv("BENCH_REQUEST_POOL") or "100000")

-- Defines wrk's global hooks for a workload. spec fields:
--   op       DynamoDB operation (X-Amz-Target)
--   body     function() -> JSON request body (runs in the wrk thread; `id` is the thread number)
--   keyed    instead of body, for reads whose request depends only on a number n (an item, a
--            partition): {pick = function() -> n, body = function(n) -> JSON}. Each n's request is
--            formatted once and then reused (up to POOL_MAX distinct n per thread), so that the load
--            generator's own cost per request is not what caps a fast server's measured rate.
--   check    optional function(status, body) -> "ok" | "miss" | "error", returned_items
--            (default: 2xx is ok, anything else an error)
function M.workload(spec)
  local threads = {}
  local nthreads = 0

  function setup(thread)
    nthreads = nthreads + 1
    thread:set("id", nthreads)
    table.insert(threads, thread)
  end

  function init(args)
    math.randomseed(os.time() * 1000 + (id or 0))
    wrk.method = "POST"
    wrk.path = "/"
    for k, v in pairs(M.headers(spec.op)) do wrk.headers[k] = v end
    seq = 0
    non200 = 0
    misses = 0
    responses = 0
    returned = 0
    first_error = ""
  end

  local keyed = spec.keyed
  local pool, pooled = {}, 0

  function request()
    seq = seq + 1
    if not keyed then
      return wrk.format(nil, nil, nil, spec.body())
    end
    local n = keyed.pick()
    local r = pool[n]
    if not r then
      r = wrk.format(nil, nil, nil, keyed.body(n))
      if pooled < POOL_MAX then
        pool[n] = r
        pooled = pooled + 1
      end
    end
    return r
  end

  function response(status, headers, body)
    responses = responses + 1
    local verdict, n
    if spec.check then
      verdict, n = spec.check(status, body)
    elseif status >= 200 and status <= 299 then
      verdict = "ok"
    else
      verdict = "error"
    end
    returned = returned + (n or 0)
    if verdict == "miss" then
      misses = misses + 1
    elseif verdict == "error" then
      non200 = non200 + 1
    end
    if verdict ~= "ok" and first_error == "" then
      first_error = status .. " " .. string.sub(body or "", 1, 200)
    end
  end

  function done(summary, latency, requests)
    local t_non200, t_misses, t_responses, t_returned, first = 0, 0, 0, 0, ""
    for _, t in ipairs(threads) do
      t_non200 = t_non200 + (t:get("non200") or 0)
      t_misses = t_misses + (t:get("misses") or 0)
      t_responses = t_responses + (t:get("responses") or 0)
      t_returned = t_returned + (t:get("returned") or 0)
      local e = t:get("first_error")
      if first == "" and e and e ~= "" then first = e end
    end
    local e = summary.errors
    io.write(string.format(
      "BENCH_RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
      "responses=%d non200=%d misses=%d socket_errors=%d returned=%d\n",
      summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      t_responses, t_non200, t_misses, e.connect + e.read + e.write + e.timeout, t_returned))
    if first ~= "" then io.write("BENCH_FIRST_ERROR " .. string.gsub(first, "\n", " ") .. "\n") end
  end
end

return M
