"""dynalith client tests with boto3 (pytest).

    pip install -r tests/py/requirements.txt
    DYNALITH_ENDPOINT=http://127.0.0.1:8000 python3 -m pytest -q tests/py

Every response the client receives is checked by a botocore event hook: a 2xx response must
carry an `x-amz-crc32` header equal to the CRC32 of its body (an error response may omit it, as
DynamoDB Local does, but if present it must match), and every response must carry
`x-amzn-RequestId`. boto3 itself verifies the CRC32 (legacy retry mode) and fails with
ChecksumError on a mismatch.
"""

import binascii
import json
import os
import subprocess
import time
import uuid
from decimal import Decimal

import boto3
import pytest
from boto3.dynamodb.types import Binary
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"


def _endpoint():
    ep = os.environ.get("DYNALITH_ENDPOINT")
    if not ep:
        pytest.fail("DYNALITH_ENDPOINT is not set (e.g. DYNALITH_ENDPOINT=http://127.0.0.1:8000)")
    return ep


def _session_kwargs():
    return dict(
        endpoint_url=_endpoint(),
        region_name=REGION,
        aws_access_key_id="dummy",
        aws_secret_access_key="dummy",
        # legacy mode is the one in which botocore checks x-amz-crc32 for DynamoDB
        config=Config(retries={"mode": "legacy", "total_max_attempts": 2}),
    )


class ResponseChecker:
    """Collects every HTTP response seen by a client and checks its headers."""

    def __init__(self):
        self.responses = []
        self.problems = []

    def __call__(self, http_response, model, **kwargs):
        body = http_response.content
        headers = {k.lower(): v for k, v in http_response.headers.items()}
        status = http_response.status_code
        self.responses.append((model.name, status, headers))
        crc = headers.get("x-amz-crc32")
        if crc is None:
            if 200 <= status < 300:
                self.problems.append(f"{model.name} {status}: no x-amz-crc32 header")
        elif not crc.isdigit() or int(crc) != (binascii.crc32(body) & 0xFFFFFFFF):
            self.problems.append(
                f"{model.name} {status}: x-amz-crc32 {crc!r} != crc32(body) "
                f"{binascii.crc32(body) & 0xFFFFFFFF}"
            )
        if not headers.get("x-amzn-requestid"):
            self.problems.append(f"{model.name} {status}: no x-amzn-RequestId header")


@pytest.fixture
def checker():
    c = ResponseChecker()
    yield c
    assert not c.problems, "response header problems:\n" + "\n".join(c.problems)


@pytest.fixture
def client(checker):
    c = boto3.client("dynamodb", **_session_kwargs())
    c.meta.events.register("after-call.dynamodb.*", checker)
    return c


@pytest.fixture
def resource(checker):
    r = boto3.resource("dynamodb", **_session_kwargs())
    r.meta.client.meta.events.register("after-call.dynamodb.*", checker)
    return r


def unique_name(what):
    return f"dynalith_py_{what}_{uuid.uuid4().hex[:8]}"


def wait_active(client, name):
    for _ in range(300):
        t = client.describe_table(TableName=name)["Table"]
        if t["TableStatus"] == "ACTIVE":
            return t
        time.sleep(0.1)
    raise AssertionError(f"table {name} did not become ACTIVE")


def wait_gone(client, name):
    for _ in range(300):
        try:
            client.describe_table(TableName=name)
        except client.exceptions.ResourceNotFoundException:
            return
        time.sleep(0.1)
    raise AssertionError(f"table {name} was not deleted")


def create_table(client, name, sort_key=None):
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    if sort_key:
        attrs.append({"AttributeName": sort_key[0], "AttributeType": sort_key[1]})
        keys.append({"AttributeName": sort_key[0], "KeyType": "RANGE"})
    out = client.create_table(
        TableName=name,
        AttributeDefinitions=attrs,
        KeySchema=keys,
        BillingMode="PAY_PER_REQUEST",
    )
    wait_active(client, name)
    return out


def drop_table(client, name):
    try:
        client.delete_table(TableName=name)
    except client.exceptions.ResourceNotFoundException:
        return
    wait_gone(client, name)


@pytest.fixture
def table(client):
    """A fresh table: pk (S) hash key, sk (N) range key."""
    name = unique_name("items")
    create_table(client, name, sort_key=("sk", "N"))
    yield name
    drop_table(client, name)


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def http_status(excinfo):
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


# ---------------------------------------------------------------------------------------------
# Tables


def test_table_lifecycle(client):
    name = unique_name("lifecycle")
    try:
        out = client.create_table(
            TableName=name,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        desc = out["TableDescription"]
        assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert desc["TableName"] == name
        assert desc["TableStatus"] in ("CREATING", "ACTIVE")
        assert desc["KeySchema"] == [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ]
        assert sorted(desc["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == [
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ]
        assert desc["TableArn"].startswith("arn:aws:dynamodb:")
        assert desc["TableArn"].endswith(f":table/{name}")

        t = wait_active(client, name)
        assert t["TableName"] == name
        assert t["TableStatus"] == "ACTIVE"
        assert t["KeySchema"] == desc["KeySchema"]
        assert t["ItemCount"] == 0
        assert t["TableSizeBytes"] == 0
        assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert t["CreationDateTime"].year >= 2020

        names = client.list_tables()["TableNames"]
        assert name in names
        assert names == sorted(names)

        # Pagination: Limit=1 starting right before our table returns exactly it.
        before = [n for n in names if n < name]
        kwargs = {"Limit": 1}
        if before:
            kwargs["ExclusiveStartTableName"] = before[-1]
        page = client.list_tables(**kwargs)
        assert page["TableNames"] == [name]

        out = client.delete_table(TableName=name)
        assert out["TableDescription"]["TableName"] == name
        wait_gone(client, name)
        assert name not in client.list_tables()["TableNames"]
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.describe_table(TableName=name)
    finally:
        drop_table(client, name)


def test_global_table_replica_through_boto3(client, checker):
    """A replica added with UpdateTable's ReplicaUpdates, as boto3 sends it: the table's
    waiter and a client in the replica's Region, which reads what the table's own Region
    wrote, and DeleteTable there, which removes that replica only."""
    name = unique_name("global")
    create_table(client, name)
    replica_kwargs = {**_session_kwargs(), "region_name": "eu-west-1"}
    replica = boto3.client("dynamodb", **replica_kwargs)
    replica.meta.events.register("after-call.dynamodb.*", checker)
    try:
        out = client.update_table(
            TableName=name, ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}]
        )
        assert out["TableDescription"]["GlobalTableVersion"] == "2019.11.21"
        client.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 10}
        )
        here = client.describe_table(TableName=name)["Table"]
        assert [(r["RegionName"], r["ReplicaStatus"]) for r in here["Replicas"]] == [
            ("eu-west-1", "ACTIVE")
        ]
        there = replica.describe_table(TableName=name)["Table"]
        assert [r["RegionName"] for r in there["Replicas"]] == [REGION]
        assert there["TableArn"] == f"arn:aws:dynamodb:eu-west-1:000000000000:table/{name}"

        client.put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
        got = replica.get_item(TableName=name, Key={"pk": {"S": "a"}}, ConsistentRead=True)
        assert got["Item"]["v"] == {"N": "1"}

        replica.delete_table(TableName=name)
        with pytest.raises(ClientError) as excinfo:
            replica.describe_table(TableName=name)
        assert error_code(excinfo) == "ResourceNotFoundException"
        left = client.describe_table(TableName=name)["Table"]
        assert "Replicas" not in left and "GlobalTableVersion" not in left
    finally:
        drop_table(client, name)


def test_describe_endpoints_points_back_at_the_server(client):
    endpoints = client.describe_endpoints()["Endpoints"]
    assert endpoints == [{"Address": _endpoint().removeprefix("http://"), "CachePeriodInMinutes": 1440}]


