//! Many concurrent clients writing the same and different items.

mod common;

use aws_sdk_dynamodb::types::AttributeValue as Av;
use common::{create_table, unique_table, Server};
use std::collections::HashSet;

const CLIENTS: usize = 32;
const WRITES_PER_CLIENT: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_lose_nothing_and_tear_nothing() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("conc");
    create_table(&client, &table, None).await;

    let mut tasks = Vec::new();
    for writer in 0..CLIENTS {
        let client = client.clone();
        let table = table.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..WRITES_PER_CLIENT {
                // Own item.
                client
                    .put_item()
                    .table_name(&table)
                    .item("pk", Av::S(format!("w{writer}-{i}")))
                    .item("writer", Av::N(writer.to_string()))
                    .send()
                    .await
                    .unwrap();
                // The shared hot item: every attribute carries the same
                // writer id, so a torn write would show mixed ids.
                let tag = Av::N(writer.to_string());
                client
                    .put_item()
                    .table_name(&table)
                    .item("pk", Av::S("hot".into()))
                    .item("a", tag.clone())
                    .item("b", tag.clone())
                    .item("c", tag)
                    .send()
                    .await
                    .unwrap();
                let hot = client
                    .get_item()
                    .table_name(&table)
                    .key("pk", Av::S("hot".into()))
                    .send()
                    .await
                    .unwrap();
                let hot = hot.item.unwrap();
                assert!(
                    hot["a"] == hot["b"] && hot["b"] == hot["c"],
                    "torn item: {hot:?}"
                );
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }

    let mut seen = HashSet::new();
    for writer in 0..CLIENTS {
        for i in 0..WRITES_PER_CLIENT {
            let key = format!("w{writer}-{i}");
            let got = client
                .get_item()
                .table_name(&table)
                .key("pk", Av::S(key.clone()))
                .send()
                .await
                .unwrap();
            assert_eq!(got.item.unwrap()["writer"], Av::N(writer.to_string()));
            seen.insert(key);
        }
    }
    assert_eq!(seen.len(), CLIENTS * WRITES_PER_CLIENT);
    let description = client
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(
        description.item_count(),
        Some((CLIENTS * WRITES_PER_CLIENT + 1) as i64)
    );
}

/// Concurrent multi-item writes (batches of 25 new items, whose counter
/// updates land in different shards) must never deadlock: a deadlock would
/// hold a request for the lock timeout and then fail or retry it. The
/// client refuses to wait longer than a few lock timeouts.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_batches_do_not_deadlock() {
    use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    let server = Server::start();
    let config = server
        .client()
        .config()
        .to_builder()
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(std::time::Duration::from_secs(8))
                .build(),
        )
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
        .build();
    let client = aws_sdk_dynamodb::Client::from_conf(config);
    let table = unique_table("batchconc");
    create_table(&client, &table, None).await;

    let mut tasks = Vec::new();
    for writer in 0..16 {
        let client = client.clone();
        let table = table.clone();
        tasks.push(tokio::spawn(async move {
            for batch in 0..20 {
                let requests: Vec<WriteRequest> = (0..25)
                    .map(|i| {
                        let put = PutRequest::builder()
                            .item("pk", Av::S(format!("w{writer}-b{batch}-{i}")))
                            .build()
                            .unwrap();
                        WriteRequest::builder().put_request(put).build()
                    })
                    .collect();
                client
                    .batch_write_item()
                    .request_items(&table, requests)
                    .send()
                    .await
                    .expect("batch write");
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let described = client
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    assert_eq!(described.table.unwrap().item_count, Some(16 * 20 * 25));
}
