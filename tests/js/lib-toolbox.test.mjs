// dynamodb-toolbox v2, unchanged, against the server: a customer and its orders in one
// partition (single-table design), so the library's own expressions, key transforms, paging,
// batch and transaction requests reach the server as in real apps.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  Table, Entity, item, string, number, list, set, map, prefix,
  PutItemCommand, GetItemCommand, UpdateItemCommand, UpdateAttributesCommand, DeleteItemCommand,
  QueryCommand, ScanCommand, DeletePartitionCommand,
  BatchGetCommand, BatchGetRequest, BatchWriteCommand, BatchPutRequest, BatchDeleteRequest,
  executeBatchGet, executeBatchWrite,
  PutTransaction, UpdateTransaction, DeleteTransaction, ConditionCheck, GetTransaction,
  executeTransactWrite, executeTransactGet,
  isConditionCheckFailed, isTransactionCancelled,
  $add, $subtract, $remove, $append, $prepend, $delete, $get, $sum,
} from 'dynamodb-toolbox';
import { makeClient, ensureTable, deleteTable } from './helpers.mjs';

const TABLE = `dynalith_js_toolbox_${process.pid}_${Date.now()}`;
const client = makeClient();
const documentClient = DynamoDBDocumentClient.from(client);

const table = new Table({
  name: TABLE,
  partitionKey: { name: 'PK', type: 'string' },
  sortKey: { name: 'SK', type: 'string' },
  indexes: {
    byStatus: {
      type: 'global',
      partitionKey: { name: 'GSI1PK', type: 'string' },
      sortKey: { name: 'GSI1SK', type: 'string' },
    },
  },
  documentClient,
});

// Keys built by computeKey; default timestamps (_ct/_md, written with if_not_exists on update).
const Customer = new Entity({
  name: 'Customer',
  table,
  schema: item({
    customerId: string().key(),
    name: string(),
    orderCount: number().default(0),
  }),
  computeKey: ({ customerId }) => ({ PK: `CUSTOMER#${customerId}`, SK: 'PROFILE' }),
});

// Keys from savedAs + prefix transformers; GSI keys linked from other attributes.
const Order = new Entity({
  name: 'Order',
  table,
  timestamps: false,
  schema: item({
    customerId: string().key().savedAs('PK').transform(prefix('CUSTOMER')),
    orderId: string().key().savedAs('SK').transform(prefix('ORDER')),
    status: string().enum('pending', 'shipped', 'delivered'),
    total: number(),
    lines: list(string()).optional(),
    tags: set(string()).optional(),
    note: string().optional(),
    address: map({ city: string(), zip: string().optional() }).optional(),
  }).and((schema) => ({
    GSI1PK: string().hidden().putLink(({ status }) => `STATUS#${status}`),
    GSI1SK: string().hidden().putLink(({ orderId, customerId }) => `${orderId}#${customerId}`),
  })),
});

const STATUSES = ['pending', 'shipped', 'delivered'];
// 12 orders of customer c1: O01..O12, status cycling, total 10..120.
const C1_ORDERS = Array.from({ length: 12 }, (_, i) => ({
  customerId: 'c1',
  orderId: `O${String(i + 1).padStart(2, '0')}`,
  status: STATUSES[i % 3],
  total: (i + 1) * 10,
}));
const ids = (items) => items.map((o) => o.orderId);
const notExists = { attr: 'orderId', exists: false };

async function rejection(p) {
  const res = await p.then((v) => ({ ok: true, v }), (e) => ({ ok: false, e }));
  assert.ok(!res.ok, `expected a rejection, got ${JSON.stringify(res.v)}`);
  return res.e;
}

const putOrder = (o) => Order.build(PutItemCommand).item(o).options({ condition: notExists }).send();
const getOrder = async (customerId, orderId) =>
  (await Order.build(GetItemCommand).key({ customerId, orderId }).options({ consistent: true }).send()).Item;

