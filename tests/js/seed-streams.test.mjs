// DynamoDB Streams through the AWS SDK for JavaScript v3: writes made with lib-dynamodb read
// back with client-dynamodb-streams (ListStreams, DescribeStream, GetShardIterator, GetRecords),
// and the seed's "DynamoDB Streams + Lambda" handler (seed-stream-handler.mjs, unchanged) run
// as a `--stream-trigger` of a dynalith started by this test.
//
// DYNALITH_BIN  the dynalith binary for the trigger test (default: ../../target/debug/dynalith,
//               or $CARGO_TARGET_DIR/debug/dynalith, relative to this directory).
// Skipped when DYNALITH_SKIP contains "streams".
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, DeleteCommand } from '@aws-sdk/lib-dynamodb';
import {
  DynamoDBStreamsClient,
  ListStreamsCommand,
  DescribeStreamCommand,
  GetShardIteratorCommand,
  GetRecordsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb-streams';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  makeClient, clientConfig, ensureTable, deleteTable, describeTable, myTableInput, skipFor,
  startDynalith, stopDynalith,
} from './helpers.mjs';
import { handler } from './seed-stream-handler.mjs';

const SKIP = skipFor('streams');
const RUN = `${process.pid}_${Date.now()}`;

/** A PK/SK (strings) on-demand table with a NEW_AND_OLD_IMAGES stream. */
function streamedTableInput(TableName) {
  return {
    ...myTableInput(),
    TableName,
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  };
}

/** Follows NextShardIterator from `ShardIterator` until a page comes back empty. */
async function readRecords(streams, ShardIterator, Limit) {
  const records = [];
  let pages = 0;
  let position = ShardIterator;
  for (;;) {
    assert.ok(pages < 1000, 'GetRecords never returned an empty page');
    const page = await streams.send(new GetRecordsCommand({ ShardIterator: position, Limit }));
    pages++;
    assert.equal(page.$metadata.httpStatusCode, 200);
    assert.ok(Array.isArray(page.Records), 'GetRecords must return a Records list');
    if (Limit) assert.ok(page.Records.length <= Limit, `${page.Records.length} records > Limit ${Limit}`);
    records.push(...page.Records);
    if (page.Records.length === 0 || !page.NextShardIterator) {
      return { records, pages, next: page.NextShardIterator };
    }
    position = page.NextShardIterator;
  }
}

