#!/usr/bin/env bash
# AWS CLI smoke test for a DynamoDB-compatible endpoint.
#
#   DYNALITH_ENDPOINT=http://127.0.0.1:8000 bash tests/cli/smoke.sh
#
# Uses create-table, describe-table, list-tables, put-item, get-item, delete-item,
# execute-statement, update-time-to-live, describe-time-to-live, create-backup,
# describe-backup, restore-table-from-backup, delete-backup and delete-table, and the
# dynamodbstreams commands list-streams, describe-stream, get-shard-iterator and get-records,
# and the application-autoscaling commands register-scalable-target, put-scaling-policy,
# describe-scalable-targets, describe-scaling-policies and deregister-scalable-target.
# Outputs are checked with python3 (json). Prints "N passed, M failed" at the end
# and exits non-zero on any mismatch.
set -uo pipefail

if [[ -z "${DYNALITH_ENDPOINT:-}" ]]; then
  echo "DYNALITH_ENDPOINT is not set (e.g. DYNALITH_ENDPOINT=http://127.0.0.1:8000)" >&2
  exit 2
fi
command -v aws >/dev/null || { echo "the AWS CLI (aws) is required" >&2; exit 2; }

# Dummy credentials and region; ignore any local AWS configuration.
export AWS_ACCESS_KEY_ID=dummy AWS_SECRET_ACCESS_KEY=dummy AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER=""
unset AWS_PROFILE AWS_SESSION_TOKEN

TABLE="dynalith_cli_smoke_$$_$RANDOM"
STREAM_TABLE="${TABLE}_stream"
RESTORED_TABLE="${TABLE}_restored"
IMPORTED_TABLE="${TABLE}_imported"
SCALED_TABLE="${TABLE}_scaled"
PASSED=0
FAILED=0
OUT=""   # stdout of the last `run`
ERR=""   # stderr of the last `run`
RC=0     # exit code of the last `run`

ddb() { aws dynamodb --endpoint-url "$DYNALITH_ENDPOINT" --output json "$@"; }
ddbs() { aws dynamodbstreams --endpoint-url "$DYNALITH_ENDPOINT" --output json "$@"; }
aas() { aws application-autoscaling --endpoint-url "$DYNALITH_ENDPOINT" --output json "$@"; }

run() {
  local errf; errf="$(mktemp)"
  OUT="$(ddb "$@" 2>"$errf")"; RC=$?
  ERR="$(cat "$errf")"; rm -f "$errf"
}

# run_streams ARGS...: like run, with `aws dynamodbstreams`.
run_streams() {
  local errf; errf="$(mktemp)"
  OUT="$(ddbs "$@" 2>"$errf")"; RC=$?
  ERR="$(cat "$errf")"; rm -f "$errf"
}

# run_scaling ARGS...: like run, with `aws application-autoscaling`.
run_scaling() {
  local errf; errf="$(mktemp)"
  OUT="$(aas "$@" 2>"$errf")"; RC=$?
  ERR="$(cat "$errf")"; rm -f "$errf"
}

# value EXPR: prints the python expression EXPR of `d` = the JSON of the last command's output
# (nothing when that fails).
value() { printf '%s' "$OUT" | python3 -c "import json, sys; d = json.load(sys.stdin); print($1)" 2>/dev/null; }

pass() { PASSED=$((PASSED + 1)); echo "ok   - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $1"; [[ -n "${2:-}" ]] && echo "       $2"; }

# check NAME PYTHON_CODE: runs the code with `d` = the JSON of the last command's output
# ({} when it printed nothing); the check passes when the command succeeded and the code
# raises nothing.
check() {
  local name="$1" code="$2" msg
  if [[ $RC -ne 0 ]]; then fail "$name" "command failed (rc=$RC): $ERR"; return; fi
  if msg="$(printf '%s' "$OUT" | python3 -c "
import json, sys
raw = sys.stdin.read()
d = json.loads(raw) if raw.strip() else {}
$code
" 2>&1)"; then
    pass "$name"
  else
    fail "$name" "$(echo "$msg" | tail -n 3) -- output: ${OUT:0:400}"
  fi
}

