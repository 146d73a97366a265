//! `--transient-status-ms` through the AWS SDK: a table is CREATING,
//! UPDATING and DELETING for that long, and a new global index CREATING at
//! least as long, with DynamoDB's answers to what does not wait for ACTIVE;
//! Time to Live is ENABLING or DISABLING as long, and changes once meanwhile;
//! DynamoDB's quota of 500 tables in these states at once holds.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, IndexStatus, KeyType, ProjectionType, ScalarAttributeType,
    TableClass, TableStatus, TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_dynamodb::Client;
use common::{
    attribute_definition, create_global_index, create_table, create_table_request, error_code,
    error_message, key_element, Server,
};
use std::time::{Duration, Instant};

const DELAY: Duration = Duration::from_millis(3000);

/// The table's status and its global indexes' (None once it is gone).
async fn statuses(client: &Client, name: &str) -> Option<(TableStatus, Vec<IndexStatus>)> {
    match client.describe_table().table_name(name).send().await {
        Ok(answer) => {
            let table = answer.table.unwrap();
            let indexes = (table.global_secondary_indexes().iter())
                .map(|i| i.index_status().unwrap().clone())
                .collect();
            Some((table.table_status.unwrap(), indexes))
        }
        Err(e) => {
            assert_eq!(error_code(&e), "ResourceNotFoundException");
            None
        }
    }
}

/// Polls DescribeTable, as an SDK waiter does, until `done` holds; how
/// long that took.
async fn wait_until(
    client: &Client,
    name: &str,
    done: impl Fn(&Option<(TableStatus, Vec<IndexStatus>)>) -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        if done(&statuses(client, name).await) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{name} never settled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn all_active(s: &Option<(TableStatus, Vec<IndexStatus>)>) -> bool {
    s.as_ref().is_some_and(|(table, indexes)| {
        *table == TableStatus::Active && indexes.iter().all(|i| *i == IndexStatus::Active)
    })
}

/// Asserts that `e` is DynamoDB's refusal to change the table `statuses`
/// while it is being `doing` (created, updated).
fn assert_in_use<E, R>(e: &aws_sdk_dynamodb::error::SdkError<E, R>, doing: &str)
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    assert_eq!(error_code(e), "ResourceInUseException");
    assert_eq!(
        error_message(e),
        format!(
            "Attempt to change a resource which is still in use: Table is being {doing}: statuses"
        )
    );
}

/// Waits for the table and its indexes to be ACTIVE, which must not be
/// before the delay has passed since `started`.
async fn wait_active_since(client: &Client, name: &str, started: Instant) {
    wait_until(client, name, all_active).await;
    let took = started.elapsed();
    assert!(took >= DELAY, "ACTIVE after {took:?}");
}

fn item(pk: &str, g: &str) -> std::collections::HashMap<String, AttributeValue> {
    [
        ("pk".to_string(), AttributeValue::S(pk.into())),
        ("g".to_string(), AttributeValue::S(g.into())),
    ]
    .into()
}

#[tokio::test]
async fn a_table_goes_through_creating_updating_and_deleting() {
    let server = Server::start_with(&["--transient-status-ms", &DELAY.as_millis().to_string()]);
    let client = server.client();
    let name = "statuses";

    // CREATING: items not found, the table not changeable.
    let started = Instant::now();
    create_table(&client, name, None).await;
    let put = || {
        client
            .put_item()
            .table_name(name)
            .set_item(Some(item("a", "x")))
            .send()
    };
    let e = put().await.unwrap_err();
    assert_eq!(error_code(&e), "ResourceNotFoundException");
    assert_eq!(error_message(&e), "Requested resource not found");
    assert_eq!(
        statuses(&client, name).await.unwrap().0,
        TableStatus::Creating
    );
    let e = client
        .delete_table()
        .table_name(name)
        .send()
        .await
        .unwrap_err();
    assert_in_use(&e, "created");
    wait_active_since(&client, name, started).await;
    put().await.expect("an ACTIVE table takes items");

    // A new global index: the table UPDATING (items served, no other
    // change), the index CREATING and not readable, for the delay at least.
    let started = Instant::now();
    let answer = client
        .update_table()
        .table_name(name)
        .attribute_definitions(attribute_definition("g", ScalarAttributeType::S))
        .global_secondary_index_updates(create_global_index("by_g", "g", ProjectionType::All))
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.table_description.unwrap().table_status,
        Some(TableStatus::Updating)
    );
    assert_eq!(
        statuses(&client, name).await,
        Some((TableStatus::Updating, vec![IndexStatus::Creating]))
    );
    client
        .put_item()
        .table_name(name)
        .set_item(Some(item("b", "x")))
        .send()
        .await
        .expect("an UPDATING table takes items");
    let query = || {
        client
            .query()
            .table_name(name)
            .index_name("by_g")
            .key_condition_expression("g = :g")
            .expression_attribute_values(":g", AttributeValue::S("x".into()))
            .send()
    };
    let e = query().await.unwrap_err();
    assert_eq!(error_code(&e), "ValidationException");
    let e = client
        .update_table()
        .table_name(name)
        .table_class(TableClass::StandardInfrequentAccess)
        .send()
        .await
        .unwrap_err();
    assert_in_use(&e, "updated");
    wait_active_since(&client, name, started).await;
    assert_eq!(query().await.unwrap().count, 2);

    // The index deleted: DELETING beside the UPDATING table, then gone.
    client
        .update_table()
        .table_name(name)
        .global_secondary_index_updates(common::delete_global_index("by_g"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        statuses(&client, name).await,
        Some((TableStatus::Updating, vec![IndexStatus::Deleting]))
    );
    wait_until(&client, name, all_active).await;
    assert_eq!(
        statuses(&client, name).await,
        Some((TableStatus::Active, vec![]))
    );

    // DELETING: described and listed, deleted again without an error, the
    // name not free; then gone, and the name free.
    client.delete_table().table_name(name).send().await.unwrap();
    assert_eq!(
        statuses(&client, name).await.unwrap().0,
        TableStatus::Deleting
    );
    let again = client.delete_table().table_name(name).send().await.unwrap();
    assert_eq!(
        again.table_description.unwrap().table_status,
        Some(TableStatus::Deleting)
    );
    let listed = client.list_tables().send().await.unwrap();
    assert_eq!(listed.table_names(), ["statuses"]);
    let e = put().await.unwrap_err();
    assert_eq!(error_code(&e), "ResourceNotFoundException");
    let recreate = || {
        client
            .create_table()
            .table_name(name)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key_element("pk", KeyType::Hash))
            .attribute_definitions(attribute_definition("pk", ScalarAttributeType::S))
            .send()
    };
    let e = recreate().await.unwrap_err();
    assert_eq!(error_code(&e), "ResourceInUseException");
    assert_eq!(error_message(&e), "Table already exists: statuses");
    wait_until(&client, name, Option::is_none).await;
    assert!(client
        .list_tables()
        .send()
        .await
        .unwrap()
        .table_names()
        .is_empty());
    recreate()
        .await
        .expect("the name is free once the table is gone");
}