describe('streams: lib-dynamodb writes read back with client-dynamodb-streams', () => {
  const TABLE = `dynalith_js_streams_${RUN}`;
  const client = SKIP ? null : makeClient();
  const docClient = SKIP ? null : DynamoDBDocumentClient.from(client);
  const streams = SKIP ? null : new DynamoDBStreamsClient(clientConfig());
  let created = false;
  let streamArn;
  let next; // NextShardIterator after the last record read

  before(async () => {
    if (SKIP) return;
    created = await ensureTable(client, streamedTableInput(TABLE));
  });

  after(async () => {
    if (SKIP) return;
    if (created) await deleteTable(client, TABLE);
    client.destroy();
    streams.destroy();
  });

  it('the table reports its stream', { skip: SKIP }, async () => {
    assert.ok(created, `${TABLE} existed before the test`);
    const table = await describeTable(client, TABLE);
    assert.deepEqual(table.StreamSpecification, { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    streamArn = table.LatestStreamArn;
    assert.ok(streamArn, 'LatestStreamArn');
    assert.ok(streamArn.startsWith(`${table.TableArn}/stream/`), streamArn);
    assert.equal(streamArn, `${table.TableArn}/stream/${table.LatestStreamLabel}`);
  });

  it('INSERT, MODIFY and REMOVE come back with their images', { skip: SKIP }, async () => {
    assert.ok(streamArn, 'needs the previous test');
    const Key = { PK: 'USER#1', SK: 'PROFILE' };
    const first = { ...Key, name: 'Alice', visits: 1, address: { city: 'Paris' }, tags: ['a'] };
    const second = { ...Key, name: 'Alice B.', visits: 2, address: { city: 'Lyon' } };
    const startedAt = Date.now();
    await docClient.send(new PutCommand({ TableName: TABLE, Item: first }));
    await docClient.send(new PutCommand({ TableName: TABLE, Item: second }));
    await docClient.send(new DeleteCommand({ TableName: TABLE, Key }));

    // ListStreams, with and without TableName.
    const listed = await streams.send(new ListStreamsCommand({ TableName: TABLE }));
    assert.equal(listed.$metadata.httpStatusCode, 200);
    assert.equal(listed.Streams.length, 1, JSON.stringify(listed.Streams));
    assert.equal(listed.Streams[0].StreamArn, streamArn);
    assert.equal(listed.Streams[0].TableName, TABLE);
    assert.ok(streamArn.endsWith(`/stream/${listed.Streams[0].StreamLabel}`), listed.Streams[0].StreamLabel);
    assert.equal(listed.LastEvaluatedStreamArn, undefined);
    const all = [];
    let ExclusiveStartStreamArn;
    do {
      const page = await streams.send(new ListStreamsCommand({ ExclusiveStartStreamArn }));
      all.push(...page.Streams.map((s) => s.StreamArn));
      ExclusiveStartStreamArn = page.LastEvaluatedStreamArn;
    } while (ExclusiveStartStreamArn);
    assert.ok(all.includes(streamArn), 'ListStreams without TableName includes the stream');

    // DescribeStream.
    const described = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const d = described.StreamDescription;
    assert.equal(d.StreamArn, streamArn);
    assert.equal(d.StreamStatus, 'ENABLED');
    assert.equal(d.StreamViewType, 'NEW_AND_OLD_IMAGES');
    assert.equal(d.TableName, TABLE);
    assert.deepEqual(d.KeySchema, streamedTableInput(TABLE).KeySchema);
    assert.ok(d.CreationRequestDateTime instanceof Date, String(d.CreationRequestDateTime));
    assert.ok(d.Shards.length >= 1, JSON.stringify(d.Shards));
    const open = d.Shards.filter((s) => !s.SequenceNumberRange.EndingSequenceNumber);
    assert.equal(open.length, 1, `one open shard: ${JSON.stringify(d.Shards)}`);

    // GetShardIterator (TRIM_HORIZON) on every shard, GetRecords one record a page.
    const records = [];
    for (const shard of d.Shards) {
      assert.ok(shard.ShardId, JSON.stringify(shard));
      const it = await streams.send(new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }));
      assert.ok(it.ShardIterator, 'ShardIterator');
      const read = await readRecords(streams, it.ShardIterator, 1);
      records.push(...read.records);
      if (shard === open[0]) {
        assert.ok(read.next, 'an open shard gives a NextShardIterator even on an empty page');
        assert.equal(read.pages, read.records.length + 1, 'one record a page, then an empty page');
        next = read.next;
      }
    }
    records.sort((a, b) => {
      const x = BigInt(a.dynamodb.SequenceNumber);
      const y = BigInt(b.dynamodb.SequenceNumber);
      return x < y ? -1 : x > y ? 1 : 0;
    });

    assert.deepEqual(records.map((r) => r.eventName), ['INSERT', 'MODIFY', 'REMOVE']);
    const ids = new Set();
    let previous = -1n;
    for (const r of records) {
      assert.equal(r.eventSource, 'aws:dynamodb');
      assert.equal(r.awsRegion, 'us-east-1');
      assert.equal(typeof r.eventVersion, 'string');
      assert.ok(r.eventID && !ids.has(r.eventID), `eventID ${r.eventID}`);
      ids.add(r.eventID);
      const c = r.dynamodb;
      assert.equal(c.StreamViewType, 'NEW_AND_OLD_IMAGES');
      assert.deepEqual(unmarshall(c.Keys), Key);
      assert.ok(Number.isInteger(c.SizeBytes) && c.SizeBytes > 0, `SizeBytes ${c.SizeBytes}`);
      assert.ok(c.ApproximateCreationDateTime instanceof Date, String(c.ApproximateCreationDateTime));
      const when = c.ApproximateCreationDateTime.getTime();
      assert.ok(when >= startedAt - 5_000 && when <= Date.now() + 5_000, c.ApproximateCreationDateTime.toISOString());
      const seq = BigInt(c.SequenceNumber);
      assert.ok(seq > previous, `sequence numbers rise: ${c.SequenceNumber}`);
      previous = seq;
    }
    const [insert, modify, remove] = records.map((r) => r.dynamodb);
    assert.equal(insert.OldImage, undefined);
    assert.deepEqual(unmarshall(insert.NewImage), first);
    assert.deepEqual(unmarshall(modify.OldImage), first);
    assert.deepEqual(unmarshall(modify.NewImage), second);
    assert.deepEqual(unmarshall(remove.OldImage), second);
    assert.equal(remove.NewImage, undefined);
  });

  it('the last NextShardIterator reads later writes only', { skip: SKIP }, async () => {
    assert.ok(next, 'needs the previous test');
    const Item = { PK: 'USER#2', SK: 'PROFILE', name: 'Bob' };
    await docClient.send(new PutCommand({ TableName: TABLE, Item }));
    const { records } = await readRecords(streams, next);
    assert.equal(records.length, 1, JSON.stringify(records));
    assert.equal(records[0].eventName, 'INSERT');
    assert.deepEqual(unmarshall(records[0].dynamodb.NewImage), Item);
  });

  it('an unknown stream gives ResourceNotFoundException', { skip: SKIP }, async () => {
    const table = await describeTable(client, TABLE);
    const StreamArn = `${table.TableArn}/stream/2000-01-01T00:00:00.000`;
    const err = await streams.send(new DescribeStreamCommand({ StreamArn })).then(() => null, (e) => e);
    assert.ok(err, 'DescribeStream of an unknown stream must fail');
    assert.ok(err instanceof ResourceNotFoundException, `${err.name}: ${err.message}`);
    assert.equal(err.$metadata.httpStatusCode, 400);
    assert.equal(err.$fault, 'client');
  });
});

