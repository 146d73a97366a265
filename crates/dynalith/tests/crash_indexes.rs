//! Crash safety of secondary indexes: clients put, update and delete items
//! of a table with two global indexes and a local one while the server is
//! SIGKILLed at random moments; after every restart each index holds
//! exactly the entries the table's items imply, and its ItemCount agrees.
//! Also with the power cut under the running server (`power_cut/fs.rs`).

mod common;
#[path = "power_cut/fs.rs"]
mod power_cut;

use aws_sdk_dynamodb::types::{
    AttributeValue as Av, BillingMode, GlobalSecondaryIndex, KeyType, LocalSecondaryIndex,
    Projection, ProjectionType, ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use common::{attribute_definition as definition, key_element as key, Server};
use rand::Rng;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const CYCLES: usize = 4;
const WRITERS: u64 = 6;
const TABLE: &str = "crash_indexes";

type Item = HashMap<String, Av>;

async fn create(client: &Client) {
    let all = Projection::builder()
        .projection_type(ProjectionType::All)
        .build();
    let keys_only = Projection::builder()
        .projection_type(ProjectionType::KeysOnly)
        .build();
    client
        .create_table()
        .table_name(TABLE)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(definition("pk", ScalarAttributeType::S))
        .attribute_definitions(definition("sk", ScalarAttributeType::N))
        .attribute_definitions(definition("g1", ScalarAttributeType::S))
        .attribute_definitions(definition("g2", ScalarAttributeType::N))
        .attribute_definitions(definition("l", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("Gix1")
                .key_schema(key("g1", KeyType::Hash))
                .projection(all.clone())
                .build()
                .unwrap(),
        )
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("Gix2")
                .key_schema(key("g2", KeyType::Hash))
                .key_schema(key("sk", KeyType::Range))
                .projection(keys_only)
                .build()
                .unwrap(),
        )
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("Lix1")
                .key_schema(key("pk", KeyType::Hash))
                .key_schema(key("l", KeyType::Range))
                .projection(all)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create table");
}

/// One random write: a put with a random subset of the index keys, an
/// update that moves or removes index keys, or a delete.
async fn random_write(client: &Client, rng_seed: u64) -> Result<(), String> {
    let pk = Av::S(format!("p{}", rng_seed % 7));
    let sk = Av::N((rng_seed % 40).to_string());
    let choice = (rng_seed >> 8) % 4;
    let tag = |n: u64| Av::S(format!("t{}", n % 5));
    let result = match choice {
        0 | 1 => {
            let mut request = client
                .put_item()
                .table_name(TABLE)
                .item("pk", pk)
                .item("sk", sk)
                .item("body", Av::S("x".repeat((rng_seed % 300) as usize)));
            if rng_seed & 1 == 0 {
                request = request.item("g1", tag(rng_seed >> 3));
            }
            if rng_seed & 2 == 0 {
                request = request.item("g2", Av::N((rng_seed % 3).to_string()));
            }
            if rng_seed & 4 == 0 {
                request = request.item("l", tag(rng_seed >> 5));
            }
            request
                .send()
                .await
                .map(|_| ())
                .map_err(|e| format!("{e:?}"))
        }
        2 if rng_seed & 16 == 0 => client
            .update_item()
            .table_name(TABLE)
            .key("pk", pk)
            .key("sk", sk)
            .update_expression("SET g1 = :t, l = :t REMOVE g2")
            .expression_attribute_values(":t", tag(rng_seed >> 4))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}")),
        2 => client
            .update_item()
            .table_name(TABLE)
            .key("pk", pk)
            .key("sk", sk)
            .update_expression("SET g2 = :n REMOVE g1")
            .expression_attribute_values(":n", Av::N((rng_seed % 4).to_string()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}")),
        _ => client
            .delete_item()
            .table_name(TABLE)
            .key("pk", pk)
            .key("sk", sk)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}")),
    };
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn indexes_agree_with_the_table_after_sigkill() {
    if std::env::var("DYNALITH_TEST_ENDPOINT").is_ok() {
        return; // needs our own process to kill
    }
    let dir = tempfile::tempdir().unwrap();
    write_and_kill(dir.path(), Server::kill).await;
}

/// The same with the power cut under the running server (the kill
/// follows it): an item and its index
/// entries are one write to the log, so they are synced, or lost, together.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn indexes_agree_with_the_table_after_a_power_cut() {
    // On PostgreSQL the data is not on this disk: nothing to cut.
    if std::env::var("DYNALITH_TEST_ENDPOINT").is_ok() || common::test_postgres_url().is_some() {
        return;
    }
    let Some(mut disk) = power_cut::PowerCutDisk::mount() else {
        return;
    };
    let dir = disk.join("db");
    write_and_kill(&dir, |server| disk.cut_power(|| server.kill())).await;
}

