//! The DAX-style read cache (`--item-cache-mb`, `--query-cache-mb`)
//! through the SDK: every kind of write shows in every cached read at once,
//! and concurrent clients never read an acknowledged write undone.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeValue as Av, KeysAndAttributes, Put, PutRequest, TransactWriteItem, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use common::{create_table, unique_table, Server};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const CACHE_FLAGS: &[&str] = &["--item-cache-mb", "16", "--query-cache-mb", "16"];

fn key(pk: &str) -> HashMap<String, Av> {
    HashMap::from([("pk".to_string(), Av::S(pk.to_string()))])
}

fn number(item: &HashMap<String, Av>) -> u64 {
    item["n"].as_n().unwrap().parse().unwrap()
}

/// `n` of item `pk` as each cached read returns it, each read twice (the
/// second from the cache), or None where the item is absent.
async fn reads_of(client: &Client, table: &str, pk: &str) -> Vec<Option<u64>> {
    let mut seen = Vec::new();
    for _ in 0..2 {
        for consistent in [false, true] {
            let got = client
                .get_item()
                .table_name(table)
                .set_key(Some(key(pk)))
                .consistent_read(consistent)
                .send()
                .await
                .unwrap();
            seen.push(got.item.as_ref().map(number));
        }
        let batch = client
            .batch_get_item()
            .request_items(
                table,
                KeysAndAttributes::builder().keys(key(pk)).build().unwrap(),
            )
            .send()
            .await
            .unwrap();
        seen.push(batch.responses.unwrap()[table].first().map(number));
        let query = client
            .query()
            .table_name(table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", Av::S(pk.into()))
            .send()
            .await
            .unwrap();
        seen.push(query.items.unwrap().first().map(number));
        let scan = client.scan().table_name(table).send().await.unwrap();
        let scanned = scan.items.unwrap();
        seen.push(
            scanned
                .iter()
                .find(|item| item["pk"] == Av::S(pk.into()))
                .map(number),
        );
    }
    seen
}

async fn expect_everywhere(client: &Client, table: &str, pk: &str, expected: Option<u64>) {
    let seen = reads_of(client, table, pk).await;
    assert!(
        seen.iter().all(|n| *n == expected),
        "{pk}: expected {expected:?} from every read, got {seen:?}"
    );
}

#[tokio::test]
async fn every_kind_of_write_shows_in_every_cached_read() {
    let server = Server::start_with(CACHE_FLAGS);
    let client = server.client();
    let table = unique_table("cache");
    create_table(&client, &table, None).await;

    expect_everywhere(&client, &table, "a", None).await;
    client
        .put_item()
        .table_name(&table)
        .item("pk", Av::S("a".into()))
        .item("n", Av::N("1".into()))
        .send()
        .await
        .unwrap();
    expect_everywhere(&client, &table, "a", Some(1)).await;

    client
        .update_item()
        .table_name(&table)
        .set_key(Some(key("a")))
        .update_expression("ADD n :one")
        .expression_attribute_values(":one", Av::N("1".into()))
        .send()
        .await
        .unwrap();
    expect_everywhere(&client, &table, "a", Some(2)).await;

    client
        .batch_write_item()
        .request_items(
            &table,
            vec![WriteRequest::builder()
                .put_request(
                    PutRequest::builder()
                        .item("pk", Av::S("a".into()))
                        .item("n", Av::N("3".into()))
                        .build()
                        .unwrap(),
                )
                .build()],
        )
        .send()
        .await
        .unwrap();
    expect_everywhere(&client, &table, "a", Some(3)).await;

    client
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&table)
                        .item("pk", Av::S("a".into()))
                        .item("n", Av::N("4".into()))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    expect_everywhere(&client, &table, "a", Some(4)).await;

    client
        .execute_statement()
        .statement(format!("UPDATE \"{table}\" SET n = 5 WHERE pk = 'a'"))
        .send()
        .await
        .unwrap();
    expect_everywhere(&client, &table, "a", Some(5)).await;

    client
        .delete_item()
        .table_name(&table)
        .set_key(Some(key("a")))
        .send()
        .await
        .unwrap();
    expect_everywhere(&client, &table, "a", None).await;

    // The table deleted and created again: nothing of the old one shows.
    client
        .put_item()
        .table_name(&table)
        .item("pk", Av::S("a".into()))
        .item("n", Av::N("6".into()))
        .send()
        .await
        .unwrap();
    expect_everywhere(&client, &table, "a", Some(6)).await;
    client
        .delete_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    create_table(&client, &table, None).await;
    expect_everywhere(&client, &table, "a", None).await;
}

