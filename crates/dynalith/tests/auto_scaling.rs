//! Auto scaling of provisioned capacity through the SDK:
//! UpdateTableReplicaAutoScaling sets targets and policies on a table's
//! and its global indexes' capacities, DescribeTableReplicaAutoScaling
//! reports them (across a restart too), refused requests change nothing,
//! a provisioned table whose writes scale takes replicas, and the scaler
//! moves the capacity DescribeTable reports as consumption
//! rises and falls (with a short `--auto-scaling-period-ms`, so that the
//! alarms' data points come in a quarter of a second rather than a
//! minute; long enough that a throttled load of 5 units a second
//! consumes in every one of them).

mod common;

use aws_sdk_dynamodb::types::{
    AttributeValue as Av, AutoScalingPolicyUpdate, AutoScalingSettingsDescription,
    AutoScalingSettingsUpdate, AutoScalingTargetTrackingScalingPolicyConfigurationUpdate,
    BillingMode, GlobalSecondaryIndexAutoScalingUpdate, KeyType, ProjectionType,
    ReplicaAutoScalingUpdate, ReplicaGlobalSecondaryIndexAutoScalingUpdate, ScalarAttributeType,
    TableAutoScalingDescription, TableDescription,
};
use aws_sdk_dynamodb::Client;
use common::{
    attribute_definition, delete_global_index, error_code, error_message, global_index,
    key_element, provisioned_throughput, signed_client, unique_table, without_retries, Server,
};
use std::time::{Duration, Instant};

/// A provisioned table keyed by `pk` with a global index `by_g` on `g`,
/// both at `units` read and write units.
async fn provisioned_table(client: &Client, units: i64) -> String {
    let name = unique_table("scaling");
    let mut index = global_index("by_g", "g", ProjectionType::KeysOnly);
    index.provisioned_throughput = Some(provisioned_throughput(units, units));
    client
        .create_table()
        .table_name(&name)
        .key_schema(key_element("pk", KeyType::Hash))
        .attribute_definitions(attribute_definition("pk", ScalarAttributeType::S))
        .attribute_definitions(attribute_definition("g", ScalarAttributeType::S))
        .provisioned_throughput(provisioned_throughput(units, units))
        .global_secondary_indexes(index)
        .send()
        .await
        .unwrap();
    name
}

/// Settings with bounds and, when `target` is given, a target tracking
/// policy on that utilization.
fn settings(min: i64, max: i64, target: Option<f64>) -> AutoScalingSettingsUpdate {
    let mut settings = AutoScalingSettingsUpdate::builder()
        .minimum_units(min)
        .maximum_units(max);
    if let Some(value) = target {
        settings = settings.scaling_policy_update(
            AutoScalingPolicyUpdate::builder()
                .target_tracking_scaling_policy_configuration(
                    AutoScalingTargetTrackingScalingPolicyConfigurationUpdate::builder()
                        .target_value(value)
                        .build()
                        .unwrap(),
                )
                .build(),
        );
    }
    settings.build()
}

fn disabled() -> AutoScalingSettingsUpdate {
    AutoScalingSettingsUpdate::builder()
        .auto_scaling_disabled(true)
        .build()
}

/// Sets the write capacity of `table` and of its index `by_g` to scale
/// from 5 units up to `table_max` and `index_max`, at a 50% target.
async fn scale_writes(client: &Client, table: &str, table_max: i64, index_max: i64) {
    client
        .update_table_replica_auto_scaling()
        .table_name(table)
        .provisioned_write_capacity_auto_scaling_update(settings(5, table_max, Some(50.0)))
        .global_secondary_index_updates(
            GlobalSecondaryIndexAutoScalingUpdate::builder()
                .index_name("by_g")
                .provisioned_write_capacity_auto_scaling_update(settings(5, index_max, Some(50.0)))
                .build(),
        )
        .send()
        .await
        .unwrap();
}

async fn describe(client: &Client, table: &str) -> TableAutoScalingDescription {
    client
        .describe_table_replica_auto_scaling()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .table_auto_scaling_description
        .unwrap()
}

