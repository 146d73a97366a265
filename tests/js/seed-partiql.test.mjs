// The seed's PartiQL statements (INSERT, SELECT, UPDATE), run unchanged with
// lib-dynamodb's ExecuteStatementCommand, plus parameters and paging.
// Skipped when DYNALITH_SKIP contains "partiql".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DynamoDBDocumentClient, DeleteCommand, GetCommand, ExecuteStatementCommand } from '@aws-sdk/lib-dynamodb';
import { makeClient, ensureTable, deleteTable, myTableInput, skipFor, acquireLock, releaseLock } from './helpers.mjs';

const SKIP = skipFor('partiql');
const client = SKIP ? null : makeClient();
const docClient = SKIP ? null : DynamoDBDocumentClient.from(client);
let createdTable = false;

describe('seed: PartiQL on MyTable', () => {
  before(async () => {
    if (SKIP) return;
    await acquireLock('MyTable');
    createdTable = await ensureTable(client, myTableInput());
    await docClient.send(new DeleteCommand({ TableName: 'MyTable', Key: { PK: 'USER#123', SK: 'PROFILE' } }));
  });

  after(async () => {
    if (SKIP) return;
    if (createdTable) {
      await deleteTable(client, 'MyTable');
    } else {
      await docClient.send(new DeleteCommand({ TableName: 'MyTable', Key: { PK: 'USER#123', SK: 'PROFILE' } }));
      for (let i = 0; i < 7; i++) {
        await docClient.send(new DeleteCommand({ TableName: 'MyTable', Key: { PK: 'USER#123', SK: `ORDER#${i}` } }));
      }
    }
    client.destroy();
    releaseLock('MyTable');
  });

  it('inserts, selects and updates as the seed writes it', { skip: SKIP }, async () => {
    await docClient.send(new ExecuteStatementCommand({ Statement: `INSERT INTO "MyTable" VALUE {'PK': 'USER#123', 'SK': 'PROFILE', 'name': 'Alice'}` }));
    const selected = await docClient.send(new ExecuteStatementCommand({ Statement: `SELECT * FROM "MyTable" WHERE "PK" = 'USER#123'` }));
    assert.deepEqual(selected.Items, [{ PK: 'USER#123', SK: 'PROFILE', name: 'Alice' }]);
    await docClient.send(new ExecuteStatementCommand({ Statement: `UPDATE "MyTable" SET "name" = 'Updated' WHERE "PK" = 'USER#123' AND "SK" = 'PROFILE'` }));
    const got = await docClient.send(new GetCommand({ TableName: 'MyTable', Key: { PK: 'USER#123', SK: 'PROFILE' } }));
    assert.equal(got.Item.name, 'Updated');
  });

  it('binds parameters and pages with NextToken', { skip: SKIP }, async () => {
    for (let i = 0; i < 7; i++) {
      await docClient.send(new ExecuteStatementCommand({
        Statement: `INSERT INTO "MyTable" VALUE {'PK': ?, 'SK': ?, 'total': ?}`,
        Parameters: ['USER#123', `ORDER#${i}`, i * 10],
      }));
    }
    const totals = [];
    let NextToken;
    do {
      const page = await docClient.send(new ExecuteStatementCommand({
        Statement: `SELECT SK, total FROM "MyTable" WHERE "PK" = ? AND begins_with("SK", 'ORDER#')`,
        Parameters: ['USER#123'],
        Limit: 3,
        NextToken,
      }));
      totals.push(...page.Items.map((item) => item.total));
      NextToken = page.NextToken;
    } while (NextToken);
    assert.deepEqual(totals, [0, 10, 20, 30, 40, 50, 60]);

    await assert.rejects(
      docClient.send(new ExecuteStatementCommand({ Statement: `INSERT INTO "MyTable" VALUE {'PK': 'USER#123', 'SK': 'ORDER#0'}` })),
      (error) => error.name === 'DuplicateItemException',
    );
  });
});