# check_error NAME CODE: the last command must have failed with the given error code.
check_error() {
  local name="$1" code="$2"
  if [[ $RC -eq 0 ]]; then
    fail "$name" "expected $code, command succeeded: ${OUT:0:300}"
  elif [[ "$ERR" == *"($code)"* ]]; then
    pass "$name"
  else
    fail "$name" "expected $code, got: $ERR"
  fi
}

cleanup() {
  ddb delete-table --table-name "$TABLE" >/dev/null 2>&1 || true
  ddb delete-table --table-name "$STREAM_TABLE" >/dev/null 2>&1 || true
  ddb delete-table --table-name "$RESTORED_TABLE" >/dev/null 2>&1 || true
  ddb delete-table --table-name "$IMPORTED_TABLE" >/dev/null 2>&1 || true
  ddb delete-table --table-name "$SCALED_TABLE" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "# AWS CLI smoke test against $DYNALITH_ENDPOINT (table $TABLE)"

# --- create-table -----------------------------------------------------------------------------
run create-table --table-name "$TABLE" \
  --attribute-definitions AttributeName=pk,AttributeType=S AttributeName=sk,AttributeType=N \
  --key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE \
  --billing-mode PAY_PER_REQUEST
check "create-table returns the table description" "
t = d['TableDescription']
assert t['TableName'] == '$TABLE', t['TableName']
assert t['TableStatus'] in ('CREATING', 'ACTIVE'), t['TableStatus']
assert t['KeySchema'] == [{'AttributeName': 'pk', 'KeyType': 'HASH'}, {'AttributeName': 'sk', 'KeyType': 'RANGE'}], t['KeySchema']
assert sorted(t['AttributeDefinitions'], key=lambda a: a['AttributeName']) == [{'AttributeName': 'pk', 'AttributeType': 'S'}, {'AttributeName': 'sk', 'AttributeType': 'N'}]
assert t['TableArn'].endswith(':table/$TABLE'), t['TableArn']
"

# --- describe-table (wait for ACTIVE, bounded) ------------------------------------------------
for _ in $(seq 1 100); do
  run describe-table --table-name "$TABLE"
  [[ $RC -eq 0 && "$OUT" == *'"TableStatus": "ACTIVE"'* ]] && break
  sleep 0.1
done
check "describe-table shows an ACTIVE, empty, on-demand table" "
t = d['Table']
assert t['TableName'] == '$TABLE'
assert t['TableStatus'] == 'ACTIVE', t['TableStatus']
assert t['KeySchema'] == [{'AttributeName': 'pk', 'KeyType': 'HASH'}, {'AttributeName': 'sk', 'KeyType': 'RANGE'}]
assert t['ItemCount'] == 0, t['ItemCount']
assert t['BillingModeSummary']['BillingMode'] == 'PAY_PER_REQUEST'
"

# --- list-tables ------------------------------------------------------------------------------
run list-tables
check "list-tables includes the table" "
names = d['TableNames']
assert '$TABLE' in names, names
assert names == sorted(names), names
"

# --- create-table again -----------------------------------------------------------------------
run create-table --table-name "$TABLE" \
  --attribute-definitions AttributeName=pk,AttributeType=S AttributeName=sk,AttributeType=N \
  --key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE \
  --billing-mode PAY_PER_REQUEST
check_error "create-table on an existing table gives ResourceInUseException" ResourceInUseException

# --- put-item ---------------------------------------------------------------------------------
ITEM='{
  "pk": {"S": "user#1"}, "sk": {"N": "1"},
  "name": {"S": "Alice ✓"}, "price": {"N": "1.50"}, "active": {"BOOL": true}, "none": {"NULL": true},
  "data": {"B": "AAEC/w=="},
  "tags": {"SS": ["a", "b"]}, "scores": {"NS": ["1", "2.5"]},
  "list": {"L": [{"S": "x"}, {"N": "2"}, {"BOOL": false}]},
  "map": {"M": {"k": {"S": "v"}, "n": {"N": "3"}}}
}'
# The stored item as get-item must return it (numbers normalized: "1.50" -> "1.5").
EXPECTED='{
  "pk": {"S": "user#1"}, "sk": {"N": "1"},
  "name": {"S": "Alice ✓"}, "price": {"N": "1.5"}, "active": {"BOOL": true}, "none": {"NULL": true},
  "data": {"B": "AAEC/w=="},
  "tags": {"SS": ["a", "b"]}, "scores": {"NS": ["1", "2.5"]},
  "list": {"L": [{"S": "x"}, {"N": "2"}, {"BOOL": false}]},
  "map": {"M": {"k": {"S": "v"}, "n": {"N": "3"}}}
}'
NORM="
def norm(v):
    (t, x), = v.items()
    if t in ('SS', 'NS', 'BS'):
        return {t: sorted(x)}
    if t == 'M':
        return {t: {k: norm(y) for k, y in x.items()}}
    if t == 'L':
        return {t: [norm(y) for y in x]}
    return v
