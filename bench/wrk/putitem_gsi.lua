-- wrk script: PutItem of a new item into a table with two global secondary indexes
-- (BENCH_GSI_TABLE, default benchgsi): GSI1 on gsi1pk/gsi1sk (projection ALL), GSI2 on gsi2pk
-- (KEYS_ONLY). Each item lands in a random one of BENCH_GSI_PARTITIONS GSI1 partitions (for the
-- QueryGSI workload that follows) and in its own GSI2 partition: three storage writes per request.
--
--   BENCH_GSI_TABLE=benchgsi wrk -s bench/wrk/putitem_gsi.lua http://127.0.0.1:PORT/
local dir = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require("common")

local gsi_table = os.getenv("BENCH_GSI_TABLE") or "benchgsi"
local partitions = tonumber(os.getenv("BENCH_GSI_PARTITIONS") or "100")

common.workload{
  op = "PutItem",
  body = function()
    return string.format(
      '{"TableName":"%s","Item":{"pk":{"S":"gput#%s#%d#%d"},"gsi1pk":{"S":"g#%d"},' ..
      '"gsi1sk":{"S":"%s#%d#%d"},"gsi2pk":{"S":"h#%s#%d#%d"},"payload":{"S":"%s"}}}',
      gsi_table, common.run_id, id, seq, math.random(0, partitions - 1), common.run_id, id, seq,
      common.run_id, id, seq, common.payload)
  end,
}