/// The four capacities' settings in the table's one Region: table read,
/// table write, index read, index write.
fn capacities(d: &TableAutoScalingDescription) -> [AutoScalingSettingsDescription; 4] {
    assert_eq!(d.replicas().len(), 1);
    let replica = &d.replicas()[0];
    assert_eq!(replica.region_name(), Some("us-east-1"));
    let index = &replica.global_secondary_indexes()[0];
    assert_eq!(index.index_name(), Some("by_g"));
    [
        replica.replica_provisioned_read_capacity_auto_scaling_settings(),
        replica.replica_provisioned_write_capacity_auto_scaling_settings(),
        index.provisioned_read_capacity_auto_scaling_settings(),
        index.provisioned_write_capacity_auto_scaling_settings(),
    ]
    .map(|s| s.cloned().expect("settings described"))
}

fn is_disabled(s: &AutoScalingSettingsDescription) -> bool {
    s.auto_scaling_disabled() == Some(true) && s.scaling_policies().is_empty()
}

async fn described_table(client: &Client, table: &str) -> TableDescription {
    client
        .describe_table()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
}

/// The table's (index None) or index's provisioned (read, write) units.
async fn provisioned(client: &Client, table: &str, index: Option<&str>) -> (i64, i64) {
    let t = described_table(client, table).await;
    let throughput = match index {
        None => t.provisioned_throughput.unwrap(),
        Some(name) => t
            .global_secondary_indexes()
            .iter()
            .find(|i| i.index_name() == Some(name))
            .and_then(|i| i.provisioned_throughput.clone())
            .unwrap(),
    };
    (
        throughput.read_capacity_units.unwrap(),
        throughput.write_capacity_units.unwrap(),
    )
}

