// Dynamoose 4, unchanged, against the server. Dynamoose creates its tables itself (describe,
// create, wait for ACTIVE), then runs its own item, query/scan, batch and transaction requests.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dynamoose from 'dynamoose';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { clientConfig, makeClient, deleteTable } from './helpers.mjs';

const RUN = `${process.pid}_${Date.now()}`;
const TABLE = `dynalith_js_dynamoose_${RUN}`;
const CAT_TABLE = `dynalith_js_dynamoose_cat_${RUN}`;
const client = makeClient();
const ddb = new dynamoose.aws.ddb.DynamoDB(clientConfig());
dynamoose.aws.ddb.set(ddb);

// A model with its own table, created by Dynamoose with its defaults (provisioned 1/1).
// initialize: false + an explicit initialize() so a failing setup fails the test: with
// automatic setup Dynamoose would queue every request forever instead.
const Cat = dynamoose.model(CAT_TABLE, new dynamoose.Schema({ id: Number, name: String }), {
  create: true,
  waitForActive: true,
  initialize: false,
});

// Two models in one table (single-table design): user profile and orders under PK USER#<id>.
const keys = {
  pk: { type: String, hashKey: true },
  sk: { type: String, rangeKey: true },
};
const User = dynamoose.model('User', new dynamoose.Schema({
  ...keys,
  name: { type: String, required: true },
  email: String,
  age: Number,
  tags: { type: Set, schema: [String] },
  friends: { type: Array, schema: [String] },
  address: { type: Object, schema: { city: String, zip: String } },
}, { timestamps: true }));
const Order = dynamoose.model('Order', new dynamoose.Schema({
  ...keys,
  status: { type: String, enum: ['pending', 'shipped', 'delivered'], required: true },
  total: { type: Number, required: true },
  gsi1pk: { type: String, index: { name: 'gsi1', type: 'global', rangeKey: 'gsi1sk' } },
  gsi1sk: String,
}));
const table = new dynamoose.Table(TABLE, [User, Order], { create: true, waitForActive: true, throughput: 'ON_DEMAND', initialize: false });

const STATUSES = ['pending', 'shipped', 'delivered'];
// 12 orders of u1: O01..O12, status cycling, total 10..120, GSI keyed by status.
const U1_ORDERS = Array.from({ length: 12 }, (_, i) => {
  const id = `O${String(i + 1).padStart(2, '0')}`;
  return { pk: 'USER#u1', sk: `ORDER#${id}`, status: STATUSES[i % 3], total: (i + 1) * 10, gsi1pk: `STATUS#${STATUSES[i % 3]}`, gsi1sk: `${id}#u1` };
});
const sks = (items) => items.map((o) => o.sk);
const plain = (doc) => (doc ? doc.toJSON() : doc);
const ddbKey = (o) => ({ pk: o.pk, sk: o.sk });

async function rejection(p) {
  const res = await p.then((v) => ({ ok: true, v }), (e) => ({ ok: false, e }));
  assert.ok(!res.ok, `expected a rejection, got ${JSON.stringify(res.v)}`);
  return res.e;
}