def norm_item(i):
    i = {k: norm(v) for k, v in i.items()}
    # AWS CLI v1 sends a blob given in JSON as its literal text (so it reads back as the
    # base64 of that text); v2 base64-decodes it first. Both mean the same round trip.
    if i.get('data') == {'B': 'QUFFQy93PT0='}:
        i['data'] = {'B': 'AAEC/w=='}
    return i
expected = norm_item(json.loads('''$EXPECTED'''))
"

run put-item --table-name "$TABLE" --item "$ITEM" --return-consumed-capacity TOTAL
check "put-item succeeds and reports 1 write capacity unit" "
assert 'Attributes' not in d, d
cc = d['ConsumedCapacity']
assert cc['TableName'] == '$TABLE', cc
assert cc['CapacityUnits'] == 1.0, cc
"

# --- get-item ---------------------------------------------------------------------------------
KEY='{"pk": {"S": "user#1"}, "sk": {"N": "1"}}'
run get-item --table-name "$TABLE" --key "$KEY"
check "get-item returns every attribute as stored" "$NORM
got = norm_item(d['Item'])
assert got == expected, (got, expected)
"

run get-item --table-name "$TABLE" --key "$KEY" --consistent-read \
  --projection-expression "#n, price, #m.k, #l[1]" \
  --expression-attribute-names '{"#n": "name", "#m": "map", "#l": "list"}' \
  --return-consumed-capacity TOTAL
check "get-item with a projection and consistent read" "
assert d['Item'] == {'name': {'S': 'Alice ✓'}, 'price': {'N': '1.5'}, 'map': {'M': {'k': {'S': 'v'}}}, 'list': {'L': [{'N': '2'}]}}, d['Item']
assert d['ConsumedCapacity']['CapacityUnits'] == 1.0, d['ConsumedCapacity']
"

run get-item --table-name "$TABLE" --key '{"pk": {"S": "user#1"}, "sk": {"N": "1.0"}}'
check "get-item finds the item with an equal number key (1.0 == 1)" "
assert d['Item']['name'] == {'S': 'Alice ✓'}, d
"

run get-item --table-name "$TABLE" --key '{"pk": {"S": "nobody"}, "sk": {"N": "1"}}'
check "get-item on a missing key returns no Item" "
assert 'Item' not in d, d
"

# --- errors -----------------------------------------------------------------------------------
run get-item --table-name "${TABLE}_missing" --key "$KEY"
check_error "get-item on a missing table gives ResourceNotFoundException" ResourceNotFoundException

run put-item --table-name "$TABLE" --item '{"pk": {"S": "user#2"}, "x": {"S": "no sort key"}}'
check_error "put-item without the sort key gives ValidationException" ValidationException

run get-item --table-name "$TABLE" --key '{"pk": {"S": "user#1"}}'
check_error "get-item with an incomplete key gives ValidationException" ValidationException

# --- put-item replacing, delete-item ----------------------------------------------------------
run put-item --table-name "$TABLE" --item '{"pk": {"S": "user#1"}, "sk": {"N": "1"}, "name": {"S": "Bob"}}' \
  --return-values ALL_OLD
