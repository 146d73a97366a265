-- wrk script: DynamoDB PutItem with a distinct key per request (~200-byte items).
--
--   BENCH_TABLE=bench wrk -s bench/wrk/putitem.lua http://127.0.0.1:PORT/
--
-- Keys are pk = "put#<run>#<thread>#<n>", n counting up per thread, <run> from BENCH_RUN_ID
-- (default: the time) so that repeated runs (e.g. warm-up, then measurement) write new items.
-- Non-2xx responses are counted; results: a BENCH_RESULT line (see common.lua).
local dir = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require("common")

common.workload{
  op = "PutItem",
  body = function()
    return string.format(
      '{"TableName":"%s","Item":{"pk":{"S":"put#%s#%d#%d"},"n":{"N":"%d"},"name":{"S":"user %d"},"payload":{"S":"%s"}}}',
      common.table_name, common.run_id, id, seq, seq, seq, common.payload)
  end,
}