def test_resource_policy_revisions(client, table):
    arn = client.describe_table(TableName=table)["Table"]["TableArn"]
    doc = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "000000000000"}, "Action": ["dynamodb:GetItem"],
         "Resource": "*"}]})
    revision = client.put_resource_policy(ResourceArn=arn, Policy=doc, ExpectedRevisionId="NO_POLICY")[
        "RevisionId"]
    assert client.get_resource_policy(ResourceArn=arn) | {"ResponseMetadata": None} == {
        "Policy": doc, "RevisionId": revision, "ResponseMetadata": None}
    with pytest.raises(client.exceptions.PolicyNotFoundException):
        client.delete_resource_policy(ResourceArn=arn, ExpectedRevisionId="0")
    client.delete_resource_policy(ResourceArn=arn, ExpectedRevisionId=revision)
    with pytest.raises(client.exceptions.PolicyNotFoundException):
        client.get_resource_policy(ResourceArn=arn)


def test_encryption_and_contributor_insights_settings(client, table):
    client.update_table(TableName=table, SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": "alias/py"})
    sse = client.describe_table(TableName=table)["Table"]["SSEDescription"]
    assert sse == {"Status": "ENABLED", "SSEType": "KMS",
                   "KMSMasterKeyArn": f"arn:aws:kms:{REGION}:000000000000:alias/py"}
    client.update_table(TableName=table, SSESpecification={"Enabled": False})
    assert "SSEDescription" not in client.describe_table(TableName=table)["Table"]

    assert client.describe_contributor_insights(TableName=table)["ContributorInsightsStatus"] == "DISABLED"
    out = client.update_contributor_insights(TableName=table, ContributorInsightsAction="ENABLE")
    assert out["ContributorInsightsStatus"] == "ENABLING"
    described = client.describe_contributor_insights(TableName=table)
    assert described["ContributorInsightsStatus"] == "ENABLED"
    assert len(described["ContributorInsightsRuleList"]) == 4  # pk and sk, accessed and throttled
    listed = client.list_contributor_insights(TableName=table)["ContributorInsightsSummaries"]
    assert [s["TableName"] for s in listed] == [table]


def test_kinesis_destination_without_an_endpoint_fails_to_enable_and_says_why(client, table):
    # The shared server has no --kinesis-endpoint (tests/js/kinesis-destinations.test.mjs
    # delivers to a Kinesis emulator).
    arn = f"arn:aws:kinesis:{REGION}:000000000000:stream/py-orders"
    assert client.describe_kinesis_streaming_destination(TableName=table)["KinesisDataStreamDestinations"] == []
    out = client.enable_kinesis_streaming_destination(
        TableName=table, StreamArn=arn,
        EnableKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "MILLISECOND"})
    assert (out["TableName"], out["StreamArn"], out["DestinationStatus"]) == (table, arn, "ENABLING")
    for _ in range(100):
        [destination] = client.describe_kinesis_streaming_destination(
            TableName=table)["KinesisDataStreamDestinations"]
        if destination["DestinationStatus"] != "ENABLING":
            break
        time.sleep(0.1)
    assert destination["DestinationStatus"] == "ENABLE_FAILED"
    assert "--kinesis-endpoint" in destination["DestinationStatusDescription"]
    assert destination["ApproximateCreationDateTimePrecision"] == "MILLISECOND"
    with pytest.raises(ClientError) as not_active:
        client.disable_kinesis_streaming_destination(TableName=table, StreamArn=arn)
    assert error_code(not_active) == "ValidationException"
    assert "must be ACTIVE to perform DISABLE operation" in not_active.value.response["Error"]["Message"]