check "put-item over an existing item returns the old item" "$NORM
assert norm_item(d['Attributes']) == expected, d
"

run get-item --table-name "$TABLE" --key "$KEY"
check "the replaced item has only the new attributes" "
assert d['Item'] == {'pk': {'S': 'user#1'}, 'sk': {'N': '1'}, 'name': {'S': 'Bob'}}, d
"

run delete-item --table-name "$TABLE" --key "$KEY" --return-values ALL_OLD
check "delete-item returns the deleted item" "
assert d['Attributes'] == {'pk': {'S': 'user#1'}, 'sk': {'N': '1'}, 'name': {'S': 'Bob'}}, d
"

run get-item --table-name "$TABLE" --key "$KEY" --consistent-read
check "get-item after delete-item returns no Item" "
assert 'Item' not in d, d
"

run delete-item --table-name "$TABLE" --key "$KEY" --return-values ALL_OLD
check "delete-item of a missing item succeeds with no Attributes" "
assert 'Attributes' not in d, d
"

# --- PartiQL, Time to Live ---------------------------------------------------------------------
run execute-statement --statement "INSERT INTO \"$TABLE\" VALUE {'pk': 'q', 'sk': 1, 'name': 'Alice'}"
check "execute-statement INSERT succeeds" "
assert d.get('Items', []) == [], d
"

run execute-statement --statement "SELECT name FROM \"$TABLE\" WHERE pk = ?" --parameters '[{"S": "q"}]'
check "execute-statement SELECT with a parameter returns the item" "
assert d['Items'] == [{'name': {'S': 'Alice'}}], d
"

run execute-statement --statement "INSERT INTO \"$TABLE\" VALUE {'pk': 'q', 'sk': 1}"
check_error "execute-statement INSERT of an existing key gives DuplicateItemException" DuplicateItemException

run update-time-to-live --table-name "$TABLE" --time-to-live-specification Enabled=true,AttributeName=expires
check "update-time-to-live enables TTL" "
assert d['TimeToLiveSpecification'] == {'Enabled': True, 'AttributeName': 'expires'}, d
"

run describe-time-to-live --table-name "$TABLE"
check "describe-time-to-live reports it" "
assert d['TimeToLiveDescription'] == {'TimeToLiveStatus': 'ENABLED', 'AttributeName': 'expires'}, d
"

# --- DynamoDB Streams -------------------------------------------------------------------------
run create-table --table-name "$STREAM_TABLE" \
  --attribute-definitions AttributeName=pk,AttributeType=S \
  --key-schema AttributeName=pk,KeyType=HASH \
  --billing-mode PAY_PER_REQUEST \
  --stream-specification StreamEnabled=true,StreamViewType=NEW_IMAGE
check "create-table with --stream-specification reports the stream" "
t = d['TableDescription']
assert t['StreamSpecification'] == {'StreamEnabled': True, 'StreamViewType': 'NEW_IMAGE'}, t
assert t['LatestStreamArn'] == t['TableArn'] + '/stream/' + t['LatestStreamLabel'], t
"
STREAM_ARN="$(value "d['TableDescription']['LatestStreamArn']")"
STREAM_TABLE_ARN="$(value "d['TableDescription']['TableArn']")"
for _ in $(seq 1 100); do
  run describe-table --table-name "$STREAM_TABLE"
  [[ $RC -eq 0 && "$OUT" == *'"TableStatus": "ACTIVE"'* ]] && break
  sleep 0.1
done

run put-item --table-name "$STREAM_TABLE" --item '{"pk": {"S": "s#1"}, "v": {"N": "1.50"}, "tags": {"SS": ["a"]}}'
check "put-item into the table with a stream" "
assert d == {}, d
"

run_streams list-streams --table-name "$STREAM_TABLE"
check "list-streams lists the table's stream" "
assert [(s['StreamArn'], s['TableName']) for s in d['Streams']] == [('$STREAM_ARN', '$STREAM_TABLE')], d
"

