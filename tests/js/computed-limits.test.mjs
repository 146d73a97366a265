// Integer members given a number JavaScript computed, fraction and all (`Limit: pageSize / 2`).
// The SDK sends the number as it is; DynamoDB's JSON protocol truncates it toward zero (DynamoDB
// Local answers alike), so these requests run. Skipped when DYNALITH_SKIP contains "query".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  ScanCommand,
  paginateQuery,
} from '@aws-sdk/lib-dynamodb';
import { makeClient, ensureTable, deleteTable, skipFor } from './helpers.mjs';

const SKIP = skipFor('query');
const TABLE = 'dynalith_js_computed_limits';
const client = SKIP ? null : makeClient();
const docClient = SKIP ? null : DynamoDBDocumentClient.from(client);
let created = false;

// The request bodies the SDK sent, so each test can show a fraction went on the wire.
const sent = [];
if (client) {
  client.middlewareStack.add(
    (next) => async (args) => {
      sent.push(String(args.request.body));
      return next(args);
    },
    { step: 'finalizeRequest', name: 'recordBodies' },
  );
}
const lastBody = () => JSON.parse(sent[sent.length - 1]);

describe('Integer members with a fraction', { skip: SKIP }, () => {
  before(async () => {
    created = await ensureTable(client, {
      TableName: TABLE,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    });
    for (let sk = 0; sk < 5; sk++) {
      await docClient.send(new PutCommand({ TableName: TABLE, Item: { pk: 'p', sk } }));
    }
  });

  after(async () => {
    if (created) await deleteTable(client, TABLE);
    client.destroy();
  });

  it('Query with Limit 2.5 reads two items and says where to go on', async () => {
    const out = await docClient.send(new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'pk = :p',
      ExpressionAttributeValues: { ':p': 'p' },
      Limit: 5 / 2,
    }));
    assert.equal(lastBody().Limit, 2.5);
    assert.deepEqual(out.Items.map((i) => i.sk), [0, 1]);
    assert.deepEqual(out.LastEvaluatedKey, { pk: 'p', sk: 1 });
  });

  it('paginateQuery with a fractional pageSize reads every item once', async () => {
    const seen = [];
    let pages = 0;
    for await (const page of paginateQuery(
      { client: docClient, pageSize: 3 / 2 },
      { TableName: TABLE, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'p' } },
    )) {
      pages += 1;
      seen.push(...page.Items.map((i) => i.sk));
    }
    assert.equal(lastBody().Limit, 1.5);
    assert.deepEqual(seen, [0, 1, 2, 3, 4]);
    // One item a page, and a last page that finds there is nothing more.
    assert.equal(pages, 6);
  });

  it('Scan segments and ListTables take fractions too', async () => {
    const scanned = [];
    for (const Segment of [0, 1]) {
      const out = await docClient.send(new ScanCommand({
        TableName: TABLE,
        Segment: Segment + 0.5,
        TotalSegments: 2.9,
      }));
      assert.equal(lastBody().TotalSegments, 2.9);
      scanned.push(...out.Items.map((i) => i.sk));
    }
    assert.deepEqual(scanned.sort(), [0, 1, 2, 3, 4]);
    const tables = await client.send(new ListTablesCommand({ Limit: 1.9 }));
    assert.equal(lastBody().Limit, 1.9);
    assert.equal(tables.TableNames.length, 1);
  });

  it('a fraction that truncates below the minimum is refused as the whole number would be', async () => {
    const err = await docClient
      .send(new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :p',
        ExpressionAttributeValues: { ':p': 'p' },
        Limit: 0.5,
      }))
      .then(() => null, (e) => e);
    assert.ok(err, 'a Limit of 0.5 must be refused');
    assert.equal(err.name, 'ValidationException');
    assert.equal(
      err.message,
      "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
  });
});