#[tokio::test]
async fn statuses_kept_in_storage_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let delay = ["--transient-status-ms", "5000"];
    let mut server = Server::start_durable_with(dir.path(), &delay);
    let client = server.client();
    create_table(&client, "gone", None).await;
    wait_until(&client, "gone", all_active).await;
    client
        .delete_table()
        .table_name("gone")
        .send()
        .await
        .unwrap();
    create_table(&client, "kept", None).await;
    server.terminate();

    let server = Server::start_durable_with(dir.path(), &delay);
    let client = server.client();
    assert_eq!(
        statuses(&client, "kept").await.unwrap().0,
        TableStatus::Creating
    );
    let e = client
        .get_item()
        .table_name("kept")
        .key("pk", AttributeValue::S("a".into()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ResourceNotFoundException");
    assert_eq!(
        statuses(&client, "gone").await.unwrap().0,
        TableStatus::Deleting
    );
    let listed = client.list_tables().send().await.unwrap();
    assert_eq!(listed.table_names(), ["gone", "kept"]);
    wait_until(&client, "gone", Option::is_none).await;
}

#[tokio::test]
async fn time_to_live_is_enabling_for_a_while_and_changes_once_meanwhile() {
    let server = Server::start_with(&["--transient-status-ms", &DELAY.as_millis().to_string()]);
    let client = server.client();
    create_table(&client, "ttl_statuses", None).await;
    wait_until(&client, "ttl_statuses", all_active).await;

    let update = |enabled: bool| {
        client
            .update_time_to_live()
            .table_name("ttl_statuses")
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name("expires")
                    .enabled(enabled)
                    .build()
                    .unwrap(),
            )
            .send()
    };
    let status = || async {
        let answer = client
            .describe_time_to_live()
            .table_name("ttl_statuses")
            .send()
            .await
            .unwrap();
        let description = answer.time_to_live_description.unwrap();
        (
            description.time_to_live_status.unwrap(),
            description.attribute_name,
        )
    };
    let started = Instant::now();
    update(true).await.unwrap();
    assert_eq!(
        status().await,
        (TimeToLiveStatus::Enabling, Some("expires".into()))
    );
    let e = update(false).await.unwrap_err();
    assert_eq!(error_code(&e), "ValidationException");
    assert_eq!(
        error_message(&e),
        "Time to live has been modified multiple times within a fixed interval"
    );
    while status().await.0 == TimeToLiveStatus::Enabling {
        assert!(started.elapsed() < Duration::from_secs(30));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        started.elapsed() >= DELAY,
        "ENABLED after {:?}",
        started.elapsed()
    );
    assert_eq!(
        status().await,
        (TimeToLiveStatus::Enabled, Some("expires".into()))
    );
    update(false)
        .await
        .expect("a change once the interval is over");
    assert_eq!(
        status().await,
        (TimeToLiveStatus::Disabling, Some("expires".into()))
    );
}

#[tokio::test]
async fn tables_in_transition_have_dynamodb_s_quota() {
    // Statuses that outlast the test: every table created stays CREATING.
    let server = Server::start_with(&["--transient-status-ms", "600000"]);
    let client = server.client();
    let created = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (client, created) = (client.clone(), created.clone());
            tokio::spawn(async move {
                loop {
                    let n = created.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if n >= 500 {
                        return;
                    }
                    create_table(&client, &format!("quota{n}"), None).await;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }

    let e = create_table_request(&client, "one_more", None)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "LimitExceededException");
    assert_eq!(
        error_message(&e),
        "Subscriber limit exceeded: Only 500 tables can be created, updated, or deleted simultaneously"
    );
    assert_eq!(
        statuses(&client, "quota499").await.unwrap().0,
        TableStatus::Creating
    );
}
