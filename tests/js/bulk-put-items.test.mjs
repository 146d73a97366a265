// StartBulkPutItems, DescribeBulkOperation, ListBulkOperations and CancelBulkOperation with the
// JavaScript SDK and its waiter (waitUntilBulkOperationCompleted), against a server started with
// --s3-dir (scripts/test.sh does; DYNALITH_S3_DIR names the directory). Input records are
// written into the directory as S3 objects; the report is read back from it. Skipped when
// DYNALITH_SKIP contains "exports" or DYNALITH_S3_DIR is not set.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import {
  CreateTableCommand,
  StartBulkPutItemsCommand,
  DescribeBulkOperationCommand,
  CancelBulkOperationCommand,
  paginateListBulkOperations,
  waitUntilBulkOperationCompleted,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { makeClient, deleteTable, skipFor } from './helpers.mjs';

const S3_DIR = process.env.DYNALITH_S3_DIR;
const SKIP = skipFor('exports') || (!S3_DIR && 'DYNALITH_S3_DIR is not set');
const client = SKIP ? null : makeClient();
const docClient = SKIP ? null : DynamoDBDocumentClient.from(client);
const TABLE = `js_bulk_${process.pid}`;
const BUCKET = 'js-bulk';

function putObject(key, bytes) {
  const file = path.join(S3_DIR, BUCKET, key);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
}

