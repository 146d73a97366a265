// Global tables (version 2019.11.21) with the JavaScript SDK, as a deployment tool and an
// application use them: UpdateTable's ReplicaUpdates adds a replica, DescribeTable is polled
// until it is ACTIVE, the application writes with lib-dynamodb in one Region and queries in
// the other, a stream consumer in the replica's Region reads the change, and the replica is
// removed again. Skipped when DYNALITH_SKIP contains "global".
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTableReplicaAutoScalingCommand,
  DynamoDBClient,
  UpdateTableCommand,
  UpdateTableReplicaAutoScalingCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBStreamsClient,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { clientConfig, deleteTable, myTableInput, skipFor } from './helpers.mjs';

const SKIP = skipFor('global');
const inRegion = (region) => new DynamoDBClient({ ...clientConfig(), region });
const east = SKIP ? null : inRegion('us-east-1');
const west = SKIP ? null : inRegion('us-west-2');
const TABLE = `js_global_${process.pid}`;
const PROVISIONED = `js_global_provisioned_${process.pid}`;

// What Terraform does after asking for a replica: poll until the replica is ACTIVE.
async function replicaActive(client, region) {
  for (let i = 0; i < 50; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: TABLE }));
    const replica = (Table.Replicas || []).find((r) => r.RegionName === region);
    if (Table.TableStatus === 'ACTIVE' && replica?.ReplicaStatus === 'ACTIVE') return Table;
    await sleep(100);
  }
  throw new Error(`replica in ${region} never became ACTIVE`);
}

