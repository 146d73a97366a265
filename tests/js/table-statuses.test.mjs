// `--transient-status-ms`: a table is CREATING, then DELETING, for a while, as on DynamoDB. Code
// that writes before the table is ACTIVE fails; the SDK's waiters (waitUntilTableExists,
// waitUntilTableNotExists) see it through, unchanged.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DynamoDBClient,
  CreateTableCommand,
  DeleteTableCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { clientConfig, describeTable, startDynalith, stopDynalith } from './helpers.mjs';

const DELAY_MS = 2500;
const TableName = 'Statuses';
const createTable = new CreateTableCommand({
  TableName,
  KeySchema: [{ AttributeName: 'PK', KeyType: 'HASH' }],
  AttributeDefinitions: [{ AttributeName: 'PK', AttributeType: 'S' }],
  BillingMode: 'PAY_PER_REQUEST',
});
// Waiters poll every second here (their default is every 20 s).
const waiting = (client) => ({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 });

describe('transient table statuses', () => {
  let server;
  let client;
  let doc;

  before(async () => {
    server = await startDynalith(['--transient-status-ms', String(DELAY_MS)]);
    client = new DynamoDBClient({ ...clientConfig(), endpoint: server.endpoint });
    doc = DynamoDBDocumentClient.from(client);
  });

  after(async () => {
    client?.destroy();
    if (server) await stopDynalith(server.child);
  });

  it('a write before the table is ACTIVE fails; after waitUntilTableExists it lands', async () => {
    const started = Date.now();
    const created = await client.send(createTable);
    assert.equal(created.TableDescription.TableStatus, 'CREATING');
    const put = new PutCommand({ TableName, Item: { PK: 'USER#1', name: 'Ana' } });
    await assert.rejects(doc.send(put), (err) => {
      assert.equal(err.name, 'ResourceNotFoundException');
      assert.equal(err.message, 'Requested resource not found');
      return true;
    });
    assert.equal((await describeTable(client, TableName)).TableStatus, 'CREATING');

    const result = await waitUntilTableExists(waiting(client), { TableName });
    assert.equal(result.state, 'SUCCESS');
    assert.ok(Date.now() - started >= DELAY_MS, `ACTIVE after ${Date.now() - started} ms`);
    await doc.send(put);
    const got = await doc.send(new GetCommand({ TableName, Key: { PK: 'USER#1' } }));
    assert.deepEqual(got.Item, { PK: 'USER#1', name: 'Ana' });
  });

  it('a DELETING table holds its name until waitUntilTableNotExists returns', async () => {
    const deleted = await client.send(new DeleteTableCommand({ TableName }));
    assert.equal(deleted.TableDescription.TableStatus, 'DELETING');
    assert.equal((await describeTable(client, TableName)).TableStatus, 'DELETING');
    await assert.rejects(client.send(createTable), (err) => {
      assert.equal(err.name, 'ResourceInUseException');
      assert.equal(err.message, `Table already exists: ${TableName}`);
      return true;
    });

    const result = await waitUntilTableNotExists(waiting(client), { TableName });
    assert.equal(result.state, 'SUCCESS');
    assert.equal(await describeTable(client, TableName), null);
    await client.send(createTable);
  });
});