run_streams describe-stream --stream-arn "$STREAM_ARN"
check "describe-stream shows an ENABLED NEW_IMAGE stream with one open shard" "
s = d['StreamDescription']
assert s['StreamArn'] == '$STREAM_ARN', s
assert s['StreamStatus'] == 'ENABLED', s
assert s['StreamViewType'] == 'NEW_IMAGE', s
assert s['TableName'] == '$STREAM_TABLE', s
assert s['KeySchema'] == [{'AttributeName': 'pk', 'KeyType': 'HASH'}], s
assert len(s['Shards']) == 1, s
assert 'EndingSequenceNumber' not in s['Shards'][0]['SequenceNumberRange'], s
"
SHARD_ID="$(value "d['StreamDescription']['Shards'][0]['ShardId']")"

run_streams get-shard-iterator --stream-arn "$STREAM_ARN" --shard-id "$SHARD_ID" \
  --shard-iterator-type TRIM_HORIZON
check "get-shard-iterator TRIM_HORIZON returns an iterator" "
assert d['ShardIterator'], d
"
SHARD_ITERATOR="$(value "d['ShardIterator']")"

run_streams get-records --shard-iterator "$SHARD_ITERATOR"
check "get-records returns the INSERT with the new image" "
r = d['Records']
assert len(r) == 1, r
assert r[0]['eventName'] == 'INSERT', r
assert r[0]['eventSource'] == 'aws:dynamodb', r
c = r[0]['dynamodb']
assert c['Keys'] == {'pk': {'S': 's#1'}}, c
assert c['NewImage'] == {'pk': {'S': 's#1'}, 'v': {'N': '1.5'}, 'tags': {'SS': ['a']}}, c
assert 'OldImage' not in c, c
assert c['StreamViewType'] == 'NEW_IMAGE', c
assert d['NextShardIterator'], d
"
SHARD_ITERATOR="$(value "d['NextShardIterator']")"

run_streams get-records --shard-iterator "$SHARD_ITERATOR"
check "get-records from the next iterator returns no more records" "
assert d['Records'] == [], d
"

run_streams describe-stream --stream-arn "$STREAM_TABLE_ARN/stream/2000-01-01T00:00:00.000"
check_error "describe-stream of an unknown stream gives ResourceNotFoundException" ResourceNotFoundException

run delete-table --table-name "$STREAM_TABLE"
check "delete-table of the table with a stream" "
assert d['TableDescription']['TableName'] == '$STREAM_TABLE', d
"

# --- backups ----------------------------------------------------------------------------------
run create-backup --table-name "$TABLE" --backup-name cli-backup
check "create-backup returns the backup's details" "
assert d['BackupDetails']['BackupName'] == 'cli-backup', d
assert d['BackupDetails']['BackupArn'].startswith('arn:aws:dynamodb:'), d
"
BACKUP_ARN="$(value "d['BackupDetails']['BackupArn']")"

run describe-backup --backup-arn "$BACKUP_ARN"
check "describe-backup shows an AVAILABLE backup of the table" "
b = d['BackupDescription']
assert b['BackupDetails']['BackupStatus'] == 'AVAILABLE', d
assert b['SourceTableDetails']['TableName'] == '$TABLE', d
"

run restore-table-from-backup --target-table-name "$RESTORED_TABLE" --backup-arn "$BACKUP_ARN"
check "restore-table-from-backup creates the table" "
assert d['TableDescription']['TableName'] == '$RESTORED_TABLE', d
assert d['TableDescription']['RestoreSummary']['SourceBackupArn'] == '$BACKUP_ARN', d
"
run scan --table-name "$RESTORED_TABLE" --consistent-read
SOURCE_SCAN="$(ddb scan --table-name "$TABLE" --consistent-read 2>/dev/null)"
check "the restored table holds the backed-up items" "
source = json.loads('''$SOURCE_SCAN''')
assert source['Items'], source
assert sorted(map(json.dumps, d['Items'])) == sorted(map(json.dumps, source['Items'])), (d, source)
"
run delete-table --table-name "$RESTORED_TABLE"

