// Kinesis Data Streams destinations end to end: a dynalith of this test's own started with
// --kinesis-endpoint, a Kinesis emulator (kinesalite, in this process) behind a proxy that can
// refuse PutRecords, the destination managed with client-dynamodb (Enable, Describe, Update,
// Disable KinesisStreamingDestination), items written with lib-dynamodb, and the records read
// back from Kinesis with client-kinesis.
//
// Skipped when DYNALITH_SKIP contains "kinesis".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import kinesalite from 'kinesalite';
import {
  KinesisClient,
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  ListShardsCommand,
  GetShardIteratorCommand,
  GetRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import {
  DynamoDBClient,
  CreateTableCommand,
  EnableKinesisStreamingDestinationCommand,
  DescribeKinesisStreamingDestinationCommand,
  UpdateKinesisStreamingDestinationCommand,
  DisableKinesisStreamingDestinationCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand, DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { skipFor, startDynalith, stopDynalith } from './helpers.mjs';

const SKIP = skipFor('kinesis');
const RUN = `${process.pid}_${Date.now()}`;
const CREDENTIALS = { accessKeyId: 'dummy', secretAccessKey: 'dummy' };

/**
 * kinesalite on a free port, and in front of it the proxy dynalith is given: it forwards every
 * call, except that it answers 500 to PutRecords while `state.blocked` or `state.refuse` > 0.
 */
async function startKinesis() {
  const emulator = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0 });
  await new Promise((resolve) => emulator.listen(0, '127.0.0.1', resolve));
  const upstream = emulator.address().port;
  const state = { refuse: 0, blocked: false, refused: 0, putRecords: 0, authorizations: [] };
  const proxy = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const target = req.headers['x-amz-target'] || '';
      state.authorizations.push(req.headers.authorization || '');
      if (target.endsWith('.PutRecords')) {
        state.putRecords++;
        if (state.blocked || state.refuse > 0) {
          if (state.refuse > 0) state.refuse--;
          state.refused++;
          res.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
          res.end('{"__type":"InternalFailure","message":"refused by the test"}');
          return;
        }
      }
      const forward = http.request(
        { host: '127.0.0.1', port: upstream, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const kinesis = new KinesisClient({
    endpoint: `http://127.0.0.1:${upstream}`,
    region: 'us-east-1',
    credentials: CREDENTIALS,
    // The Kinesis client speaks HTTP/2 by default (for SubscribeToShard); the emulator, HTTP/1.1.
    requestHandler: new NodeHttpHandler(),
  });
  return {
    url: `http://127.0.0.1:${proxy.address().port}`,
    state,
    kinesis,
    close() {
      proxy.close();
      emulator.close();
    },
  };
}

/** Creates a Kinesis stream of two shards; its ARN. */
async function createStream(kinesis, StreamName) {
  await kinesis.send(new CreateStreamCommand({ StreamName, ShardCount: 2 }));
  for (let i = 0; i < 50; i++) {
    const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName }));
    if (s.StreamStatus === 'ACTIVE') return s.StreamARN;
    await sleep(100);
  }
  throw new Error(`stream ${StreamName} never became ACTIVE`);
}

/** Every record of the stream, shard by shard in order, each as { partitionKey, data } with data parsed. */
async function readStream(kinesis, StreamName) {
  const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName }));
  const records = [];
  for (const { ShardId } of Shards) {
    let { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName, ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    for (;;) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
      for (const r of page.Records) {
        records.push({ partitionKey: r.PartitionKey, data: JSON.parse(Buffer.from(r.Data).toString('utf8')) });
      }
      if (page.Records.length === 0 || !page.NextShardIterator) break;
      ShardIterator = page.NextShardIterator;
    }
  }
  return records;
}

/** Reads the stream until `count` records are there (or 20 s pass); then checks no more come. */
async function waitForRecords(kinesis, StreamName, count) {
  let records = [];
  for (let i = 0; i < 200; i++) {
    records = await readStream(kinesis, StreamName);
    if (records.length >= count) break;
    await sleep(100);
  }
  assert.equal(records.length, count, `records: ${JSON.stringify(records.map((r) => r.data.eventName))}`);
  return records;
}

/** Describes the table's destinations until `StreamArn`'s status is `status` (or 10 s pass). */
async function waitForStatus(dynamodb, TableName, StreamArn, status) {
  let last;
  for (let i = 0; i < 100; i++) {
    const out = await dynamodb.send(new DescribeKinesisStreamingDestinationCommand({ TableName }));
    last = out.KinesisDataStreamDestinations.find((d) => d.StreamArn === StreamArn);
    if (last?.DestinationStatus === status) return last;
    await sleep(100);
  }
  assert.fail(`${StreamArn} is ${JSON.stringify(last)}, never ${status}`);
}

