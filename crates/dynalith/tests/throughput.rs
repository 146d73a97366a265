//! Throughput enforcement (`--enforce-throughput`) through the SDK:
//! provisioned tables and global indexes throttle with
//! ProvisionedThroughputExceededException and its ThrottlingReasons,
//! on-demand maximums with ThrottlingException, batches hand back what they
//! could not do, transactions cancel, and raising the capacity lets
//! requests through again. Each test drives a bucket well below zero with
//! a large item, so the refill between two requests (milliseconds) cannot
//! make the second one pass.

mod common;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::get_item::GetItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue as Av, BillingMode, KeyType, KeysAndAttributes, OnDemandThroughput,
    ProjectionType, Put, PutRequest, ScalarAttributeType, TransactWriteItem, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use common::{
    attribute_definition, error_code, global_index, key_element, provisioned_throughput,
    retries_off, signed_client, unique_table, without_retries, Server,
};
use std::collections::HashMap;
use std::time::Duration;

type Item = HashMap<String, Av>;

/// A provisioned table keyed by `pk`.
async fn provisioned_table(client: &Client, read: i64, write: i64) -> String {
    let name = unique_table("throughput");
    client
        .create_table()
        .table_name(&name)
        .key_schema(key_element("pk", KeyType::Hash))
        .attribute_definitions(attribute_definition("pk", ScalarAttributeType::S))
        .provisioned_throughput(provisioned_throughput(read, write))
        .send()
        .await
        .unwrap();
    name
}

/// An item whose size is about `kb` KB.
fn item(pk: &str, kb: usize) -> Item {
    HashMap::from([
        ("pk".to_string(), Av::S(pk.to_string())),
        ("data".to_string(), Av::S("x".repeat(kb * 1024 - 100))),
    ])
}

fn key(pk: &str) -> Item {
    HashMap::from([("pk".to_string(), Av::S(pk.to_string()))])
}

async fn consistent_get(
    client: &Client,
    table: &str,
    pk: &str,
) -> Result<(), SdkError<GetItemError>> {
    client
        .get_item()
        .table_name(table)
        .set_key(Some(key(pk)))
        .consistent_read(true)
        .send()
        .await
        .map(|_| ())
}

