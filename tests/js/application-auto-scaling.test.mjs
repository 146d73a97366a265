// DynamoDB auto scaling through Application Auto Scaling's own client, as CDK's
// `table.autoScaleReadCapacity({...}).scaleOnUtilization({...})` deploys it
// (CloudFormation's AWS::ApplicationAutoScaling::ScalableTarget and ScalingPolicy): the
// seed's single-table layout on provisioned capacity, its GSI1's write capacity made
// scalable, a target tracking policy and a scheduled action (scaleOnSchedule) put on it,
// read back (with the SDK's paginator), DynamoDB's own view of the same settings, and the
// teardown.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApplicationAutoScalingClient,
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  DescribeScalingPoliciesCommand,
  DescribeScheduledActionsCommand,
  ObjectNotFoundException,
  PutScalingPolicyCommand,
  PutScheduledActionCommand,
  RegisterScalableTargetCommand,
  paginateDescribeScalableTargets,
} from '@aws-sdk/client-application-auto-scaling';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTableReplicaAutoScalingCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { clientConfig, deleteTable, makeClient, myTableInput } from './helpers.mjs';

const dynamodb = makeClient();
const scaling = new ApplicationAutoScalingClient(clientConfig());
const TABLE = `js_autoscaled_${process.pid}`;
const INDEX = `table/${TABLE}/index/GSI1`;
const DIMENSION = 'dynamodb:index:WriteCapacityUnits';

describe('Application Auto Scaling with the JavaScript SDK', () => {
  after(async () => {
    await deleteTable(dynamodb, TABLE);
  });

  it('scales a GSI the way a CDK stack sets it up', async () => {
    const input = myTableInput({ withGsi1: true });
    const throughput = { ReadCapacityUnits: 2, WriteCapacityUnits: 2 };
    input.TableName = TABLE;
    input.BillingMode = 'PROVISIONED';
    input.ProvisionedThroughput = throughput;
    input.GlobalSecondaryIndexes[0].ProvisionedThroughput = throughput;
    await dynamodb.send(new CreateTableCommand(input));
    await waitUntilTableExists({ client: dynamodb, maxWaitTime: 60 }, { TableName: TABLE });

    const target = { ServiceNamespace: 'dynamodb', ResourceId: INDEX, ScalableDimension: DIMENSION };
    const registered = await scaling.send(new RegisterScalableTargetCommand({
      ...target, MinCapacity: 4, MaxCapacity: 40,
    }));
    assert.match(registered.ScalableTargetARN,
      /^arn:aws:application-autoscaling:us-east-1:\d{12}:scalable-target\/[a-z0-9]{36}$/);
    // Below its new minimum, the index's capacity moves up to it at once.
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: TABLE }));
    assert.equal(Table.GlobalSecondaryIndexes[0].ProvisionedThroughput.WriteCapacityUnits, 4);
    assert.equal(Table.ProvisionedThroughput.WriteCapacityUnits, 2);

    const policy = await scaling.send(new PutScalingPolicyCommand({
      ...target,
      PolicyName: 'GSI1WriteScaling',
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 75,
        PredefinedMetricSpecification: { PredefinedMetricType: 'DynamoDBWriteCapacityUtilization' },
      },
    }));
    assert.ok(policy.PolicyARN.endsWith(`:resource/dynamodb/${INDEX}:policyName/GSI1WriteScaling`));
    assert.equal(policy.Alarms.length, 4);

    const pages = [];
    for await (const page of paginateDescribeScalableTargets(
      { client: scaling, pageSize: 1 },
      { ServiceNamespace: 'dynamodb', ResourceIds: [INDEX] },
    )) {
      pages.push(...page.ScalableTargets);
    }
    assert.equal(pages.length, 1);
    assert.equal(pages[0].ScalableTargetARN, registered.ScalableTargetARN);
    assert.deepEqual([pages[0].MinCapacity, pages[0].MaxCapacity], [4, 40]);
    assert.ok(pages[0].CreationTime instanceof Date);

    const { ScalingPolicies } = await scaling.send(new DescribeScalingPoliciesCommand({
      ServiceNamespace: 'dynamodb', ResourceId: INDEX,
    }));
    assert.deepEqual(ScalingPolicies.map((p) => [p.PolicyName, p.PolicyARN]),
      [['GSI1WriteScaling', policy.PolicyARN]]);
    assert.equal(ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.TargetValue, 75);

    // scaleOnSchedule('ScaleUpInTheMorning', { schedule: Schedule.cron({ hour: '8',
    // minute: '0' }), minCapacity: 10 }) in Europe/London.
    await scaling.send(new PutScheduledActionCommand({
      ...target,
      ScheduledActionName: 'ScaleUpInTheMorning',
      Schedule: 'cron(0 8 * * ? *)',
      Timezone: 'Europe/London',
      ScalableTargetAction: { MinCapacity: 10 },
    }));
    const { ScheduledActions } = await scaling.send(new DescribeScheduledActionsCommand({
      ServiceNamespace: 'dynamodb', ResourceId: INDEX,
    }));
    assert.deepEqual(
      ScheduledActions.map((a) => [a.ScheduledActionName, a.Schedule, a.Timezone,
        a.ScalableTargetAction.MinCapacity]),
      [['ScaleUpInTheMorning', 'cron(0 8 * * ? *)', 'Europe/London', 10]],
    );
    assert.ok(ScheduledActions[0].CreationTime instanceof Date);

    const described = await dynamodb.send(new DescribeTableReplicaAutoScalingCommand({
      TableName: TABLE,
    }));
    const [index] = described.TableAutoScalingDescription.Replicas[0].GlobalSecondaryIndexes;
    const writes = index.ProvisionedWriteCapacityAutoScalingSettings;
    assert.deepEqual([writes.MinimumUnits, writes.MaximumUnits, writes.AutoScalingDisabled],
      [4, 40, false]);
    assert.equal(writes.ScalingPolicies[0].PolicyName, 'GSI1WriteScaling');

    await scaling.send(new DeleteScalingPolicyCommand({ ...target, PolicyName: 'GSI1WriteScaling' }));
    await scaling.send(new DeregisterScalableTargetCommand(target));
    const after = await scaling.send(new DescribeScheduledActionsCommand({
      ServiceNamespace: 'dynamodb', ResourceId: INDEX,
    }));
    assert.deepEqual(after.ScheduledActions, []);
    await assert.rejects(
      scaling.send(new DeregisterScalableTargetCommand(target)),
      (err) => err instanceof ObjectNotFoundException
        && err.message === `No scalable target registered for service namespace: dynamodb, `
          + `resource ID: ${INDEX}, scalable dimension: ${DIMENSION}`,
    );
  });
});