const completed = (BulkOperationArn) =>
  waitUntilBulkOperationCompleted({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { BulkOperationArn });

describe('bulk put items with the JavaScript SDK', { skip: SKIP }, () => {
  after(async () => {
    await deleteTable(client, TABLE);
  });

  it('puts the items of S3 objects under their conditions and reports the rest', async () => {
    await client.send(new CreateTableCommand({
      TableName: TABLE,
      AttributeDefinitions: [
        { AttributeName: 'PK', AttributeType: 'S' },
        { AttributeName: 'SK', AttributeType: 'S' },
        { AttributeName: 'status', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'PK', KeyType: 'HASH' }, { AttributeName: 'SK', KeyType: 'RANGE' }],
      GlobalSecondaryIndexes: [{
        IndexName: 'by_status',
        KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }],
        Projection: { ProjectionType: 'ALL' },
      }],
      BillingMode: 'PAY_PER_REQUEST',
    }));
    await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: TABLE });
    await docClient.send(new PutCommand({ TableName: TABLE, Item: { PK: 'USER#1', SK: 'PROFILE', version: 5, status: 'active' } }));

    // DynamoDB JSON lines, gzip'd: plain puts, a put that must not overwrite, a versioned put.
    const lines = [];
    for (let i = 0; i < 40; i++) {
      lines.push({ Item: { PK: { S: `USER#${i % 4}` }, SK: { S: `ORDER#${String(i).padStart(3, '0')}` }, status: { S: i % 2 ? 'open' : 'shipped' }, total: { N: `${i}.5` } } });
    }
    lines.push({
      Item: { PK: { S: 'USER#1' }, SK: { S: 'PROFILE' }, version: { N: '1' } },
      ConditionExpression: 'attribute_not_exists(PK)',
    });
    lines.push({
      Item: { PK: { S: 'USER#1' }, SK: { S: 'PROFILE' }, version: { N: '6' }, status: { S: 'active' } },
      ConditionExpression: '#v = :current',
      ExpressionAttributeNames: { '#v': 'version' },
      ExpressionAttributeValues: { ':current': { N: '5' } },
    });
    lines.push({ Item: { SK: { S: 'no partition key' } } });
    const text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
    putObject('orders/part-0001.json.gz', zlib.gzipSync(text));

    const started = await client.send(new StartBulkPutItemsCommand({
      TableName: TABLE,
      InputS3Configuration: { S3Bucket: BUCKET, S3KeyPrefix: 'orders/', InputFormat: 'DYNAMODB_JSON', InputCompressionType: 'GZIP' },
      OutputS3Configuration: { S3Bucket: BUCKET, S3KeyPrefix: 'reports', OutputType: ['ERROR', 'CONDITION_CHECK_FAILURE'] },
    }));
    const description = started.BulkOperationDescription;
    assert.equal(description.BulkOperationStatus, 'IN_PROGRESS');
    assert.ok(description.StartTime instanceof Date);
    assert.equal(description.TableDetails[0].TableName, TABLE);
    assert.ok(description.ClientToken, 'the SDK sends a ClientToken of its own');
    const { BulkOperationArn } = description;

    const waited = await completed(BulkOperationArn);
    const done = waited.reason.BulkOperationDescription;
    assert.equal(done.BulkOperationStatus, 'COMPLETED_WITH_ERRORS');
    assert.equal(done.ProcessedItemCount, 43);
    assert.equal(done.FailedItemCount, 1);
    assert.ok(done.EndTime instanceof Date);
    assert.equal(done.TotalInputBytes, done.ProcessedInputBytes);
    const usage = done.BulkOperationUsage[0];
    assert.ok(usage.GlobalSecondaryIndexes.by_status.BulkPutBytes > 0);
    assert.equal(usage.BulkPutBytes, usage.Table.BulkPutBytes + usage.GlobalSecondaryIndexes.by_status.BulkPutBytes);

    const profile = await docClient.send(new GetCommand({ TableName: TABLE, Key: { PK: 'USER#1', SK: 'PROFILE' } }));
    assert.equal(profile.Item.version, 6);
    const shipped = await docClient.send(new QueryCommand({
      TableName: TABLE, IndexName: 'by_status',
      KeyConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'status' }, ExpressionAttributeValues: { ':s': 'shipped' },
    }));
    assert.equal(shipped.Items.length, 20);

    const id = BulkOperationArn.split('/').pop();
    const base = path.join(S3_DIR, BUCKET, 'reports', 'AWSDynamoDB', id);
    const read = (kind) => fs.readFileSync(path.join(base, kind, 'part-00001.json'), 'utf8')
      .trim().split('\n').map((l) => JSON.parse(l));
    const [failure] = read('CONDITION_CHECK_FAILURE');
    assert.equal(failure.RecordNumber, 41);
    assert.deepEqual(failure.Item.version, { N: '1' });
    assert.deepEqual(failure.ExistingItem.version, { N: '5' });
    const [error] = read('ERROR');
    assert.equal(error.RecordNumber, 43);
    assert.equal(error.S3Key, 'orders/part-0001.json.gz');
    const manifest = JSON.parse(fs.readFileSync(path.join(base, 'manifest.json'), 'utf8'));
    assert.deepEqual(manifest.Files.map((f) => f.OutputType).sort(), ['CONDITION_CHECK_FAILURE', 'ERROR']);

    // Listed newest first, through the SDK's paginator.
    const listed = [];
    for await (const page of paginateListBulkOperations({ client, pageSize: 1 }, {})) {
      listed.push(...page.BulkOperationsSummaryList);
    }
    const mine = listed.find((s) => s.BulkOperationArn === BulkOperationArn);
    assert.equal(mine.BulkOperationStatus, 'COMPLETED_WITH_ERRORS');

    // A finished operation cannot be cancelled; an unknown one is not found.
    await assert.rejects(client.send(new CancelBulkOperationCommand({ BulkOperationArn })),
      { name: 'ValidationException' });
    await assert.rejects(client.send(new DescribeBulkOperationCommand({ BulkOperationArn: `${BulkOperationArn.slice(0, -4)}0000` })),
      { name: 'ResourceNotFoundException' });
  });

  it('loads Ion and validates its request as DynamoDB does', async () => {
    const ion = Array.from({ length: 10 }, (_, i) => `{Item:{PK:"ION#${i}",SK:"A",status:"open",n:${i}}}`).join('\n');
    putObject('ion/data.ion', ion);
    const started = await client.send(new StartBulkPutItemsCommand({
      TableName: TABLE,
      InputS3Configuration: { S3Bucket: BUCKET, S3KeyPrefix: 'ion/', InputFormat: 'ION' },
      OutputS3Configuration: { S3Bucket: BUCKET, OutputType: ['ERROR'] },
      MaxWriteRequestUnits: 2048,
      PerformanceTier: 'ACCELERATED',
    }));
    const waited = await completed(started.BulkOperationDescription.BulkOperationArn);
    const done = waited.reason.BulkOperationDescription;
    assert.equal(done.BulkOperationStatus, 'COMPLETED');
    assert.equal(done.ProcessedItemCount, 10);
    assert.equal(done.MaxWriteRequestUnits, 2048);
    assert.equal(done.PerformanceTier, 'ACCELERATED');
    const item = await docClient.send(new GetCommand({ TableName: TABLE, Key: { PK: 'ION#7', SK: 'A' } }));
    assert.equal(item.Item.n, 7);

    await assert.rejects(client.send(new StartBulkPutItemsCommand({
      TableName: TABLE,
      InputS3Configuration: { S3Bucket: BUCKET, InputFormat: 'ION' },
      OutputS3Configuration: { S3Bucket: BUCKET, OutputType: ['ERROR'] },
      MaxWriteRequestUnits: 10,
    })), (err) => err.name === 'ValidationException' && /maxWriteRequestUnits/.test(err.message));
    await assert.rejects(client.send(new StartBulkPutItemsCommand({
      TableName: `${TABLE}_missing`,
      InputS3Configuration: { S3Bucket: BUCKET, InputFormat: 'ION' },
      OutputS3Configuration: { S3Bucket: BUCKET, OutputType: ['ERROR'] },
    })), { name: 'ResourceNotFoundException' });
  });
});