describe('lib: dynamodb-toolbox', () => {
  before(async () => {
    await ensureTable(client, {
      TableName: TABLE,
      AttributeDefinitions: [
        { AttributeName: 'PK', AttributeType: 'S' },
        { AttributeName: 'SK', AttributeType: 'S' },
        { AttributeName: 'GSI1PK', AttributeType: 'S' },
        { AttributeName: 'GSI1SK', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'PK', KeyType: 'HASH' },
        { AttributeName: 'SK', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byStatus',
          KeySchema: [
            { AttributeName: 'GSI1PK', KeyType: 'HASH' },
            { AttributeName: 'GSI1SK', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    });
    await Customer.build(PutItemCommand).item({ customerId: 'c1', name: 'Ada' }).send();
    await Customer.build(PutItemCommand).item({ customerId: 'c2', name: 'Bob' }).send();
    // Reverse order on purpose: queries must sort by key themselves.
    for (const o of [...C1_ORDERS].reverse()) await putOrder(o);
    // Same order id and status under another customer: must show up in the GSI, not in c1's partition.
    await putOrder({ customerId: 'c2', orderId: 'O02', status: 'shipped', total: 5 });
  });

  after(async () => {
    await deleteTable(client, TABLE);
    client.destroy();
  });

  it('put + get round-trip, with key transforms, timestamps and hidden GSI keys', async () => {
    const order = {
      customerId: 'c3', orderId: 'A', status: 'pending', total: 12.5,
      lines: ['x', 'y'], tags: new Set(['t1', 't2']), note: 'n', address: { city: 'Paris', zip: '75001' },
    };
    await putOrder(order);
    assert.deepEqual(await getOrder('c3', 'A'), order);
    assert.equal(await getOrder('c3', 'missing'), undefined);

    const raw = await table.build(QueryCommand).query({ partition: 'CUSTOMER#c3', range: { eq: 'ORDER#A' } }).send();
    assert.equal(raw.Items.length, 1);
    assert.equal(raw.Items[0].GSI1PK, 'STATUS#pending');
    assert.equal(raw.Items[0]._et, 'Order');

    const customer = (await Customer.build(GetItemCommand).key({ customerId: 'c1' }).send()).Item;
    assert.equal(customer.name, 'Ada');
    assert.equal(customer.orderCount, 0);
    assert.match(customer.created, /^\d{4}-\d\d-\d\dT/);
    // dynamodb-toolbox reads the clock once per timestamp, so the two may
    // be a millisecond apart on a slow machine.
    assert.ok(Math.abs(Date.parse(customer.modified) - Date.parse(customer.created)) < 1000);
  });

  it('a conditional put on an existing key fails with ConditionalCheckFailed and the old item', async () => {
    const err = await rejection(
      Order.build(PutItemCommand)
        .item({ customerId: 'c1', orderId: 'O01', status: 'delivered', total: 1 })
        .options({ condition: notExists, returnValuesOnConditionFalse: 'ALL_OLD' })
        .send(),
    );
    assert.ok(isConditionCheckFailed(err, Order), `${err.name}: ${err.message}`);
    assert.deepEqual(err.FormattedItem, C1_ORDERS[0]);
    assert.deepEqual(await getOrder('c1', 'O01'), C1_ORDERS[0]);
  });

  it('projection of selected attributes', async () => {
    const { Item } = await Order.build(GetItemCommand).key({ customerId: 'c1', orderId: 'O05' }).options({ attributes: ['total', 'status'] }).send();
    assert.deepEqual(Item, { total: 50, status: 'shipped' });
  });

  it('update with $add/$sum/$subtract/$get/$append/$prepend/$remove, nested map path and a condition', async () => {
    await putOrder({
      customerId: 'c4', orderId: 'U', status: 'pending', total: 100, lines: ['b'],
      tags: new Set(['a', 'b', 'c']), note: 'gone soon', address: { city: 'Paris', zip: '75001' },
    });
    const { Attributes } = await Order.build(UpdateItemCommand)
      .item({
        customerId: 'c4', orderId: 'U',
        total: $add(5),
        lines: $append(['c', 'd']),
        tags: $add(new Set(['d'])),
        note: $remove(),
        address: { city: 'Lyon' },
      })
      .options({
        condition: { and: [{ attr: 'status', eq: 'pending' }, { attr: 'total', between: [50, 150] }, { attr: 'tags', contains: 'a' }] },
        returnValues: 'ALL_NEW',
      })
      .send();
    const expected = {
      customerId: 'c4', orderId: 'U', status: 'pending', total: 105, lines: ['b', 'c', 'd'],
      tags: new Set(['a', 'b', 'c', 'd']), address: { city: 'Lyon', zip: '75001' },
    };
    assert.deepEqual(Attributes, expected);
    assert.deepEqual(await getOrder('c4', 'U'), expected);

    // DELETE from a set in its own request: one expression may not ADD and DELETE the same path.
    const second = await Order.build(UpdateItemCommand)
      .item({
        customerId: 'c4', orderId: 'U',
        tags: $delete(new Set(['a', 'c'])),
        total: $subtract($get('total'), 5),
        lines: $prepend(['a']),
      })
      .options({ returnValues: 'UPDATED_NEW' })
      .send();
    assert.deepEqual(second.Attributes, { total: 100, lines: ['a', 'b', 'c', 'd'], tags: new Set(['b', 'd']) });

    const third = await Order.build(UpdateItemCommand)
      .item({ customerId: 'c4', orderId: 'U', total: $sum($get('total'), 11) })
      .options({ returnValues: 'UPDATED_OLD' })
      .send();
    assert.deepEqual(third.Attributes, { total: 100 });
    assert.equal((await getOrder('c4', 'U')).total, 111);
  });

  it('update of list elements by index, removal of a list element and of a map key', async () => {
    await putOrder({ customerId: 'c4', orderId: 'L', status: 'pending', total: 1, lines: ['a', 'b', 'c'], address: { city: 'Nice', zip: '06000' } });
    const { Attributes } = await Order.build(UpdateItemCommand)
      .item({ customerId: 'c4', orderId: 'L', lines: { 1: 'B', 2: $remove() }, address: { zip: $remove() } })
      .options({ returnValues: 'ALL_NEW' })
      .send();
    assert.deepEqual(Attributes, { customerId: 'c4', orderId: 'L', status: 'pending', total: 1, lines: ['a', 'B'], address: { city: 'Nice' } });
  });

  it('conditions: contains, exists, size, in, not, beginsWith, type, attribute-to-attribute', async () => {
    await putOrder({ customerId: 'c7', orderId: 'K1', status: 'pending', total: 10, lines: ['a'], tags: new Set(['red', 'blue']), note: 'hello' });
    await putOrder({ customerId: 'c7', orderId: 'K2', status: 'delivered', total: 3, lines: ['a', 'b', 'c'], tags: new Set(['green']), note: '3' });
    await putOrder({ customerId: 'c7', orderId: 'K3', status: 'delivered', total: 7 });
    const q = async (cond) => ids((await table.build(QueryCommand).entities(Order)
      .query({ partition: 'CUSTOMER#c7' }).options({ filters: { Order: cond } }).send()).Items);
    assert.deepEqual(await q({ attr: 'tags', contains: 'red' }), ['K1']);
    assert.deepEqual(await q({ attr: 'note', exists: true }), ['K1', 'K2']);
    assert.deepEqual(await q({ attr: 'note', exists: false }), ['K3']);
    assert.deepEqual(await q({ size: 'lines', gte: 2 }), ['K2']);
    assert.deepEqual(await q({ attr: 'status', in: ['shipped', 'delivered'] }), ['K2', 'K3']);
    assert.deepEqual(await q({ not: { attr: 'total', lt: 5 } }), ['K1', 'K3']);
    assert.deepEqual(await q({ attr: 'note', beginsWith: 'hel' }), ['K1']);
    assert.deepEqual(await q({ attr: 'tags', type: 'SS' }), ['K1', 'K2']);
    // A number never equals a string; K2 has 3 lines and a total of 3.
    assert.deepEqual(await q({ attr: 'total', eq: { attr: 'note' } }), []);
    assert.deepEqual(await q({ size: 'lines', eq: { attr: 'total' } }), ['K2']);
    const counted = await table.build(QueryCommand).entities(Order).query({ partition: 'CUSTOMER#c7' }).options({ select: 'COUNT' }).send();
    assert.equal(counted.Count, 3);
    assert.deepEqual(counted.Items ?? [], []);
  });

  it('update with a failing condition is rejected and changes nothing', async () => {
    await putOrder({ customerId: 'c5', orderId: 'W', status: 'delivered', total: 1 });
    const err = await rejection(
      Order.build(UpdateItemCommand)
        .item({ customerId: 'c5', orderId: 'W', total: $add(1), status: 'shipped' })
        .options({ condition: { attr: 'status', eq: 'pending' } })
        .send(),
    );
    assert.ok(isConditionCheckFailed(err), `${err.name}: ${err.message}`);
    assert.deepEqual(await getOrder('c5', 'W'), { customerId: 'c5', orderId: 'W', status: 'delivered', total: 1 });
  });

  it('update of a timestamped entity keeps created and counts with $add', async () => {
    const before = (await Customer.build(GetItemCommand).key({ customerId: 'c2' }).send()).Item;
    await new Promise((r) => setTimeout(r, 5));
    await Customer.build(UpdateItemCommand).item({ customerId: 'c2', orderCount: $add(2) }).send();
    const after = (await Customer.build(GetItemCommand).key({ customerId: 'c2' }).send()).Item;
    assert.equal(after.orderCount, 2);
    assert.equal(after.created, before.created);
    assert.ok(after.modified > before.modified, `${after.modified} > ${before.modified}`);
  });

  it('UpdateAttributesCommand replaces a whole map', async () => {
    await putOrder({ customerId: 'c4', orderId: 'M', status: 'pending', total: 1, address: { city: 'Nice', zip: '06000' } });
    await Order.build(UpdateAttributesCommand)
      .item({ customerId: 'c4', orderId: 'M', address: { city: 'Metz', zip: '57000' } })
      .send();
    assert.deepEqual((await getOrder('c4', 'M')).address, { city: 'Metz', zip: '57000' });
  });

  it('delete: failing condition keeps the item; passing returns the old item', async () => {
    await putOrder({ customerId: 'c6', orderId: 'D', status: 'delivered', total: 9 });
    const err = await rejection(
      Order.build(DeleteItemCommand).key({ customerId: 'c6', orderId: 'D' }).options({ condition: { attr: 'total', gt: 10 } }).send(),
    );
    assert.ok(isConditionCheckFailed(err), `${err.name}: ${err.message}`);
    const { Attributes } = await Order.build(DeleteItemCommand)
      .key({ customerId: 'c6', orderId: 'D' })
      .options({ condition: { attr: 'total', lte: 10 }, returnValues: 'ALL_OLD' })
      .send();
    assert.deepEqual(Attributes, { customerId: 'c6', orderId: 'D', status: 'delivered', total: 9 });
    assert.equal(await getOrder('c6', 'D'), undefined);
  });

  it('query of a partition with both entities, each item parsed by its entity', async () => {
    const res = await table.build(QueryCommand).entities(Customer, Order).query({ partition: 'CUSTOMER#c1' }).options({ showEntityAttr: true }).send();
    assert.equal(res.Count, 13);
    // SK order: ORDER#O01..ORDER#O12 sort before PROFILE.
    assert.deepEqual(res.Items.slice(0, 12).map(({ entity, ...o }) => o), C1_ORDERS);
    assert.ok(res.Items.slice(0, 12).every((o) => o.entity === 'Order'));
    assert.equal(res.Items[12].entity, 'Customer');
    assert.equal(res.Items[12].name, 'Ada');
  });

  it('query with beginsWith / between / gt / lte ranges and reverse', async () => {
    const q = (range, options = {}) =>
      table.build(QueryCommand).entities(Order).query({ partition: 'CUSTOMER#c1', range }).options(options).send();
    assert.deepEqual((await q({ beginsWith: 'ORDER#' })).Items, C1_ORDERS);
    assert.deepEqual(ids((await q({ beginsWith: 'ORDER#O0' })).Items), ['O01', 'O02', 'O03', 'O04', 'O05', 'O06', 'O07', 'O08', 'O09']);
    assert.deepEqual(ids((await q({ between: ['ORDER#O03', 'ORDER#O06'] })).Items), ['O03', 'O04', 'O05', 'O06']);
    assert.deepEqual(ids((await q({ gt: 'ORDER#O10' })).Items), ['O11', 'O12']);
    assert.deepEqual(ids((await q({ lte: 'ORDER#O02' })).Items), ['O01', 'O02']);
    assert.deepEqual(ids((await q({ beginsWith: 'ORDER#' }, { reverse: true, limit: 3 })).Items), ['O12', 'O11', 'O10']);
  });

  it('query with a filter counts scanned and matched items', async () => {
    const res = await table.build(QueryCommand).entities(Order)
      .query({ partition: 'CUSTOMER#c1', range: { beginsWith: 'ORDER#' } })
      .options({ filters: { Order: { or: [{ attr: 'total', gte: 110 }, { attr: 'status', eq: 'delivered' }] } } })
      .send();
    assert.deepEqual(ids(res.Items), ['O03', 'O06', 'O09', 'O11', 'O12']);
    assert.equal(res.Count, 5);
    assert.equal(res.ScannedCount, 12);
  });

  it('GSI query across partitions, sorted by the index sort key', async () => {
    const res = await table.build(QueryCommand).entities(Order).query({ index: 'byStatus', partition: 'STATUS#shipped' }).send();
    assert.deepEqual(res.Items.map((o) => `${o.orderId}/${o.customerId}`), ['O02/c1', 'O02/c2', 'O05/c1', 'O08/c1', 'O11/c1']);
    const ranged = await table.build(QueryCommand).entities(Order)
      .query({ index: 'byStatus', partition: 'STATUS#shipped', range: { between: ['O03', 'O09'] } })
      .send();
    assert.deepEqual(ids(ranged.Items), ['O05', 'O08']);
  });

  it('pagination: limit + exclusiveStartKey page by page, and maxPages', async () => {
    const pages = [];
    let exclusiveStartKey;
    do {
      const res = await table.build(QueryCommand).entities(Order)
        .query({ partition: 'CUSTOMER#c1', range: { beginsWith: 'ORDER#' } })
        .options({ limit: 5, exclusiveStartKey })
        .send();
      pages.push(ids(res.Items));
      exclusiveStartKey = res.LastEvaluatedKey;
      assert.ok(pages.length <= 4, 'too many pages');
    } while (exclusiveStartKey);
    assert.deepEqual(pages.map((p) => p.length), [5, 5, 2]);
    assert.deepEqual(pages.flat(), ids(C1_ORDERS));

    const all = await table.build(QueryCommand).entities(Order)
      .query({ partition: 'CUSTOMER#c1', range: { beginsWith: 'ORDER#' } })
      .options({ limit: 5, maxPages: Infinity })
      .send();
    assert.deepEqual(all.Items, C1_ORDERS);
    assert.equal(all.LastEvaluatedKey, undefined);

    const two = await table.build(QueryCommand).entities(Order)
      .query({ index: 'byStatus', partition: 'STATUS#shipped' })
      .options({ limit: 2, maxPages: 2 })
      .send();
    assert.deepEqual(two.Items.map((o) => `${o.orderId}/${o.customerId}`), ['O02/c1', 'O02/c2', 'O05/c1', 'O08/c1']);
    // A GSI's LastEvaluatedKey holds the index key and the table key.
    assert.deepEqual(two.LastEvaluatedKey, { GSI1PK: 'STATUS#shipped', GSI1SK: 'O08#c1', PK: 'CUSTOMER#c1', SK: 'ORDER#O08' });
  });

  it('batch write (puts + deletes) and batch get with a missing key, in request order', async () => {
    const orders = Array.from({ length: 20 }, (_, i) => ({
      customerId: 'batch', orderId: `B${String(i).padStart(2, '0')}`, status: 'pending', total: i,
    }));
    await putOrder({ customerId: 'batch', orderId: 'OLD', status: 'pending', total: 0 });
    const write = await executeBatchWrite(
      table.build(BatchWriteCommand).requests(
        ...orders.map((o) => Order.build(BatchPutRequest).item(o)),
        Order.build(BatchDeleteRequest).key({ customerId: 'batch', orderId: 'OLD' }),
      ),
    );
    assert.deepEqual(write.UnprocessedItems ?? {}, {});

    const keys = [...orders].reverse().map(({ customerId, orderId }) => ({ customerId, orderId }));
    const { Responses } = await executeBatchGet(
      { maxAttempts: 3 },
      table.build(BatchGetCommand).requests(
        ...keys.map((k) => Order.build(BatchGetRequest).key(k)),
        Order.build(BatchGetRequest).key({ customerId: 'batch', orderId: 'OLD' }),
      ),
    );
    assert.equal(Responses.length, 1);
    assert.deepEqual(Responses[0], [...[...orders].reverse(), undefined]);
  });

  it('deletePartition (query + batch delete) empties the partition', async () => {
    for (let i = 0; i < 30; i++) await putOrder({ customerId: 'gone', orderId: `G${i}`, status: 'pending', total: i });
    await table.build(DeletePartitionCommand).entities(Order).query({ partition: 'CUSTOMER#gone' }).send();
    const left = await table.build(QueryCommand).entities(Order).query({ partition: 'CUSTOMER#gone' }).send();
    assert.deepEqual(left.Items, []);
  });

  it('scan with a filter, and a parallel scan whose segments cover the table once', async () => {
    const res = await table.build(ScanCommand).entities(Order)
      .options({ filters: { Order: { and: [{ attr: 'customerId', eq: 'c1' }, { attr: 'total', gt: 90 }] } }, maxPages: Infinity })
      .send();
    assert.deepEqual(ids(res.Items).sort(), ['O10', 'O11', 'O12']);

    const full = await table.build(ScanCommand).entities(Customer, Order).options({ maxPages: Infinity }).send();
    const segs = [];
    for (let segment = 0; segment < 3; segment++) {
      const part = await table.build(ScanCommand).entities(Customer, Order).options({ segment, totalSegments: 3, limit: 4, maxPages: Infinity }).send();
      segs.push(...part.Items);
    }
    const key = (i) => JSON.stringify([i.customerId, i.orderId ?? ''].map(String));
    assert.deepEqual(segs.map(key).sort(), full.Items.map(key).sort());
    assert.ok(full.Items.length >= 14);
  });

  it('transact write commits put/update/delete/condition check together; transact get reads them', async () => {
    await putOrder({ customerId: 'tx', orderId: 'DEL', status: 'pending', total: 1 });
    await putOrder({ customerId: 'tx', orderId: 'CHK', status: 'shipped', total: 2 });
    await Customer.build(PutItemCommand).item({ customerId: 'tx', name: 'Tx' }).send();
    await executeTransactWrite(
      Order.build(PutTransaction).item({ customerId: 'tx', orderId: 'NEW', status: 'pending', total: 3 }).options({ condition: notExists }),
      Customer.build(UpdateTransaction).item({ customerId: 'tx', orderCount: $add(1) }).options({ condition: { attr: 'orderCount', eq: 0 } }),
      Order.build(DeleteTransaction).key({ customerId: 'tx', orderId: 'DEL' }).options({ condition: { attr: 'status', eq: 'pending' } }),
      Order.build(ConditionCheck).key({ customerId: 'tx', orderId: 'CHK' }).condition({ attr: 'status', eq: 'shipped' }),
    );
    const { Responses } = await executeTransactGet(
      Order.build(GetTransaction).key({ customerId: 'tx', orderId: 'NEW' }),
      Order.build(GetTransaction).key({ customerId: 'tx', orderId: 'DEL' }),
      Customer.build(GetTransaction).key({ customerId: 'tx' }).options({ attributes: ['orderCount'] }),
    );
    assert.deepEqual(Responses.map((r) => r.Item), [
      { customerId: 'tx', orderId: 'NEW', status: 'pending', total: 3 },
      undefined,
      { orderCount: 1 },
    ]);
  });

  it('a canceled transaction gives per-item reasons (with the old item) and writes nothing', async () => {
    await putOrder({ customerId: 'tx2', orderId: 'E', status: 'pending', total: 1 });
    await putOrder({ customerId: 'tx2', orderId: 'F', status: 'pending', total: 2 });
    const transactions = [
      Order.build(UpdateTransaction).item({ customerId: 'tx2', orderId: 'F', total: $add(100) }),
      Order.build(PutTransaction)
        .item({ customerId: 'tx2', orderId: 'E', status: 'delivered', total: 0 })
        .options({ condition: notExists, returnValuesOnConditionFalse: 'ALL_OLD' }),
    ];
    const err = await rejection(executeTransactWrite(...transactions));
    assert.ok(isTransactionCancelled(err, ...transactions), `${err.name}: ${err.message}`);
    assert.deepEqual(err.CancellationReasons.map((r) => r.Code), ['None', 'ConditionalCheckFailed']);
    assert.deepEqual(err.CancellationReasons[1].FormattedItem, { customerId: 'tx2', orderId: 'E', status: 'pending', total: 1 });
    assert.equal((await getOrder('tx2', 'F')).total, 2);
  });
});
