// The seed's GSI Query example, unchanged apart from the client config. Needs MyTable with a
// global secondary index GSI1 (GSI1PK/GSI1SK); creates it that way when MyTable is absent.
// Skipped when DYNALITH_SKIP contains "gsi".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { makeClient, ensureTable, deleteTable, describeTable, myTableInput, skipFor, acquireLock, releaseLock } from './helpers.mjs';

const SKIP = skipFor('gsi');
const client = SKIP ? null : makeClient();
const docClient = SKIP ? null : DynamoDBDocumentClient.from(client);
let createdTable = false;

const PROFILE = { PK: 'USER#123', SK: 'PROFILE', name: 'Alice', email: 'alice@example.com', GSI1PK: 'EMAIL#alice@example.com', GSI1SK: 'USER' };
// Not in GSI1 (no GSI1PK), and in GSI1 under another partition: neither may be returned.
const OTHERS = [
  { PK: 'USER#123', SK: 'ORDER#001', total: 10 },
  { PK: 'USER#456', SK: 'PROFILE', name: 'Bob', email: 'bob@example.com', GSI1PK: 'EMAIL#bob@example.com', GSI1SK: 'USER' },
];

describe('seed: Query on GSI1 of MyTable', () => {
  before(async () => {
    if (SKIP) return;
    await acquireLock('MyTable');
    createdTable = await ensureTable(client, myTableInput({ withGsi1: true }));
    if (!createdTable) {
      const t = await describeTable(client, 'MyTable');
      const gsi = (t.GlobalSecondaryIndexes || []).find((g) => g.IndexName === 'GSI1');
      assert.ok(gsi, 'MyTable already exists without a GSI1 index: delete it and rerun');
    }
    await docClient.send(new PutCommand({ TableName: 'MyTable', Item: { PK: 'USER#123', SK: 'PROFILE', name: 'Alice', email: 'alice@example.com', GSI1PK: 'EMAIL#alice@example.com', GSI1SK: 'USER', }, }));
    for (const Item of OTHERS) {
      await docClient.send(new PutCommand({ TableName: 'MyTable', Item }));
    }
  });

  after(async () => {
    if (SKIP) return;
    if (createdTable) {
      await deleteTable(client, 'MyTable');
    } else {
      for (const { PK, SK } of [PROFILE, ...OTHERS]) {
        await docClient.send(new DeleteCommand({ TableName: 'MyTable', Key: { PK, SK } }));
      }
    }
    client.destroy();
    releaseLock('MyTable');
  });

  it('finds the user by email through GSI1', { skip: SKIP }, async () => {
    const byEmail = await docClient.send(new QueryCommand({ TableName: 'MyTable', IndexName: 'GSI1', KeyConditionExpression: 'GSI1PK = :pk', ExpressionAttributeValues: { ':pk': 'EMAIL#alice@example.com' }, }));

    assert.equal(byEmail.$metadata.httpStatusCode, 200);
    assert.equal(byEmail.Count, 1);
    assert.deepEqual(byEmail.Items, [PROFILE]);
  });
});