def test_warm_throughput_reads_back_through_the_table_resource(client, resource, table):
    # boto3's Table resource exposes DescribeTable's WarmThroughput as an attribute.
    assert resource.Table(table).warm_throughput == {
        "ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"}
    out = client.update_table(TableName=table, WarmThroughput={"WriteUnitsPerSecond": 4500})
    assert out["TableDescription"]["WarmThroughput"]["Status"] == "UPDATING"
    assert resource.Table(table).warm_throughput == {
        "ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4500, "Status": "ACTIVE"}
    with pytest.raises(ClientError) as excinfo:
        client.update_table(TableName=table, WarmThroughput={"WriteUnitsPerSecond": 4000})
    assert error_code(excinfo) == "ValidationException"
    assert excinfo.value.response["Error"]["Message"] == (
        "One or more parameter values were invalid: Requested WriteUnitsPerSecond for WarmThroughput"
        " for table is lower than current WarmThroughput, decreasing WarmThroughput is not supported"
    )


def test_create_existing_table_is_resource_in_use(client, table):
    with pytest.raises(client.exceptions.ResourceInUseException) as ei:
        create_table(client, table, sort_key=("sk", "N"))
    assert error_code(ei) == "ResourceInUseException"
    assert http_status(ei) == 400


# ---------------------------------------------------------------------------------------------
# Items, low-level client

ALL_TYPES_ITEM = {
    "pk": {"S": "all-types"},
    "sk": {"N": "1"},
    "s": {"S": "héllo wörld ✓"},
    "n": {"N": "-12.345"},
    "big": {"N": "12345678901234567890123456789012345678"},
    "b": {"B": b"\x00\x01\x02\xff binary"},
    "t": {"BOOL": True},
    "f": {"BOOL": False},
    "nul": {"NULL": True},
    "m": {
        "M": {
            "child": {"S": "x"},
            "num": {"N": "7"},
            "deeper": {"M": {"l": {"L": [{"N": "1"}, {"S": "two"}]}}},
            "empty": {"M": {}},
        }
    },
    "l": {
        "L": [
            {"S": "a"},
            {"N": "2"},
            {"B": b"\x03"},
            {"BOOL": False},
            {"NULL": True},
            {"L": []},
            {"M": {"k": {"S": "v"}}},
            {"SS": ["p", "q"]},
        ]
    },
    "ss": {"SS": ["red", "green", "blue"]},
    "ns": {"NS": ["1", "2.5", "-3"]},
    "bs": {"BS": [b"\x01", b"\x02\x03", b"\xfe"]},
    "empty_s": {"S": ""},
}

SET_TYPES = ("SS", "NS", "BS")


def normalize(value):
    """Make attribute values comparable: sets become frozensets (order is not significant)."""
    (t, v), = value.items()
    if t in SET_TYPES:
        if t == "NS":
            return {t: frozenset(Decimal(x) for x in v)}
        return {t: frozenset(v)}
    if t == "M":
        return {t: {k: normalize(x) for k, x in v.items()}}
    if t == "L":
        return {t: [normalize(x) for x in v]}
    return {t: v}


def normalize_item(item):
    return {k: normalize(v) for k, v in item.items()}


def test_put_get_delete_all_attribute_types(client, table):
    key = {"pk": ALL_TYPES_ITEM["pk"], "sk": ALL_TYPES_ITEM["sk"]}
    out = client.put_item(TableName=table, Item=ALL_TYPES_ITEM)
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "Attributes" not in out

    for consistent in (False, True):
        got = client.get_item(TableName=table, Key=key, ConsistentRead=consistent)
        assert "Item" in got
        assert normalize_item(got["Item"]) == normalize_item(ALL_TYPES_ITEM)
        # Types survive exactly (no S<->N or B<->S confusion).
        assert {k: next(iter(v)) for k, v in got["Item"].items()} == {
            k: next(iter(v)) for k, v in ALL_TYPES_ITEM.items()
        }

    # Partial read with a ProjectionExpression (top-level, map member, list element).
    got = client.get_item(
        TableName=table, Key=key, ProjectionExpression="#s, m.child, l[1]",
        ExpressionAttributeNames={"#s": "s"},
    )
    assert got["Item"] == {
        "s": ALL_TYPES_ITEM["s"],
        "m": {"M": {"child": {"S": "x"}}},
        "l": {"L": [{"N": "2"}]},
    }

    out = client.delete_item(TableName=table, Key=key, ReturnValues="ALL_OLD")
    assert normalize_item(out["Attributes"]) == normalize_item(ALL_TYPES_ITEM)
    got = client.get_item(TableName=table, Key=key, ConsistentRead=True)
    assert "Item" not in got

    # Deleting a missing item succeeds and returns nothing.
    out = client.delete_item(TableName=table, Key=key, ReturnValues="ALL_OLD")
    assert "Attributes" not in out


def test_put_replaces_whole_item_and_returns_old(client, table):
    key = {"pk": {"S": "replace"}, "sk": {"N": "1"}}
    client.put_item(TableName=table, Item={**key, "a": {"S": "1"}, "b": {"S": "2"}})
    out = client.put_item(TableName=table, Item={**key, "c": {"S": "3"}}, ReturnValues="ALL_OLD")
    assert out["Attributes"] == {**key, "a": {"S": "1"}, "b": {"S": "2"}}
    got = client.get_item(TableName=table, Key=key, ConsistentRead=True)
    assert got["Item"] == {**key, "c": {"S": "3"}}


def test_get_missing_item_has_no_item(client, table):
    got = client.get_item(TableName=table, Key={"pk": {"S": "nobody"}, "sk": {"N": "0"}})
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert "Item" not in got


@pytest.mark.parametrize(
    "given, expected",
    [
        ("1.50", "1.5"),
        ("0100", "100"),
        ("-0", "0"),
        ("0.000", "0"),
        ("1E2", "100"),
        ("1.0e-3", "0.001"),
        ("-1.2300E+5", "-123000"),
        ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
    ],
)
def test_number_normalization_low_level(client, table, given, expected):
    key = {"pk": {"S": "num"}, "sk": {"N": "1"}}
    client.put_item(TableName=table, Item={**key, "v": {"N": given}, "ns": {"NS": [given, "7"]}})
    got = client.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    assert got["v"] == {"N": expected}
    assert sorted(got["ns"]["NS"]) == sorted([expected, "7"])
    # The key attribute is normalized too: "1.0" addresses the item stored under "1".
    got = client.get_item(TableName=table, Key={"pk": {"S": "num"}, "sk": {"N": "1.0"}})
    assert got["Item"]["sk"] == {"N": "1"}


# ---------------------------------------------------------------------------------------------
# Items, resource / Table API


def test_resource_table_roundtrip_and_number_normalization(resource, client, table):
    t = resource.Table(table)
    assert t.table_status == "ACTIVE"
    assert t.key_schema == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    item = {
        "pk": "resource",
        "sk": Decimal("2"),
        "price": Decimal("1.50"),
        "count": 3,
        "name": "widget",
        "blob": Binary(b"\x00\xffdata"),
        "ok": True,
        "none": None,
        "tags": {"a", "b"},
        "scores": {Decimal("1.10"), Decimal("2")},
        "blobs": {Binary(b"\x01"), Binary(b"\x02")},
        "nested": {"list": [1, "two", {"three": Decimal("3.000")}], "map": {}},
    }
    t.put_item(Item=item)
    got = t.get_item(Key={"pk": "resource", "sk": 2}, ConsistentRead=True)["Item"]

    assert got["price"] == Decimal("1.5")
    assert str(got["price"]) == "1.5"  # normalized, not "1.50"
    assert got["count"] == Decimal("3") and str(got["count"]) == "3"
    assert got["sk"] == Decimal("2")
    assert got["name"] == "widget"
    assert got["blob"] == Binary(b"\x00\xffdata")
    assert got["ok"] is True
    assert got["none"] is None
    assert got["tags"] == {"a", "b"}
    assert got["scores"] == {Decimal("1.1"), Decimal("2")}
    assert {str(x) for x in got["scores"]} == {"1.1", "2"}
    assert got["blobs"] == {Binary(b"\x01"), Binary(b"\x02")}
    assert got["nested"] == {"list": [Decimal("1"), "two", {"three": Decimal("3")}], "map": {}}
    # (Numbers nested in M/L compare equal; DynamoDB Local keeps their text as sent, so the
    # exact text of nested numbers is not asserted.)

    t.delete_item(Key={"pk": "resource", "sk": 2})
    assert "Item" not in t.get_item(Key={"pk": "resource", "sk": 2}, ConsistentRead=True)


# ---------------------------------------------------------------------------------------------
# Errors


def test_missing_table_is_resource_not_found(client):
    name = unique_name("missing")
    with pytest.raises(client.exceptions.ResourceNotFoundException) as ei:
        client.get_item(TableName=name, Key={"pk": {"S": "x"}})
    assert error_code(ei) == "ResourceNotFoundException"
    assert http_status(ei) == 400
    assert ei.value.response["Error"]["Message"]

    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.put_item(TableName=name, Item={"pk": {"S": "x"}})
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_table(TableName=name)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.delete_table(TableName=name)


def test_missing_key_attribute_is_validation_error(client, table):
    # PutItem without the sort key.
    with pytest.raises(ClientError) as ei:
        client.put_item(TableName=table, Item={"pk": {"S": "x"}, "v": {"S": "y"}})
    assert error_code(ei) == "ValidationException"
    assert http_status(ei) == 400

    # GetItem with only the hash key.
    with pytest.raises(ClientError) as ei:
        client.get_item(TableName=table, Key={"pk": {"S": "x"}})
    assert error_code(ei) == "ValidationException"
    assert http_status(ei) == 400

    # DeleteItem with only the hash key.
    with pytest.raises(ClientError) as ei:
        client.delete_item(TableName=table, Key={"pk": {"S": "x"}})
    assert error_code(ei) == "ValidationException"

    # Key attribute of the wrong type.
    with pytest.raises(ClientError) as ei:
        client.put_item(TableName=table, Item={"pk": {"S": "x"}, "sk": {"S": "not-a-number"}})
    assert error_code(ei) == "ValidationException"


# ---------------------------------------------------------------------------------------------
# ConsumedCapacity


def test_consumed_capacity_total(client, table):
    key = {"pk": {"S": "cap"}, "sk": {"N": "1"}}
    item = {**key, "payload": {"S": "x" * 100}}

    out = client.put_item(TableName=table, Item=item, ReturnConsumedCapacity="TOTAL")
    cc = out["ConsumedCapacity"]
    assert cc["TableName"] == table
    assert cc["CapacityUnits"] == 1.0

    out = client.get_item(TableName=table, Key=key, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"]["TableName"] == table
    assert out["ConsumedCapacity"]["CapacityUnits"] == 0.5  # eventually consistent, < 4 KB

    out = client.get_item(TableName=table, Key=key, ConsistentRead=True,
                          ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"]["CapacityUnits"] == 1.0  # strongly consistent, < 4 KB

    out = client.delete_item(TableName=table, Key=key, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"]["TableName"] == table
    assert out["ConsumedCapacity"]["CapacityUnits"] == 1.0

    # Without ReturnConsumedCapacity there is none.
    out = client.put_item(TableName=table, Item=item)
    assert "ConsumedCapacity" not in out
    out = client.get_item(TableName=table, Key=key, ReturnConsumedCapacity="NONE")
    assert "ConsumedCapacity" not in out


# ---------------------------------------------------------------------------------------------
# A table's ARN in place of its name


def test_table_arn_reads_and_writes_like_the_name(client, resource, table):
    arn = client.describe_table(TableName=table)["Table"]["TableArn"]
    assert client.describe_table(TableName=arn)["Table"]["TableName"] == table

    key = {"pk": {"S": "arn"}, "sk": {"N": "1"}}
    client.put_item(TableName=arn, Item={**key, "v": {"S": "low-level"}})
    out = client.get_item(TableName=table, Key=key)
    assert out["Item"]["v"] == {"S": "low-level"}
    out = client.get_item(TableName=arn, Key=key, ReturnConsumedCapacity="TOTAL")
    assert out["Item"]["v"] == {"S": "low-level"}
    assert out["ConsumedCapacity"]["TableName"] == arn

    # The resource layer sends the ARN as TableName; batch answers are keyed by it.
    by_arn = resource.Table(arn)
    by_arn.put_item(Item={"pk": "arn", "sk": 2, "v": "resource"})
    assert by_arn.get_item(Key={"pk": "arn", "sk": 2})["Item"]["v"] == "resource"
    out = resource.batch_get_item(
        RequestItems={arn: {"Keys": [{"pk": "arn", "sk": 1}, {"pk": "arn", "sk": 2}]}}
    )
    assert list(out["Responses"]) == [arn]
    assert len(out["Responses"][arn]) == 2

    other_region = arn.replace(f":{REGION}:", ":eu-west-1:")
    with pytest.raises(ClientError) as ei:
        client.describe_table(TableName=other_region)
    assert error_code(ei) == "ValidationException"
    assert ei.value.response["Error"]["Message"] == (
        f"1 validation error detected: Invalid AWS region in '{other_region}'"
    )


# ---------------------------------------------------------------------------------------------
# Response checksum


def test_crc32_header_present_and_valid(client, checker, table):
    client.put_item(TableName=table, Item={"pk": {"S": "crc"}, "sk": {"N": "1"},
                                           "v": {"S": "ünïcödé ✓ " * 50}})
    client.get_item(TableName=table, Key={"pk": {"S": "crc"}, "sk": {"N": "1"}})
    client.list_tables()
    ok = [r for r in checker.responses if 200 <= r[1] < 300]
    assert len(ok) >= 3
    for name, status, headers in ok:
        assert "x-amz-crc32" in headers, f"{name}: no x-amz-crc32"
    # The header values were checked against the bodies by the checker fixture at teardown.


# ---------------------------------------------------------------------------------------------
# Query and Scan paginators


def test_query_and_scan_paginators_read_back_everything(client, resource, table):
    tbl = resource.Table(table)
    with tbl.batch_writer() as batch:
        for pk in ("a", "b"):
            for i in range(45):
                batch.put_item(Item={"pk": pk, "sk": Decimal(i) - 10, "odd": i % 2 == 1,
                                     "blob": "x" * (i * 20)})

    pages = list(client.get_paginator("query").paginate(
        TableName=table,
        KeyConditionExpression="pk = :p AND sk >= :lo",
        ExpressionAttributeValues={":p": {"S": "a"}, ":lo": {"N": "-5"}},
        ScanIndexForward=False,
        PaginationConfig={"PageSize": 7},
    ))
    keys = [int(item["sk"]["N"]) for page in pages for item in page["Items"]]
    assert keys == list(range(34, -6, -1))
    assert sum(page["ScannedCount"] for page in pages) == 40
    # 40 items in pages of 7: 6 pages, the last one short, so no extra page.
    assert len(pages) == 6

    pages = list(client.get_paginator("query").paginate(
        TableName=table,
        KeyConditionExpression="pk = :p",
        FilterExpression="#o = :t",
        ProjectionExpression="sk",
        ExpressionAttributeNames={"#o": "odd"},
        ExpressionAttributeValues={":p": {"S": "b"}, ":t": {"BOOL": True}},
        PaginationConfig={"PageSize": 10},
    ))
    items = [item for page in pages for item in page["Items"]]
    assert items == [{"sk": {"N": str(i - 10)}} for i in range(45) if i % 2 == 1]
    assert sum(page["Count"] for page in pages) == 22

    seen = []
    for segment in range(3):
        for page in client.get_paginator("scan").paginate(
            TableName=table, Segment=segment, TotalSegments=3,
            PaginationConfig={"PageSize": 11},
        ):
            seen.extend((item["pk"]["S"], item["sk"]["N"]) for item in page["Items"])
    assert len(seen) == len(set(seen)) == 90

    # The resource layer pages too.
    from boto3.dynamodb.conditions import Key
    got = tbl.query(KeyConditionExpression=Key("pk").eq("a") & Key("sk").between(0, 3))
    assert [item["sk"] for item in got["Items"]] == [0, 1, 2, 3]
    assert got["Count"] == 4


def test_query_for_an_empty_partition_key_is_refused(resource, table):
    # A blank search box: DynamoDB refuses the key, where a server that
    # answered no items would hide the bug until production (moto 7062).
    from boto3.dynamodb.conditions import Key
    tbl = resource.Table(table)
    with pytest.raises(ClientError) as excinfo:
        tbl.query(KeyConditionExpression=Key("pk").eq(""))
    assert error_code(excinfo) == "ValidationException"
    assert excinfo.value.response["Error"]["Message"] == (
        "One or more parameter values are not valid. The AttributeValue for a key "
        "attribute cannot contain an empty string value. Key: pk"
    )


# ---------------------------------------------------------------------------------------------
# Secondary indexes and transactions


def test_global_index_query_pages_through_index_keys(client, resource):
    name = unique_name("gsi")
    client.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "email", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "ByEmail",
            "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }],
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        wait_active(client, name)
        tbl = resource.Table(name)
        with tbl.batch_writer() as batch:
            for i in range(30):
                batch.put_item(Item={"pk": f"user{i}", "email": f"e{i % 3}@x", "age": i})
            batch.put_item(Item={"pk": "no-email"})
        pages = list(client.get_paginator("query").paginate(
            TableName=name,
            IndexName="ByEmail",
            KeyConditionExpression="email = :e",
            ExpressionAttributeValues={":e": {"S": "e1@x"}},
            PaginationConfig={"PageSize": 4},
        ))
        items = [item for page in pages for item in page["Items"]]
        assert sorted(item["pk"]["S"] for item in items) == sorted(f"user{i}" for i in range(1, 30, 3))
        assert all(set(item) == {"pk", "email"} for item in items)
        assert set(pages[0]["LastEvaluatedKey"]) == {"pk", "email"}
        with pytest.raises(ClientError) as excinfo:
            client.query(
                TableName=name, IndexName="ByEmail", ConsistentRead=True,
                KeyConditionExpression="email = :e",
                ExpressionAttributeValues={":e": {"S": "e1@x"}},
            )
        assert error_code(excinfo) == "ValidationException"
        described = client.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0]
        assert described["ItemCount"] == 30
        assert described["IndexStatus"] == "ACTIVE"
    finally:
        drop_table(client, name)


def test_transaction_cancellation_reasons_reach_boto3(client, table):
    client.put_item(TableName=table, Item={"pk": {"S": "acct"}, "sk": {"N": "1"}, "bal": {"N": "5"}})
    with pytest.raises(ClientError) as excinfo:
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "other"}, "sk": {"N": "1"}}}},
            {"Update": {
                "TableName": table,
                "Key": {"pk": {"S": "acct"}, "sk": {"N": "1"}},
                "UpdateExpression": "SET bal = bal - :v",
                "ConditionExpression": "bal >= :v",
                "ExpressionAttributeValues": {":v": {"N": "10"}},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }},
        ])
    assert error_code(excinfo) == "TransactionCanceledException"
    assert excinfo.value.response["Error"]["Message"].endswith("[None, ConditionalCheckFailed]")
    reasons = excinfo.value.response["CancellationReasons"]
    assert [r["Code"] for r in reasons] == ["None", "ConditionalCheckFailed"]
    assert reasons[1]["Item"]["bal"] == {"N": "5"}
    assert "Item" not in client.get_item(TableName=table, Key={"pk": {"S": "other"}, "sk": {"N": "1"}})

    client.transact_write_items(
        TransactItems=[{"Update": {
            "TableName": table,
            "Key": {"pk": {"S": "acct"}, "sk": {"N": "1"}},
            "UpdateExpression": "SET bal = bal - :v",
            "ConditionExpression": "bal >= :v",
            "ExpressionAttributeValues": {":v": {"N": "2"}},
        }}],
        ClientRequestToken="boto3-token-1",
    )
    got = client.transact_get_items(TransactItems=[
        {"Get": {"TableName": table, "Key": {"pk": {"S": "acct"}, "sk": {"N": "1"}}}},
    ])
    assert got["Responses"][0]["Item"]["bal"] == {"N": "3"}


