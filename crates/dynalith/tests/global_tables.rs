//! Global tables (version 2019.11.21) through the Rust SDK, with a client
//! per Region: UpdateTable's ReplicaUpdates, DescribeTable as each Region
//! sees the table, writes in one Region read in another, the shared
//! stream, and DeleteTable of one Region's replica; with transient
//! statuses, a replica CREATING and DELETING as long.

mod common;

use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::{
    AttributeValue, DeleteReplicationGroupMemberAction, ReplicaStatus, ReplicationGroupUpdate,
    TableDescription, TableStatus,
};
use aws_sdk_dynamodb::Client;
use common::{
    add_replica, create_replica, create_table, error_code, error_message, signed_client,
    signed_streams_client, unique_table, Server,
};
use std::time::{Duration, Instant};

fn client_in(server: &Server, region: &str) -> Client {
    signed_client(
        &format!("http://{}", server.address()),
        region,
        "AKIDTEST",
        "secret",
    )
}

fn delete_replica(region: &str) -> ReplicationGroupUpdate {
    ReplicationGroupUpdate::builder()
        .delete(
            DeleteReplicationGroupMemberAction::builder()
                .region_name(region)
                .build()
                .unwrap(),
        )
        .build()
}

async fn described(client: &Client, name: &str) -> TableDescription {
    client
        .describe_table()
        .table_name(name)
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
}

fn replica_regions(table: &TableDescription) -> Vec<&str> {
    table
        .replicas()
        .iter()
        .filter_map(|r| r.region_name())
        .collect()
}