/// Writers count items up; readers read them through every cached path,
/// each read checked against the counts acknowledged before it began.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_clients_never_read_an_acknowledged_write_undone() {
    const KEYS: usize = 4;
    const WRITES: u64 = 150;
    let server = Server::start_with(CACHE_FLAGS);
    let client = server.client();
    let table = unique_table("cache_conc");
    create_table(&client, &table, None).await;
    for k in 0..KEYS {
        client
            .put_item()
            .table_name(&table)
            .item("pk", Av::S(format!("k{k}")))
            .item("n", Av::N("0".into()))
            .send()
            .await
            .unwrap();
    }
    let acknowledged: Arc<Vec<AtomicU64>> =
        Arc::new((0..KEYS).map(|_| AtomicU64::new(0)).collect());
    let mut tasks = Vec::new();
    for w in 0..4 {
        let (client, table, acknowledged) = (client.clone(), table.clone(), acknowledged.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..WRITES {
                let k = (i as usize + w) % KEYS;
                let updated = client
                    .update_item()
                    .table_name(&table)
                    .set_key(Some(key(&format!("k{k}"))))
                    .update_expression("ADD n :one")
                    .expression_attribute_values(":one", Av::N("1".into()))
                    .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
                    .send()
                    .await
                    .unwrap();
                acknowledged[k].fetch_max(number(&updated.attributes.unwrap()), Ordering::SeqCst);
            }
        }));
    }
    for r in 0..4 {
        let (client, table, acknowledged) = (client.clone(), table.clone(), acknowledged.clone());
        tasks.push(tokio::spawn(async move {
            let mut last = [0u64; KEYS];
            for i in 0..600usize {
                let k = (i + r) % KEYS;
                let pk = format!("k{k}");
                let floor = acknowledged[k].load(Ordering::SeqCst);
                let item = match i % 3 {
                    0 => client
                        .get_item()
                        .table_name(&table)
                        .set_key(Some(key(&pk)))
                        .send()
                        .await
                        .unwrap()
                        .item
                        .unwrap(),
                    1 => client
                        .query()
                        .table_name(&table)
                        .key_condition_expression("pk = :pk")
                        .expression_attribute_values(":pk", Av::S(pk.clone()))
                        .send()
                        .await
                        .unwrap()
                        .items
                        .unwrap()
                        .remove(0),
                    _ => client
                        .batch_get_item()
                        .request_items(
                            &table,
                            KeysAndAttributes::builder().keys(key(&pk)).build().unwrap(),
                        )
                        .send()
                        .await
                        .unwrap()
                        .responses
                        .unwrap()
                        .remove(&table)
                        .unwrap()
                        .remove(0),
                };
                let n = number(&item);
                assert!(
                    n >= floor,
                    "read {n} of {pk} after {floor} was acknowledged"
                );
                assert!(n >= last[k], "{pk} went back from {} to {n}", last[k]);
                last[k] = n;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let mut total = 0;
    for k in 0..KEYS {
        let got = client
            .get_item()
            .table_name(&table)
            .set_key(Some(key(&format!("k{k}"))))
            .send()
            .await
            .unwrap();
        total += number(&got.item.unwrap());
    }
    assert_eq!(total, 4 * WRITES);
}