# ---------------------------------------------------------------------------------------------
# PartiQL, tags and Time to Live through boto3 (every response is CRC-checked by the checker)


def test_partiql_statements_with_parameters_and_next_token(client, table):
    for i in range(7):
        client.execute_statement(
            Statement=f'INSERT INTO "{table}" VALUE {{\'pk\': ?, \'sk\': ?, \'n\': ?}}',
            Parameters=[{"S": "p"}, {"N": str(i)}, {"N": str(i * i)}],
        )
    seen, token = [], None
    while True:
        kwargs = {"NextToken": token} if token else {}
        page = client.execute_statement(
            Statement=f'SELECT sk, n FROM "{table}" WHERE pk = ? AND sk >= ?',
            Parameters=[{"S": "p"}, {"N": "2"}],
            Limit=2,
            **kwargs,
        )
        seen += [int(item["n"]["N"]) for item in page["Items"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == [4, 9, 16, 25, 36]

    with pytest.raises(ClientError) as excinfo:
        client.execute_statement(
            Statement=f'INSERT INTO "{table}" VALUE {{\'pk\': \'p\', \'sk\': 0}}'
        )
    assert error_code(excinfo) == "DuplicateItemException"

    client.execute_transaction(
        TransactStatements=[
            {"Statement": f'UPDATE "{table}" SET n = n + 1 WHERE pk = \'p\' AND sk = 0'},
            {"Statement": f'DELETE FROM "{table}" WHERE pk = \'p\' AND sk = 1'},
        ]
    )
    got = client.batch_execute_statement(
        Statements=[
            {"Statement": f'SELECT n FROM "{table}" WHERE pk = \'p\' AND sk = 0'},
            {"Statement": f'SELECT n FROM "{table}" WHERE pk = \'p\' AND sk = 1'},
        ]
    )["Responses"]
    assert got[0]["Item"] == {"n": {"N": "1"}}
    assert "Item" not in got[1] and "Error" not in got[1]


def test_tags_and_time_to_live(client, table):
    arn = client.describe_table(TableName=table)["Table"]["TableArn"]
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "db"}])
    assert client.list_tags_of_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "team", "Value": "db"}
    ]
    client.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert client.list_tags_of_resource(ResourceArn=arn)["Tags"] == []

    answer = client.update_time_to_live(
        TableName=table,
        TimeToLiveSpecification={"AttributeName": "expires", "Enabled": True},
    )
    assert answer["TimeToLiveSpecification"] == {"AttributeName": "expires", "Enabled": True}
    described = client.describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert described == {"AttributeName": "expires", "TimeToLiveStatus": "ENABLED"}
    past = str(int(time.time()) - 60)
    client.put_item(TableName=table, Item={"pk": {"S": "gone"}, "sk": {"N": "1"}, "expires": {"N": past}})
    client.put_item(TableName=table, Item={"pk": {"S": "kept"}, "sk": {"N": "1"}})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        keys = {i["pk"]["S"] for i in client.scan(TableName=table, ConsistentRead=True)["Items"]}
        if keys == {"kept"}:
            break
        time.sleep(0.2)
    assert keys == {"kept"}


