// Error shapes as the SDK sees them. The ConditionExpression part is skipped when
// DYNALITH_SKIP contains "condition".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { makeClient, ensureTable, deleteTable, skipFor } from './helpers.mjs';

const TABLE = 'dynalith_js_errors';
const client = makeClient();
const docClient = DynamoDBDocumentClient.from(client);
const SKIP_CONDITION = skipFor('condition');

after(() => client.destroy());

describe('errors: missing table', () => {
  it('GetItem on a missing table gives ResourceNotFoundException (HTTP 400)', async () => {
    const err = await client
      .send(new GetItemCommand({ TableName: 'dynalith_js_no_such_table', Key: { PK: { S: 'x' } } }))
      .then(() => null, (e) => e);
    assert.ok(err, 'GetItem on a missing table must fail');
    assert.equal(err.name, 'ResourceNotFoundException');
    assert.equal(err.$metadata.httpStatusCode, 400);
    assert.equal(err.$fault, 'client');
    assert.equal(typeof err.message, 'string');
    assert.ok(err.message.length > 0);
  });
});

describe('errors: ConditionExpression', () => {
  let created = false;
  before(async () => {
    if (SKIP_CONDITION) return;
    created = await ensureTable(client, {
      TableName: TABLE,
      AttributeDefinitions: [{ AttributeName: 'PK', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'PK', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
  });
  after(async () => {
    if (SKIP_CONDITION) return;
    if (created) await deleteTable(client, TABLE);
  });

  it('PutItem with attribute_not_exists(PK) twice gives ConditionalCheckFailedException',
    { skip: SKIP_CONDITION }, async () => {
      const put = (v) => docClient.send(new PutCommand({
        TableName: TABLE,
        Item: { PK: 'cond#1', v },
        ConditionExpression: 'attribute_not_exists(PK)',
      }));
      const first = await put('first');
      assert.equal(first.$metadata.httpStatusCode, 200);

      const err = await put('second').then(() => null, (e) => e);
      assert.ok(err, 'second conditional PutItem must fail');
      assert.equal(err.name, 'ConditionalCheckFailedException');
      assert.equal(err.$metadata.httpStatusCode, 400);

      const got = await docClient.send(new GetCommand({ TableName: TABLE, Key: { PK: 'cond#1' } }));
      assert.deepEqual(got.Item, { PK: 'cond#1', v: 'first' }, 'failed put must not change the item');
    });
});
