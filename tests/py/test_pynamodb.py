"""dynalith client tests with PynamoDB (pytest), an ORM that builds its own DynamoDB requests.

    pip install -r tests/py/requirements.txt
    DYNALITH_ENDPOINT=http://127.0.0.1:8000 python3 -m pytest -q tests/py/test_pynamodb.py

PynamoDB is used unchanged: its models point at dynalith through Meta.host. Every test works on
tables whose names are unique to the run; they are created once for the module (with
`create_table(wait=True)`) and deleted at the end. A botocore hook on PynamoDB's own clients
records every operation it sends, so that the tests can check how PynamoDB split its work
(batch sizes, query pages).
"""

import os
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    NumberSetAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import (
    DeleteError,
    DoesNotExist,
    PutError,
    TransactWriteError,
    UpdateError,
)
from pynamodb.expressions.condition import size
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    IncludeProjection,
    KeysOnlyProjection,
    LocalSecondaryIndex,
)
from pynamodb.models import Model
from pynamodb.transactions import TransactGet, TransactWrite

REGION = "us-east-1"
ENDPOINT = os.environ.get("DYNALITH_ENDPOINT", "")
RUN = uuid.uuid4().hex[:12]
CREDS = dict(aws_access_key_id="dummy", aws_secret_access_key="dummy")
T0 = datetime(2024, 5, 17, 8, 30, 15, 123456, tzinfo=timezone.utc)


# ----------------------------------------------------------------------------- models