#[tokio::test]
async fn reads_over_provisioned_capacity_are_throttled_until_it_refills() {
    let server = Server::start_with(&["--enforce-throughput"]);
    let client = without_retries(&server);
    let table = provisioned_table(&client, 5, 100).await;
    client
        .put_item()
        .table_name(&table)
        .set_item(Some(item("big", 40)))
        .send()
        .await
        .unwrap();

    // A new table has one second of capacity (5 units); the 40 KB read
    // costs 10 and still runs, leaving a deficit of 5.
    consistent_get(&client, &table, "big").await.unwrap();
    let refused = consistent_get(&client, &table, "big").await.unwrap_err();
    assert_eq!(
        error_code(&refused),
        "ProvisionedThroughputExceededException"
    );
    let GetItemError::ProvisionedThroughputExceededException(exception) =
        refused.into_service_error()
    else {
        panic!("not ProvisionedThroughputExceededException");
    };
    assert_eq!(
        exception.message(),
        Some("The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.")
    );
    let reasons = exception.throttling_reasons();
    assert_eq!(reasons.len(), 1);
    assert_eq!(
        reasons[0].reason(),
        Some("TableReadProvisionedThroughputExceeded")
    );
    assert!(reasons[0]
        .resource()
        .unwrap()
        .ends_with(&format!(":table/{table}")));

    // Queries and scans share the table's read capacity; writes do not.
    let query = client
        .query()
        .table_name(&table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", Av::S("big".into()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&query), "ProvisionedThroughputExceededException");
    let scan = client.scan().table_name(&table).send().await.unwrap_err();
    assert_eq!(error_code(&scan), "ProvisionedThroughputExceededException");
    client
        .put_item()
        .table_name(&table)
        .set_item(Some(item("small", 1)))
        .send()
        .await
        .unwrap();

    // Five units a second pay the deficit back within about a second.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    consistent_get(&client, &table, "small").await.unwrap();
}

#[tokio::test]
async fn raising_the_capacity_lets_requests_through_at_once() {
    let server = Server::start_with(&["--enforce-throughput"]);
    let client = without_retries(&server);
    let table = provisioned_table(&client, 1, 100).await;
    client
        .put_item()
        .table_name(&table)
        .set_item(Some(item("big", 40)))
        .send()
        .await
        .unwrap();
    consistent_get(&client, &table, "big").await.unwrap();
    // 9 units short at 1 unit a second.
    assert!(consistent_get(&client, &table, "big").await.is_err());

    client
        .update_table()
        .table_name(&table)
        .provisioned_throughput(provisioned_throughput(10_000, 100))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    consistent_get(&client, &table, "big").await.unwrap();
}

#[tokio::test]
async fn writes_over_provisioned_capacity_are_throttled_and_not_written() {
    let server = Server::start_with(&["--enforce-throughput"]);
    let client = without_retries(&server);
    let table = provisioned_table(&client, 100, 5).await;
    // 10 KB costs 10 write units: the first write runs on 5.
    client
        .put_item()
        .table_name(&table)
        .set_item(Some(item("first", 10)))
        .send()
        .await
        .unwrap();
    let refused = client
        .put_item()
        .table_name(&table)
        .set_item(Some(item("second", 1)))
        .send()
        .await
        .unwrap_err();
    let PutItemError::ProvisionedThroughputExceededException(exception) =
        refused.into_service_error()
    else {
        panic!("not ProvisionedThroughputExceededException");
    };
    assert_eq!(
        exception.throttling_reasons()[0].reason(),
        Some("TableWriteProvisionedThroughputExceeded")
    );
    for operation in ["update", "delete"] {
        let error = match operation {
            "update" => client
                .update_item()
                .table_name(&table)
                .set_key(Some(key("first")))
                .update_expression("SET n = :n")
                .expression_attribute_values(":n", Av::N("1".into()))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error_code(&e)),
            _ => client
                .delete_item()
                .table_name(&table)
                .set_key(Some(key("first")))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| error_code(&e)),
        };
        assert_eq!(
            error,
            Err("ProvisionedThroughputExceededException".to_string()),
            "{operation}"
        );
    }
    // Reads have capacity of their own; nothing refused was written.
    let first = client
        .get_item()
        .table_name(&table)
        .set_key(Some(key("first")))
        .send()
        .await
        .unwrap();
    assert!(!first.item.unwrap().contains_key("n"));
    let second = client
        .get_item()
        .table_name(&table)
        .set_key(Some(key("second")))
        .send()
        .await
        .unwrap();
    assert!(second.item.is_none());
}