run delete-backup --backup-arn "$BACKUP_ARN"
check "delete-backup marks the backup DELETED" "
assert d['BackupDescription']['BackupDetails']['BackupStatus'] == 'DELETED', d
"
run describe-backup --backup-arn "$BACKUP_ARN"
check_error "describe-backup of a deleted backup gives BackupNotFoundException" BackupNotFoundException

# --- export and import (DYNALITH_S3_DIR: the server's --s3-dir, as scripts/test.sh starts it) ---
if [[ -n "${DYNALITH_S3_DIR:-}" ]]; then
  run update-continuous-backups --table-name "$TABLE" \
    --point-in-time-recovery-specification PointInTimeRecoveryEnabled=true
  TABLE_ARN="$(ddb describe-table --table-name "$TABLE" --query Table.TableArn --output text)"
  run export-table-to-point-in-time --table-arn "$TABLE_ARN" --s3-bucket cli-exports \
    --s3-prefix smoke --export-format DYNAMODB_JSON
  check "export-table-to-point-in-time starts an export" "
assert d['ExportDescription']['ExportStatus'] == 'IN_PROGRESS', d
assert d['ExportDescription']['TableArn'] == '$TABLE_ARN', d
"
  EXPORT_ARN="$(value "d['ExportDescription']['ExportArn']")"
  for _ in $(seq 1 100); do
    run describe-export --export-arn "$EXPORT_ARN"
    [[ "$(value "d['ExportDescription']['ExportStatus']")" != IN_PROGRESS ]] && break
    sleep 0.1
  done
  check "describe-export shows the export COMPLETED with its items and manifest" "