/// `CYCLES` of random writes ended by `kill` (a SIGKILL, or a power cut and
/// one), on a
/// server with its data in `dir`; verified after every restart.
async fn write_and_kill(dir: &Path, mut kill: impl FnMut(&mut Server)) {
    for cycle in 0..CYCLES {
        let mut server = Server::start_durable(dir);
        let client = server.client();
        if cycle == 0 {
            create(&client).await;
        }
        verify(&client).await;

        let stop = Arc::new(AtomicBool::new(false));
        let mut writers = Vec::new();
        for writer in 0..WRITERS {
            let client = client.clone();
            let stop = stop.clone();
            writers.push(tokio::spawn(async move {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let seed = rand::rng().random::<u64>() ^ writer;
                    if random_write(&client, seed).await.is_err() {
                        // The server died mid-request.
                        break;
                    }
                    n += 1;
                }
                n
            }));
        }
        let delay = rand::rng().random_range(300..900);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        kill(&mut server);
        stop.store(true, Ordering::Relaxed);
        let mut writes = 0;
        for writer in writers {
            writes += writer.await.unwrap();
        }
        assert!(
            writes > 0,
            "cycle {cycle}: no write succeeded before the kill"
        );
    }
    let server = Server::start_durable(dir);
    verify(&server.client()).await;
}

async fn scan(client: &Client, index: Option<&str>) -> Vec<Item> {
    let pages: Vec<_> = client
        .scan()
        .table_name(TABLE)
        .set_index_name(index.map(str::to_string))
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("scan");
    pages
        .into_iter()
        .flat_map(|p| p.items.unwrap_or_default())
        .collect()
}

fn table_key(item: &Item) -> String {
    format!("{:?}/{:?}", item["pk"], item["sk"])
}

/// Every index equals what the table implies: the items having the
/// index's key attributes, projected.
async fn verify(client: &Client) {
    let items = scan(client, None).await;
    let expected = |keys: &[&str], keys_only: bool| -> BTreeMap<String, Item> {
        items
            .iter()
            .filter(|item| keys.iter().all(|k| item.contains_key(*k)))
            .map(|item| {
                let entry: Item = if keys_only {
                    item.iter()
                        .filter(|(name, _)| {
                            ["pk", "sk"].contains(&name.as_str()) || keys.contains(&name.as_str())
                        })
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                } else {
                    item.clone()
                };
                (table_key(item), entry)
            })
            .collect()
    };
    let described = client
        .describe_table()
        .table_name(TABLE)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let mut counts: HashMap<String, i64> = HashMap::new();
    for g in described.global_secondary_indexes.unwrap_or_default() {
        counts.insert(g.index_name.unwrap(), g.item_count.unwrap());
    }
    for l in described.local_secondary_indexes.unwrap_or_default() {
        counts.insert(l.index_name.unwrap(), l.item_count.unwrap());
    }
    assert_eq!(
        described.item_count,
        Some(items.len() as i64),
        "table ItemCount"
    );
    for (index, keys, keys_only) in [
        ("Gix1", &["g1"][..], false),
        ("Gix2", &["g2", "sk"][..], true),
        ("Lix1", &["pk", "l"][..], false),
    ] {
        let actual: BTreeMap<String, Item> = scan(client, Some(index))
            .await
            .into_iter()
            .map(|entry| (table_key(&entry), entry))
            .collect();
        let wanted = expected(keys, keys_only);
        assert_eq!(actual.len(), wanted.len(), "{index}: entry count");
        assert!(actual == wanted, "{index}: entries differ from the table");
        assert_eq!(counts[index], wanted.len() as i64, "{index}: ItemCount");
    }
}
