-- wrk script: Query of a global secondary index, `gsi1pk = :p` on a random GSI1 partition of the
-- table written by putitem_gsi.lua, one page of Limit BENCH_GSI_QUERY_LIMIT (default 10) items.
-- A 2xx response with fewer items than the limit counts as a miss (the partition was too small).
local dir = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require("common")

local gsi_table = os.getenv("BENCH_GSI_TABLE") or "benchgsi"
local partitions = tonumber(os.getenv("BENCH_GSI_PARTITIONS") or "100")
local limit = tonumber(os.getenv("BENCH_GSI_QUERY_LIMIT") or "10")

common.workload{
  op = "Query",
  keyed = {
    pick = function() return math.random(0, partitions - 1) end,
    body = function(p)
      return string.format(
        '{"TableName":"%s","IndexName":"GSI1","KeyConditionExpression":"gsi1pk = :p",' ..
        '"ExpressionAttributeValues":{":p":{"S":"g#%d"}},"Limit":%d}',
        gsi_table, p, limit)
    end,
  },
  check = function(status, body)
    if status < 200 or status > 299 then return "error" end
    local n = common.count(body)
    if n ~= limit then return "miss", n end
    return "ok", n
  end,
}
