-- wrk script: DynamoDB UpdateItem `SET v = :v` with `ConditionExpression attribute_exists(pk)`
-- (update only if the item exists) on random keys of a pre-loaded key space.
--
--   BENCH_TABLE=bench BENCH_ITEMS=10000 wrk -s bench/wrk/updateitem_set_if.lua http://127.0.0.1:PORT/
--
-- Keys as in getitem.lua, so the condition always holds: a ConditionalCheckFailedException (HTTP
-- 400) means the key space was not loaded and counts as a "miss"; other non-2xx responses are
-- errors. :v is a 16-character string that changes with every request. Results: a BENCH_RESULT
-- line (see common.lua).
local dir = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require("common")

common.workload{
  op = "UpdateItem",
  body = function()
    return string.format(
      '{"TableName":"%s","Key":%s,"UpdateExpression":"SET v = :v",' ..
      '"ConditionExpression":"attribute_exists(pk)","ExpressionAttributeValues":{":v":{"S":"value-%03d-%06d"}}}',
      common.table_name, common.key_json(common.random_item()), id or 0, seq % 1000000)
  end,
  check = function(status, body)
    if status >= 200 and status <= 299 then return "ok" end
    if string.find(body or "", "ConditionalCheckFailed", 1, true) then return "miss" end
    return "error"
  end,
}
