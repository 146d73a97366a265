//! The caches through whole operations: what they serve, and that no
//! write, sequential or concurrent, leaves a stale answer behind.

use super::CacheStats;
use crate::test_support::{create_table, open_cached, run};
use crate::{Database, Operation};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

fn get(db: &Database, pk: &str) -> serde_json::Value {
    run(
        db,
        Operation::GetItem,
        &format!(r#"{{"TableName":"tbl","Key":{{"pk":{{"S":"{pk}"}}}}}}"#),
    )
}

fn put(db: &Database, pk: &str, n: u64) {
    run(
        db,
        Operation::PutItem,
        &format!(r#"{{"TableName":"tbl","Item":{{"pk":{{"S":"{pk}"}},"n":{{"N":"{n}"}}}}}}"#),
    );
}

fn hits_and_misses(stats: CacheStats) -> (u64, u64) {
    (stats.hits, stats.misses)
}

#[test]
fn get_item_is_served_from_the_cache_until_the_item_changes() {
    let db = open_cached();
    create_table(&db, "tbl");
    assert_eq!(get(&db, "a"), serde_json::json!({}), "absent");
    assert_eq!(get(&db, "a"), serde_json::json!({}), "absent, cached");
    assert_eq!(hits_and_misses(db.read_cache().item_stats()), (1, 1));

    put(&db, "a", 1);
    assert_eq!(get(&db, "a")["Item"]["n"]["N"], "1");
    assert_eq!(get(&db, "a")["Item"]["n"]["N"], "1");
    assert_eq!(hits_and_misses(db.read_cache().item_stats()), (2, 2));

    run(
        &db,
        Operation::UpdateItem,
        r#"{"TableName":"tbl","Key":{"pk":{"S":"a"}},"UpdateExpression":"ADD n :one",
            "ExpressionAttributeValues":{":one":{"N":"1"}}}"#,
    );
    assert_eq!(get(&db, "a")["Item"]["n"]["N"], "2");
    // A write that changes nothing (a failed condition) keeps the entry.
    let failed = db.execute(
        Operation::PutItem,
        br#"{"TableName":"tbl","Item":{"pk":{"S":"a"}},"ConditionExpression":"attribute_not_exists(pk)"}"#,
        &Default::default(),
    );
    assert!(failed.is_err());
    assert_eq!(get(&db, "a")["Item"]["n"]["N"], "2");
    assert_eq!(hits_and_misses(db.read_cache().item_stats()), (3, 3));

    run(
        &db,
        Operation::DeleteItem,
        r#"{"TableName":"tbl","Key":{"pk":{"S":"a"}}}"#,
    );
    assert_eq!(get(&db, "a"), serde_json::json!({}));
    assert!(db.read_cache().item_stats().bytes > 0);
}

#[test]
fn batch_get_item_shares_the_item_cache() {
    let db = open_cached();
    create_table(&db, "tbl");
    put(&db, "a", 1);
    let batch = r#"{"RequestItems":{"tbl":{"Keys":[{"pk":{"S":"a"}},{"pk":{"S":"b"}}]}}}"#;
    let first = run(&db, Operation::BatchGetItem, batch);
    assert_eq!(run(&db, Operation::BatchGetItem, batch), first);
    assert_eq!(first["Responses"]["tbl"].as_array().unwrap().len(), 1);
    assert_eq!(hits_and_misses(db.read_cache().item_stats()), (2, 2));
    run(
        &db,
        Operation::BatchWriteItem,
        r#"{"RequestItems":{"tbl":[{"PutRequest":{"Item":{"pk":{"S":"b"},"n":{"N":"7"}}}}]}}"#,
    );
    let after = run(&db, Operation::BatchGetItem, batch);
    assert_eq!(after["Responses"]["tbl"].as_array().unwrap().len(), 2);
    assert_eq!(get(&db, "b")["Item"]["n"]["N"], "7");
}

#[test]
fn query_and_scan_pages_are_cached_until_their_table_changes() {
    let db = open_cached();
    create_table(&db, "tbl");
    create_table(&db, "other");
    put(&db, "a", 1);
    let query = r#"{"TableName":"tbl","KeyConditionExpression":"pk = :a",
        "ExpressionAttributeValues":{":a":{"S":"a"}},"ReturnConsumedCapacity":"TOTAL"}"#;
    let scan = r#"{"TableName":"tbl"}"#;
    let first = run(&db, Operation::Query, query);
    assert_eq!(run(&db, Operation::Query, query), first);
    assert_eq!(run(&db, Operation::Scan, scan)["Count"], 1);
    assert_eq!(run(&db, Operation::Scan, scan)["Count"], 1);
    assert_eq!(hits_and_misses(db.read_cache().query_stats()), (2, 2));

    // A write to another table leaves these pages cached.
    run(
        &db,
        Operation::PutItem,
        r#"{"TableName":"other","Item":{"pk":{"S":"x"}}}"#,
    );
    assert_eq!(run(&db, Operation::Query, query), first);
    assert_eq!(hits_and_misses(db.read_cache().query_stats()), (3, 2));

    put(&db, "b", 2);
    assert_eq!(run(&db, Operation::Scan, scan)["Count"], 2);
    run(
        &db,
        Operation::ExecuteStatement,
        r#"{"Statement":"UPDATE tbl SET n = 5 WHERE pk = 'a'"}"#,
    );
    assert_eq!(run(&db, Operation::Query, query)["Items"][0]["n"]["N"], "5");
    assert_eq!(hits_and_misses(db.read_cache().query_stats()), (3, 4));
}

