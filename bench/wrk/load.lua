-- wrk script: bulk loader. Writes pre-loaded items BENCH_LOAD_FROM .. BENCH_LOAD_TO-1 (layout in
-- common.lua) with BatchWriteItem of BENCH_LOAD_BATCH items (default 25), or with PutItem when
-- BENCH_LOAD_BATCH=1, over all of wrk's connections, then stops.
--
--   BENCH_TABLE=bench BENCH_LOAD_FROM=0 BENCH_LOAD_TO=100000 \
--     wrk -t1 -c16 -d3600s -s bench/wrk/load.lua http://127.0.0.1:PORT/
--
-- Run it with one wrk thread (-t1): the item counter is per thread. BENCH_LOAD_TO - BENCH_LOAD_FROM
-- must be a multiple of the batch size. Once every item has been handed out, connections that
-- are still asked for a request send a cheap filler (ListTables, Limit 1) until the last writes
-- are acknowledged; then the script prints
--
--   BENCH_LOAD_DONE requests=.. acked_items=.. errors=.. unprocessed=..
--   BENCH_FIRST_ERROR ...            (if any)
--
-- (flushed) and stops the thread. wrk itself only exits at the end of -d, so the caller
-- (bench/lib/wrkload.py) times the run up to that line and then interrupts wrk. A response
-- with a non-empty UnprocessedItems counts as unprocessed: the loader does not retry, the caller
-- treats the load as failed.
local dir = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require("common")

local from = tonumber(os.getenv("BENCH_LOAD_FROM") or "0")
local to = tonumber(os.getenv("BENCH_LOAD_TO") or tostring(common.items))
local batch = tonumber(os.getenv("BENCH_LOAD_BATCH") or "25")
assert((to - from) % batch == 0, "BENCH_LOAD_TO - BENCH_LOAD_FROM must be a multiple of BENCH_LOAD_BATCH")
local total_requests = (to - from) / batch

local write_headers = common.headers(batch > 1 and "BatchWriteItem" or "PutItem")
local filler_headers = common.headers("ListTables")
local next_n = from
local answered, acked, errors, unprocessed, sent = 0, 0, 0, 0, 0
local first_error = ""
local finished = false
local calls = 0

function request()
  calls = calls + 1
  -- wrk calls request() once per thread before connecting and discards the result (it builds
  -- a template request): hand out no items on that call.
  if calls == 1 or next_n >= to then
    return wrk.format("POST", "/", filler_headers, '{"Limit":1}')
  end
  local body
  if batch > 1 then
    local parts = {}
    for n = next_n, next_n + batch - 1 do
      parts[#parts + 1] = '{"PutRequest":{"Item":' .. common.item_json(n) .. '}}'
    end
    body = '{"RequestItems":{"' .. common.table_name .. '":[' .. table.concat(parts, ",") .. ']}}'
  else
    body = '{"TableName":"' .. common.table_name .. '","Item":' .. common.item_json(next_n) .. '}'
  end
  next_n = next_n + batch
  sent = sent + 1
  return wrk.format("POST", "/", write_headers, body)
end

function response(status, headers, body)
  if finished then return end
  body = body or ""
  if status >= 200 and status <= 299 and string.find(body, '"TableNames"', 1, true) then
    return -- a filler
  end
  answered = answered + 1
  if status < 200 or status > 299 then
    errors = errors + 1
    if first_error == "" then first_error = status .. " " .. string.sub(body, 1, 200) end
  elseif batch > 1 and not string.find(body, '"UnprocessedItems"%s*:%s*{%s*}') then
    unprocessed = unprocessed + 1
    if first_error == "" then first_error = "UnprocessedItems " .. string.sub(body, 1, 200) end
  else
    acked = acked + batch
  end
  if answered >= total_requests then
    finished = true
    io.write(string.format("BENCH_LOAD_DONE requests=%d acked_items=%d errors=%d unprocessed=%d\n",
                           answered, acked, errors, unprocessed))
    if first_error ~= "" then io.write("BENCH_FIRST_ERROR " .. string.gsub(first_error, "\n", " ") .. "\n") end
    io.stdout:flush()
    wrk.thread:stop()
  end
end