async function createTable(dynamodb, TableName) {
  await dynamodb.send(
    new CreateTableCommand({
      TableName,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

function clientsFor(endpoint) {
  const dynamodb = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS });
  return { dynamodb, doc: DynamoDBDocumentClient.from(dynamodb) };
}

describe('Kinesis streaming destinations', { skip: SKIP }, () => {
  let kinesisSide;
  let server;

  before(async () => {
    kinesisSide = await startKinesis();
    server = await startDynalith(['--kinesis-endpoint', kinesisSide.url]);
  });

  after(async () => {
    if (server) await stopDynalith(server.child);
    kinesisSide?.close();
  });

  it('sends every change as DynamoDB writes it to Kinesis, in order per item', async () => {
    const { dynamodb, doc } = clientsFor(server.endpoint);
    const TableName = `dynalith_js_kds_${RUN}`;
    const StreamName = `orders_${RUN}`;
    const StreamArn = await createStream(kinesisSide.kinesis, StreamName);
    await createTable(dynamodb, TableName);

    const enabled = await dynamodb.send(new EnableKinesisStreamingDestinationCommand({ TableName, StreamArn }));
    assert.equal(enabled.DestinationStatus, 'ENABLING');
    assert.equal(enabled.TableName, TableName);
    assert.equal(enabled.StreamArn, StreamArn);
    const active = await waitForStatus(dynamodb, TableName, StreamArn, 'ACTIVE');
    assert.equal(active.ApproximateCreationDateTimePrecision, 'MICROSECOND');

    const before = Date.now();
    await doc.send(new PutCommand({ TableName, Item: { pk: 'order#1', status: 'NEW', total: 10 } }));
    await doc.send(new UpdateCommand({
      TableName,
      Key: { pk: 'order#1' },
      UpdateExpression: 'SET #s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': 'PAID' },
    }));
    await doc.send(new PutCommand({ TableName, Item: { pk: 'order#2', status: 'NEW' } }));
    await doc.send(new DeleteCommand({ TableName, Key: { pk: 'order#1' } }));
    // A write that changes nothing is no change record, as in DynamoDB Streams.
    await doc.send(new PutCommand({ TableName, Item: { pk: 'order#2', status: 'NEW' } }));
    const after = Date.now();

    const records = await waitForRecords(kinesisSide.kinesis, StreamName, 4);
    const first = records.filter((r) => r.data.dynamodb.Keys.pk.S === 'order#1');
    assert.deepEqual(first.map((r) => r.data.eventName), ['INSERT', 'MODIFY', 'REMOVE']);
    // One partition key per item: Kinesis keeps an item's records on one shard, in order.
    assert.equal(new Set(first.map((r) => r.partitionKey)).size, 1);
    const [insert, modify, remove] = first.map((r) => r.data);
    for (const data of [insert, modify, remove]) {
      assert.equal(data.awsRegion, 'us-east-1');
      assert.equal(data.tableName, TableName);
      assert.equal(data.recordFormat, 'application/json');
      assert.equal(data.eventSource, 'aws:dynamodb');
      assert.equal(data.userIdentity, null);
      assert.match(data.eventID, /^[0-9a-f-]{36}$/);
      assert.equal(data.dynamodb.ApproximateCreationDateTimePrecision, 'MICROSECOND');
      const micros = data.dynamodb.ApproximateCreationDateTime;
      assert.ok(micros >= before * 1000 - 1000 && micros <= after * 1000 + 1000, `${micros} not in [${before}, ${after}] ms`);
      assert.ok(data.dynamodb.SizeBytes > 0);
      assert.equal(data.dynamodb.SequenceNumber, undefined);
    }
    assert.deepEqual(insert.dynamodb.NewImage, { pk: { S: 'order#1' }, status: { S: 'NEW' }, total: { N: '10' } });
    assert.equal(insert.dynamodb.OldImage, undefined);
    assert.deepEqual(modify.dynamodb.OldImage.status, { S: 'NEW' });
    assert.deepEqual(modify.dynamodb.NewImage.status, { S: 'PAID' });
    assert.deepEqual(remove.dynamodb.OldImage.status, { S: 'PAID' });
    assert.equal(remove.dynamodb.NewImage, undefined);
    assert.equal(new Set(records.map((r) => r.data.eventID)).size, 4);
    // Signed for Kinesis in the stream's Region.
    assert.ok(kinesisSide.state.authorizations.every((a) => /^AWS4-HMAC-SHA256 Credential=\S+\/us-east-1\/kinesis\/aws4_request, /.test(a)),
      kinesisSide.state.authorizations[0]);

    // Milliseconds from an update on.
    const updated = await dynamodb.send(new UpdateKinesisStreamingDestinationCommand({
      TableName,
      StreamArn,
      UpdateKinesisStreamingConfiguration: { ApproximateCreationDateTimePrecision: 'MILLISECOND' },
    }));
    assert.equal(updated.DestinationStatus, 'UPDATING');
    const now = await waitForStatus(dynamodb, TableName, StreamArn, 'ACTIVE');
    assert.equal(now.ApproximateCreationDateTimePrecision, 'MILLISECOND');
    const beforeMillis = Date.now();
    await doc.send(new PutCommand({ TableName, Item: { pk: 'order#3' } }));
    const withMillis = (await waitForRecords(kinesisSide.kinesis, StreamName, 5))
      .find((r) => r.data.dynamodb.Keys.pk.S === 'order#3').data.dynamodb;
    assert.equal(withMillis.ApproximateCreationDateTimePrecision, 'MILLISECOND');
    assert.ok(Math.abs(withMillis.ApproximateCreationDateTime - beforeMillis) < 5_000, `${withMillis.ApproximateCreationDateTime}`);

    // Disabled: later writes are not sent.
    const disabled = await dynamodb.send(new DisableKinesisStreamingDestinationCommand({ TableName, StreamArn }));
    assert.equal(disabled.DestinationStatus, 'DISABLING');
    await waitForStatus(dynamodb, TableName, StreamArn, 'DISABLED');
    await doc.send(new PutCommand({ TableName, Item: { pk: 'order#4' } }));
    await sleep(1_000);
    assert.equal((await readStream(kinesisSide.kinesis, StreamName)).length, 5);

    // Enabled again: changes from then on.
    await dynamodb.send(new EnableKinesisStreamingDestinationCommand({ TableName, StreamArn }));
    await waitForStatus(dynamodb, TableName, StreamArn, 'ACTIVE');
    await doc.send(new PutCommand({ TableName, Item: { pk: 'order#5' } }));
    const last = await waitForRecords(kinesisSide.kinesis, StreamName, 6);
    assert.ok(last.some((r) => r.data.dynamodb.Keys.pk.S === 'order#5'));
    assert.ok(!last.some((r) => r.data.dynamodb.Keys.pk.S === 'order#4'));
  });

  it('a stream the Kinesis endpoint does not have fails to enable, saying so', async () => {
    const { dynamodb, doc } = clientsFor(server.endpoint);
    const TableName = `dynalith_js_kds_missing_${RUN}`;
    const StreamArn = `arn:aws:kinesis:us-east-1:000000000000:stream/no_such_stream_${RUN}`;
    await createTable(dynamodb, TableName);
    await dynamodb.send(new EnableKinesisStreamingDestinationCommand({ TableName, StreamArn }));
    const failed = await waitForStatus(dynamodb, TableName, StreamArn, 'ENABLE_FAILED');
    assert.match(failed.DestinationStatusDescription, /not found/);
    // The table works as before, and the destination may be enabled again.
    await doc.send(new PutCommand({ TableName, Item: { pk: 'a' } }));
    const again = await dynamodb.send(new EnableKinesisStreamingDestinationCommand({ TableName, StreamArn }));
    assert.equal(again.DestinationStatus, 'ENABLING');
    await waitForStatus(dynamodb, TableName, StreamArn, 'ENABLE_FAILED');
  });

  it('an item Time to Live deletes arrives as a REMOVE by the DynamoDB service', async () => {
    const { dynamodb, doc } = clientsFor(server.endpoint);
    const TableName = `dynalith_js_kds_ttl_${RUN}`;
    const StreamName = `expiries_${RUN}`;
    const StreamArn = await createStream(kinesisSide.kinesis, StreamName);
    await createTable(dynamodb, TableName);
    await dynamodb.send(new UpdateTimeToLiveCommand({
      TableName,
      TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' },
    }));
    await dynamodb.send(new EnableKinesisStreamingDestinationCommand({ TableName, StreamArn }));
    await waitForStatus(dynamodb, TableName, StreamArn, 'ACTIVE');
    await doc.send(new PutCommand({ TableName, Item: { pk: 'session#1', expiresAt: Math.floor(Date.now() / 1000) - 60 } }));
    await doc.send(new PutCommand({ TableName, Item: { pk: 'session#2' } }));
    await doc.send(new DeleteCommand({ TableName, Key: { pk: 'session#2' } }));
    // INSERT and REMOVE of session#2 by a request, INSERT and the expiry of session#1.
    const records = await waitForRecords(kinesisSide.kinesis, StreamName, 4);
    const removes = records.filter((r) => r.data.eventName === 'REMOVE');
    const expired = removes.find((r) => r.data.dynamodb.Keys.pk.S === 'session#1').data;
    assert.deepEqual(expired.userIdentity, { type: 'Service', principalId: 'dynamodb.amazonaws.com' });
    const deleted = removes.find((r) => r.data.dynamodb.Keys.pk.S === 'session#2').data;
    assert.equal(deleted.userIdentity, null);
  });

  it('refused PutRecords calls are retried until Kinesis takes every record, in order', async () => {
    const { dynamodb, doc } = clientsFor(server.endpoint);
    const TableName = `dynalith_js_kds_retry_${RUN}`;
    const StreamName = `retried_${RUN}`;
    const StreamArn = await createStream(kinesisSide.kinesis, StreamName);
    await createTable(dynamodb, TableName);
    await dynamodb.send(new EnableKinesisStreamingDestinationCommand({ TableName, StreamArn }));
    await waitForStatus(dynamodb, TableName, StreamArn, 'ACTIVE');
    kinesisSide.state.refuse = 3;
    const refusedBefore = kinesisSide.state.refused;
    for (let v = 1; v <= 20; v++) {
      await doc.send(new PutCommand({ TableName, Item: { pk: `item#${v % 4}`, v } }));
    }
    const records = await waitForRecords(kinesisSide.kinesis, StreamName, 20);
    assert.equal(kinesisSide.state.refused - refusedBefore, 3);
    for (let k = 0; k < 4; k++) {
      const values = records
        .filter((r) => r.data.dynamodb.Keys.pk.S === `item#${k}`)
        .map((r) => Number(r.data.dynamodb.NewImage.v.N));
      assert.deepEqual(values, [...values].sort((a, b) => a - b), `item#${k}: ${values}`);
      assert.equal(values.length, 5);
    }
  });
});

describe('Kinesis streaming destinations across a crash', { skip: SKIP }, () => {
  it('records not yet delivered when the server is killed are delivered after its restart', async () => {
    const kinesisSide = await startKinesis();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dynalith-kds-'));
    const args = ['--data-dir', dataDir, '--kinesis-endpoint', kinesisSide.url];
    let server = await startDynalith(args, { inMemory: false });
    try {
      const { dynamodb, doc } = clientsFor(server.endpoint);
      const TableName = `dynalith_js_kds_crash_${RUN}`;
      const StreamName = `crash_${RUN}`;
      const StreamArn = await createStream(kinesisSide.kinesis, StreamName);
      await createTable(dynamodb, TableName);
      await dynamodb.send(new EnableKinesisStreamingDestinationCommand({ TableName, StreamArn }));
      await waitForStatus(dynamodb, TableName, StreamArn, 'ACTIVE');
      // Kinesis refuses everything while the items are written; then the server dies.
      kinesisSide.state.blocked = true;
      for (let i = 0; i < 10; i++) {
        await doc.send(new PutCommand({ TableName, Item: { pk: `p${i}`, i } }));
      }
      for (let i = 0; i < 100 && kinesisSide.state.refused === 0; i++) await sleep(50);
      assert.ok(kinesisSide.state.refused > 0, 'the server never tried to deliver');
      server.child.kill('SIGKILL');
      await new Promise((resolve) => server.child.once('exit', resolve));
      assert.equal((await readStream(kinesisSide.kinesis, StreamName)).length, 0);

      kinesisSide.state.blocked = false;
      server = await startDynalith(args, { inMemory: false });
      const records = await waitForRecords(kinesisSide.kinesis, StreamName, 10);
      assert.deepEqual(
        records.map((r) => r.data.dynamodb.Keys.pk.S).sort(),
        Array.from({ length: 10 }, (_, i) => `p${i}`).sort(),
      );
      const { dynamodb: after } = clientsFor(server.endpoint);
      const { KinesisDataStreamDestinations: [destination] } = await after.send(
        new DescribeKinesisStreamingDestinationCommand({ TableName }),
      );
      assert.equal(destination.DestinationStatus, 'ACTIVE');
    } finally {
      await stopDynalith(server.child);
      kinesisSide.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