# ---------------------------------------------------------------------------------------------
# DynamoDB Streams


@pytest.fixture
def streams(checker):
    """A DynamoDB Streams client on the same endpoint; its responses are checked too."""
    c = boto3.client("dynamodbstreams", **_session_kwargs())
    service = c.meta.service_model.service_id.hyphenize()  # "dynamodb-streams"
    c.meta.events.register(f"after-call.{service}.*", checker)
    return c


def read_stream(streams, shard_iterator, limit):
    """Follows NextShardIterator until a page comes back empty; returns (records, pages, next)."""
    records, pages = [], 0
    while True:
        assert pages < 1000, "GetRecords never returned an empty page"
        page = streams.get_records(ShardIterator=shard_iterator, Limit=limit)
        pages += 1
        assert page["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert len(page["Records"]) <= limit
        records.extend(page["Records"])
        if not page["Records"] or "NextShardIterator" not in page:
            return records, pages, page.get("NextShardIterator")
        shard_iterator = page["NextShardIterator"]


def test_streams_record_every_write_with_its_images(client, streams, checker):
    name = unique_name("streams")
    key_schema = [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    try:
        out = client.create_table(
            TableName=name,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
            ],
            KeySchema=key_schema,
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        desc = out["TableDescription"]
        assert desc["StreamSpecification"] == {
            "StreamEnabled": True,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
        arn = desc["LatestStreamArn"]
        assert arn == f"{desc['TableArn']}/stream/{desc['LatestStreamLabel']}"
        assert wait_active(client, name)["LatestStreamArn"] == arn

        key = {"pk": {"S": "s#1"}, "sk": {"N": "1"}}
        written = {**key, "v": {"S": "one"}, "b": {"B": b"\x00\x01\xff"}, "n": {"N": "1.50"}}
        # The images hold the item as stored (numbers normalized), then as updated.
        first = {**written, "n": {"N": "1.5"}}
        second = {**first, "v": {"S": "two"}}
        started = time.time()
        client.put_item(TableName=name, Item=written)
        client.update_item(
            TableName=name,
            Key=key,
            UpdateExpression="SET v = :v",
            ExpressionAttributeValues={":v": {"S": "two"}},
        )
        client.delete_item(TableName=name, Key=key)

        # ListStreams
        listed = streams.list_streams(TableName=name)
        assert [(s["StreamArn"], s["TableName"]) for s in listed["Streams"]] == [(arn, name)]
        assert arn.endswith("/stream/" + listed["Streams"][0]["StreamLabel"])
        assert "LastEvaluatedStreamArn" not in listed
        every, start = [], {}
        while True:
            page = streams.list_streams(**start)
            every.extend(s["StreamArn"] for s in page["Streams"])
            if "LastEvaluatedStreamArn" not in page:
                break
            start = {"ExclusiveStartStreamArn": page["LastEvaluatedStreamArn"]}
        assert arn in every

        # DescribeStream
        d = streams.describe_stream(StreamArn=arn)["StreamDescription"]
        assert d["StreamArn"] == arn
        assert d["StreamStatus"] == "ENABLED"
        assert d["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert d["TableName"] == name
        assert d["KeySchema"] == key_schema
        assert d["CreationRequestDateTime"].year >= 2020
        assert len(d["Shards"]) == 1, d["Shards"]
        shard = d["Shards"][0]
        assert "StartingSequenceNumber" in shard["SequenceNumberRange"]
        assert "EndingSequenceNumber" not in shard["SequenceNumberRange"], "the shard is open"

        # GetShardIterator + GetRecords, one record a page, until an empty page.
        it = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records, pages, nxt = read_stream(streams, it, 1)
        assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"], records
        assert pages == 4
        assert nxt, "an open shard gives a NextShardIterator even on an empty page"

        sequence_numbers = []
        for r in records:
            assert r["eventSource"] == "aws:dynamodb"
            assert r["awsRegion"] == REGION
            assert r["eventID"]
            c = r["dynamodb"]
            assert c["Keys"] == key
            assert c["StreamViewType"] == "NEW_AND_OLD_IMAGES"
            assert c["SizeBytes"] > 0
            when = c["ApproximateCreationDateTime"].timestamp()
            assert started - 5 <= when <= time.time() + 5, c["ApproximateCreationDateTime"]
            sequence_numbers.append(int(c["SequenceNumber"]))
        assert sequence_numbers == sorted(set(sequence_numbers)), sequence_numbers
        assert len({r["eventID"] for r in records}) == 3

        insert, modify, remove = (r["dynamodb"] for r in records)
        # boto3 decodes the stream's binary values to bytes, like DynamoDB's.
        assert "OldImage" not in insert and insert["NewImage"] == first
        assert modify["OldImage"] == first and modify["NewImage"] == second
        assert remove["OldImage"] == second and "NewImage" not in remove

        # Later writes are read from the last NextShardIterator, and only they.
        client.put_item(TableName=name, Item={**key, "v": {"S": "three"}})
        later, _, _ = read_stream(streams, nxt, 100)
        assert [(r["eventName"], r["dynamodb"]["NewImage"]) for r in later] == [
            ("INSERT", {**key, "v": {"S": "three"}})
        ]

        # Errors come back as the modeled exception classes.
        with pytest.raises(streams.exceptions.ResourceNotFoundException) as ei:
            streams.describe_stream(StreamArn=f"{desc['TableArn']}/stream/2000-01-01T00:00:00.000")
        assert error_code(ei) == "ResourceNotFoundException"
        assert http_status(ei) == 400
        with pytest.raises(streams.exceptions.ResourceNotFoundException) as ei:
            streams.get_shard_iterator(
                StreamArn=arn, ShardId="shardId-00000000000000000000-00000000",
                ShardIteratorType="TRIM_HORIZON",
            )
        assert error_code(ei) == "ResourceNotFoundException"

        # Every Streams response went through the header checker (x-amz-crc32, request id).
        seen = {op for op, _, _ in checker.responses}
        assert {"ListStreams", "DescribeStream", "GetShardIterator", "GetRecords"} <= seen, seen
    finally:
        drop_table(client, name)


# ---------------------------------------------------------------------------------------------
# Backups


def test_backup_and_restore(client, table):
    for sk in range(5):
        client.put_item(TableName=table, Item={"pk": {"S": "b"}, "sk": {"N": str(sk)}})
    details = client.create_backup(TableName=table, BackupName="py-backup")["BackupDetails"]
    arn = details["BackupArn"]
    client.put_item(TableName=table, Item={"pk": {"S": "after"}, "sk": {"N": "0"}})
    described = client.describe_backup(BackupArn=arn)["BackupDescription"]
    assert described["BackupDetails"]["BackupStatus"] == "AVAILABLE"
    assert described["SourceTableDetails"]["ItemCount"] == 5
    listed = client.list_backups(TableName=table)["BackupSummaries"]
    assert [b["BackupArn"] for b in listed] == [arn]
    restored = unique_name("restored")
    try:
        out = client.restore_table_from_backup(TargetTableName=restored, BackupArn=arn)
        assert out["TableDescription"]["RestoreSummary"]["SourceBackupArn"] == arn
        wait_active(client, restored)
        items = client.scan(TableName=restored, ConsistentRead=True)["Items"]
        assert sorted(int(i["sk"]["N"]) for i in items) == list(range(5))
        assert {i["pk"]["S"] for i in items} == {"b"}
        with pytest.raises(client.exceptions.TableAlreadyExistsException):
            client.restore_table_from_backup(TargetTableName=restored, BackupArn=arn)
    finally:
        drop_table(client, restored)
    client.delete_backup(BackupArn=arn)
    with pytest.raises(client.exceptions.BackupNotFoundException):
        client.describe_backup(BackupArn=arn)
    with pytest.raises(client.exceptions.TableNotFoundException):
        client.create_backup(TableName=unique_name("missing"), BackupName="nope")


# ---------------------------------------------------------------------------------------------
# SigV4 verification


def own_server(*flags):
    """A dynalith of its own, in memory, with extra serve flags (DYNALITH_BIN, as
    scripts/test.sh sets); yields its endpoint."""
    binary = os.environ.get("DYNALITH_BIN")
    if not binary:
        pytest.fail("DYNALITH_BIN is not set (scripts/test.sh sets it)")
    server = subprocess.Popen(
        [binary, "serve", "--in-memory", "--port", "0", "--log-level", "warn", *flags],
        stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline().strip()
        assert line.startswith("dynalith listening on "), line
        yield line.removeprefix("dynalith listening on ")
    finally:
        server.kill()
        server.wait()


@pytest.fixture
def verifying_endpoint():
    yield from own_server("--credentials", "AKIDPY:py/secret+1")


def test_signatures_are_verified_when_credentials_are_configured(verifying_endpoint):
    def client_with(key, secret):
        return boto3.client("dynamodb", endpoint_url=verifying_endpoint, region_name=REGION,
                            aws_access_key_id=key, aws_secret_access_key=secret,
                            config=Config(retries={"mode": "standard", "total_max_attempts": 1}))

    good = client_with("AKIDPY", "py/secret+1")
    name = unique_name("signed")
    create_table(good, name)
    good.put_item(TableName=name, Item={"pk": {"S": "k"}, "v": {"S": "x y"}})
    assert good.get_item(TableName=name, Key={"pk": {"S": "k"}})["Item"]["v"] == {"S": "x y"}

    with pytest.raises(ClientError) as wrong_secret:
        client_with("AKIDPY", "not-it").list_tables()
    assert error_code(wrong_secret) == "InvalidSignatureException"
    with pytest.raises(ClientError) as unknown_key:
        client_with("AKIDNOBODY", "py/secret+1").list_tables()
    assert error_code(unknown_key) == "UnrecognizedClientException"


# ---------------------------------------------------------------------------------------------
# HTTPS (--tls-cert / --tls-key)


def self_signed_certificate(directory):
    """A certificate for localhost and 127.0.0.1 and its key, as PEM files in `directory`."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256()))
    certificate_file, key_file = directory / "server.crt", directory / "server.key"
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return certificate_file, key_file


@pytest.fixture
def https_server(tmp_path):
    certificate, key = self_signed_certificate(tmp_path)
    for endpoint in own_server("--tls-cert", str(certificate), "--tls-key", str(key)):
        yield endpoint, certificate


def test_boto3_and_the_cli_over_https(https_server, checker):
    endpoint, certificate = https_server
    assert endpoint.startswith("https://127.0.0.1:"), endpoint
    endpoint = endpoint.replace("127.0.0.1", "localhost")
    client = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION, verify=str(certificate),
                          aws_access_key_id="AKIDPY", aws_secret_access_key="secret")
    client.meta.events.register("after-call.dynamodb.*", checker)
    name = unique_name("https")
    create_table(client, name)
    client.put_item(TableName=name, Item={"pk": {"S": "k"}, "v": {"S": "over TLS"}})
    assert client.get_item(TableName=name, Key={"pk": {"S": "k"}})["Item"]["v"] == {"S": "over TLS"}
    pages = client.get_paginator("scan").paginate(TableName=name, Limit=1)
    assert [item["pk"]["S"] for page in pages for item in page["Items"]] == ["k"]

    # Without trusting the certificate, botocore refuses the connection.
    untrusting = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION,
                              aws_access_key_id="AKIDPY", aws_secret_access_key="secret",
                              config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
    from botocore.exceptions import SSLError
    with pytest.raises(SSLError):
        untrusting.list_tables()

    # The AWS CLI, given the certificate as its CA bundle.
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDPY", AWS_SECRET_ACCESS_KEY="secret",
               AWS_DEFAULT_REGION=REGION)
    listed = subprocess.run(["aws", "dynamodb", "list-tables", "--endpoint-url", endpoint,
                             "--ca-bundle", str(certificate), "--output", "json"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert name in json.loads(listed.stdout)["TableNames"]


def test_point_in_time_recovery(client, table):
    client.put_item(TableName=table, Item={"pk": {"S": "before"}, "sk": {"N": "1"}})
    out = client.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    pitr = out["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED"
    assert pitr["EarliestRestorableDateTime"] <= pitr["LatestRestorableDateTime"]
    client.put_item(TableName=table, Item={"pk": {"S": "after"}, "sk": {"N": "1"}})
    restored = unique_name("pitr")
    try:
        client.restore_table_to_point_in_time(
            SourceTableName=table, TargetTableName=restored, UseLatestRestorableTime=True)
        wait_active(client, restored)
        items = client.scan(TableName=restored, ConsistentRead=True)["Items"]
        assert sorted(i["pk"]["S"] for i in items) == ["after", "before"]
    finally:
        drop_table(client, restored)
    with pytest.raises(client.exceptions.InvalidRestoreTimeException):
        client.restore_table_to_point_in_time(
            SourceTableName=table, TargetTableName=unique_name("never"),
            RestoreDateTime=pitr["EarliestRestorableDateTime"].timestamp() - 3600)
    client.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    with pytest.raises(client.exceptions.PointInTimeRecoveryUnavailableException):
        client.restore_table_to_point_in_time(
            SourceTableName=table, TargetTableName=unique_name("never"), UseLatestRestorableTime=True)


# ---------------------------------------------------------------------------------------------
# The read cache (--item-cache-mb, --query-cache-mb)


@pytest.fixture
def caching_client(checker):
    for endpoint in own_server("--item-cache-mb", "8", "--query-cache-mb", "8"):
        c = boto3.client("dynamodb", **{**_session_kwargs(), "endpoint_url": endpoint})
        c.meta.events.register("after-call.dynamodb.*", checker)
        yield c


def test_cached_reads_follow_writes(caching_client):
    client = caching_client
    name = unique_name("cached")
    create_table(client, name, sort_key=("sk", "N"))
    def pages():
        return [
            [int(item["sk"]["N"]) for item in page["Items"]]
            for page in client.get_paginator("query").paginate(
                TableName=name, KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": "a"}}, PaginationConfig={"PageSize": 3})
        ]

    for i in range(7):
        client.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": str(i)}})
    # The second pass is answered from the cache, checksums and all.
    assert pages() == pages() == [[0, 1, 2], [3, 4, 5], [6]]
    client.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"N": "7"}, "v": {"S": "new"}})
    assert pages() == [[0, 1, 2], [3, 4, 5], [6, 7]]

    key = {"pk": {"S": "a"}, "sk": {"N": "7"}}
    for _ in range(2):
        assert client.get_item(TableName=name, Key=key)["Item"]["v"] == {"S": "new"}
        got = client.batch_get_item(RequestItems={name: {"Keys": [key]}})
        assert got["Responses"][name][0]["v"] == {"S": "new"}
    client.update_item(TableName=name, Key=key, UpdateExpression="SET v = :v",
                       ExpressionAttributeValues={":v": {"S": "newer"}})
    assert client.get_item(TableName=name, Key=key)["Item"]["v"] == {"S": "newer"}
    client.delete_item(TableName=name, Key=key)
    assert "Item" not in client.get_item(TableName=name, Key=key)
    assert pages() == [[0, 1, 2], [3, 4, 5], [6]]


# ---------------------------------------------------------------------------------------------
# Throughput enforcement (--enforce-throughput)


@pytest.fixture
def throttling_endpoint():
    yield from own_server("--enforce-throughput")


def test_batch_writer_rides_out_provisioned_throughput(throttling_endpoint, checker):
    """boto3's batch_writer re-sends UnprocessedItems and botocore retries
    ProvisionedThroughputExceededException with backoff (DynamoDB's legacy
    retry mode: 10 attempts from 50 ms), so 100 writes of 1 KB reach a table
    of 20 write units a second, throttled on the way."""
    kwargs = {**_session_kwargs(), "endpoint_url": throttling_endpoint,
              "config": Config(retries={"mode": "legacy", "total_max_attempts": 10})}
    client = boto3.client("dynamodb", **kwargs)
    resource = boto3.resource("dynamodb", **kwargs)
    throttled = []

    # needs-retry sees every attempt; after-call only the last one.
    def count_throttling(response, **_):
        parsed = response[1] if response else {}
        code = parsed.get("Error", {}).get("Code")
        if code == "ProvisionedThroughputExceededException" or parsed.get("UnprocessedItems"):
            throttled.append(code or "UnprocessedItems")

    client.meta.events.register("after-call.dynamodb.*", checker)
    resource.meta.client.meta.events.register("after-call.dynamodb.*", checker)
    resource.meta.client.meta.events.register("needs-retry.dynamodb.BatchWriteItem",
                                              count_throttling)
    name = unique_name("throttled")
    client.create_table(
        TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 100, "WriteCapacityUnits": 20})
    wait_active(client, name)
    with resource.Table(name).batch_writer() as batch:
        for i in range(100):
            batch.put_item(Item={"pk": f"item{i:03}", "pad": "x" * 900})
    assert throttled, "the table was never throttled"
    items = client.get_paginator("scan").paginate(TableName=name, ConsistentRead=True)
    assert sorted(i["pk"]["S"] for page in items for i in page["Items"]) == \
        [f"item{i:03}" for i in range(100)]

    # Without retries the error itself shows: 30 units take the bucket well
    # below zero if the first write still finds capacity.
    once = boto3.client("dynamodb", **{**kwargs, "config": Config(
        retries={"mode": "standard", "total_max_attempts": 1})})
    refusals = []
    for i in range(2):
        try:
            once.put_item(TableName=name, Item={"pk": {"S": f"big{i}"}, "pad": {"S": "x" * 30000}})
        except ClientError as e:
            refusals.append(e.response)
    assert refusals, "30 KB writes at 20 units a second were never throttled"
    assert refusals[-1]["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert refusals[-1]["ThrottlingReasons"][0]["reason"] == "TableWriteProvisionedThroughputExceeded"


@pytest.fixture
def scaling_endpoint():
    yield from own_server("--auto-scaling-period-ms", "250")


def test_batch_writer_load_scales_the_write_capacity_out(scaling_endpoint, checker):
    """boto3 sets a target tracking policy with update_table_replica_auto_scaling,
    and a batch_writer load far above 5 write units makes the capacity DescribeTable
    reports grow to its maximum. (Not throttled: with periods of a quarter second,
    the retry backoff of a throttled client leaves periods without consumption,
    which DynamoDB's minute-long periods smooth over.)"""
    kwargs = {**_session_kwargs(), "endpoint_url": scaling_endpoint,
              "config": Config(retries={"mode": "legacy", "total_max_attempts": 10})}
    client = boto3.client("dynamodb", **kwargs)
    resource = boto3.resource("dynamodb", **kwargs)
    client.meta.events.register("after-call.dynamodb.*", checker)
    resource.meta.client.meta.events.register("after-call.dynamodb.*", checker)
    name = unique_name("scaling")
    client.create_table(
        TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    wait_active(client, name)
    policy = {"TargetTrackingScalingPolicyConfiguration": {"TargetValue": 50.0}}
    answer = client.update_table_replica_auto_scaling(
        TableName=name,
        ProvisionedWriteCapacityAutoScalingUpdate={
            "MinimumUnits": 5, "MaximumUnits": 80, "ScalingPolicyUpdate": policy})
    write = answer["TableAutoScalingDescription"]["Replicas"][0][
        "ReplicaProvisionedWriteCapacityAutoScalingSettings"]
    assert (write["MinimumUnits"], write["MaximumUnits"], write["AutoScalingDisabled"]) == \
        (5, 80, False)
    described = client.describe_table_replica_auto_scaling(TableName=name)
    assert described["TableAutoScalingDescription"]["Replicas"][0][
        "ReplicaProvisionedWriteCapacityAutoScalingSettings"] == write

    def capacity():
        table = client.describe_table(TableName=name)["Table"]
        return table["ProvisionedThroughput"]["WriteCapacityUnits"]

    deadline = time.time() + 15
    written = 0
    while capacity() < 80 and time.time() < deadline:
        with resource.Table(name).batch_writer() as batch:
            for _ in range(25):
                batch.put_item(Item={"pk": f"item{written}"})
                written += 1
    assert capacity() == 80
    count = client.scan(TableName=name, Select="COUNT", ConsistentRead=True)["Count"]
    assert count == written


# ---------------------------------------------------------------------------------------------
# Prometheus metrics (GET /metrics)


def test_metrics_parse_with_the_prometheus_client(client, table):
    """The exposition is strict OpenMetrics (the Python Prometheus client's parser
    rejects anything else) and counts what this client just did."""
    from urllib.request import urlopen
    from prometheus_client.openmetrics.parser import text_string_to_metric_families

    def scrape():
        with urlopen(_endpoint() + "/metrics") as response:
            assert response.headers["Content-Type"].startswith("application/openmetrics-text")
            families = list(text_string_to_metric_families(response.read().decode()))
        return {f.name: f for f in families}

    def value(families, family, **labels):
        return sum(s.value for s in families[family].samples
                   if s.name == family + "_total" and labels.items() <= s.labels.items())

    before = scrape()
    for i in range(3):
        client.put_item(TableName=table, Item={"pk": {"S": f"m{i}"}, "sk": {"N": "1"}})
    after = scrape()
    assert value(after, "dynalith_requests", operation="PutItem", outcome="ok") - \
        value(before, "dynalith_requests", operation="PutItem", outcome="ok") >= 3
    assert value(after, "dynalith_consumed_write_capacity_units", table=table, index="") == 3
    assert after["dynalith_request_duration_seconds"].type == "histogram"
    items = [s for s in after["dynalith_table_items"].samples if s.labels == {"table": table}]
    assert [s.value for s in items] == [3]


# ---------------------------------------------------------------------------------------------
# Export to and import from the local stand-in for S3 (--s3-dir)


@pytest.fixture
def s3_dir(tmp_path):
    return tmp_path / "s3"


@pytest.fixture
def s3_client(checker, s3_dir):
    for endpoint in own_server("--s3-dir", str(s3_dir)):
        c = boto3.client("dynamodb", **{**_session_kwargs(), "endpoint_url": endpoint})
        c.meta.events.register("after-call.dynamodb.*", checker)
        yield c


def test_export_and_import_with_the_sdk_waiters(s3_client, s3_dir):
    client = s3_client
    name = unique_name("exported")
    create_table(client, name, sort_key=("sk", "N"))
    client.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    for i in range(30):
        client.put_item(TableName=name, Item={"pk": {"S": f"p{i % 3}"}, "sk": {"N": str(i)},
                                              "v": {"S": f"value {i}"}})
    arn = client.describe_table(TableName=name)["Table"]["TableArn"]
    export = client.export_table_to_point_in_time(
        TableArn=arn, S3Bucket="backups", S3Prefix="daily")["ExportDescription"]
    client.get_waiter("export_completed").wait(
        ExportArn=export["ExportArn"], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    done = client.describe_export(ExportArn=export["ExportArn"])["ExportDescription"]
    assert done["ExportStatus"] == "COMPLETED" and done["ItemCount"] == 30
    summary = json.loads((s3_dir / "backups" / done["ExportManifest"]).read_text())
    assert summary["itemCount"] == 30 and summary["outputFormat"] == "DYNAMODB_JSON"

    # A CSV file written by hand imports too: key columns take their declared types.
    (s3_dir / "sheets").mkdir(parents=True)
    (s3_dir / "sheets" / "people.csv").write_text("pk,sk,city\nann,1,Oslo\nbob,2,\n")
    copy = unique_name("fromcsv")
    started = client.import_table(
        S3BucketSource={"S3Bucket": "sheets"}, InputFormat="CSV",
        TableCreationParameters={
            "TableName": copy,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                          {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "sk", "AttributeType": "N"}],
            "BillingMode": "PAY_PER_REQUEST"})["ImportTableDescription"]
    client.get_waiter("import_completed").wait(
        ImportArn=started["ImportArn"], WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    items = client.scan(TableName=copy)["Items"]
    assert sorted(items, key=lambda i: i["pk"]["S"]) == [
        {"pk": {"S": "ann"}, "sk": {"N": "1"}, "city": {"S": "Oslo"}},
        {"pk": {"S": "bob"}, "sk": {"N": "2"}},
    ]
    listed = client.list_imports(TableArn=started["TableArn"])["ImportSummaryList"]
    assert [i["ImportStatus"] for i in listed] == ["COMPLETED"]
    with pytest.raises(client.exceptions.ExportNotFoundException):
        client.describe_export(ExportArn=export["ExportArn"] + "0")


def test_large_responses_come_compressed_when_the_client_accepts_it(client, table, checker):
    """DynamoDB compresses a response of 4 KB or more when Accept-Encoding names gzip or
    deflate (the Go SDK asks for gzip, browsers always do). The x-amz-crc32 boto3 checks,
    and the checker fixture too, covers the bytes on the wire: the compressed ones."""
    import gzip
    import zlib

    big = "x" * 5000
    client.put_item(TableName=table, Item={"pk": {"S": "big"}, "sk": {"N": "1"}, "v": {"S": big}})
    accept = {"value": None}
    wire = []

    def add_accept_encoding(params, **kwargs):
        if accept["value"] is not None:
            params["headers"]["Accept-Encoding"] = accept["value"]

    def decompress(response_dict, **kwargs):
        encoding = response_dict["headers"].get("content-encoding")
        wire.append((encoding, len(response_dict["body"])))
        if encoding == "gzip":
            response_dict["body"] = gzip.decompress(response_dict["body"])
        elif encoding == "deflate":
            response_dict["body"] = zlib.decompress(response_dict["body"])

    client.meta.events.register("before-call.dynamodb.*", add_accept_encoding)
    client.meta.events.register("before-parse.dynamodb.*", decompress)
    key = {"pk": {"S": "big"}, "sk": {"N": "1"}}
    for value, expected in [(None, None), ("gzip", "gzip"), ("deflate", "deflate"),
                            ("br, deflate;q=0.5, gzip;q=0.8", "gzip"), ("identity", None)]:
        accept["value"] = value
        wire.clear()
        item = client.get_item(TableName=table, Key=key)["Item"]
        assert item["v"]["S"] == big
        assert wire[-1][0] == expected, value
        if expected:
            assert wire[-1][1] * 30 < len(big), "compressed on the wire"
        # A small response is not compressed, whatever the client accepts.
        wire.clear()
        small = client.get_item(TableName=table, Key=key, ProjectionExpression="pk")["Item"]
        assert small == {"pk": {"S": "big"}}
        assert wire[-1][0] is None
    assert not checker.problems


# ---------------------------------------------------------------------------------------------
# Transient table statuses (--transient-status-ms)


@pytest.fixture
def slow_statuses_endpoint():
    yield from own_server("--transient-status-ms", "2500")


def test_waiters_see_a_table_through_creating_and_deleting(slow_statuses_endpoint, checker):
    client = boto3.client("dynamodb", endpoint_url=slow_statuses_endpoint, region_name=REGION,
                          aws_access_key_id="dummy", aws_secret_access_key="dummy",
                          config=Config(retries={"mode": "legacy", "total_max_attempts": 2}))
    client.meta.events.register("after-call.dynamodb.*", checker)
    name = unique_name("statuses")
    started = time.monotonic()
    created = client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    assert created["TableDescription"]["TableStatus"] == "CREATING"
    with pytest.raises(ClientError) as too_soon:
        client.put_item(TableName=name, Item={"pk": {"S": "k"}})
    assert error_code(too_soon) == "ResourceNotFoundException"

    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    assert time.monotonic() - started >= 2.5
    client.put_item(TableName=name, Item={"pk": {"S": "k"}})

    assert client.delete_table(TableName=name)["TableDescription"]["TableStatus"] == "DELETING"
    assert client.describe_table(TableName=name)["Table"]["TableStatus"] == "DELETING"
    assert name in client.list_tables()["TableNames"]
    client.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1})
    assert name not in client.list_tables()["TableNames"]
