// The seed's PutCommand example, unchanged apart from the client config, then a GetCommand
// reading the item back. Creates MyTable (PK/SK strings, PAY_PER_REQUEST) if absent.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DynamoDBDocumentClient, PutCommand, GetCommand, DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { makeClient, ensureTable, deleteTable, myTableInput, acquireLock, releaseLock } from './helpers.mjs';

const client = makeClient();
const docClient = DynamoDBDocumentClient.from(client);
let createdTable = false;

describe('seed: PutCommand + GetCommand on MyTable', () => {
  before(async () => {
    await acquireLock('MyTable');
    createdTable = await ensureTable(client, myTableInput());
  });

  after(async () => {
    if (createdTable) {
      await deleteTable(client, 'MyTable');
    } else {
      await docClient.send(new DeleteCommand({ TableName: 'MyTable', Key: { PK: 'USER#123', SK: 'PROFILE' } }));
    }
    client.destroy();
    releaseLock('MyTable');
  });

  it('puts the seed item and reads back every attribute', async () => {
    await docClient.send(new PutCommand({ TableName: 'MyTable', Item: { PK: 'USER#123', SK: 'PROFILE', name: 'Alice', email: 'alice@example.com', GSI1PK: 'EMAIL#alice@example.com', GSI1SK: 'USER', }, }));

    const got = await docClient.send(new GetCommand({ TableName: 'MyTable', Key: { PK: 'USER#123', SK: 'PROFILE' } }));
    assert.equal(got.$metadata.httpStatusCode, 200);
    assert.deepEqual(got.Item, {
      PK: 'USER#123',
      SK: 'PROFILE',
      name: 'Alice',
      email: 'alice@example.com',
      GSI1PK: 'EMAIL#alice@example.com',
      GSI1SK: 'USER',
    });
  });

  it('GetCommand on a missing key returns no Item', async () => {
    const got = await docClient.send(new GetCommand({ TableName: 'MyTable', Key: { PK: 'USER#does-not-exist', SK: 'PROFILE' } }));
    assert.equal(got.$metadata.httpStatusCode, 200);
    assert.equal(got.Item, undefined);
  });
});
