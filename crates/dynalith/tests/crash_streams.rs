//! Crash safety of stream records: writers keep incrementing counters on a
//! table with a stream while the server is SIGKILLed at random moments.
//! After every restart, each counter's stream records count it up one by
//! one to exactly its stored value (a record for every write that
//! committed, none for one that did not: item and record commit together),
//! and no acknowledged increment is missing from either. Also with the
//! power cut under the running server (`power_cut/fs.rs`).

mod common;
#[path = "power_cut/fs.rs"]
mod power_cut;

use aws_sdk_dynamodb::types::{
    AttributeValue as Av, BillingMode, KeyType, ReturnValue, ScalarAttributeType,
    StreamSpecification, StreamViewType,
};
use common::{attribute_definition, key_element, Server};
use rand::Rng;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CYCLES: usize = 3;
const WRITERS: usize = 8;
const COUNTERS: u64 = 16;
const TABLE: &str = "crash_streams";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stream_records_commit_with_their_items_across_sigkill() {
    if std::env::var("DYNALITH_TEST_ENDPOINT").is_ok() {
        return; // needs our own process to kill
    }
    let dir = tempfile::tempdir().unwrap();
    increment_and_kill(dir.path(), Server::kill).await;
}

/// The same with the power cut under the running server (the kill
/// follows it): an item and its stream
/// record are one write to the log, so they are synced, or lost, together.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stream_records_commit_with_their_items_across_a_power_cut() {
    // On PostgreSQL the data is not on this disk: nothing to cut.
    if std::env::var("DYNALITH_TEST_ENDPOINT").is_ok() || common::test_postgres_url().is_some() {
        return;
    }
    let Some(mut disk) = power_cut::PowerCutDisk::mount() else {
        return;
    };
    let dir = disk.join("db");
    increment_and_kill(&dir, |server| disk.cut_power(|| server.kill())).await;
}

/// `CYCLES` of increments ended by `kill` (a SIGKILL, or a power cut and
/// one), on a
/// server with its data in `dir`; verified after every restart.
async fn increment_and_kill(dir: &Path, mut kill: impl FnMut(&mut Server)) {
    // counter -> highest value a client was told
    let acknowledged: Arc<Mutex<HashMap<u64, u64>>> = Arc::default();
    for cycle in 0..CYCLES {
        let mut server = Server::start_durable(dir);
        let client = server.client();
        if cycle == 0 {
            create(&client).await;
        }
        let seen = acknowledged.lock().unwrap().clone();
        verify(&server, &seen).await;
        let mut writers = Vec::new();
        for _ in 0..WRITERS {
            let client = client.clone();
            let acknowledged = acknowledged.clone();
            writers.push(tokio::spawn(async move {
                loop {
                    let counter = rand::rng().random_range(0..COUNTERS);
                    let Some(value) = increment(&client, counter).await else {
                        return; // the server is gone
                    };
                    let mut seen = acknowledged.lock().unwrap();
                    let entry = seen.entry(counter).or_insert(0);
                    *entry = (*entry).max(value);
                }
            }));
        }
        let wait = rand::rng().random_range(300..900);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        kill(&mut server);
        for writer in writers {
            writer.await.unwrap();
        }
    }
    let server = Server::start_durable(dir);
    let seen = acknowledged.lock().unwrap().clone();
    verify(&server, &seen).await;
    assert!(
        acknowledged.lock().unwrap().values().sum::<u64>() > 0,
        "no write was acknowledged"
    );
}

async fn create(client: &aws_sdk_dynamodb::Client) {
    client
        .create_table()
        .table_name(TABLE)
        .key_schema(key_element("id", KeyType::Hash))
        .attribute_definitions(attribute_definition("id", ScalarAttributeType::N))
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewImage)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// The counter's value after the increment, or None once the server died.
async fn increment(client: &aws_sdk_dynamodb::Client, counter: u64) -> Option<u64> {
    let updated = client
        .update_item()
        .table_name(TABLE)
        .key("id", Av::N(counter.to_string()))
        .update_expression("ADD n :one")
        .expression_attribute_values(":one", Av::N("1".into()))
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await
        .ok()?;
    match updated.attributes()?.get("n")? {
        Av::N(n) => n.parse().ok(),
        _ => None,
    }
}

async fn verify(server: &Server, acknowledged: &HashMap<u64, u64>) {
    let client = server.client();
    let address = server.address();
    let described = client
        .describe_table()
        .table_name(TABLE)
        .send()
        .await
        .unwrap();
    let arn = described.table.unwrap().latest_stream_arn.unwrap();
    let streams = |operation: &str, body: Value| {
        let response = common::call_streams(&address, operation, &body.to_string());
        assert_eq!(response.status, 200, "{operation}: {}", response.json());
        response.json()
    };
    let stream = streams("DescribeStream", json!({"StreamArn": arn}));
    let shard = stream["StreamDescription"]["Shards"][0]["ShardId"].clone();
    let mut position = streams(
        "GetShardIterator",
        json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
    )["ShardIterator"]
        .clone();
    // counter -> the values its records carried, in order
    let mut recorded: HashMap<u64, Vec<u64>> = HashMap::new();
    loop {
        let page = streams("GetRecords", json!({"ShardIterator": position}));
        let records = page["Records"].as_array().unwrap();
        for record in records {
            let image = &record["dynamodb"]["NewImage"];
            let id: u64 = image["id"]["N"].as_str().unwrap().parse().unwrap();
            let n: u64 = image["n"]["N"].as_str().unwrap().parse().unwrap();
            recorded.entry(id).or_default().push(n);
        }
        if records.is_empty() {
            break;
        }
        position = page["NextShardIterator"].clone();
    }
    for counter in 0..COUNTERS {
        let item = client
            .get_item()
            .table_name(TABLE)
            .key("id", Av::N(counter.to_string()))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        let stored = match item.item().and_then(|i| i.get("n")) {
            Some(Av::N(n)) => n.parse::<u64>().unwrap(),
            _ => 0,
        };
        let values = recorded.remove(&counter).unwrap_or_default();
        let expected: Vec<u64> = (1..=stored).collect();
        assert_eq!(
            values, expected,
            "counter {counter}: records against its value {stored}"
        );
        let told = acknowledged.get(&counter).copied().unwrap_or(0);
        assert!(
            stored >= told,
            "counter {counter}: {stored} stored, {told} acknowledged"
        );
    }
    assert!(
        recorded.is_empty(),
        "records of unknown items: {recorded:?}"
    );
}