#[tokio::test]
async fn settings_are_set_described_and_kept_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start_durable(dir.path());
    let client = server.client();
    let table = provisioned_table(&client, 5).await;

    let before = describe(&client, &table).await;
    assert_eq!(before.table_name(), Some(table.as_str()));
    assert_eq!(before.table_status(), Some(&"ACTIVE".into()));
    assert!(capacities(&before).iter().all(is_disabled));

    let answer = client
        .update_table_replica_auto_scaling()
        .table_name(&table)
        .provisioned_write_capacity_auto_scaling_update(settings(5, 500, Some(70.0)))
        .global_secondary_index_updates(
            GlobalSecondaryIndexAutoScalingUpdate::builder()
                .index_name("by_g")
                .provisioned_write_capacity_auto_scaling_update(settings(5, 50, Some(60.0)))
                .build(),
        )
        .replica_updates(
            ReplicaAutoScalingUpdate::builder()
                .region_name("us-east-1")
                // Bounds alone: a target that nothing scales yet.
                .replica_provisioned_read_capacity_auto_scaling_update(settings(10, 20, None))
                .replica_global_secondary_index_updates(
                    ReplicaGlobalSecondaryIndexAutoScalingUpdate::builder()
                        .index_name("by_g")
                        .provisioned_read_capacity_auto_scaling_update(
                            AutoScalingSettingsUpdate::builder()
                                .minimum_units(1)
                                .maximum_units(4)
                                .auto_scaling_role_arn("arn:aws:iam::000000000000:role/mine")
                                .scaling_policy_update(
                                    AutoScalingPolicyUpdate::builder()
                                        .policy_name("reads")
                                        .target_tracking_scaling_policy_configuration(
                                            AutoScalingTargetTrackingScalingPolicyConfigurationUpdate::builder()
                                                .target_value(40.0)
                                                .disable_scale_in(true)
                                                .scale_in_cooldown(120)
                                                .scale_out_cooldown(30)
                                                .build()
                                                .unwrap(),
                                        )
                                        .build(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .table_auto_scaling_description
        .unwrap();

    let check = |d: &TableAutoScalingDescription| {
        let [table_read, table_write, index_read, index_write] = capacities(d);
        assert_eq!(table_write.minimum_units(), Some(5));
        assert_eq!(table_write.maximum_units(), Some(500));
        assert_eq!(table_write.auto_scaling_disabled(), Some(false));
        assert!(table_write
            .auto_scaling_role_arn()
            .unwrap()
            .ends_with("/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable"));
        let policy = &table_write.scaling_policies()[0];
        let configuration = policy
            .target_tracking_scaling_policy_configuration()
            .unwrap();
        assert_eq!(configuration.target_value(), 70.0);
        assert_eq!(configuration.disable_scale_in(), Some(false));
        assert_eq!(
            policy.policy_name(),
            Some(format!("DynamoDBWriteCapacityUtilization:table/{table}").as_str())
        );
        assert_eq!(index_write.maximum_units(), Some(50));
        assert_eq!(
            index_write.scaling_policies()[0]
                .target_tracking_scaling_policy_configuration()
                .unwrap()
                .target_value(),
            60.0
        );
        assert_eq!(table_read.minimum_units(), Some(10));
        assert!(table_read.scaling_policies().is_empty());
        assert_eq!(table_read.auto_scaling_disabled(), Some(false));
        assert_eq!(
            index_read.auto_scaling_role_arn(),
            Some("arn:aws:iam::000000000000:role/mine")
        );
        let policy = &index_read.scaling_policies()[0];
        assert_eq!(policy.policy_name(), Some("reads"));
        let configuration = policy
            .target_tracking_scaling_policy_configuration()
            .unwrap();
        assert_eq!(configuration.disable_scale_in(), Some(true));
        assert_eq!(configuration.scale_in_cooldown(), Some(120));
        assert_eq!(configuration.scale_out_cooldown(), Some(30));
    };
    check(&answer);
    check(&describe(&client, &table).await);
    // The table's reads were at 5, under their new minimum of 10, and the
    // index's at 5, over their new maximum of 4: each moved into its
    // bounds at once, as registering a scalable target does.
    assert_eq!(answer.table_status(), Some(&"UPDATING".into()));
    assert_eq!(provisioned(&client, &table, None).await, (10, 5));
    assert_eq!(provisioned(&client, &table, Some("by_g")).await, (4, 5));

    assert!(server.terminate().success(), "clean shutdown on SIGTERM");
    let server = Server::start_durable(dir.path());
    let client = server.client();
    check(&describe(&client, &table).await);

    // Disabling forgets the target; the capacity stays where it is.
    let answer = client
        .update_table_replica_auto_scaling()
        .table_name(&table)
        .provisioned_write_capacity_auto_scaling_update(disabled())
        .send()
        .await
        .unwrap()
        .table_auto_scaling_description
        .unwrap();
    assert_eq!(answer.table_status(), Some(&"ACTIVE".into()));
    let [table_read, table_write, _, index_write] = capacities(&answer);
    assert!(is_disabled(&table_write));
    assert!(!is_disabled(&table_read) && !is_disabled(&index_write));
    // A change of the bounds alone keeps the policy.
    let answer = client
        .update_table_replica_auto_scaling()
        .table_name(&table)
        .global_secondary_index_updates(
            GlobalSecondaryIndexAutoScalingUpdate::builder()
                .index_name("by_g")
                .provisioned_write_capacity_auto_scaling_update(
                    AutoScalingSettingsUpdate::builder()
                        .maximum_units(80)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap()
        .table_auto_scaling_description
        .unwrap();
    let [_, _, _, index_write] = capacities(&answer);
    assert_eq!(index_write.minimum_units(), Some(5));
    assert_eq!(index_write.maximum_units(), Some(80));
    assert_eq!(index_write.scaling_policies().len(), 1);
}

#[tokio::test]
async fn refused_requests_change_nothing() {
    let server = Server::start();
    let client = server.client();
    let table = provisioned_table(&client, 5).await;
    let update = || {
        client
            .update_table_replica_auto_scaling()
            .table_name(&table)
    };
    let refused = |result: Result<_, _>| {
        let e = result.expect_err("refused");
        (error_code(&e), error_message(&e))
    };

    let (code, message) = refused(
        update()
            .provisioned_write_capacity_auto_scaling_update(
                AutoScalingSettingsUpdate::builder()
                    .minimum_units(0)
                    .maximum_units(5)
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(message, "1 validation error detected: Value '0' at 'provisionedWriteCapacityAutoScalingUpdate.minimumUnits' failed to satisfy constraint: Member must have value greater than or equal to 1");

    // The table's own update is valid, the index's is not: neither is
    // applied.
    let (code, message) = refused(
        update()
            .provisioned_write_capacity_auto_scaling_update(settings(5, 100, Some(50.0)))
            .global_secondary_index_updates(
                GlobalSecondaryIndexAutoScalingUpdate::builder()
                    .index_name("by_g")
                    .provisioned_write_capacity_auto_scaling_update(settings(9, 8, Some(50.0)))
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(message.starts_with("Minimum capacity cannot be larger than maximum capacity"));
    assert!(capacities(&describe(&client, &table).await)
        .iter()
        .all(is_disabled));

    for (update, words) in [
        (settings(5, 100, Some(95.0)), "must be between 20 and 90"),
        (settings(5, 100, Some(10.0)), "must be between 20 and 90"),
        (
            AutoScalingSettingsUpdate::builder()
                .maximum_units(9)
                .build(),
            "MinimumUnits and MaximumUnits are required",
        ),
    ] {
        let (code, message) = refused(
            client
                .update_table_replica_auto_scaling()
                .table_name(&table)
                .provisioned_write_capacity_auto_scaling_update(update)
                .send()
                .await,
        );
        assert_eq!(code, "ValidationException");
        assert!(message.contains(words), "{message}");
    }
    let (code, message) = refused(
        update()
            .provisioned_write_capacity_auto_scaling_update(settings(5, 40_001, None))
            .send()
            .await,
    );
    assert_eq!(code, "LimitExceededException", "{message}");

    let (code, message) = refused(
        update()
            .global_secondary_index_updates(
                GlobalSecondaryIndexAutoScalingUpdate::builder()
                    .index_name("missing")
                    .provisioned_write_capacity_auto_scaling_update(settings(1, 2, None))
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert_eq!(
        message,
        format!("Global secondary index missing does not exist on table {table}")
    );
    let (code, message) = refused(
        update()
            .replica_updates(
                ReplicaAutoScalingUpdate::builder()
                    .region_name("eu-west-1")
                    .replica_provisioned_read_capacity_auto_scaling_update(settings(1, 2, None))
                    .build()
                    .unwrap(),
            )
            .send()
            .await,
    );
    assert_eq!(code, "ValidationException");
    assert!(message.ends_with("[eu-west-1]."), "{message}");
    let e = client
        .describe_table_replica_auto_scaling()
        .table_name("missing-table")
        .send()
        .await
        .expect_err("no such table");
    assert_eq!(error_code(&e), "ResourceNotFoundException");
    assert!(capacities(&describe(&client, &table).await)
        .iter()
        .all(is_disabled));
    assert_eq!(provisioned(&client, &table, None).await, (5, 5));
}

#[tokio::test]
async fn on_demand_capacity_does_not_scale() {
    let server = Server::start();
    let client = server.client();
    let table = provisioned_table(&client, 5).await;
    scale_writes(&client, &table, 100, 100).await;
    // A switch to on-demand leaves nothing to scale.
    client
        .update_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    assert!(capacities(&describe(&client, &table).await)
        .iter()
        .all(is_disabled));
    let e = client
        .update_table_replica_auto_scaling()
        .table_name(&table)
        .provisioned_write_capacity_auto_scaling_update(settings(5, 100, Some(50.0)))
        .send()
        .await
        .expect_err("on-demand tables do not scale");
    assert_eq!(error_code(&e), "ValidationException");
    assert!(error_message(&e).contains("PAY_PER_REQUEST"));

    // A deleted index's settings go with it.
    let table = provisioned_table(&client, 5).await;
    client
        .update_table_replica_auto_scaling()
        .table_name(&table)
        .global_secondary_index_updates(
            GlobalSecondaryIndexAutoScalingUpdate::builder()
                .index_name("by_g")
                .provisioned_write_capacity_auto_scaling_update(settings(5, 100, Some(50.0)))
                .build(),
        )
        .send()
        .await
        .unwrap();
    client
        .update_table()
        .table_name(&table)
        .global_secondary_index_updates(delete_global_index("by_g"))
        .send()
        .await
        .unwrap();
    let d = describe(&client, &table).await;
    assert!(d.replicas()[0].global_secondary_indexes().is_empty());
}

/// Polls DescribeTable until `done` holds of the (table, index) write
/// units, for at most `limit`; returns the last values.
async fn wait_for_writes(
    client: &Client,
    table: &str,
    limit: Duration,
    done: impl Fn(i64, i64) -> bool,
) -> (i64, i64) {
    let start = Instant::now();
    loop {
        let units = (
            provisioned(client, table, None).await.1,
            provisioned(client, table, Some("by_g")).await.1,
        );
        if done(units.0, units.1) || start.elapsed() > limit {
            return units;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn provisioned_capacity_follows_consumption() {
    let server = Server::start_with(&["--auto-scaling-period-ms", "250", "--enforce-throughput"]);
    let client = server.client();
    let table = provisioned_table(&client, 5).await;
    scale_writes(&client, &table, 100, 60).await;

    // Writes as fast as the capacity lets them (each a write unit of the
    // table and of the index): throttled at 5 units a second, the
    // consumption sits at the capacity, twice the target, so each scale
    // out doubles it until the load or the maximum stops it.
    // Four writers, so that a stalled one (a loaded machine) does not
    // leave a period without consumption.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let client = without_retries(&server);
            let table = table.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                let (mut written, mut throttled) = (0u64, 0u64);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let put = client
                        .put_item()
                        .table_name(&table)
                        .item("pk", Av::S(format!("w{w}-{written}-{throttled}")))
                        .item("g", Av::S("g".into()))
                        .send()
                        .await;
                    match put {
                        Ok(_) => written += 1,
                        Err(e) => {
                            assert_eq!(error_code(&e), "ProvisionedThroughputExceededException");
                            throttled += 1;
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                    }
                }
                (written, throttled)
            })
        })
        .collect();
    let started = Instant::now();
    let (table_units, index_units) =
        wait_for_writes(&client, &table, Duration::from_secs(20), |t, i| {
            t == 100 && i == 60
        })
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(
        (table_units, index_units),
        (100, 60),
        "scaled out to each maximum"
    );
    let (mut written, mut throttled) = (0, 0);
    for writer in writers {
        let (w, t) = writer.await.unwrap();
        written += w;
        throttled += t;
    }
    assert!(throttled > 0, "the load was throttled at first");
    // More than the 5 units a second (and the second of burst) the
    // capacity started at: the added capacity let writes through.
    assert!(
        written as f64 > 5.0 * (elapsed + 1.0) + 20.0,
        "{written} writes in {elapsed} s"
    );
    // The metrics endpoint reports the capacity, as CloudWatch's
    // ProvisionedWriteCapacityUnits.
    for (index, units) in [("", 100), ("by_g", 60)] {
        common::wait_for_metric(
            &server.address(),
            &format!(
                r#"dynalith_provisioned_write_capacity_units{{table="{table}",index="{index}"}} {units}"#
            ),
        );
    }
    let described = described_table(&client, &table).await;
    assert!(described
        .provisioned_throughput()
        .unwrap()
        .last_increase_date_time()
        .is_some());

    // Idle: fifteen periods under the target, then back to the minimum.
    let units = wait_for_writes(&client, &table, Duration::from_secs(10), |t, i| {
        t == 5 && i == 5
    })
    .await;
    assert_eq!(units, (5, 5), "scaled in to each minimum");
    let throughput = described_table(&client, &table)
        .await
        .provisioned_throughput
        .unwrap();
    assert_eq!(throughput.number_of_decreases_today(), Some(1));
    assert!(throughput.last_decrease_date_time().is_some());
}

#[tokio::test]
async fn a_provisioned_table_whose_writes_auto_scale_takes_replicas() {
    use aws_sdk_dynamodb::types::{
        CreateReplicationGroupMemberAction, ProvisionedThroughputOverride,
        ReplicaGlobalSecondaryIndex, ReplicationGroupUpdate, UpdateReplicationGroupMemberAction,
    };
    let server = Server::start();
    let client = server.client();
    let table = provisioned_table(&client, 5).await;
    let add_replica = || {
        client
            .update_table()
            .table_name(&table)
            .replica_updates(
                ReplicationGroupUpdate::builder()
                    .create(
                        CreateReplicationGroupMemberAction::builder()
                            .region_name("eu-west-1")
                            .provisioned_throughput_override(
                                ProvisionedThroughputOverride::builder()
                                    .read_capacity_units(7)
                                    .build(),
                            )
                            .global_secondary_indexes(
                                ReplicaGlobalSecondaryIndex::builder()
                                    .index_name("by_g")
                                    .provisioned_throughput_override(
                                        ProvisionedThroughputOverride::builder()
                                            .read_capacity_units(3)
                                            .build(),
                                    )
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
    };
    let table_writes = || {
        client
            .update_table_replica_auto_scaling()
            .table_name(&table)
            .provisioned_write_capacity_auto_scaling_update(settings(5, 100, Some(70.0)))
    };
    let index_writes = |update: AutoScalingSettingsUpdate| {
        GlobalSecondaryIndexAutoScalingUpdate::builder()
            .index_name("by_g")
            .provisioned_write_capacity_auto_scaling_update(update)
            .build()
    };
    let refusal = "Table write capacity should either be Pay-Per-Request or AutoScaled.";

    // Without auto scaling, and with the table's writes scaling but not
    // its index's, DynamoDB's refusal.
    let e = add_replica().await.expect_err("writes do not scale");
    assert_eq!(error_message(&e), refusal);
    table_writes().send().await.unwrap();
    let e = add_replica()
        .await
        .expect_err("the index's writes do not scale");
    assert_eq!(error_message(&e), refusal);
    table_writes()
        .global_secondary_index_updates(index_writes(settings(5, 100, Some(70.0))))
        .send()
        .await
        .unwrap();
    add_replica().await.unwrap();

    let described = described_table(&client, &table).await;
    let replica = &described.replicas()[0];
    assert_eq!(replica.region_name(), Some("eu-west-1"));
    assert_eq!(
        replica
            .provisioned_throughput_override()
            .and_then(|o| o.read_capacity_units()),
        Some(7)
    );
    assert_eq!(
        replica.global_secondary_indexes()[0]
            .provisioned_throughput_override()
            .and_then(|o| o.read_capacity_units()),
        Some(3)
    );
    // Each Region describes its replica's own read capacity, the table's
    // settings where it overrides none; writes are the table's everywhere.
    let read_units = |described: &TableDescription| {
        let capacity = |t: Option<&aws_sdk_dynamodb::types::ProvisionedThroughputDescription>| {
            let t = t.unwrap();
            (t.read_capacity_units(), t.write_capacity_units())
        };
        let index = &described.global_secondary_indexes()[0];
        (
            capacity(described.provisioned_throughput()),
            capacity(index.provisioned_throughput()),
        )
    };
    let in_replica = signed_client(&server.endpoint, "eu-west-1", "AKIDTEST", "secret");
    let replica_view = described_table(&in_replica, &table).await;
    assert_eq!(
        read_units(&replica_view),
        ((Some(7), Some(5)), (Some(3), Some(5)))
    );
    // A table of that Region, with an id of its own.
    assert_ne!(replica_view.table_id(), described.table_id());
    assert_eq!(
        read_units(&described),
        ((Some(5), Some(5)), (Some(5), Some(5)))
    );
    // Raised in eu-west-1, the replica's read capacity has risen there and
    // nowhere else: each Region's ProvisionedThroughput dates its own
    // changes.
    client
        .update_table()
        .table_name(&table)
        .replica_updates(
            ReplicationGroupUpdate::builder()
                .update(
                    UpdateReplicationGroupMemberAction::builder()
                        .region_name("eu-west-1")
                        .provisioned_throughput_override(
                            ProvisionedThroughputOverride::builder()
                                .read_capacity_units(9)
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let last_increase = |described: &TableDescription| {
        let throughput = described.provisioned_throughput().unwrap();
        let index = described.global_secondary_indexes()[0].provisioned_throughput();
        (
            throughput.last_increase_date_time().is_some(),
            index.unwrap().last_increase_date_time().is_some(),
        )
    };
    let replica_view = described_table(&in_replica, &table).await;
    assert_eq!(read_units(&replica_view).0, (Some(9), Some(5)));
    assert_eq!(last_increase(&replica_view), (true, false));
    let described = described_table(&client, &table).await;
    assert_eq!(last_increase(&described), (false, false));
    // Every Region reports the settings (one copy, one capacity).
    let scaling = describe(&client, &table).await;
    let regions: Vec<_> = scaling
        .replicas()
        .iter()
        .map(|r| r.region_name().unwrap())
        .collect();
    assert_eq!(regions, ["us-east-1", "eu-west-1"]);
    assert!(scaling.replicas().iter().all(|r| r
        .replica_provisioned_write_capacity_auto_scaling_settings()
        .and_then(|s| s.maximum_units())
        == Some(100)));

    // The global table's writes keep scaling: disabling it is refused.
    let e = client
        .update_table_replica_auto_scaling()
        .table_name(&table)
        .global_secondary_index_updates(index_writes(disabled()))
        .send()
        .await
        .expect_err("a provisioned global table's writes must scale");
    assert_eq!(error_message(&e), refusal);
    // On demand, the provisioned overrides and the scaling go.
    client
        .update_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let described = described_table(&client, &table).await;
    assert!(described.replicas()[0]
        .provisioned_throughput_override()
        .is_none());
    assert!(described.replicas()[0]
        .global_secondary_indexes()
        .is_empty());
    // Each Region still dates its own changes from when it was provisioned.
    assert_eq!(last_increase(&described), (false, false));
    let replica_view = described_table(&in_replica, &table).await;
    assert_eq!(read_units(&replica_view).0, (Some(0), Some(0)));
    assert_eq!(last_increase(&replica_view), (true, false));
    assert!(all_disabled_in_each_region(
        &describe(&client, &table).await
    ));
}

/// Whether every Region's settings are all disabled.
fn all_disabled_in_each_region(d: &TableAutoScalingDescription) -> bool {
    d.replicas().iter().all(|r| {
        r.replica_provisioned_read_capacity_auto_scaling_settings()
            .is_some_and(is_disabled)
            && r.replica_provisioned_write_capacity_auto_scaling_settings()
                .is_some_and(is_disabled)
            && r.global_secondary_indexes().iter().all(|i| {
                i.provisioned_read_capacity_auto_scaling_settings()
                    .is_some_and(is_disabled)
                    && i.provisioned_write_capacity_auto_scaling_settings()
                        .is_some_and(is_disabled)
            })
    })
}

/// Sets the table's read scaling in `region` (its ReplicaUpdates entry).
async fn scale_reads_in(client: &Client, table: &str, region: &str, max: i64) {
    client
        .update_table_replica_auto_scaling()
        .table_name(table)
        .replica_updates(
            ReplicaAutoScalingUpdate::builder()
                .region_name(region)
                .replica_provisioned_read_capacity_auto_scaling_update(settings(5, max, Some(50.0)))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// The read maximum of each Region's table-level read scaling.
async fn read_maximums(client: &Client, table: &str) -> Vec<(String, Option<i64>)> {
    (describe(client, table).await.replicas().iter())
        .map(|r| {
            let max = r
                .replica_provisioned_read_capacity_auto_scaling_settings()
                .and_then(|s| s.maximum_units());
            (r.region_name().unwrap().to_string(), max)
        })
        .collect()
}

#[tokio::test]
async fn each_regions_reads_scale_under_settings_of_their_own() {
    let dir = tempfile::tempdir().unwrap();
    let flags = ["--auto-scaling-period-ms", "250", "--enforce-throughput"];
    let mut server = Server::start_durable_with(dir.path(), &flags);
    let client = server.client();
    let table = provisioned_table(&client, 5).await;
    scale_writes(&client, &table, 100, 60).await;
    scale_reads_in(&client, &table, "us-east-1", 50).await;
    client
        .put_item()
        .table_name(&table)
        .item("pk", Av::S("read-me".into()))
        .send()
        .await
        .unwrap();

    // A new replica starts with a copy of the table's read settings, then
    // each Region's are its own.
    common::add_replica(&client, &table, "eu-west-1").await;
    assert_eq!(
        read_maximums(&client, &table).await,
        [
            ("us-east-1".into(), Some(50)),
            ("eu-west-1".into(), Some(50))
        ]
    );
    scale_reads_in(&client, &table, "eu-west-1", 20).await;
    assert_eq!(
        read_maximums(&client, &table).await,
        [
            ("us-east-1".into(), Some(50)),
            ("eu-west-1".into(), Some(20))
        ]
    );

    // Reads in eu-west-1 as fast as its 5 units let them: its capacity
    // scales out to its own maximum, the table's own Region's stays.
    let in_replica = signed_client(&server.endpoint, "eu-west-1", "AKIDTEST", "secret");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let client = common::retries_off(in_replica.clone());
            let (table, stop) = (table.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let read = client
                        .get_item()
                        .table_name(&table)
                        .key("pk", Av::S("read-me".into()))
                        .consistent_read(true)
                        .send()
                        .await;
                    if let Err(e) = read {
                        assert_eq!(error_code(&e), "ProvisionedThroughputExceededException");
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
            })
        })
        .collect();
    let start = Instant::now();
    let mut replica_reads = 0;
    while start.elapsed() < Duration::from_secs(20) {
        replica_reads = provisioned(&in_replica, &table, None).await.0;
        if replica_reads == 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for reader in readers {
        reader.await.unwrap();
    }
    assert_eq!(replica_reads, 20, "eu-west-1 scaled out to its maximum");
    assert_eq!(provisioned(&client, &table, None).await.0, 5);
    let described = described_table(&client, &table).await;
    assert_eq!(
        described.replicas()[0]
            .provisioned_throughput_override()
            .and_then(|o| o.read_capacity_units()),
        Some(20)
    );

    // The rise is dated in eu-west-1 alone.
    let last_increase = |described: &TableDescription| {
        (described.provisioned_throughput()).and_then(|t| t.last_increase_date_time().cloned())
    };
    let risen = last_increase(&described_table(&in_replica, &table).await);
    assert!(risen.is_some());
    assert_eq!(last_increase(&described), None);

    // Each Region's settings, capacity, TableId and capacity changes
    // survive a restart.
    let replica_id = described_table(&in_replica, &table).await.table_id;
    assert!(server.terminate().success(), "clean shutdown on SIGTERM");
    let server = Server::start_durable_with(dir.path(), &flags);
    let (client, in_replica) = (
        server.client(),
        signed_client(&server.endpoint, "eu-west-1", "AKIDTEST", "secret"),
    );
    assert_eq!(
        read_maximums(&client, &table).await,
        [
            ("us-east-1".into(), Some(50)),
            ("eu-west-1".into(), Some(20))
        ]
    );
    let replica_view = described_table(&in_replica, &table).await;
    assert_eq!(replica_view.table_id, replica_id);
    assert_ne!(replica_view.table_id, described.table_id);
    assert_eq!(last_increase(&replica_view), risen);
    assert_eq!(provisioned(&in_replica, &table, None).await.0, 20);
}