e = d['ExportDescription']
assert e['ExportStatus'] == 'COMPLETED', e
assert e['ItemCount'] >= 1, e
assert e['ExportManifest'].startswith('smoke/AWSDynamoDB/'), e
import os
assert os.path.isfile(os.path.join('$DYNALITH_S3_DIR', 'cli-exports', e['ExportManifest'])), e
"
  EXPORT_ID="${EXPORT_ARN##*/}"
  run import-table --s3-bucket-source "S3Bucket=cli-exports,S3KeyPrefix=smoke/AWSDynamoDB/$EXPORT_ID/data/" \
    --input-format DYNAMODB_JSON --input-compression-type GZIP \
    --table-creation-parameters "{\"TableName\": \"$IMPORTED_TABLE\", \"BillingMode\": \"PAY_PER_REQUEST\",
      \"AttributeDefinitions\": [{\"AttributeName\": \"pk\", \"AttributeType\": \"S\"},
                               {\"AttributeName\": \"sk\", \"AttributeType\": \"N\"}],
      \"KeySchema\": [{\"AttributeName\": \"pk\", \"KeyType\": \"HASH\"},
                     {\"AttributeName\": \"sk\", \"KeyType\": \"RANGE\"}]}"
  check "import-table starts an import into a new table" "
assert d['ImportTableDescription']['ImportStatus'] == 'IN_PROGRESS', d
"
  IMPORT_ARN="$(value "d['ImportTableDescription']['ImportArn']")"
  for _ in $(seq 1 100); do
    run describe-import --import-arn "$IMPORT_ARN"
    [[ "$(value "d['ImportTableDescription']['ImportStatus']")" != IN_PROGRESS ]] && break
    sleep 0.1
  done
  check "describe-import shows the import COMPLETED without errors" "
i = d['ImportTableDescription']
assert i['ImportStatus'] == 'COMPLETED', i
assert i['ErrorCount'] == 0 and i['ImportedItemCount'] >= 1, i
"
  run scan --table-name "$IMPORTED_TABLE" --consistent-read
  SOURCE_SCAN="$(ddb scan --table-name "$TABLE" --consistent-read 2>/dev/null)"
  check "the imported table holds the exported items" "
source = json.loads('''$SOURCE_SCAN''')
assert sorted(map(json.dumps, d['Items'])) == sorted(map(json.dumps, source['Items'])), (d, source)
"
  run describe-export --export-arn "$TABLE_ARN/export/01234567890123-abcdef01"
  check_error "describe-export of an unknown export gives ExportNotFoundException" ExportNotFoundException
fi

# --- application-autoscaling: a provisioned table's read capacity ------------------------------
run create-table --table-name "$SCALED_TABLE" \
  --attribute-definitions AttributeName=pk,AttributeType=S \
  --key-schema AttributeName=pk,KeyType=HASH \
  --provisioned-throughput ReadCapacityUnits=2,WriteCapacityUnits=2
check "create-table of a provisioned table" "assert d['TableDescription']['TableName'] == '$SCALED_TABLE'"
for _ in $(seq 1 100); do
  [[ "$(ddb describe-table --table-name "$SCALED_TABLE" 2>/dev/null)" == *'"TableStatus": "ACTIVE"'* ]] && break
  sleep 0.1
done
run_scaling register-scalable-target --service-namespace dynamodb \
  --resource-id "table/$SCALED_TABLE" --scalable-dimension dynamodb:table:ReadCapacityUnits \
  --min-capacity 5 --max-capacity 50
check "register-scalable-target returns the target's ARN" "
assert ':application-autoscaling:us-east-1:' in d['ScalableTargetARN'], d
"
run describe-table --table-name "$SCALED_TABLE"
check "registering moves the read capacity up to the minimum" "
assert d['Table']['ProvisionedThroughput']['ReadCapacityUnits'] == 5, d['Table']['ProvisionedThroughput']
"
run_scaling put-scaling-policy --service-namespace dynamodb --policy-name reads \
  --resource-id "table/$SCALED_TABLE" --scalable-dimension dynamodb:table:ReadCapacityUnits \
  --policy-type TargetTrackingScaling \
  --target-tracking-scaling-policy-configuration \
  '{"TargetValue": 60.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBReadCapacityUtilization"}}'
check "put-scaling-policy returns the policy's ARN and four alarms" "
assert d['PolicyARN'].endswith(':resource/dynamodb/table/$SCALED_TABLE:policyName/reads'), d
assert len(d['Alarms']) == 4, d
"
run_scaling describe-scalable-targets --service-namespace dynamodb --resource-ids "table/$SCALED_TABLE"
check "describe-scalable-targets lists the target" "
[t] = d['ScalableTargets']
assert (t['MinCapacity'], t['MaxCapacity'], t['ScalableDimension']) == (5, 50, 'dynamodb:table:ReadCapacityUnits'), t
"
run_scaling describe-scaling-policies --service-namespace dynamodb --resource-id "table/$SCALED_TABLE"
check "describe-scaling-policies lists the policy" "
[p] = d['ScalingPolicies']
assert p['TargetTrackingScalingPolicyConfiguration']['TargetValue'] == 60.0, p
"
run_scaling deregister-scalable-target --service-namespace dynamodb \
  --resource-id "table/$SCALED_TABLE" --scalable-dimension dynamodb:table:ReadCapacityUnits
check "deregister-scalable-target" "assert d == {}, d"
run_scaling deregister-scalable-target --service-namespace dynamodb \
  --resource-id "table/$SCALED_TABLE" --scalable-dimension dynamodb:table:ReadCapacityUnits
check_error "deregistering it again gives ObjectNotFoundException" ObjectNotFoundException
run delete-table --table-name "$SCALED_TABLE"
check "delete-table of the provisioned table" "assert d['TableDescription']['TableName'] == '$SCALED_TABLE'"

# --- delete-table -----------------------------------------------------------------------------
run delete-table --table-name "$TABLE"
check "delete-table returns the table description" "
assert d['TableDescription']['TableName'] == '$TABLE', d
"

GONE=0
for _ in $(seq 1 100); do
  run describe-table --table-name "$TABLE"
  if [[ $RC -ne 0 ]]; then GONE=1; break; fi
  sleep 0.1
done
check_error "describe-table after delete-table gives ResourceNotFoundException" ResourceNotFoundException

run list-tables
check "list-tables no longer includes the table" "
assert '$TABLE' not in d['TableNames'], d
"

echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
