-- wrk script: DynamoDB Scan, one page of `Limit` 100, starting after a random pre-loaded key.
--
--   BENCH_TABLE=bench BENCH_ITEMS=10000 wrk -s bench/wrk/scan.lua http://127.0.0.1:PORT/
--
-- Each request is a Scan with "Limit": BENCH_SCAN_LIMIT (default 100) and "ExclusiveStartKey" the
-- key of a uniformly random pre-loaded item (layout as in getitem.lua), i.e. a random page of a
-- paginated full scan. Pages that start near the end of the table's scan order hold fewer items,
-- so the report gives the average items per page (returned / requests). Only non-2xx responses
-- (and 2xx responses without a "Count") are failures. Results: a BENCH_RESULT line (see
-- common.lua).
local dir = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require("common")

local limit = tonumber(os.getenv("BENCH_SCAN_LIMIT") or "100")

common.workload{
  op = "Scan",
  keyed = {
    pick = common.random_item,
    body = function(n)
      return string.format('{"TableName":"%s","Limit":%d,"ExclusiveStartKey":%s}',
                           common.table_name, limit, common.key_json(n))
    end,
  },
  check = function(status, body)
    if status < 200 or status > 299 then return "error" end
    local n = common.count(body)
    if not n then return "error" end
    return "ok", n
  end,
}