class ByCategory(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_category"
        projection = KeysOnlyProjection()
        read_capacity_units = 5
        write_capacity_units = 5

    category = UnicodeAttribute(hash_key=True)
    price = NumberAttribute(range_key=True)


class ByStatus(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_status"
        projection = IncludeProjection(["title"])
        read_capacity_units = 5
        write_capacity_units = 5

    status = UnicodeAttribute(hash_key=True)
    created = UTCDateTimeAttribute(range_key=True)


class ByPrice(LocalSecondaryIndex):
    class Meta:
        index_name = "by_price"
        projection = AllProjection()

    customer = UnicodeAttribute(hash_key=True, attr_name="pk")
    price = NumberAttribute(range_key=True)


class Address(MapAttribute):
    street = UnicodeAttribute()
    city = UnicodeAttribute()
    zip_code = NumberAttribute(attr_name="zip")


class Order(Model):
    """Provisioned table, hash + range key (stored under other names), two GSIs and an LSI."""

    class Meta:
        table_name = f"pynamo-orders-{RUN}"
        host = ENDPOINT
        region = REGION
        read_capacity_units = 5
        write_capacity_units = 5
        max_retry_attempts = 1
        aws_access_key_id = "dummy"
        aws_secret_access_key = "dummy"

    customer = UnicodeAttribute(hash_key=True, attr_name="pk")
    order_id = UnicodeAttribute(range_key=True, attr_name="sk")
    category = UnicodeAttribute(null=True)
    price = NumberAttribute(null=True)
    status = UnicodeAttribute(null=True)
    created = UTCDateTimeAttribute(null=True)
    title = UnicodeAttribute(null=True)
    qty = NumberAttribute(default=0)
    payload = BinaryAttribute(null=True, legacy_encoding=False)
    active = BooleanAttribute(null=True)
    tags = UnicodeSetAttribute(null=True)
    scores = NumberSetAttribute(null=True)
    items = ListAttribute(null=True)
    notes = ListAttribute(of=UnicodeAttribute, null=True)
    address = Address(null=True)
    extra = MapAttribute(null=True)
    doc = JSONAttribute(null=True)
    expires = TTLAttribute(null=True)

    by_category = ByCategory()
    by_status = ByStatus()
    by_price = ByPrice()


class Doc(Model):
    """On-demand table with a hash key only and optimistic locking."""

    class Meta:
        table_name = f"pynamo-docs-{RUN}"
        host = ENDPOINT
        region = REGION
        billing_mode = "PAY_PER_REQUEST"
        max_retry_attempts = 1
        aws_access_key_id = "dummy"
        aws_secret_access_key = "dummy"

    name = UnicodeAttribute(hash_key=True)
    body = UnicodeAttribute(null=True)
    hits = NumberAttribute(default=0)
    version = VersionAttribute()


class Expiring(Model):
    """A model with a TTLAttribute, created by test_create_table_enables_ttl."""

    class Meta:
        table_name = f"pynamo-expiring-{RUN}"
        host = ENDPOINT
        region = REGION
        billing_mode = "PAY_PER_REQUEST"
        max_retry_attempts = 1
        aws_access_key_id = "dummy"
        aws_secret_access_key = "dummy"

    id = UnicodeAttribute(hash_key=True)
    expires_at = TTLAttribute(null=True)


class Scratch(Model):
    """Created and deleted inside test_table_lifecycle."""

    class Meta:
        table_name = f"pynamo-scratch-{RUN}"
        host = ENDPOINT
        region = REGION
        billing_mode = "PAY_PER_REQUEST"
        max_retry_attempts = 1
        aws_access_key_id = "dummy"
        aws_secret_access_key = "dummy"

    id = NumberAttribute(hash_key=True)


MODELS = (Order, Doc, Expiring, Scratch)


def _client(model):
    """The botocore client PynamoDB itself uses for `model`."""
    return model._get_connection().connection.client


def _connection():
    return Connection(host=ENDPOINT, region=REGION, max_retry_attempts=1, **CREDS)


class CallRecorder:
    """Records (operation, request params, parsed response) for every call PynamoDB makes."""

    def __init__(self):
        self.calls = []

    def before(self, params, model, **kwargs):
        self.calls.append([model.name, params, None])

    def after(self, parsed, model, **kwargs):
        for call in reversed(self.calls):
            if call[0] == model.name and call[2] is None:
                call[2] = parsed
                break

    def of(self, op):
        return [c for c in self.calls if c[0] == op]

    def clear(self):
        self.calls.clear()


@pytest.fixture(scope="module")
def tables():
    if not ENDPOINT:
        pytest.fail("DYNALITH_ENDPOINT is not set (e.g. DYNALITH_ENDPOINT=http://127.0.0.1:8000)")
    assert not Order.exists()
    # Order has a TTLAttribute, so create_table also sends UpdateTimeToLive.
    try:
        Order.create_table(wait=True)
        Doc.create_table(wait=True)
        yield
    finally:
        for model in (Order, Doc):
            if model.exists():
                model.delete_table()


@pytest.fixture
def rec(tables):
    r = CallRecorder()
    clients = {id(c): c for c in (_client(m) for m in MODELS)}.values()
    for c in clients:
        c.meta.events.register("before-parameter-build.dynamodb.*", r.before)
        c.meta.events.register("after-call.dynamodb.*", r.after)
    yield r
    for c in clients:
        c.meta.events.unregister("before-parameter-build.dynamodb.*", r.before)
        c.meta.events.unregister("after-call.dynamodb.*", r.after)


def _raw_item(model, key):
    return _client(model).get_item(TableName=model.Meta.table_name, Key=key, ConsistentRead=True).get("Item")


def _full_order(customer="alice", order_id="o-001"):
    return Order(
        customer,
        order_id,
        category="books",
        price=12.5,
        status="open",
        created=T0,
        title="Dune",
        qty=3,
        payload=b"\x00\x01\xfe\xff",
        active=True,
        tags={"red", "blue"},
        scores={1, 2.5, -3},
        items=["a", 1, True, None, {"k": "v"}, [1, 2]],
        notes=["first"],
        address=Address(street="1 Main St", city="Springfield", zip_code=12345),
        extra={"nested": {"deep": [1, "x"]}, "flag": False},
        doc={"é": "ü", "list": [1, 2, {"x": None}], "n": 1.5},
        expires=datetime(2030, 1, 1, tzinfo=timezone.utc),
    )


# ----------------------------------------------------------------------------- tests


def test_create_table_and_describe(tables, rec):
    assert Order.exists() and Doc.exists()
    desc = Order.describe_table()
    assert desc["TableName"] == Order.Meta.table_name
    assert desc["TableStatus"] == "ACTIVE"
    assert sorted((k["AttributeName"], k["KeyType"]) for k in desc["KeySchema"]) == [
        ("pk", "HASH"),
        ("sk", "RANGE"),
    ]
    assert {(a["AttributeName"], a["AttributeType"]) for a in desc["AttributeDefinitions"]} == {
        ("pk", "S"),
        ("sk", "S"),
        ("category", "S"),
        ("price", "N"),
        ("status", "S"),
        ("created", "S"),
    }
    assert desc["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert desc["ProvisionedThroughput"]["WriteCapacityUnits"] == 5
    gsis = {g["IndexName"]: g for g in desc["GlobalSecondaryIndexes"]}
    assert set(gsis) == {"by_category", "by_status"}
    assert gsis["by_category"]["Projection"]["ProjectionType"] == "KEYS_ONLY"
    assert gsis["by_status"]["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["title"]}
    assert {(k["AttributeName"], k["KeyType"]) for k in gsis["by_status"]["KeySchema"]} == {
        ("status", "HASH"),
        ("created", "RANGE"),
    }
    assert gsis["by_category"]["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert all(g["IndexStatus"] == "ACTIVE" for g in gsis.values())
    lsis = desc["LocalSecondaryIndexes"]
    assert [l["IndexName"] for l in lsis] == ["by_price"]
    assert lsis[0]["Projection"]["ProjectionType"] == "ALL"
    assert {(k["AttributeName"], k["KeyType"]) for k in lsis[0]["KeySchema"]} == {
        ("pk", "HASH"),
        ("price", "RANGE"),
    }

    ddesc = Doc.describe_table()
    assert ddesc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert ddesc["KeySchema"] == [{"AttributeName": "name", "KeyType": "HASH"}]

    # create_table on an existing table only checks that it exists
    Doc.create_table(wait=True)
    assert not rec.of("CreateTable")


def test_attribute_types_roundtrip(tables):
    _full_order("types", "o-1").save()

    got = Order.get("types", "o-1", consistent_read=True)
    assert got.customer == "types" and got.order_id == "o-1"
    assert got.category == "books"
    assert got.price == 12.5
    assert got.created == T0
    assert got.qty == 3
    assert got.payload == b"\x00\x01\xfe\xff"
    assert got.active is True
    assert got.tags == {"red", "blue"}
    assert got.scores == {1, 2.5, -3}
    assert got.items == ["a", 1, True, None, {"k": "v"}, [1, 2]]
    assert got.notes == ["first"]
    assert got.address.street == "1 Main St"
    assert got.address.city == "Springfield"
    assert got.address.zip_code == 12345
    assert got.extra.as_dict() == {"nested": {"deep": [1, "x"]}, "flag": False}
    assert got.doc == {"é": "ü", "list": [1, 2, {"x": None}], "n": 1.5}
    assert got.expires == datetime(2030, 1, 1, tzinfo=timezone.utc)

    # the wire types dynalith stored, as PynamoDB serialized them
    raw = _raw_item(Order, {"pk": {"S": "types"}, "sk": {"S": "o-1"}})
    assert raw["price"] == {"N": "12.5"}
    assert raw["created"] == {"S": "2024-05-17T08:30:15.123456+0000"}
    assert raw["payload"] == {"B": b"\x00\x01\xfe\xff"}
    assert raw["active"] == {"BOOL": True}
    assert sorted(raw["tags"]["SS"]) == ["blue", "red"]
    assert sorted(raw["scores"]["NS"], key=float) == ["-3", "1", "2.5"]
    assert raw["items"]["L"][3] == {"NULL": True}
    assert raw["items"]["L"][4] == {"M": {"k": {"S": "v"}}}
    assert raw["address"] == {
        "M": {"street": {"S": "1 Main St"}, "city": {"S": "Springfield"}, "zip": {"N": "12345"}}
    }
    assert "S" in raw["doc"] and '"\\u00e9"' in raw["doc"]["S"]
    assert raw["expires"] == {"N": str(int(datetime(2030, 1, 1, tzinfo=timezone.utc).timestamp()))}
    assert "qty" in raw and raw["qty"] == {"N": "3"}


def test_save_conditions_get_and_delete(tables):
    o = Order("cond", "o-1", title="first", qty=1)
    o.save(condition=Order.customer.does_not_exist())
    assert Order.get("cond", "o-1").title == "first"

    # saving again under the same condition fails with ConditionalCheckFailedException
    with pytest.raises(PutError) as ei:
        Order("cond", "o-1", title="second").save(condition=Order.customer.does_not_exist())
    assert ei.value.cause_response_code == "ConditionalCheckFailedException"
    assert Order.get("cond", "o-1").title == "first"

    # a condition on an attribute value
    Order("cond", "o-1", title="third", qty=2).save(condition=(Order.qty == 1) & Order.title.startswith("fi"))
    got = Order.get("cond", "o-1", consistent_read=True)
    assert (got.title, got.qty) == ("third", 2)

    # unconditional save replaces the whole item
    Order("cond", "o-1", qty=9).save()
    got = Order.get("cond", "o-1")
    assert got.title is None and got.qty == 9

    # get of a missing item
    with pytest.raises(Order.DoesNotExist):
        Order.get("cond", "missing")
    with pytest.raises(DoesNotExist):
        Order.get("nobody", "o-1")

    # refresh
    stale = Order.get("cond", "o-1")
    Order("cond", "o-1", qty=10, title="fresh").save()
    stale.refresh(consistent_read=True)
    assert (stale.qty, stale.title) == (10, "fresh")

    # delete with a failing condition, then with a passing one
    with pytest.raises(DeleteError) as ei:
        stale.delete(condition=Order.qty > 100)
    assert ei.value.cause_response_code == "ConditionalCheckFailedException"
    assert Order.get("cond", "o-1").qty == 10
    stale.delete(condition=Order.qty == 10)
    with pytest.raises(Order.DoesNotExist):
        Order.get("cond", "o-1", consistent_read=True)
    with pytest.raises(DoesNotExist):
        stale.refresh()


def test_update_actions(tables):
    o = _full_order("upd", "o-1")
    o.save()
    later = T0 + timedelta(days=1)

    ret = o.update(
        actions=[
            Order.title.set("Dune Messiah"),
            Order.qty.add(5),
            Order.price.set(Order.price - 2.5),
            Order.tags.add({"green"}),
            Order.scores.add({10}),
            Order.status.remove(),
            Order.items.set(Order.items.append(["z"])),
            Order.notes.set(Order.notes.prepend(["zeroth"])),
            Order.category.set(Order.category | "ignored"),
            Order.created.set(Order.created | later),
            Order.extra["added"].set("yes"),
            Order.address.city.set("Shelbyville"),
            Order.active.set(False),
        ],
        condition=Order.qty == 3,
    )
    # PynamoDB asks for ALL_NEW and refreshes the instance from it
    assert ret["Attributes"]["qty"] == {"N": "8"}
    assert o.title == "Dune Messiah" and o.qty == 8 and o.price == 10
    assert o.tags == {"red", "blue", "green"}
    assert o.status is None

    # a path may appear only once per update expression: delete from the set, set a list element
    o.update(actions=[Order.tags.delete({"red"}), Order.items[0].set("A")], condition=Order.tags.contains("red"))
    assert o.tags == {"blue", "green"} and o.items[0] == "A"

    got = Order.get("upd", "o-1", consistent_read=True)
    assert got.title == "Dune Messiah"
    assert got.qty == 8
    assert got.price == 10
    assert got.tags == {"blue", "green"}
    assert got.scores == {1, 2.5, -3, 10}
    assert got.status is None
    assert got.items == ["A", 1, True, None, {"k": "v"}, [1, 2], "z"]
    assert got.notes == ["zeroth", "first"]
    assert got.category == "books"  # if_not_exists kept the value
    assert got.created == T0
    assert got.extra.as_dict() == {"nested": {"deep": [1, "x"]}, "flag": False, "added": "yes"}
    assert got.address.city == "Shelbyville" and got.address.street == "1 Main St"
    assert got.active is False

    # if_not_exists on missing attributes, add on a missing number / set, remove of set elements
    o.update(
        actions=[
            Order.status.set(Order.status | "reopened"),
            Order.tags.delete({"blue", "green"}),  # deleting every element removes the attribute
            Order.doc.remove(),
        ]
    )
    new = Order("upd", "o-2")
    new.update(actions=[Order.qty.add(7), Order.tags.add({"x"}), Order.created.set(Order.created | later)])
    got = Order.get("upd", "o-1")
    assert got.status == "reopened" and got.tags is None and got.doc is None
    got2 = Order.get("upd", "o-2")
    assert (got2.qty, got2.tags, got2.created) == (7, {"x"}, later)

    # failing conditions
    with pytest.raises(UpdateError) as ei:
        o.update(actions=[Order.qty.add(1)], condition=Order.qty > 1000)
    assert ei.value.cause_response_code == "ConditionalCheckFailedException"
    with pytest.raises(UpdateError) as ei:
        Order("upd", "absent").update(actions=[Order.qty.set(1)], condition=Order.customer.exists())
    assert ei.value.cause_response_code == "ConditionalCheckFailedException"
    assert Order.get("upd", "o-1", consistent_read=True).qty == 8
    with pytest.raises(DoesNotExist):
        Order.get("upd", "absent", consistent_read=True)


@pytest.fixture(scope="module")
def shop(tables):
    """A partition with 30 orders: sk o-000..o-029, price = i, category by i % 3."""
    cats = ["books", "games", "music"]
    with Order.batch_write() as batch:
        for i in range(30):
            batch.save(
                Order(
                    "shop",
                    f"o-{i:03d}",
                    category=cats[i % 3],
                    price=i,
                    status="open" if i % 2 == 0 else "closed",
                    created=T0 + timedelta(minutes=i),
                    title=f"title-{i}",
                    qty=i % 5,
                    tags={f"t{i % 4}", "all"},
                    active=i % 2 == 1,
                )
            )
    return cats


def _ids(results):
    return [r.order_id for r in results]


def test_query_range_conditions(shop):
    assert _ids(Order.query("shop", Order.order_id.startswith("o-01"))) == [f"o-{i:03d}" for i in range(10, 20)]
    assert _ids(Order.query("shop", Order.order_id.between("o-005", "o-008"))) == [
        "o-005",
        "o-006",
        "o-007",
        "o-008",
    ]
    assert _ids(Order.query("shop", Order.order_id > "o-026")) == ["o-027", "o-028", "o-029"]
    assert _ids(Order.query("shop", Order.order_id <= "o-001")) == ["o-000", "o-001"]
    desc = _ids(Order.query("shop", Order.order_id < "o-004", scan_index_forward=False))
    assert desc == ["o-003", "o-002", "o-001", "o-000"]
    assert _ids(Order.query("nobody")) == []

    got = list(Order.query("shop", Order.order_id == "o-007", consistent_read=True))
    assert len(got) == 1 and got[0].title == "title-7" and got[0].tags == {"t3", "all"}

    # attributes_to_get builds a ProjectionExpression
    got = list(Order.query("shop", Order.order_id == "o-008", attributes_to_get=["title", "price"]))
    assert (got[0].title, got[0].price, got[0].status, got[0].category) == ("title-8", 8, None, None)


def test_query_filters_and_count(shop):
    f = (Order.price >= 10) & Order.tags.contains("t1") & (Order.status == "closed")
    assert _ids(Order.query("shop", filter_condition=f)) == ["o-013", "o-017", "o-021", "o-025", "o-029"]

    f = Order.category.is_in("games", "music") & (Order.qty == 0) & Order.title.exists()
    assert _ids(Order.query("shop", filter_condition=f)) == ["o-005", "o-010", "o-020", "o-025"]

    f = (Order.active == True) & ~Order.tags.contains("t1")  # noqa: E712
    assert _ids(Order.query("shop", Order.order_id >= "o-025", filter_condition=f)) == ["o-027"]

    f = (size(Order.title) == 7) & Order.payload.does_not_exist() & Order.price.is_type()
    assert _ids(Order.query("shop", filter_condition=f)) == [f"o-{i:03d}" for i in range(10)]

    f = (Order.qty == 4) | (Order.price < 1)
    assert _ids(Order.query("shop", filter_condition=f)) == ["o-000", "o-004", "o-009", "o-014", "o-019", "o-024", "o-029"]

    assert Order.count("shop") == 30
    assert Order.count("shop", Order.order_id.startswith("o-02")) == 10
    assert Order.count("shop", filter_condition=Order.category == "books") == 10
    assert Order.count("shop", Order.order_id < "o-010", filter_condition=Order.active == True) == 5  # noqa: E712
    assert Order.count("nobody") == 0
    assert isinstance(Order.count(), int)  # no hash key: DescribeTable ItemCount


def test_query_limit_page_size_and_last_evaluated_key(shop, rec):
    # limit: stops after 7 items, and last_evaluated_key points at the 7th
    it = Order.query("shop", limit=7)
    first = _ids(it)
    assert first == [f"o-{i:03d}" for i in range(7)]
    assert it.last_evaluated_key == {"pk": {"S": "shop"}, "sk": {"S": "o-006"}}
    queries = rec.of("Query")
    assert len(queries) == 1 and queries[0][1]["Limit"] == 7

    # resume from it
    rec.clear()
    rest = Order.query("shop", last_evaluated_key=it.last_evaluated_key, page_size=8)
    assert _ids(rest) == [f"o-{i:03d}" for i in range(7, 30)]
    assert rest.last_evaluated_key is None
    queries = rec.of("Query")
    # 23 items in pages of 8: 8, 8, 7 (the last one short, so no LastEvaluatedKey)
    assert [len(q[2]["Items"]) for q in queries] == [8, 8, 7]
    assert all(q[1]["Limit"] == 8 for q in queries)
    assert queries[0][1]["ExclusiveStartKey"] == {"pk": {"S": "shop"}, "sk": {"S": "o-006"}}
    assert queries[1][1]["ExclusiveStartKey"] == {"pk": {"S": "shop"}, "sk": {"S": "o-014"}}
    assert "LastEvaluatedKey" not in queries[2][2]

    # limit spanning several pages, with a filter: Limit counts items evaluated, not returned
    rec.clear()
    it = Order.query("shop", filter_condition=Order.category == "music", page_size=4, limit=5)
    assert _ids(it) == ["o-002", "o-005", "o-008", "o-011", "o-014"]
    queries = rec.of("Query")
    assert [q[2]["Count"] for q in queries] == [1, 1, 2, 1]
    assert [q[2]["ScannedCount"] for q in queries] == [4, 4, 4, 4]
    assert it.total_count == 5

    # rate_limit makes PynamoDB ask for ReturnConsumedCapacity=TOTAL and meter the answers
    rec.clear()
    it = Order.query("shop", Order.order_id < "o-003", rate_limit=10000)
    assert _ids(it) == ["o-000", "o-001", "o-002"]
    assert it.page_iter.total_scanned_count == 3
    (q,) = rec.of("Query")
    assert q[1]["ReturnConsumedCapacity"] == "TOTAL"
    assert q[2]["ConsumedCapacity"]["TableName"] == Order.Meta.table_name
    assert q[2]["ConsumedCapacity"]["CapacityUnits"] > 0

    # pages on an index, descending
    rec.clear()
    it = Order.by_price.query("shop", Order.price.between(3, 19), scan_index_forward=False, page_size=6)
    assert [o.price for o in it] == list(range(19, 2, -1))
    assert len(rec.of("Query")) == 3


def test_index_queries(shop):
    # GSI, KEYS_ONLY: only the table and index keys come back
    res = list(Order.by_category.query("music", Order.price > 20))
    assert [(r.order_id, r.price) for r in res] == [("o-023", 23), ("o-026", 26), ("o-029", 29)]
    assert all(r.customer == "shop" and r.category == "music" for r in res)
    assert all(r.title is None and r.status is None and r.tags is None for r in res)
    in_shop = Order.customer == "shop"
    assert Order.by_category.count("books", filter_condition=in_shop) == 10
    assert Order.by_category.count("books", Order.price.between(10, 20), filter_condition=in_shop) == 3

    # GSI, INCLUDE title
    res = list(Order.by_status.query("closed", Order.created < T0 + timedelta(minutes=6)))
    assert [r.order_id for r in res] == ["o-001", "o-003", "o-005"]
    assert [r.title for r in res] == ["title-1", "title-3", "title-5"]
    assert all(r.price is None and r.category is None for r in res)
    assert res[0].created == T0 + timedelta(minutes=1)
    res = list(
        Order.by_status.query(
            "open",
            Order.created.between(T0 + timedelta(minutes=20), T0 + timedelta(minutes=30)),
            filter_condition=Order.title.startswith("title-2"),
            scan_index_forward=False,
        )
    )
    assert [r.order_id for r in res] == ["o-028", "o-026", "o-024", "o-022", "o-020"]

    # LSI, ALL: every attribute
    res = list(Order.by_price.query("shop", Order.price >= 27))
    assert [(r.order_id, r.title, r.qty, r.tags) for r in res] == [
        ("o-027", "title-27", 2, {"t3", "all"}),
        ("o-028", "title-28", 3, {"t0", "all"}),
        ("o-029", "title-29", 4, {"t1", "all"}),
    ]
    assert list(Order.by_price.query("nobody")) == []

    # scanning an index
    res = list(Order.by_category.scan(filter_condition=Order.category == "games"))
    assert sorted(r.order_id for r in res) == [f"o-{i:03d}" for i in range(1, 30, 3)]


@pytest.fixture(scope="module")
def bulk(tables):
    """120 items written by one batch_write (PynamoDB sends them 25 at a time)."""
    keys = [(f"bulk-{p}", f"b-{i:03d}") for p in "ab" for i in range(60)]
    recorder = CallRecorder()
    client = _client(Order)
    client.meta.events.register("before-parameter-build.dynamodb.*", recorder.before)
    client.meta.events.register("after-call.dynamodb.*", recorder.after)
    try:
        with Order.batch_write() as batch:
            for n, (h, r) in enumerate(keys):
                batch.save(Order(h, r, qty=n, title=f"bulk {n}", payload=bytes([n])))
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb.*", recorder.before)
        client.meta.events.unregister("after-call.dynamodb.*", recorder.after)
    return keys, recorder.of("BatchWriteItem")


def test_batch_write(bulk):
    keys, calls = bulk
    sizes = [len(c[1]["RequestItems"][Order.Meta.table_name]) for c in calls]
    assert sizes == [25, 25, 25, 25, 20]
    assert all(c[2].get("UnprocessedItems", {}) == {} for c in calls)
    assert Order.count("bulk-a") == 60 and Order.count("bulk-b") == 60
    got = Order.get("bulk-b", "b-059")
    assert (got.qty, got.title, got.payload) == (119, "bulk 119", bytes([119]))

    # batch deletes mixed with puts
    with Order.batch_write() as batch:
        for i in range(30):
            batch.delete(Order("bulk-a", f"b-{i:03d}"))
        batch.save(Order("bulk-c", "c-000", qty=1))
    assert Order.count("bulk-a") == 30
    assert _ids(Order.query("bulk-a", limit=1)) == ["b-030"]
    assert Order.get("bulk-c", "c-000").qty == 1
    with pytest.raises(DoesNotExist):
        Order.get("bulk-a", "b-000")


def test_batch_get(bulk, shop, rec):
    keys = [k for k in bulk[0] if k[0] == "bulk-b"]  # 60 keys
    keys += [("shop", f"o-{i:03d}") for i in range(30)]  # 30 more
    keys += [("missing", f"m-{i}") for i in range(20)]  # 20 keys with no item
    assert len(keys) == 110
    got = list(Order.batch_get(keys))
    assert len(got) == 90
    batch_calls = rec.of("BatchGetItem")
    assert [len(c[1]["RequestItems"][Order.Meta.table_name]["Keys"]) for c in batch_calls] == [100, 10]
    assert sorted((g.customer, g.order_id) for g in got) == sorted(k for k in keys if k[0] != "missing")
    by_key = {(g.customer, g.order_id): g for g in got}
    assert by_key[("bulk-b", "b-007")].qty == 67
    assert by_key[("shop", "o-011")].title == "title-11"

    # attributes_to_get and consistent_read
    got = list(Order.batch_get([("shop", "o-001"), ("shop", "o-002")], consistent_read=True, attributes_to_get=["title"]))
    # only the projected attribute comes back, not even the keys
    assert sorted((g.title, g.order_id, g.price) for g in got) == [("title-1", None, None), ("title-2", None, None)]

    # a hash-key-only table
    for i in range(3):
        Doc(f"bg-{i}", body=str(i)).save()
    assert sorted((d.name, d.body) for d in Doc.batch_get(["bg-0", "bg-2", "bg-9"])) == [("bg-0", "0"), ("bg-2", "2")]


def test_scan_segments(bulk, shop):
    flt = Order.customer.startswith("bulk-b")
    total = 4
    seen = []
    for seg in range(total):
        part = [(o.customer, o.order_id) for o in Order.scan(flt, segment=seg, total_segments=total, page_size=7)]
        seen.append(part)
    union = [k for part in seen for k in part]
    assert len(union) == len(set(union)) == 60
    assert sorted(union) == [("bulk-b", f"b-{i:03d}") for i in range(60)]

    # limit across pages of a full scan, and resuming
    it = Order.scan(Order.customer == "shop", page_size=50, limit=4)
    first = list(it)
    assert len(first) == 4 and all(o.customer == "shop" for o in first)
    assert it.last_evaluated_key is not None
    rest = list(Order.scan(Order.customer == "shop", last_evaluated_key=it.last_evaluated_key))
    assert sorted(_ids(first + rest)) == [f"o-{i:03d}" for i in range(30)]

    res = list(Order.scan((Order.customer == "shop") & (Order.price > 26), attributes_to_get=["price"]))
    assert sorted(o.price for o in res) == [27, 28, 29]
    assert all(o.title is None for o in res)


def test_transactions(tables, shop):
    conn = _connection()
    Order("tx", "keep", qty=1, title="kept").save()
    Order("tx", "gone", qty=5).save()
    Doc("tx-doc", body="v1").save()

    with TransactWrite(connection=conn, client_request_token=f"tok-{RUN}") as tw:
        tw.save(Order("tx", "new", qty=2, tags={"n"}), condition=Order.customer.does_not_exist())
        tw.update(Order("tx", "keep"), actions=[Order.qty.add(10), Order.title.set("changed")], condition=Order.qty == 1)
        tw.delete(Order("tx", "gone"), condition=Order.qty == 5)
        tw.condition_check(Order, "shop", "o-003", condition=Order.title == "title-3")

    assert Order.get("tx", "new").tags == {"n"}
    keep = Order.get("tx", "keep")
    assert (keep.qty, keep.title) == (11, "changed")
    with pytest.raises(DoesNotExist):
        Order.get("tx", "gone")

    # a failed condition check cancels the whole transaction
    with pytest.raises(TransactWriteError) as ei:
        with TransactWrite(connection=conn) as tw:
            tw.update(Order("tx", "keep"), actions=[Order.qty.add(100)])
            tw.save(Order("tx", "never", qty=1))
            tw.condition_check(Order, "shop", "o-003", condition=Order.title == "wrong")
    err = ei.value
    assert err.cause_response_code == "TransactionCanceledException"
    # PynamoDB sends condition checks first, then deletes, puts and updates; the reasons follow
    # that order, one per item, "None" (None here) for the items that did not fail
    reasons = err.cancellation_reasons
    assert len(reasons) == 3
    assert reasons[0].code == "ConditionalCheckFailed"
    assert reasons[1:] == [None, None]
    assert Order.get("tx", "keep", consistent_read=True).qty == 11
    with pytest.raises(DoesNotExist):
        Order.get("tx", "never", consistent_read=True)

    # TransactGet across two tables, one item missing
    with TransactGet(connection=conn) as tg:
        f_keep = tg.get(Order, "tx", "keep")
        f_doc = tg.get(Doc, "tx-doc")
        f_missing = tg.get(Order, "tx", "gone")
    assert f_keep.get().title == "changed" and f_keep.get().qty == 11
    assert f_doc.get().body == "v1" and f_doc.get().version == 1
    with pytest.raises(Order.DoesNotExist):
        f_missing.get()


def test_optimistic_locking(tables):
    d = Doc("lock", body="v1")
    d.save()
    assert d.version == 1
    raw = _raw_item(Doc, {"name": {"S": "lock"}})
    assert raw["version"] == {"N": "1"}

    a = Doc.get("lock", consistent_read=True)
    b = Doc.get("lock", consistent_read=True)
    a.body = "v2"
    a.save()
    assert a.version == 2

    # b is stale: save, update and delete all fail
    b.body = "lost"
    with pytest.raises(PutError) as ei:
        b.save()
    assert ei.value.cause_response_code == "ConditionalCheckFailedException"
    with pytest.raises(UpdateError) as ei:
        b.update(actions=[Doc.hits.add(1)])
    assert ei.value.cause_response_code == "ConditionalCheckFailedException"
    with pytest.raises(DeleteError) as ei:
        b.delete()
    assert ei.value.cause_response_code == "ConditionalCheckFailedException"
    cur = Doc.get("lock", consistent_read=True)
    assert (cur.body, cur.version, cur.hits) == ("v2", 2, 0)

    # a new item under an existing key with no version fails too
    with pytest.raises(PutError):
        Doc("lock", body="clobber").save()

    # update bumps the version
    a.update(actions=[Doc.hits.add(3)])
    assert a.version == 3 and a.hits == 3

    # in a transaction, a stale version cancels it
    b.refresh()
    assert b.version == 3
    a.body = "v4"
    a.save()
    with pytest.raises(TransactWriteError) as ei:
        with TransactWrite(connection=_connection()) as tw:
            tw.save(b)
    assert ei.value.cancellation_reasons[0].code == "ConditionalCheckFailed"
    b.refresh()
    with TransactWrite(connection=_connection()) as tw:
        b.body = "v5"
        tw.save(b)
    cur = Doc.get("lock", consistent_read=True)
    assert (cur.body, cur.version) == ("v5", 5)

    # delete with the current version works
    cur.delete()
    with pytest.raises(DoesNotExist):
        Doc.get("lock", consistent_read=True)


def test_table_lifecycle(tables):
    assert not Scratch.exists()
    Scratch.create_table(wait=True)
    assert Scratch.exists()
    assert Scratch.describe_table()["TableStatus"] == "ACTIVE"
    Scratch(1).save()
    assert Scratch.get(1).id == 1
    assert [s.id for s in Scratch.scan()] == [1]
    Scratch.delete_table(wait=True)
    assert not Scratch.exists()
    names = _client(Scratch).list_tables()["TableNames"]
    assert Scratch.Meta.table_name not in names
    assert Order.Meta.table_name in names and Doc.Meta.table_name in names


def test_create_table_enables_ttl(tables):
    try:
        Expiring.create_table(wait=True)
        ttl = _client(Expiring).describe_time_to_live(TableName=Expiring.Meta.table_name)
        assert ttl["TimeToLiveDescription"]["AttributeName"] == "expires_at"
        assert ttl["TimeToLiveDescription"]["TimeToLiveStatus"] in ("ENABLED", "ENABLING")
        when = datetime(2031, 2, 3, 4, 5, 6, tzinfo=timezone.utc)
        Expiring("e1", expires_at=when).save()
        assert Expiring.get("e1").expires_at == when
        # An item whose expiry has passed is deleted by the server (within seconds here; DynamoDB
        # takes up to days), one still to come stays.
        Expiring("gone", expires_at=datetime.now(timezone.utc) - timedelta(minutes=1)).save()
        deadline = time.monotonic() + 20
        while Expiring.count("gone") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert Expiring.count("gone") == 0
        assert Expiring.get("e1").expires_at == when
    finally:
        if Expiring.exists():
            Expiring.delete_table()
