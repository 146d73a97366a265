// The seed's TransactWriteCommand example, unchanged apart from the client config.
// Skipped when DYNALITH_SKIP contains "transact".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DynamoDBDocumentClient, PutCommand, GetCommand, DeleteCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { makeClient, ensureTable, deleteTable, myTableInput, skipFor, acquireLock, releaseLock } from './helpers.mjs';

const SKIP = skipFor('transact');
const client = SKIP ? null : makeClient();
const docClient = SKIP ? null : DynamoDBDocumentClient.from(client);
let createdTable = false;

describe('seed: TransactWriteCommand on MyTable', () => {
  before(async () => {
    if (SKIP) return;
    await acquireLock('MyTable');
    createdTable = await ensureTable(client, myTableInput());
    // A previous profile with more attributes: the transaction's Put must replace it whole.
    await docClient.send(new PutCommand({ TableName: 'MyTable', Item: { PK: 'USER#123', SK: 'PROFILE', name: 'Old', email: 'old@example.com' } }));
  });

  after(async () => {
    if (SKIP) return;
    if (createdTable) {
      await deleteTable(client, 'MyTable');
    } else {
      for (const SK of ['PROFILE', 'ORDER#789']) {
        await docClient.send(new DeleteCommand({ TableName: 'MyTable', Key: { PK: 'USER#123', SK } }));
      }
    }
    client.destroy();
    releaseLock('MyTable');
  });

  it('writes both items', { skip: SKIP }, async () => {
    const out = await docClient.send(new TransactWriteCommand({ TransactItems: [ { Put: { TableName: 'MyTable', Item: { PK: 'USER#123', SK: 'PROFILE', name: 'Alice' } } }, { Put: { TableName: 'MyTable', Item: { PK: 'USER#123', SK: 'ORDER#789', total: 99 } } }, ], }));
    assert.equal(out.$metadata.httpStatusCode, 200);

    const profile = await docClient.send(new GetCommand({ TableName: 'MyTable', Key: { PK: 'USER#123', SK: 'PROFILE' } }));
    assert.deepEqual(profile.Item, { PK: 'USER#123', SK: 'PROFILE', name: 'Alice' });
    const order = await docClient.send(new GetCommand({ TableName: 'MyTable', Key: { PK: 'USER#123', SK: 'ORDER#789' } }));
    assert.deepEqual(order.Item, { PK: 'USER#123', SK: 'ORDER#789', total: 99 });
  });
});
