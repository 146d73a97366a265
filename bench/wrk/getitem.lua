-- wrk script: DynamoDB GetItem on random keys of a pre-loaded key space.
--
--   BENCH_TABLE=bench BENCH_ITEMS=10000 wrk -s bench/wrk/getitem.lua http://127.0.0.1:PORT/
--
-- Keys: item n uniform in [0, BENCH_ITEMS), pk = "item#<n>" (or the composite layout of
-- common.lua when BENCH_PARTITION_SIZE > 0). A 2xx response without an "Item" is a miss (the key
-- space was not loaded). Results: a BENCH_RESULT line (see common.lua).
local dir = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require("common")

common.workload{
  op = "GetItem",
  keyed = {
    pick = common.random_item,
    body = function(n)
      return string.format('{"TableName":"%s","Key":%s}', common.table_name, common.key_json(n))
    end,
  },
  check = function(status, body)
    if status < 200 or status > 299 then return "error" end
    if not string.find(body, '"Item"', 1, true) then return "miss" end
    return "ok", 1
  end,
}
