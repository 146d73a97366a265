// ExportTableToPointInTime and ImportTable with the JavaScript SDK and its own waiters
// (waitUntilExportCompleted, waitUntilImportCompleted), against a server started with --s3-dir
// (scripts/test.sh does; DYNALITH_S3_DIR names the directory). Skipped when DYNALITH_SKIP
// contains "exports" or DYNALITH_S3_DIR is not set.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  CreateTableCommand,
  UpdateContinuousBackupsCommand,
  ExportTableToPointInTimeCommand,
  ImportTableCommand,
  ListExportsCommand,
  waitUntilExportCompleted,
  waitUntilImportCompleted,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { makeClient, deleteTable, skipFor } from './helpers.mjs';

const S3_DIR = process.env.DYNALITH_S3_DIR;
const SKIP = skipFor('exports') || (!S3_DIR && 'DYNALITH_S3_DIR is not set');
const client = SKIP ? null : makeClient();
const docClient = SKIP ? null : DynamoDBDocumentClient.from(client);
const SOURCE = `js_export_${process.pid}`;
const COPY = `${SOURCE}_copy`;

const KEYS = {
  AttributeDefinitions: [{ AttributeName: 'PK', AttributeType: 'S' }, { AttributeName: 'SK', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'PK', KeyType: 'HASH' }, { AttributeName: 'SK', KeyType: 'RANGE' }],
  BillingMode: 'PAY_PER_REQUEST',
};

const byKey = (a, b) => `${a.PK}|${a.SK}`.localeCompare(`${b.PK}|${b.SK}`);

describe('exports and imports with the JavaScript SDK', { skip: SKIP }, () => {
  after(async () => {
    await deleteTable(client, SOURCE);
    await deleteTable(client, COPY);
  });

  it('exports a table with the SDK waiter and imports the export back', async () => {
    await client.send(new CreateTableCommand({ TableName: SOURCE, ...KEYS }));
    await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: SOURCE });
    await client.send(new UpdateContinuousBackupsCommand({
      TableName: SOURCE,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    }));
    const items = [];
    for (let i = 0; i < 12; i++) {
      items.push({ PK: `USER#${i % 3}`, SK: `ORDER#${i}`, total: i * 1.5, tags: new Set(['a', `t${i}`]), paid: i % 2 === 0 });
    }
    for (const Item of items) await docClient.send(new PutCommand({ TableName: SOURCE, Item }));

    const TableArn = `arn:aws:dynamodb:us-east-1:000000000000:table/${SOURCE}`;
    const started = await client.send(new ExportTableToPointInTimeCommand({
      TableArn, S3Bucket: 'js-exports', S3Prefix: 'orders', ExportFormat: 'ION',
    }));
    const ExportArn = started.ExportDescription.ExportArn;
    assert.ok(started.ExportDescription.ExportTime instanceof Date);
    await waitUntilExportCompleted({ client, maxWaitTime: 30, minDelay: 1 }, { ExportArn });
    const listed = await client.send(new ListExportsCommand({ TableArn }));
    const summary = listed.ExportSummaries.find((s) => s.ExportArn === ExportArn);
    assert.equal(summary.ExportStatus, 'COMPLETED');
    const exportId = ExportArn.split('/').pop();
    assert.ok(fs.existsSync(path.join(S3_DIR, 'js-exports', 'orders', 'AWSDynamoDB', exportId, 'manifest-summary.json')));

    const imported = await client.send(new ImportTableCommand({
      S3BucketSource: { S3Bucket: 'js-exports', S3KeyPrefix: `orders/AWSDynamoDB/${exportId}/data/` },
      InputFormat: 'ION',
      InputCompressionType: 'GZIP',
      TableCreationParameters: { TableName: COPY, ...KEYS },
    }));
    await waitUntilImportCompleted({ client, maxWaitTime: 30, minDelay: 1 },
      { ImportArn: imported.ImportTableDescription.ImportArn });
    const { Items } = await docClient.send(new ScanCommand({ TableName: COPY }));
    assert.deepEqual(Items.sort(byKey), items.sort(byKey));
  });
});