#[test]
fn a_table_created_again_under_the_same_name_starts_empty() {
    let db = open_cached();
    create_table(&db, "tbl");
    put(&db, "a", 1);
    assert_eq!(get(&db, "a")["Item"]["n"]["N"], "1");
    assert_eq!(
        run(&db, Operation::Scan, r#"{"TableName":"tbl"}"#)["Count"],
        1
    );
    run(&db, Operation::DeleteTable, r#"{"TableName":"tbl"}"#);
    create_table(&db, "tbl");
    assert_eq!(get(&db, "a"), serde_json::json!({}));
    assert_eq!(
        run(&db, Operation::Scan, r#"{"TableName":"tbl"}"#)["Count"],
        0
    );
}

/// Writers count keys up while readers read them through every cached
/// path. A read that begins after a write was acknowledged must see it
/// (or a later one), and no reader may see a count go back.
#[test]
fn concurrent_reads_never_see_an_acknowledged_write_undone() {
    const KEYS: usize = 4;
    const WRITES_PER_WRITER: u64 = 300;
    let db = open_cached();
    create_table(&db, "tbl");
    for k in 0..KEYS {
        put(&db, &format!("k{k}"), 0);
    }
    let acknowledged: Arc<Vec<AtomicU64>> =
        Arc::new((0..KEYS).map(|_| AtomicU64::new(0)).collect());
    std::thread::scope(|scope| {
        for w in 0..3 {
            let (db, acknowledged) = (&db, &acknowledged);
            scope.spawn(move || {
                for i in 0..WRITES_PER_WRITER {
                    let k = (i as usize + w) % KEYS;
                    let response = run(
                        db,
                        Operation::UpdateItem,
                        &format!(
                            r#"{{"TableName":"tbl","Key":{{"pk":{{"S":"k{k}"}}}},
                                "UpdateExpression":"ADD n :one","ReturnValues":"UPDATED_NEW",
                                "ExpressionAttributeValues":{{":one":{{"N":"1"}}}}}}"#
                        ),
                    );
                    let n: u64 = response["Attributes"]["n"]["N"]
                        .as_str()
                        .unwrap()
                        .parse()
                        .unwrap();
                    acknowledged[k].fetch_max(n, Ordering::SeqCst);
                }
            });
        }
        for r in 0..3 {
            let (db, acknowledged) = (&db, &acknowledged);
            scope.spawn(move || {
                let mut seen = [0u64; KEYS];
                for i in 0..1500usize {
                    let k = (i + r) % KEYS;
                    let floor = acknowledged[k].load(Ordering::SeqCst);
                    let item = match i % 3 {
                        0 => get(db, &format!("k{k}"))["Item"].clone(),
                        1 => run(
                            db,
                            Operation::Query,
                            &format!(
                                r#"{{"TableName":"tbl","KeyConditionExpression":"pk = :k",
                                    "ExpressionAttributeValues":{{":k":{{"S":"k{k}"}}}}}}"#
                            ),
                        )["Items"][0]
                            .clone(),
                        _ => run(
                            db,
                            Operation::BatchGetItem,
                            &format!(r#"{{"RequestItems":{{"tbl":{{"Keys":[{{"pk":{{"S":"k{k}"}}}}]}}}}}}"#),
                        )["Responses"]["tbl"][0]
                            .clone(),
                    };
                    let n: u64 = item["n"]["N"].as_str().unwrap().parse().unwrap();
                    assert!(n >= floor, "read {n} of k{k} after {floor} was acknowledged");
                    assert!(n >= seen[k], "k{k} went back from {} to {n}", seen[k]);
                    seen[k] = n;
                }
            });
        }
    });
    let total: u64 = (0..KEYS)
        .map(|k| {
            get(&db, &format!("k{k}"))["Item"]["n"]["N"]
                .as_str()
                .unwrap()
                .parse::<u64>()
                .unwrap()
        })
        .sum();
    assert_eq!(total, 3 * WRITES_PER_WRITER);
    let items = db.read_cache().item_stats();
    assert!(items.hits > 0 && items.misses > 0, "{items:?}");
}