#[tokio::test]
async fn a_global_index_short_of_write_capacity_throttles_writes_to_its_table() {
    let server = Server::start_with(&["--enforce-throughput"]);
    let client = without_retries(&server);
    let table = unique_table("throughput");
    let mut index = global_index("byColor", "color", ProjectionType::All);
    index.provisioned_throughput = Some(provisioned_throughput(100, 2));
    client
        .create_table()
        .table_name(&table)
        .key_schema(key_element("pk", KeyType::Hash))
        .attribute_definitions(attribute_definition("pk", ScalarAttributeType::S))
        .attribute_definitions(attribute_definition("color", ScalarAttributeType::S))
        .global_secondary_indexes(index)
        .provisioned_throughput(provisioned_throughput(100, 100))
        .send()
        .await
        .unwrap();
    let mut indexed = item("a", 8);
    indexed.insert("color".into(), Av::S("red".into()));
    client
        .put_item()
        .table_name(&table)
        .set_item(Some(indexed))
        .send()
        .await
        .unwrap();
    // The index took 8 units of its 2: even a write it would not see waits.
    let refused = client
        .put_item()
        .table_name(&table)
        .set_item(Some(item("b", 1)))
        .send()
        .await
        .unwrap_err();
    let PutItemError::ProvisionedThroughputExceededException(exception) =
        refused.into_service_error()
    else {
        panic!("not ProvisionedThroughputExceededException");
    };
    assert_eq!(
        exception.message(),
        Some("The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded. Consider increasing your provisioning level for the under-provisioned global secondary indexes with the UpdateTable API")
    );
    let reason = &exception.throttling_reasons()[0];
    assert_eq!(
        reason.reason(),
        Some("IndexWriteProvisionedThroughputExceeded")
    );
    assert!(reason
        .resource()
        .unwrap()
        .ends_with(&format!(":table/{table}/index/byColor")));
    // Reads of the index have capacity of their own.
    client
        .query()
        .table_name(&table)
        .index_name("byColor")
        .key_condition_expression("color = :c")
        .expression_attribute_values(":c", Av::S("red".into()))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn on_demand_maximums_throttle_with_throttling_exception() {
    let server = Server::start_with(&["--enforce-throughput"]);
    let client = without_retries(&server);
    let table = unique_table("throughput");
    client
        .create_table()
        .table_name(&table)
        .key_schema(key_element("pk", KeyType::Hash))
        .attribute_definitions(attribute_definition("pk", ScalarAttributeType::S))
        .billing_mode(BillingMode::PayPerRequest)
        .on_demand_throughput(
            OnDemandThroughput::builder()
                .max_read_request_units(2)
                .build(),
        )
        .send()
        .await
        .unwrap();
    // No maximum on writes: any number of them run.
    for i in 0..5 {
        client
            .put_item()
            .table_name(&table)
            .set_item(Some(item(&format!("big{i}"), 40)))
            .send()
            .await
            .unwrap();
    }
    consistent_get(&client, &table, "big0").await.unwrap();
    let refused = consistent_get(&client, &table, "big0").await.unwrap_err();
    assert_eq!(error_code(&refused), "ThrottlingException");
    let GetItemError::ThrottlingException(exception) = refused.into_service_error() else {
        panic!("not ThrottlingException");
    };
    assert_eq!(
        exception.throttling_reasons()[0].reason(),
        Some("TableReadMaxOnDemandThroughputExceeded")
    );
}

/// A replica of a global table is a copy with read capacity of its own
/// (here its OnDemandThroughputOverride): reads signed for its Region run
/// out of it, while the table's own Region reads on under the table's.
#[tokio::test]
async fn a_replica_reads_under_its_own_capacity() {
    use aws_sdk_dynamodb::types::{
        CreateReplicationGroupMemberAction, OnDemandThroughputOverride, ReplicationGroupUpdate,
    };
    let server = Server::start_with(&["--enforce-throughput"]);
    let client_in = |region: &str| {
        let endpoint = format!("http://{}", server.address());
        retries_off(signed_client(&endpoint, region, "AKIDTEST", "secret"))
    };
    let (home, away) = (client_in("us-east-1"), client_in("eu-west-1"));
    let table = unique_table("throughput");
    home.create_table()
        .table_name(&table)
        .key_schema(key_element("pk", KeyType::Hash))
        .attribute_definitions(attribute_definition("pk", ScalarAttributeType::S))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    home.update_table()
        .table_name(&table)
        .replica_updates(
            ReplicationGroupUpdate::builder()
                .create(
                    CreateReplicationGroupMemberAction::builder()
                        .region_name("eu-west-1")
                        .on_demand_throughput_override(
                            OnDemandThroughputOverride::builder()
                                .max_read_request_units(1)
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
    home.put_item()
        .table_name(&table)
        .set_item(Some(item("big", 40)))
        .send()
        .await
        .unwrap();

    // Ten units from a bucket of one: the next read in eu-west-1 waits.
    consistent_get(&away, &table, "big").await.unwrap();
    let refused = consistent_get(&away, &table, "big").await.unwrap_err();
    assert_eq!(error_code(&refused), "ThrottlingException");
    let GetItemError::ThrottlingException(exception) = refused.into_service_error() else {
        panic!("not ThrottlingException");
    };
    let reason = &exception.throttling_reasons()[0];
    assert_eq!(
        reason.reason(),
        Some("TableReadMaxOnDemandThroughputExceeded")
    );
    assert!(
        reason
            .resource()
            .unwrap()
            .starts_with("arn:aws:dynamodb:eu-west-1:"),
        "{reason:?}"
    );
    // The table itself has no maximum.
    for _ in 0..5 {
        consistent_get(&home, &table, "big").await.unwrap();
    }
}

#[tokio::test]
async fn batch_get_item_leaves_what_capacity_did_not_cover_unprocessed() {
    let server = Server::start_with(&["--enforce-throughput"]);
    let client = without_retries(&server);
    let table = provisioned_table(&client, 5, 1000).await;
    for pk in ["a", "b", "c", "d"] {
        client
            .put_item()
            .table_name(&table)
            .set_item(Some(item(pk, 8)))
            .send()
            .await
            .unwrap();
    }
    // Two units each (consistent, 8 KB): 5 -> 3 -> 1 -> -1, then none left.
    let keys = KeysAndAttributes::builder()
        .set_keys(Some(["a", "b", "c", "d"].map(key).to_vec()))
        .consistent_read(true)
        .build()
        .unwrap();
    let response = client
        .batch_get_item()
        .request_items(&table, keys.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.responses.unwrap()[&table].len(), 3);
    let unprocessed = response.unprocessed_keys.unwrap();
    let left = &unprocessed[&table];
    assert_eq!(left.keys(), &[key("d")]);
    assert_eq!(left.consistent_read(), Some(true));

    // With nothing left on any table, the whole call is throttled.
    let refused = client
        .batch_get_item()
        .request_items(&table, keys)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_code(&refused),
        "ProvisionedThroughputExceededException"
    );
}

/// Two provisioned tables: one whose write capacity a 10 KB write has
/// taken 9 units below zero, one with capacity to spare.
async fn starved_and_roomy(client: &Client) -> (String, String) {
    let starved = provisioned_table(client, 100, 1).await;
    let roomy = provisioned_table(client, 100, 100).await;
    client
        .put_item()
        .table_name(&starved)
        .set_item(Some(item("big", 10)))
        .send()
        .await
        .unwrap();
    (starved, roomy)
}

#[tokio::test]
async fn batch_write_item_hands_back_the_requests_of_a_throttled_table() {
    let server = Server::start_with(&["--enforce-throughput"]);
    let client = without_retries(&server);
    let (starved, roomy) = starved_and_roomy(&client).await;
    let put = |pk: &str| {
        WriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .set_item(Some(item(pk, 1)))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let response = client
        .batch_write_item()
        .request_items(&starved, vec![put("s1"), put("s2")])
        .request_items(&roomy, vec![put("r1")])
        .send()
        .await
        .unwrap();
    let unprocessed = response.unprocessed_items.unwrap();
    assert_eq!(unprocessed.len(), 1);
    let left: Vec<_> = unprocessed[&starved]
        .iter()
        .map(|w| {
            w.put_request().unwrap().item()["pk"]
                .as_s()
                .unwrap()
                .clone()
        })
        .collect();
    assert_eq!(left, ["s1", "s2"]);
    let written = |table: &str, pk: &str| {
        let client = client.clone();
        let (table, pk) = (table.to_string(), pk.to_string());
        async move {
            client
                .get_item()
                .table_name(table)
                .set_key(Some(key(&pk)))
                .send()
                .await
                .unwrap()
                .item
                .is_some()
        }
    };
    assert!(written(&roomy, "r1").await);
    assert!(!written(&starved, "s1").await);

    let refused = client
        .batch_write_item()
        .request_items(&starved, vec![put("s1")])
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_code(&refused),
        "ProvisionedThroughputExceededException"
    );
}

#[tokio::test]
async fn transactions_on_a_throttled_table_are_cancelled() {
    let server = Server::start_with(&["--enforce-throughput"]);
    let client = without_retries(&server);
    let (starved, roomy) = starved_and_roomy(&client).await;
    let put = |table: &str, pk: &str| {
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(item(pk, 1)))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let refused = client
        .transact_write_items()
        .transact_items(put(&roomy, "r1"))
        .transact_items(put(&starved, "s1"))
        .send()
        .await
        .unwrap_err();
    let service = refused.into_service_error();
    let aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(cancelled) = service else {
        panic!("not TransactionCanceledException: {service:?}");
    };
    let codes: Vec<_> = cancelled
        .cancellation_reasons()
        .iter()
        .map(|r| r.code().unwrap_or_default().to_string())
        .collect();
    assert_eq!(codes, ["None", "ProvisionedThroughputExceeded"]);
    let r1 = client
        .get_item()
        .table_name(&roomy)
        .set_key(Some(key("r1")))
        .send()
        .await
        .unwrap();
    assert!(r1.item.is_none(), "a cancelled transaction wrote nothing");
}

/// An on-demand table keyed by `pk` and `sk`, with no maximum.
async fn on_demand_table(client: &Client) -> String {
    let name = unique_table("throughput");
    client
        .create_table()
        .table_name(&name)
        .key_schema(key_element("pk", KeyType::Hash))
        .key_schema(key_element("sk", KeyType::Range))
        .attribute_definitions(attribute_definition("pk", ScalarAttributeType::S))
        .attribute_definitions(attribute_definition("sk", ScalarAttributeType::N))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    name
}

/// An item of about 390 KB in partition `pk`.
fn large_item(pk: &str, sk: usize) -> Item {
    HashMap::from([
        ("pk".to_string(), Av::S(pk.to_string())),
        ("sk".to_string(), Av::N(sk.to_string())),
        ("data".to_string(), Av::S("x".repeat(390 * 1024))),
    ])
}

#[tokio::test]
async fn a_hot_partition_key_is_throttled_and_write_sharding_gets_past_it() {
    let server = Server::start_with(&["--enforce-throughput"]);
    let client = without_retries(&server);
    let table = on_demand_table(&client).await;
    // 390 write units a write against 1,000 a second for one partition:
    // a few back-to-back writes run it dry, however much the table has.
    let mut refused = None;
    for sk in 0..50 {
        match client
            .put_item()
            .table_name(&table)
            .set_item(Some(large_item("hot", sk)))
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let refused = refused.expect("50 writes of 390 KB to one partition key were never throttled");
    let PutItemError::ThrottlingException(exception) = refused.into_service_error() else {
        panic!("not ThrottlingException");
    };
    assert!(exception
        .message()
        .unwrap()
        .contains("check if you have a hot key"));
    assert_eq!(
        exception.throttling_reasons()[0].reason(),
        Some("TableWriteKeyRangeThroughputExceeded")
    );
    // A random suffix on the hot key spreads the writes: its shards each
    // have a partition's capacity.
    for shard in 0..3 {
        client
            .put_item()
            .table_name(&table)
            .set_item(Some(large_item(&format!("hot#{shard}"), 0)))
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn reads_of_a_hot_partition_key_are_throttled_too() {
    let server = Server::start_with(&["--enforce-throughput"]);
    let client = without_retries(&server);
    let table = on_demand_table(&client).await;
    for sk in 0..3 {
        client
            .put_item()
            .table_name(&table)
            .set_item(Some(large_item("hot", sk)))
            .send()
            .await
            .unwrap();
    }
    // A strongly consistent Query reads a page of 1 MB, ~250 read units,
    // against 3,000 a second for the partition. The filter keeps every
    // item out of the response, so that the reads come faster than 12 a
    // second even from a debug build on a busy machine: the capacity
    // spent is the data read, not what is returned.
    let mut refused = None;
    for _ in 0..300 {
        let read = client
            .query()
            .table_name(&table)
            .key_condition_expression("pk = :pk")
            .filter_expression("attribute_not_exists(#data)")
            .expression_attribute_names("#data", "data")
            .expression_attribute_values(":pk", Av::S("hot".into()))
            .consistent_read(true)
            .send()
            .await;
        if let Err(e) = read {
            refused = Some(e);
            break;
        }
    }
    let refused = refused.expect("300 reads of 1 MB from one partition were never throttled");
    assert_eq!(error_code(&refused), "ThrottlingException");
    // Scans spread over partitions: only the table's capacity limits them.
    client.scan().table_name(&table).send().await.unwrap();
}

#[tokio::test]
async fn without_the_flag_nothing_is_throttled() {
    let server = Server::start();
    let client = without_retries(&server);
    let table = provisioned_table(&client, 1, 1).await;
    for i in 0..5 {
        client
            .put_item()
            .table_name(&table)
            .set_item(Some(item(&format!("big{i}"), 40)))
            .send()
            .await
            .unwrap();
        consistent_get(&client, &table, &format!("big{i}"))
            .await
            .unwrap();
    }
}
