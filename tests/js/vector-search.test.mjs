// Vector indexes (CreateTable's VectorIndexes, UpdateTable's VectorIndexUpdates) and
// SearchVectors with the JavaScript SDK: items written with lib-dynamodb (vectors as plain
// arrays of numbers), searched through the low-level client. Skipped when DYNALITH_SKIP
// contains "vectors".
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateTableCommand,
  DescribeTableCommand,
  SearchVectorsCommand,
  UpdateTableCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { makeClient, deleteTable, skipFor } from './helpers.mjs';

const SKIP = skipFor('vectors');
const client = SKIP ? null : makeClient();
const docClient = SKIP ? null : DynamoDBDocumentClient.from(client);
const TABLE = `js_vectors_${process.pid}`;

const asVector = (values) => values.map((v) => ({ N: String(v) }));

describe('vector search with the JavaScript SDK', { skip: SKIP }, () => {
  after(async () => {
    await deleteTable(client, TABLE);
  });

  it('finds the nearest items of a tenant, and refuses malformed vectors', async () => {
    const created = await client.send(new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'PK', AttributeType: 'S' },
        { AttributeName: 'tenant', AttributeType: 'S' },
      ],
      KeySchema: [{ AttributeName: 'PK', KeyType: 'HASH' }],
      VectorIndexes: [{
        IndexName: 'by_embedding',
        VectorAttribute: { AttributeName: 'embedding' },
        Dimensions: 4,
        DistanceFunction: 'COSINE',
        SearchSchema: [{ AttributeName: 'tenant', SearchSchemaElementType: 'HASH' }],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['title'] },
      }],
    }));
    assert.equal(created.TableDescription.VectorIndexes[0].IndexName, 'by_embedding');
    await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: TABLE });

    const docs = [
      ['doc-1', 'acme', 'Returns policy', [1, 0, 0, 0]],
      ['doc-2', 'acme', 'Refunds', [0.8, 0.2, 0, 0]],
      ['doc-3', 'acme', 'Shipping times', [0, 1, 0, 0]],
      ['doc-4', 'acme', 'Careers', [0, 0, 0, 1]],
      ['doc-5', 'globex', 'Returns policy', [1, 0, 0, 0]],
    ];
    for (const [PK, tenant, title, embedding] of docs) {
      await docClient.send(new PutCommand({ TableName: TABLE, Item: { PK, tenant, title, body: 'long text', embedding } }));
    }

    const found = await client.send(new SearchVectorsCommand({
      TableName: TABLE,
      IndexName: 'by_embedding',
      SearchVector: asVector([0.9, 0.1, 0, 0]),
      SearchConditionExpression: 'tenant = :t',
      ExpressionAttributeValues: { ':t': { S: 'acme' } },
      TopK: 2,
      ReturnConsumedCapacity: 'TOTAL',
    }));
    assert.deepEqual(found.SearchResults.map((r) => r.Item.PK.S), ['doc-1', 'doc-2']);
    assert.ok(found.SearchResults[0].Score < found.SearchResults[1].Score);
    assert.ok(found.SearchResults[0].Score >= 0 && found.SearchResults[1].Score <= 2);
    assert.deepEqual(Object.keys(found.SearchResults[0].Item).sort(), ['PK', 'tenant', 'title']);
    assert.ok(found.ConsumedCapacity.VectorSearchRequestBytes > 0);

    // A write reports what it wrote to the vector index under INDEXES only,
    // at least 1,024 bytes, and nothing when the entry stays as it was
    // (DynamoDB's metering, recorded 2026).
    const written = { PK: 'doc-6', tenant: 'acme', title: 'FAQ', embedding: [0, 0, 1, 0] };
    const first = await docClient.send(new PutCommand({
      TableName: TABLE, Item: written, ReturnConsumedCapacity: 'INDEXES',
    }));
    assert.equal(first.ConsumedCapacity.VectorIndexes.by_embedding.VectorWriteRequestBytes, 1024);
    assert.equal(first.ConsumedCapacity.CapacityUnits, 1);
    const again = await docClient.send(new PutCommand({
      TableName: TABLE, Item: { ...written, body: 'not projected' }, ReturnConsumedCapacity: 'INDEXES',
    }));
    assert.equal(again.ConsumedCapacity.VectorIndexes, undefined);

    await assert.rejects(docClient.send(new PutCommand({
      TableName: TABLE, Item: { PK: 'bad', tenant: 'acme', embedding: [1, 2] },
    })), (err) => err.name === 'ValidationException' && /Invalid size for parameter embedding, Expected: 4, Actual: 2/.test(err.message));
    await assert.rejects(client.send(new SearchVectorsCommand({
      TableName: TABLE, IndexName: 'by_embedding', SearchVector: asVector([1, 0, 0, 0]), TopK: 1,
    })), (err) => err.name === 'ValidationException' && /must be provided when SearchSchema has a HASH key/.test(err.message));
  });

  it('adds a vector index to a table with UpdateTable and searches what it held', async () => {
    await client.send(new UpdateTableCommand({
      TableName: TABLE,
      VectorIndexUpdates: [{
        Create: {
          IndexName: 'everyone',
          VectorAttribute: { AttributeName: 'embedding' },
          Dimensions: 4,
          DistanceFunction: 'DOT_PRODUCT',
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      }],
    }));
    const { Table } = await client.send(new DescribeTableCommand({ TableName: TABLE }));
    assert.deepEqual(Table.VectorIndexes.map((i) => i.IndexName).sort(), ['by_embedding', 'everyone']);
    const everyone = Table.VectorIndexes.find((i) => i.IndexName === 'everyone');
    assert.equal(everyone.IndexStatus, 'ACTIVE');
    assert.equal(everyone.DistanceFunction, 'DOT_PRODUCT');

    const found = await client.send(new SearchVectorsCommand({
      TableName: TABLE, IndexName: 'everyone', SearchVector: asVector([0, 0, 0, 2]), TopK: 1,
    }));
    assert.equal(found.SearchResults[0].Item.PK.S, 'doc-4');
    assert.equal(found.SearchResults[0].Score, 2);
    assert.deepEqual(Object.keys(found.SearchResults[0].Item), ['PK']);
  });
});