describe('lib: Dynamoose', () => {
  before(async () => {
    await table.initialize();
    await User.create({ pk: 'USER#u1', sk: 'PROFILE', name: 'Ada', age: 36 });
    // Reverse order on purpose: queries must sort by key themselves.
    for (const o of [...U1_ORDERS].reverse()) await Order.create(o);
    // Same status and order id under another user: GSI queries must see it, u1 queries must not.
    await Order.create({ pk: 'USER#u2', sk: 'ORDER#O02', status: 'shipped', total: 5, gsi1pk: 'STATUS#shipped', gsi1sk: 'O02#u2' });
  });

  after(async () => {
    await deleteTable(client, TABLE);
    await deleteTable(client, CAT_TABLE);
    client.destroy();
  });

  it('model with create + waitForActive creates its table and uses it', async () => {
    await Cat.table().initialize();
    const t = (await client.send(new DescribeTableCommand({ TableName: CAT_TABLE }))).Table;
    assert.equal(t.TableStatus, 'ACTIVE');
    assert.deepEqual(t.KeySchema, [{ AttributeName: 'id', KeyType: 'HASH' }]);
    assert.deepEqual(t.AttributeDefinitions, [{ AttributeName: 'id', AttributeType: 'N' }]);
    assert.equal(t.ProvisionedThroughput.ReadCapacityUnits, 1);
    assert.equal(t.ProvisionedThroughput.WriteCapacityUnits, 1);

    await Cat.create({ id: 1, name: 'Tom' });
    assert.deepEqual(plain(await Cat.get(1)), { id: 1, name: 'Tom' });
  });

  it('a second model on that table with update: [throughput, indexes] switches billing and adds a GSI', async () => {
    await Cat.create({ id: 2, name: 'Felix' });
    const CatV2 = dynamoose.model('CatV2', new dynamoose.Schema({
      id: Number,
      name: { type: String, index: { name: 'byName', type: 'global' } },
    }));
    const v2 = new dynamoose.Table(CAT_TABLE, [CatV2], {
      create: true,
      update: ['throughput', 'indexes'],
      throughput: 'ON_DEMAND',
      waitForActive: { enabled: true, check: { timeout: 30_000, frequency: 100 } },
      initialize: false,
    });
    await v2.initialize();
    const t = (await client.send(new DescribeTableCommand({ TableName: CAT_TABLE }))).Table;
    assert.equal(t.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
    assert.deepEqual(t.GlobalSecondaryIndexes.map((g) => [g.IndexName, g.IndexStatus, g.KeySchema]), [
      ['byName', 'ACTIVE', [{ AttributeName: 'name', KeyType: 'HASH' }]],
    ]);
    // Items written before the index existed must be in it (backfill).
    const felix = await CatV2.query('name').eq('Felix').exec();
    assert.deepEqual(felix.map(plain), [{ id: 2, name: 'Felix' }]);
  });

  it('the shared table was created on demand with the GSI from the second model', async () => {
    const t = (await client.send(new DescribeTableCommand({ TableName: TABLE }))).Table;
    assert.equal(t.TableStatus, 'ACTIVE');
    assert.equal(t.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
    assert.deepEqual(t.KeySchema, [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }]);
    assert.deepEqual(t.GlobalSecondaryIndexes.map((g) => [g.IndexName, g.KeySchema, g.Projection.ProjectionType, g.IndexStatus]), [
      ['gsi1', [{ AttributeName: 'gsi1pk', KeyType: 'HASH' }, { AttributeName: 'gsi1sk', KeyType: 'RANGE' }], 'ALL', 'ACTIVE'],
    ]);
  });

  it('create + get round-trip with set, list, map and timestamps; missing key gives undefined', async () => {
    await User.create({
      pk: 'USER#u3', sk: 'PROFILE', name: 'Cy', email: 'cy@example.com', age: 20,
      tags: new Set(['a', 'b']), friends: ['u1', 'u2'], address: { city: 'Paris', zip: '75001' },
    });
    const got = await User.get({ pk: 'USER#u3', sk: 'PROFILE' });
    assert.ok(got.createdAt instanceof Date);
    assert.ok(Math.abs(Date.now() - got.createdAt.getTime()) < 60_000, String(got.createdAt));
    assert.equal(got.updatedAt.getTime(), got.createdAt.getTime());
    // toJSON() does not keep Sets, so the set is compared on the item itself.
    assert.deepEqual(got.tags, new Set(['a', 'b']));
    const { createdAt, updatedAt, tags, ...data } = plain(got);
    assert.deepEqual(data, {
      pk: 'USER#u3', sk: 'PROFILE', name: 'Cy', email: 'cy@example.com', age: 20,
      friends: ['u1', 'u2'], address: { city: 'Paris', zip: '75001' },
    });
    assert.equal(await User.get({ pk: 'USER#u3', sk: 'nope' }), undefined);
    assert.deepEqual(plain(await User.get({ pk: 'USER#u3', sk: 'PROFILE' }, { attributes: ['name', 'age'] })), { name: 'Cy', age: 20 });
  });

  it('create of an existing key fails (attribute_not_exists); save() overwrites', async () => {
    const err = await rejection(Order.create({ ...U1_ORDERS[0], total: 1 }));
    assert.equal(err.name, 'ConditionalCheckFailedException', err.message);
    assert.equal((await Order.get(ddbKey(U1_ORDERS[0]))).total, 10);

    await Order.create({ pk: 'USER#u4', sk: 'ORDER#S', status: 'pending', total: 1 });
    const doc = await Order.get({ pk: 'USER#u4', sk: 'ORDER#S' });
    doc.total = 2;
    await doc.save();
    assert.equal((await Order.get({ pk: 'USER#u4', sk: 'ORDER#S' })).total, 2);
    // save with a condition that does not hold must fail and keep the stored item.
    doc.total = 3;
    const saveErr = await rejection(doc.save({ condition: new dynamoose.Condition('status').eq('shipped') }));
    assert.equal(saveErr.name, 'ConditionalCheckFailedException', saveErr.message);
    assert.equal((await Order.get({ pk: 'USER#u4', sk: 'ORDER#S' })).total, 2);
  });

  it('update with $SET/$ADD (number, set, list)/$REMOVE/$DELETE and a condition', async () => {
    await User.create({
      pk: 'USER#u5', sk: 'PROFILE', name: 'Di', email: 'di@example.com', age: 30,
      tags: new Set(['a', 'b', 'c']), friends: ['x'],
    });
    const before = await User.get({ pk: 'USER#u5', sk: 'PROFILE' });
    await new Promise((r) => setTimeout(r, 5));
    const updated = await User.update(
      { pk: 'USER#u5', sk: 'PROFILE' },
      { $SET: { name: 'Dee' }, $ADD: { age: 2, tags: ['d'], friends: ['y', 'z'] }, $REMOVE: ['email'] },
      { condition: new dynamoose.Condition('age').ge(30).and().where('name').eq('Di') },
    );
    assert.equal(updated.name, 'Dee');
    assert.equal(updated.age, 32);
    assert.deepEqual(updated.tags, new Set(['a', 'b', 'c', 'd']));
    assert.deepEqual(updated.friends, ['x', 'y', 'z']);
    assert.equal(updated.email, undefined);
    assert.ok(updated.updatedAt.getTime() > before.updatedAt.getTime(), 'updatedAt bumped');
    assert.equal(updated.createdAt.getTime(), before.createdAt.getTime());

    // DELETE from a set in its own update: one expression may not ADD and DELETE the same path.
    const second = await User.update({ pk: 'USER#u5', sk: 'PROFILE' }, { $DELETE: { tags: ['a', 'c'] } });
    assert.deepEqual(second.tags, new Set(['b', 'd']));
    const stored = await User.get({ pk: 'USER#u5', sk: 'PROFILE' });
    assert.deepEqual([stored.name, stored.age, stored.tags, stored.friends, 'email' in stored], ['Dee', 32, new Set(['b', 'd']), ['x', 'y', 'z'], false]);
  });

  it('update with a failing condition is rejected and changes nothing', async () => {
    await Order.create({ pk: 'USER#u6', sk: 'ORDER#W', status: 'delivered', total: 1 });
    const err = await rejection(
      Order.update({ pk: 'USER#u6', sk: 'ORDER#W' }, { $ADD: { total: 1 } }, { condition: new dynamoose.Condition('status').eq('pending') }),
    );
    assert.equal(err.name, 'ConditionalCheckFailedException', err.message);
    assert.equal((await Order.get({ pk: 'USER#u6', sk: 'ORDER#W' })).total, 1);
  });

  it('delete: a failing condition keeps the item, a passing one removes it', async () => {
    await Order.create({ pk: 'USER#u7', sk: 'ORDER#D', status: 'pending', total: 9 });
    const err = await rejection(Order.delete({ pk: 'USER#u7', sk: 'ORDER#D' }, { condition: new dynamoose.Condition('total').gt(10) }));
    assert.equal(err.name, 'ConditionalCheckFailedException', err.message);
    assert.notEqual(await Order.get({ pk: 'USER#u7', sk: 'ORDER#D' }), undefined);
    await Order.delete({ pk: 'USER#u7', sk: 'ORDER#D' }, { condition: new dynamoose.Condition('total').le(10) });
    assert.equal(await Order.get({ pk: 'USER#u7', sk: 'ORDER#D' }), undefined);
  });

  it('query with beginsWith / between / le on the sort key, and descending sort', async () => {
    const q = () => Order.query('pk').eq('USER#u1').where('sk');
    const all = await q().beginsWith('ORDER#').exec();
    assert.deepEqual(all.map(plain), U1_ORDERS);
    assert.equal(all.count, 12);
    assert.deepEqual(sks(await q().beginsWith('ORDER#O0').exec()), U1_ORDERS.slice(0, 9).map((o) => o.sk));
    assert.deepEqual(sks(await q().between('ORDER#O03', 'ORDER#O06').exec()), ['ORDER#O03', 'ORDER#O04', 'ORDER#O05', 'ORDER#O06']);
    assert.deepEqual(sks(await q().le('ORDER#O02').exec()), ['ORDER#O01', 'ORDER#O02']);
    const desc = await q().beginsWith('ORDER#').sort('descending').limit(3).exec();
    assert.deepEqual(sks(desc), ['ORDER#O12', 'ORDER#O11', 'ORDER#O10']);
  });

  it('query with a filter and a count query', async () => {
    const res = await Order.query('pk').eq('USER#u1').where('sk').beginsWith('ORDER#')
      .filter('status').eq('delivered').and().filter('total').ge(60)
      .exec();
    assert.deepEqual(sks(res), ['ORDER#O06', 'ORDER#O09', 'ORDER#O12']);
    assert.equal(res.count, 3);
    // (Dynamoose's queriedCount reads a QueriedCount field that DynamoDB never sends, so it is not checked.)
    const counted = await Order.query('pk').eq('USER#u1').where('sk').beginsWith('ORDER#').filter('status').eq('shipped').count().exec();
    assert.equal(counted.count, 4);
  });

  it('conditions: in, exists, contains, not, beginsWith, and attribute projection', async () => {
    await User.create({ pk: 'USER#c1', sk: 'PROFILE', name: 'Kai', email: 'kai@example.com', age: 10, tags: new Set(['red', 'blue']) });
    await User.create({ pk: 'USER#c2', sk: 'PROFILE', name: 'Lea', age: 20, tags: new Set(['green']) });
    await User.create({ pk: 'USER#c3', sk: 'PROFILE', name: 'Max', age: 30 });
    const scan = async (cond) => (await User.scan(cond).all().exec()).map((u) => u.name).sort();
    const C = () => new dynamoose.Condition('pk').beginsWith('USER#c').and();
    assert.deepEqual(await scan(C().where('age').in([10, 30])), ['Kai', 'Max']);
    assert.deepEqual(await scan(C().where('email').exists()), ['Kai']);
    assert.deepEqual(await scan(C().where('email').not().exists()), ['Lea', 'Max']);
    assert.deepEqual(await scan(C().where('tags').contains('green')), ['Lea']);
    assert.deepEqual(await scan(C().where('name').not().eq('Kai')), ['Lea', 'Max']);
    assert.deepEqual(await scan(C().where('age').between(15, 35).and().where('name').beginsWith('M')), ['Max']);
    assert.deepEqual(await scan(C().parenthesis((c) => c.where('age').lt(15).or().where('age').gt(25))), ['Kai', 'Max']);

    const projected = await Order.query('pk').eq('USER#u1').where('sk').beginsWith('ORDER#O0').attributes(['sk', 'total']).limit(2).exec();
    assert.deepEqual(projected.map(plain), [{ sk: 'ORDER#O01', total: 10 }, { sk: 'ORDER#O02', total: 20 }]);
    const consistent = await Order.get(ddbKey(U1_ORDERS[1]), { consistent: true });
    assert.deepEqual(plain(consistent), U1_ORDERS[1]);
  });

  it('GSI query (index picked from the hash key, or named with using()), between and gt on its sort key', async () => {
    const auto = await Order.query('gsi1pk').eq('STATUS#shipped').exec();
    assert.deepEqual(auto.map((o) => o.gsi1sk), ['O02#u1', 'O02#u2', 'O05#u1', 'O08#u1', 'O11#u1']);
    const named = await Order.query('gsi1pk').eq('STATUS#shipped').where('gsi1sk').between('O03', 'O09').using('gsi1').exec();
    assert.deepEqual(sks(named), ['ORDER#O05', 'ORDER#O08']);
    const after = await Order.query('gsi1pk').eq('STATUS#shipped').where('gsi1sk').gt('O05#u1').exec();
    assert.deepEqual(sks(after), ['ORDER#O08', 'ORDER#O11']);
  });

  it('pagination: limit + startAt(lastKey) page by page, and all()', async () => {
    const pages = [];
    let lastKey;
    do {
      let query = Order.query('pk').eq('USER#u1').where('sk').beginsWith('ORDER#').limit(5);
      if (lastKey) query = query.startAt(lastKey);
      const page = await query.exec();
      pages.push(sks(page));
      lastKey = page.lastKey;
      assert.ok(pages.length <= 4, 'too many pages');
    } while (lastKey);
    assert.deepEqual(pages.map((p) => p.length), [5, 5, 2]);
    assert.deepEqual(pages.flat(), sks(U1_ORDERS));

    const all = await Order.query('pk').eq('USER#u1').where('sk').beginsWith('ORDER#').limit(5).all().exec();
    assert.deepEqual(all.map(plain), U1_ORDERS);
    assert.equal(all.lastKey, undefined);

    const gsiPage = await Order.query('gsi1pk').eq('STATUS#shipped').limit(2).exec();
    // A GSI's LastEvaluatedKey holds the index key and the table key.
    assert.deepEqual(gsiPage.lastKey, { gsi1pk: 'STATUS#shipped', gsi1sk: 'O02#u2', pk: 'USER#u2', sk: 'ORDER#O02' });
    const gsiRest = await Order.query('gsi1pk').eq('STATUS#shipped').startAt(gsiPage.lastKey).exec();
    assert.deepEqual(gsiRest.map((o) => o.gsi1sk), ['O05#u1', 'O08#u1', 'O11#u1']);
  });

  // Dynamoose sends one BatchWriteItem per call (no chunking), so calls stay within 25 items.
  it('batchPut, batchGet with a missing key, batchDelete', async () => {
    const orders = Array.from({ length: 30 }, (_, i) => ({ pk: 'USER#batch', sk: `ORDER#B${String(i).padStart(2, '0')}`, status: 'pending', total: i }));
    assert.deepEqual((await Order.batchPut(orders.slice(0, 25))).unprocessedItems, []);
    assert.deepEqual((await Order.batchPut(orders.slice(25))).unprocessedItems, []);

    const got = await Order.batchGet([...orders.slice(0, 20).map(ddbKey), { pk: 'USER#batch', sk: 'ORDER#none' }]);
    assert.deepEqual(got.unprocessedKeys, []);
    assert.deepEqual(got.map(plain).sort((a, b) => a.total - b.total), orders.slice(0, 20));

    assert.deepEqual((await Order.batchDelete(orders.slice(0, 25).map(ddbKey))).unprocessedItems, []);
    assert.deepEqual((await Order.batchDelete(orders.slice(25, 27).map(ddbKey))).unprocessedItems, []);
    const left = await Order.query('pk').eq('USER#batch').exec();
    assert.deepEqual(sks(left), ['ORDER#B27', 'ORDER#B28', 'ORDER#B29']);
  });

  it('scan with a filter, with all() over small pages, and a parallel scan', async () => {
    const res = await Order.scan('pk').eq('USER#u1').and().where('total').gt(90).all().exec();
    assert.deepEqual(sks(res).sort(), ['ORDER#O10', 'ORDER#O11', 'ORDER#O12']);
    const counted = await Order.scan('pk').eq('USER#u1').and().where('sk').beginsWith('ORDER#').count().exec();
    assert.equal(counted.count, 12);
    assert.ok(counted.scannedCount >= 14, `scannedCount ${counted.scannedCount} covers the whole table`);

    const paged = await Order.scan('pk').eq('USER#u1').and().where('sk').beginsWith('ORDER#').limit(4).all().exec();
    assert.deepEqual(sks(paged).sort(), sks(U1_ORDERS));

    const whole = await Order.scan().all().exec();
    const parallel = await Order.scan().parallel(3).all().exec();
    const k = (i) => `${i.pk}|${i.sk}`;
    assert.deepEqual(parallel.map(k).sort(), whole.map(k).sort());
    assert.ok(whole.length >= 14);
  });

  it('transaction: create/update/delete/condition commit together; get transaction reads them', async () => {
    await Order.create({ pk: 'USER#tx', sk: 'ORDER#DEL', status: 'pending', total: 1 });
    await Order.create({ pk: 'USER#tx', sk: 'ORDER#CHK', status: 'shipped', total: 2 });
    await User.create({ pk: 'USER#tx', sk: 'PROFILE', name: 'Tx', age: 1 });
    await dynamoose.transaction([
      Order.transaction.create({ pk: 'USER#tx', sk: 'ORDER#NEW', status: 'pending', total: 3 }),
      User.transaction.update({ pk: 'USER#tx', sk: 'PROFILE' }, { $ADD: { age: 1 } }, { condition: new dynamoose.Condition('age').eq(1) }),
      Order.transaction.delete({ pk: 'USER#tx', sk: 'ORDER#DEL' }, { condition: new dynamoose.Condition('status').eq('pending') }),
      Order.transaction.condition({ pk: 'USER#tx', sk: 'ORDER#CHK' }, new dynamoose.Condition('status').eq('shipped')),
    ]);
    // Dynamoose cannot parse the empty response of a missing item in a get transaction
    // (it does on DynamoDB too), so the deleted item is checked with a plain get.
    const got = await dynamoose.transaction([
      Order.transaction.get({ pk: 'USER#tx', sk: 'ORDER#NEW' }),
      User.transaction.get({ pk: 'USER#tx', sk: 'PROFILE' }),
    ]);
    assert.equal(got.length, 2);
    assert.deepEqual(plain(got[0]), { pk: 'USER#tx', sk: 'ORDER#NEW', status: 'pending', total: 3 });
    assert.equal(got[1].age, 2);
    assert.equal(await Order.get({ pk: 'USER#tx', sk: 'ORDER#DEL' }), undefined);
  });

  it('a canceled transaction throws TransactionCanceledException and writes nothing', async () => {
    await Order.create({ pk: 'USER#tx2', sk: 'ORDER#E', status: 'pending', total: 1 });
    await Order.create({ pk: 'USER#tx2', sk: 'ORDER#F', status: 'pending', total: 2 });
    const err = await rejection(dynamoose.transaction([
      Order.transaction.update({ pk: 'USER#tx2', sk: 'ORDER#F' }, { $ADD: { total: 100 } }),
      Order.transaction.create({ pk: 'USER#tx2', sk: 'ORDER#E', status: 'delivered', total: 0 }),
    ]));
    assert.equal(err.name, 'TransactionCanceledException', err.message);
    assert.deepEqual(err.CancellationReasons.map((r) => r.Code), ['None', 'ConditionalCheckFailed']);
    assert.equal((await Order.get({ pk: 'USER#tx2', sk: 'ORDER#F' })).total, 2);
  });
});
