-- wrk script: TransactWriteItems putting BENCH_TX_ITEMS (default 2) new items (~200 B) into
-- BENCH_TABLE in one all-or-nothing transaction.
local dir = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
package.path = dir .. "/?.lua;" .. package.path
local common = require("common")

local items = tonumber(os.getenv("BENCH_TX_ITEMS") or "2")

common.workload{
  op = "TransactWriteItems",
  body = function()
    local actions = {}
    for i = 1, items do
      actions[i] = string.format(
        '{"Put":{"TableName":"%s","Item":{"pk":{"S":"tx#%s#%d#%d#%d"},"payload":{"S":"%s"}}}}',
        common.table_name, common.run_id, id, seq, i, common.payload)
    end
    return '{"TransactItems":[' .. table.concat(actions, ",") .. ']}'
  end,
}