describe('global tables with the JavaScript SDK', { skip: SKIP }, () => {
  after(async () => {
    await deleteTable(east, TABLE);
    await deleteTable(east, PROVISIONED);
  });

  it('adds a replica, serves both Regions from it, and removes it', async () => {
    // The seed's single-table layout, under a name of its own.
    await east.send(new CreateTableCommand({ ...myTableInput(), TableName: TABLE }));
    await waitUntilTableExists({ client: east, maxWaitTime: 60 }, { TableName: TABLE });

    const updated = await east.send(new UpdateTableCommand({
      TableName: TABLE,
      ReplicaUpdates: [{ Create: { RegionName: 'us-west-2' } }],
    }));
    assert.equal(updated.TableDescription.GlobalTableVersion, '2019.11.21');
    // DynamoDB turns on a stream of new and old images for the replicas.
    assert.deepEqual(updated.TableDescription.StreamSpecification,
      { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });

    const fromEast = await replicaActive(east, 'us-west-2');
    assert.deepEqual(fromEast.Replicas.map((r) => r.RegionName), ['us-west-2']);
    const fromWest = (await west.send(new DescribeTableCommand({ TableName: TABLE }))).Table;
    assert.deepEqual(fromWest.Replicas.map((r) => r.RegionName), ['us-east-1']);
    assert.equal(fromWest.TableArn, `arn:aws:dynamodb:us-west-2:000000000000:table/${TABLE}`);

    // The application writes in one Region and reads in the other.
    const westDocs = DynamoDBDocumentClient.from(west);
    const eastDocs = DynamoDBDocumentClient.from(east);
    await westDocs.send(new PutCommand({
      TableName: TABLE,
      Item: { PK: 'USER#123', SK: 'ORDER#1', total: 99 },
    }));
    const orders = await eastDocs.send(new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :sk)',
      ExpressionAttributeValues: { ':pk': 'USER#123', ':sk': 'ORDER#' },
    }));
    assert.deepEqual(orders.Items, [{ PK: 'USER#123', SK: 'ORDER#1', total: 99 }]);

    // A stream consumer in the replica's Region sees the write.
    const streams = new DynamoDBStreamsClient({ ...clientConfig(), region: 'us-west-2' });
    const { StreamDescription } = await streams.send(
      new DescribeStreamCommand({ StreamArn: fromWest.LatestStreamArn }));
    const { ShardIterator } = await streams.send(new GetShardIteratorCommand({
      StreamArn: fromWest.LatestStreamArn,
      ShardId: StreamDescription.Shards[0].ShardId,
      ShardIteratorType: 'TRIM_HORIZON',
    }));
    const { Records } = await streams.send(new GetRecordsCommand({ ShardIterator }));
    assert.equal(Records.length, 1);
    assert.equal(Records[0].eventName, 'INSERT');
    assert.deepEqual(Records[0].dynamodb.NewImage.total, { N: '99' });

    // A Region is not its own replica.
    await assert.rejects(
      east.send(new UpdateTableCommand({
        TableName: TABLE,
        ReplicaUpdates: [{ Create: { RegionName: 'us-east-1' } }],
      })),
      (err) => err.name === 'ValidationException'
        && err.message.startsWith('Cannot add or delete the local region through ReplicaUpdates'),
    );

    // Removing the replica: the table is gone from that Region, and regional again here.
    await east.send(new UpdateTableCommand({
      TableName: TABLE,
      ReplicaUpdates: [{ Delete: { RegionName: 'us-west-2' } }],
    }));
    await assert.rejects(
      west.send(new DescribeTableCommand({ TableName: TABLE })),
      (err) => err.name === 'ResourceNotFoundException',
    );
    const regional = (await east.send(new DescribeTableCommand({ TableName: TABLE }))).Table;
    assert.equal(regional.Replicas, undefined);
    assert.equal(regional.GlobalTableVersion, undefined);
    assert.equal(regional.ItemCount, 1);
  });

  it('replicates a provisioned table once its writes auto scale', async () => {
    const input = myTableInput({ withGsi1: true });
    const units = { ReadCapacityUnits: 5, WriteCapacityUnits: 5 };
    await east.send(new CreateTableCommand({
      ...input,
      TableName: PROVISIONED,
      BillingMode: 'PROVISIONED',
      ProvisionedThroughput: units,
      GlobalSecondaryIndexes: input.GlobalSecondaryIndexes.map((i) => ({ ...i, ProvisionedThroughput: units })),
    }));
    await waitUntilTableExists({ client: east, maxWaitTime: 60 }, { TableName: PROVISIONED });
    const addReplica = () => east.send(new UpdateTableCommand({
      TableName: PROVISIONED,
      ReplicaUpdates: [{
        Create: { RegionName: 'us-west-2', ProvisionedThroughputOverride: { ReadCapacityUnits: 8 } },
      }],
    }));
    await assert.rejects(addReplica(), (err) => err.name === 'ValidationException'
      && err.message === 'Table write capacity should either be Pay-Per-Request or AutoScaled.');

    const writes = {
      MinimumUnits: 5,
      MaximumUnits: 500,
      ScalingPolicyUpdate: { TargetTrackingScalingPolicyConfiguration: { TargetValue: 70 } },
    };
    await east.send(new UpdateTableReplicaAutoScalingCommand({
      TableName: PROVISIONED,
      ProvisionedWriteCapacityAutoScalingUpdate: writes,
      GlobalSecondaryIndexUpdates: [{ IndexName: 'GSI1', ProvisionedWriteCapacityAutoScalingUpdate: writes }],
    }));
    await addReplica();
    const table = await (async () => {
      for (let i = 0; i < 50; i++) {
        const { Table } = await east.send(new DescribeTableCommand({ TableName: PROVISIONED }));
        if (Table.Replicas?.[0]?.ReplicaStatus === 'ACTIVE') return Table;
        await sleep(100);
      }
      throw new Error('replica never became ACTIVE');
    })();
    assert.deepEqual(table.Replicas[0].ProvisionedThroughputOverride, { ReadCapacityUnits: 8 });

    // The replica's Region reports the same scaling.
    const { TableAutoScalingDescription: scaling } = await west.send(
      new DescribeTableReplicaAutoScalingCommand({ TableName: PROVISIONED }));
    assert.deepEqual(scaling.Replicas.map((r) => r.RegionName), ['us-east-1', 'us-west-2']);
    for (const replica of scaling.Replicas) {
      const table = replica.ReplicaProvisionedWriteCapacityAutoScalingSettings;
      assert.equal(table.AutoScalingDisabled, false);
      assert.equal(table.MaximumUnits, 500);
      assert.equal(table.ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.TargetValue, 70);
      const index = replica.GlobalSecondaryIndexes[0];
      assert.equal(index.IndexName, 'GSI1');
      assert.equal(index.ProvisionedWriteCapacityAutoScalingSettings.MinimumUnits, 5);
      assert.equal(index.ProvisionedReadCapacityAutoScalingSettings.AutoScalingDisabled, true);
    }
  });
});
