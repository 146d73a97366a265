-- wrk script: DynamoDB UpdateItem `ADD #c :one` (an atomic counter) on random keys of a
-- pre-loaded key space.
--
--   BENCH_TABLE=bench BENCH_ITEMS=10000 wrk -s bench/wrk/updateitem_add.lua http://127.0.0.1:PORT/
--
-- Keys as in getitem.lua; the counter attribute is "counter" (through ExpressionAttributeNames:
-- COUNTER is a reserved word). Each request is a read-modify-write of one ~200-byte item.
-- Non-2xx responses are counted; results: a BENCH_RESULT line (see common.lua).
local dir = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require("common")

common.workload{
  op = "UpdateItem",
  body = function()
    return string.format(
      '{"TableName":"%s","Key":%s,"UpdateExpression":"ADD #c :one",' ..
      '"ExpressionAttributeNames":{"#c":"counter"},"ExpressionAttributeValues":{":one":{"N":"1"}}}',
      common.table_name, common.key_json(common.random_item()))
  end,
}