// ---------------------------------------------------------------------------------------------
// The seed's Lambda handler as a --stream-trigger

describe('streams: the seed Lambda handler as a --stream-trigger', () => {
  const TABLE = `dynalith_js_trigger_${RUN}`;
  const logs = []; // the handler's console.log calls, as argument lists
  const deliveries = []; // { method, url, event } of every POST
  const problems = []; // bodies that did not parse, handler failures
  let receiver;
  let server;
  let client;
  let docClient;

  before(async () => {
    if (SKIP) return;
    receiver = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', async () => {
        let status = 200;
        try {
          const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          deliveries.push({ method: req.method, url: req.url, event });
          const log = console.log;
          console.log = (...args) => { logs.push(args); };
          try {
            await handler(event);
          } finally {
            console.log = log;
          }
        } catch (err) {
          problems.push(String(err && err.stack || err));
          status = 500;
        }
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end('null');
      });
    });
    await new Promise((resolve, reject) => {
      receiver.once('error', reject);
      receiver.listen(0, '127.0.0.1', resolve);
    });
    const url = `http://127.0.0.1:${receiver.address().port}/`;
    server = await startDynalith(['--stream-trigger', `${TABLE}=${url}`]);
    client = new DynamoDBClient({ ...clientConfig(), endpoint: server.endpoint });
    docClient = DynamoDBDocumentClient.from(client);
  });

  after(async () => {
    if (SKIP) return;
    client?.destroy();
    if (server) await stopDynalith(server.child);
    if (receiver) {
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('logs the new item, then the old and new images of the modification', { skip: SKIP }, async () => {
    assert.ok(await ensureTable(client, streamedTableInput(TABLE)), 'fresh server, fresh table');
    const streamArn = (await describeTable(client, TABLE)).LatestStreamArn;
    assert.ok(streamArn, 'LatestStreamArn');

    await docClient.send(new PutCommand({ TableName: TABLE, Item: { PK: 'USER#123', SK: 'PROFILE', name: 'Alice', age: 30 } }));
    await docClient.send(new PutCommand({ TableName: TABLE, Item: { PK: 'USER#123', SK: 'PROFILE', name: 'Alice', age: 31 } }));

    const done = () => logs.some((l) => l[0] === 'New:');
    for (let i = 0; i < 100 && !done() && problems.length === 0; i++) await sleep(100);
    assert.deepEqual(problems, []);
    assert.ok(done(), `the handler did not log the modification within 10 s; logs: ${JSON.stringify(logs)}; ` +
      `deliveries: ${JSON.stringify(deliveries)}; dynalith stderr: ${server.stderr()}`);

    const oldImage = { PK: { S: 'USER#123' }, SK: { S: 'PROFILE' }, name: { S: 'Alice' }, age: { N: '30' } };
    const newImage = { PK: { S: 'USER#123' }, SK: { S: 'PROFILE' }, name: { S: 'Alice' }, age: { N: '31' } };
    assert.deepEqual(logs, [
      ['New item:', oldImage],
      ['Old:', oldImage],
      ['New:', newImage],
    ]);

    // Lambda's event: POSTed to the URL as given, the records as GetRecords has them plus
    // eventSourceARN, each delivered once.
    const records = deliveries.flatMap((d) => {
      assert.equal(d.method, 'POST');
      assert.equal(d.url, '/');
      assert.deepEqual(Object.keys(d.event), ['Records']);
      return d.event.Records;
    });
    assert.deepEqual(records.map((r) => r.eventName), ['INSERT', 'MODIFY']);
    for (const r of records) {
      assert.equal(r.eventSource, 'aws:dynamodb');
      assert.equal(r.eventSourceARN, streamArn);
      assert.equal(r.awsRegion, 'us-east-1');
      assert.deepEqual(r.dynamodb.Keys, { PK: { S: 'USER#123' }, SK: { S: 'PROFILE' } });
      assert.equal(r.dynamodb.StreamViewType, 'NEW_AND_OLD_IMAGES');
    }
    assert.equal(new Set(records.map((r) => r.eventID)).size, 2);
  });
});
