// The seed's two Query examples, unchanged apart from the client config.
// Skipped when DYNALITH_SKIP contains "query".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { makeClient, ensureTable, deleteTable, myTableInput, skipFor, acquireLock, releaseLock } from './helpers.mjs';

const SKIP = skipFor('query');
const client = SKIP ? null : makeClient();
const docClient = SKIP ? null : DynamoDBDocumentClient.from(client);
let createdTable = false;

const PROFILE = { PK: 'USER#123', SK: 'PROFILE', name: 'Alice', email: 'alice@example.com', GSI1PK: 'EMAIL#alice@example.com', GSI1SK: 'USER' };
// Put in non-sorted order on purpose: Query must return them sorted by SK.
const ORDERS = [
  { PK: 'USER#123', SK: 'ORDER#002', total: 25 },
  { PK: 'USER#123', SK: 'ORDER#001', total: 10.5 },
  { PK: 'USER#123', SK: 'ORDER#010', total: 99 },
];
// Same SK prefix under another PK, and a non-matching SK under our PK: neither may be returned.
const OTHERS = [
  { PK: 'USER#456', SK: 'ORDER#001', total: 1 },
  { PK: 'USER#123', SK: 'ADDRESS#home', city: 'Paris' },
];
const bySK = (a, b) => (a.SK < b.SK ? -1 : a.SK > b.SK ? 1 : 0);

describe('seed: Query on MyTable', () => {
  before(async () => {
    if (SKIP) return;
    await acquireLock('MyTable');
    createdTable = await ensureTable(client, myTableInput());
    await docClient.send(new PutCommand({ TableName: 'MyTable', Item: { PK: 'USER#123', SK: 'PROFILE', name: 'Alice', email: 'alice@example.com', GSI1PK: 'EMAIL#alice@example.com', GSI1SK: 'USER', }, }));
    for (const Item of [...ORDERS, ...OTHERS]) {
      await docClient.send(new PutCommand({ TableName: 'MyTable', Item }));
    }
  });

  after(async () => {
    if (SKIP) return;
    if (createdTable) {
      await deleteTable(client, 'MyTable');
    } else {
      for (const { PK, SK } of [PROFILE, ...ORDERS, ...OTHERS]) {
        await docClient.send(new DeleteCommand({ TableName: 'MyTable', Key: { PK, SK } }));
      }
    }
    client.destroy();
    releaseLock('MyTable');
  });

  it('Query by PK returns the profile item', { skip: SKIP }, async () => {
    const result = await docClient.send(new QueryCommand({ TableName: 'MyTable', KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': 'USER#123' }, }));

    assert.equal(result.$metadata.httpStatusCode, 200);
    assert.ok(result.Items.every((i) => i.PK === 'USER#123'), 'only items of USER#123');
    assert.deepEqual(result.Items.find((i) => i.SK === 'PROFILE'), PROFILE);
    const keys = result.Items.map((i) => i.SK);
    assert.deepEqual(keys, [...keys].sort(), 'items sorted by SK');
    if (createdTable) {
      // Fresh table: exactly our items under USER#123, in SK order.
      const expected = [PROFILE, ...ORDERS, OTHERS[1]].sort(bySK);
      assert.deepEqual(result.Items, expected);
      assert.equal(result.Count, expected.length);
      assert.equal(result.ScannedCount, expected.length);
    }
  });

  it("begins_with(SK, 'ORDER#') returns the order items", { skip: SKIP }, async () => {
    const orders = await docClient.send(new QueryCommand({ TableName: 'MyTable', KeyConditionExpression: 'PK = :pk AND begins_with(SK, :sk)', ExpressionAttributeValues: { ':pk': 'USER#123', ':sk': 'ORDER#' }, }));

    assert.equal(orders.$metadata.httpStatusCode, 200);
    assert.ok(orders.Items.every((i) => i.PK === 'USER#123' && i.SK.startsWith('ORDER#')));
    for (const o of ORDERS) {
      assert.deepEqual(orders.Items.find((i) => i.SK === o.SK), o);
    }
    if (createdTable) {
      assert.deepEqual(orders.Items, [...ORDERS].sort(bySK));
      assert.equal(orders.Count, ORDERS.length);
    }
  });
});
