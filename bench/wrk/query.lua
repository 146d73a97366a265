-- wrk script: DynamoDB Query of one whole partition, `KeyConditionExpression pk = :p`, on a
-- random partition of a pre-loaded composite-key table.
--
--   BENCH_TABLE=benchq BENCH_PARTITION_SIZE=10 BENCH_KEY_PREFIX=q10# BENCH_ITEMS=10000 \
--     wrk -s bench/wrk/query.lua http://127.0.0.1:PORT/
--
-- The table holds BENCH_ITEMS items in partitions of BENCH_PARTITION_SIZE (layout in
-- common.lua); each request picks a partition uniformly at random (that of common.random_item(),
-- so BENCH_HOT_ITEMS / BENCH_HOT_PCT make some partitions hot) and must return all of its
-- items in one response: a 2xx response whose "Count" differs from BENCH_PARTITION_SIZE is a
-- miss. Results: a BENCH_RESULT line (see common.lua); returned = items received.
local dir = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require("common")

assert(common.part_size > 0, "query.lua needs BENCH_PARTITION_SIZE > 0")

common.workload{
  op = "Query",
  keyed = {
    pick = function() return math.floor(common.random_item() / common.part_size) end,
    body = function(p)
      return string.format(
        '{"TableName":"%s","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"%s%d"}}}',
        common.table_name, common.prefix, p)
    end,
  },
  check = function(status, body)
    if status < 200 or status > 299 then return "error" end
    local n = common.count(body)
    if n ~= common.part_size then return "miss", n end
    return "ok", n
  end,
}