#[tokio::test]
async fn a_replica_serves_the_table_in_its_region() {
    let server = Server::start();
    let home = client_in(&server, "us-east-1");
    let away = client_in(&server, "eu-west-1");
    let name = unique_table("global");
    create_table(&home, &name, None).await;

    let answer = home
        .update_table()
        .table_name(&name)
        .replica_updates(create_replica("eu-west-1"))
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(answer.table_status(), Some(&TableStatus::Updating));
    assert_eq!(answer.global_table_version(), Some("2019.11.21"));

    // What a deployment tool polls for: the table and its replica ACTIVE.
    home.wait_until_table_exists()
        .table_name(&name)
        .wait(Duration::from_secs(10))
        .await
        .unwrap();
    let seen_home = described(&home, &name).await;
    assert_eq!(replica_regions(&seen_home), ["eu-west-1"]);
    assert_eq!(
        seen_home.replicas()[0].replica_status(),
        Some(&ReplicaStatus::Active)
    );
    let seen_away = described(&away, &name).await;
    assert_eq!(replica_regions(&seen_away), ["us-east-1"]);
    assert_eq!(
        seen_away.table_arn(),
        Some(format!("arn:aws:dynamodb:eu-west-1:000000000000:table/{name}").as_str())
    );
    // A Region without a replica has no such table.
    let error = client_in(&server, "ap-south-1")
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ResourceNotFoundException");

    // A write in the replica's Region is read in the table's own, and is
    // on the stream DynamoDB turned on for the replicas.
    away.put_item()
        .table_name(&name)
        .item("pk", AttributeValue::S("written-away".into()))
        .item("n", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    let item = home
        .get_item()
        .table_name(&name)
        .key("pk", AttributeValue::S("written-away".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(item["n"], AttributeValue::N("1".into()));
    let stream_arn = seen_away.latest_stream_arn().unwrap();
    let streams = signed_streams_client(
        &format!("http://{}", server.address()),
        "eu-west-1",
        "AKIDTEST",
        "secret",
    );
    let stream = streams
        .describe_stream()
        .stream_arn(stream_arn)
        .send()
        .await
        .unwrap();
    let shard = stream.stream_description().unwrap().shards()[0]
        .shard_id()
        .unwrap()
        .to_string();
    let iterator = streams
        .get_shard_iterator()
        .stream_arn(stream_arn)
        .shard_id(shard)
        .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::TrimHorizon)
        .send()
        .await
        .unwrap()
        .shard_iterator
        .unwrap();
    let records = streams
        .get_records()
        .shard_iterator(iterator)
        .send()
        .await
        .unwrap();
    let record = &records.records()[0];
    let images = record.dynamodb().unwrap();
    assert!(images.new_image().unwrap().contains_key("n"));
    assert_eq!(
        images.stream_view_type(),
        Some(&aws_sdk_dynamodbstreams::types::StreamViewType::NewAndOldImages)
    );

    // Deleting the table in the replica's Region deletes only that replica.
    away.delete_table().table_name(&name).send().await.unwrap();
    let error = away
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ResourceNotFoundException");
    let regional = described(&home, &name).await;
    assert!(regional.replicas().is_empty());
    assert_eq!(regional.global_table_version(), None);
    assert_eq!(regional.item_count(), Some(1));
}

#[tokio::test]
async fn replica_updates_are_refused_in_dynamodbs_words() {
    let server = Server::start();
    let home = client_in(&server, "us-east-1");
    let name = unique_table("global_refused");
    create_table(&home, &name, None).await;

    // The local Region is the table itself.
    let error = home
        .update_table()
        .table_name(&name)
        .replica_updates(create_replica("us-east-1"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ValidationException");
    assert_eq!(
        error_message(&error),
        "Cannot add or delete the local region through ReplicaUpdates. Use CreateTable, DeleteTable, or UpdateTable as required."
    );
    // A replica change comes alone; nothing of a refused request applies.
    let error = home
        .update_table()
        .table_name(&name)
        .deletion_protection_enabled(true)
        .replica_updates(create_replica("eu-west-1"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "One or more parameter values were invalid: Replica modification must be the only operation in the request"
    );
    let table = described(&home, &name).await;
    assert_eq!(table.deletion_protection_enabled(), Some(false));
    assert!(table.replicas().is_empty());
    // Removing a Region that has no replica.
    let error = home
        .update_table()
        .table_name(&name)
        .replica_updates(delete_replica("eu-west-1"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "Update global table operation failed because one or more replicas were not part of the global table. Please retry the request without these replicas: [eu-west-1]."
    );
}

/// The global tables of version 2017.11.29 are DynamoDB's no more: its
/// answers to their operations, as the SDK surfaces them.
#[tokio::test]
async fn the_2017_operations_answer_as_dynamodb_does_now() {
    use aws_sdk_dynamodb::types::Replica;
    let server = Server::start();
    let client = client_in(&server, "us-east-1");
    let name = unique_table("legacy");
    create_table(&client, &name, None).await;

    let listed = client.list_global_tables().send().await.unwrap();
    assert!(listed.global_tables().is_empty());
    assert_eq!(listed.last_evaluated_global_table_name(), None);

    let error = client
        .create_global_table()
        .global_table_name(&name)
        .replication_group(Replica::builder().region_name("us-east-1").build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ValidationException");
    assert_eq!(
        error_message(&error),
        "One or more parameter values were invalid: DynamoDB global tables version 2017.11.29 is not supported. We recommend using DynamoDB global tables version 2019.11.21, instead of version 2017.11.29 (Legacy)."
    );
    let error = client
        .describe_global_table()
        .global_table_name(&name)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "GlobalTableNotFoundException");
    assert_eq!(
        error_message(&error),
        format!("Global table not found: Global table with name: '{name}' does not exist.")
    );
    let error = client
        .describe_global_table_settings()
        .global_table_name(&name)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "GlobalTableNotFoundException");
    assert_eq!(
        error_message(&error),
        format!("Global table with name: '{name}' does not exist.")
    );
    let error = client
        .update_global_table_settings()
        .global_table_name(&name)
        .global_table_billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "GlobalTableNotFoundException");
    assert_eq!(
        error_message(&error),
        format!("Global table with name: '{name}' does not exist.")
    );
    // The name is validated before the table is looked for.
    let error = client
        .describe_global_table()
        .global_table_name("ab")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ValidationException");
    assert!(
        error_message(&error).contains("globalTableName"),
        "{}",
        error_message(&error)
    );
}

/// The statuses of the replicas `client`'s Region lists for the table.
async fn replica_statuses(client: &Client, name: &str) -> Vec<ReplicaStatus> {
    (described(client, name).await.replicas().iter())
        .filter_map(|r| r.replica_status().cloned())
        .collect()
}

/// Polls DescribeTable in `client`'s Region, as Terraform's AWS provider
/// waits on a replica, until `done` holds of the replicas' statuses; not
/// before `delay` has passed since `started`.
async fn wait_for_replicas(
    client: &Client,
    name: &str,
    done: impl Fn(&[ReplicaStatus]) -> bool,
    started: Instant,
    delay: Duration,
) {
    while !done(&replica_statuses(client, name).await) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{name}'s replicas never settled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        started.elapsed() >= delay,
        "settled after {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_replica_is_creating_and_deleting_for_the_transient_status() {
    const DELAY: Duration = Duration::from_millis(2500);
    let server = Server::start_with(&["--transient-status-ms", &DELAY.as_millis().to_string()]);
    let home = client_in(&server, "us-east-1");
    let away = client_in(&server, "eu-west-1");
    let name = unique_table("replica_statuses");
    // What the SDK's table_exists waiter waits for, polled more often than
    // its 20 s.
    let wait_active = |client: &Client| {
        let (client, name) = (client.clone(), name.clone());
        async move {
            let started = Instant::now();
            while described(&client, &name).await.table_status() != Some(&TableStatus::Active) {
                assert!(
                    started.elapsed() < Duration::from_secs(30),
                    "{name} never ACTIVE"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    create_table(&home, &name, None).await;
    wait_active(&home).await;

    let started = Instant::now();
    add_replica(&home, &name, "eu-west-1").await;
    assert_eq!(
        replica_statuses(&home, &name).await,
        [ReplicaStatus::Creating]
    );
    // In its Region the replica is a table being created.
    assert_eq!(
        described(&away, &name).await.table_status(),
        Some(&TableStatus::Creating)
    );
    let put = |client: &Client| {
        client
            .put_item()
            .table_name(&name)
            .item("pk", AttributeValue::S("a".into()))
            .send()
    };
    let e = put(&away).await.unwrap_err();
    assert_eq!(error_code(&e), "ResourceNotFoundException");
    put(&home)
        .await
        .expect("the table's own Region serves items meanwhile");
    wait_for_replicas(
        &home,
        &name,
        |s| s == [ReplicaStatus::Active],
        started,
        DELAY,
    )
    .await;
    wait_active(&away).await;
    put(&away).await.expect("an ACTIVE replica serves items");

    wait_active(&home).await;
    let started = Instant::now();
    home.update_table()
        .table_name(&name)
        .replica_updates(delete_replica("eu-west-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        replica_statuses(&home, &name).await,
        [ReplicaStatus::Deleting]
    );
    wait_for_replicas(&home, &name, <[_]>::is_empty, started, DELAY).await;
}
