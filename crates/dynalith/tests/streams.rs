//! DynamoDB Streams through the AWS SDK for Rust (`aws-sdk-dynamodbstreams`
//! beside `aws-sdk-dynamodb`): the records every kind of write leaves, the
//! view types, the stream lifecycle (enable, disable, re-enable, table
//! deletion), shard iterators, concurrent writers read exactly once and in
//! each item's order, durability across a restart, Time to Live's deletes,
//! and retention.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeValue, Put, PutRequest, StreamSpecification, StreamViewType, TransactWriteItem,
    Update, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodbstreams::types::{
    AttributeValue as StreamValue, OperationType, Record, ShardIteratorType, StreamStatus,
};
use common::receiver::Receiver;
use common::{attribute_definition, error_code, key_element, unique_table, Server};
use std::collections::HashMap;
use std::time::{Duration, Instant};

type Streams = aws_sdk_dynamodbstreams::Client;

fn streams_client(server: &Server) -> Streams {
    common::signed_streams_client(&server.endpoint, "us-east-1", "AKIDTEST", "secret")
}

fn stream_spec(view: StreamViewType) -> StreamSpecification {
    StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(view)
        .build()
        .unwrap()
}

/// A table keyed by `pk` (S) and `sk` (N) with a stream of `view`; returns
/// the stream's ARN.
async fn create_streamed_table(client: &Client, name: &str, view: StreamViewType) -> String {
    use aws_sdk_dynamodb::types::{BillingMode, KeyType, ScalarAttributeType};
    let created = client
        .create_table()
        .table_name(name)
        .key_schema(key_element("pk", KeyType::Hash))
        .key_schema(key_element("sk", KeyType::Range))
        .attribute_definitions(attribute_definition("pk", ScalarAttributeType::S))
        .attribute_definitions(attribute_definition("sk", ScalarAttributeType::N))
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(stream_spec(view))
        .send()
        .await
        .unwrap();
    let description = created.table_description.unwrap();
    description.latest_stream_arn.expect("LatestStreamArn")
}

fn key(pk: &str, sk: i64) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_string(), AttributeValue::S(pk.into())),
        ("sk".to_string(), AttributeValue::N(sk.to_string())),
    ])
}

fn item(pk: &str, sk: i64, extra: &[(&str, AttributeValue)]) -> HashMap<String, AttributeValue> {
    let mut item = key(pk, sk);
    for (name, value) in extra {
        item.insert(name.to_string(), value.clone());
    }
    item
}

async fn shard_id(streams: &Streams, arn: &str) -> String {
    let description = streams
        .describe_stream()
        .stream_arn(arn)
        .send()
        .await
        .unwrap()
        .stream_description
        .unwrap();
    let shards = description.shards();
    assert_eq!(shards.len(), 1, "{description:?}");
    shards[0].shard_id().unwrap().to_string()
}

async fn iterator(
    streams: &Streams,
    arn: &str,
    kind: ShardIteratorType,
    sequence: Option<&str>,
) -> String {
    let shard = shard_id(streams, arn).await;
    streams
        .get_shard_iterator()
        .stream_arn(arn)
        .shard_id(shard)
        .shard_iterator_type(kind)
        .set_sequence_number(sequence.map(str::to_string))
        .send()
        .await
        .unwrap()
        .shard_iterator
        .unwrap()
}

/// Follows `NextShardIterator` until a page comes back empty (or the shard
/// ends), `limit` records per call.
async fn read_all(
    streams: &Streams,
    mut position: String,
    limit: i32,
) -> (Vec<Record>, Option<String>) {
    let mut records = Vec::new();
    loop {
        let page = streams
            .get_records()
            .shard_iterator(&position)
            .limit(limit)
            .send()
            .await
            .unwrap();
        let got = page.records().len();
        assert!(got <= limit as usize);
        records.extend(page.records().iter().cloned());
        match page.next_shard_iterator {
            Some(next) if got > 0 => position = next,
            next => return (records, next),
        }
    }
}

async fn read_from_start(streams: &Streams, arn: &str) -> Vec<Record> {
    let start = iterator(streams, arn, ShardIteratorType::TrimHorizon, None).await;
    read_all(streams, start, 1000).await.0
}

fn s(value: &str) -> StreamValue {
    StreamValue::S(value.into())
}

fn n(value: &str) -> StreamValue {
    StreamValue::N(value.into())
}

/// A record as (event, pk, sk, old image attribute `v`, new image's `v`).
fn summary(
    record: &Record,
) -> (
    OperationType,
    String,
    String,
    Option<StreamValue>,
    Option<StreamValue>,
) {
    let change = record.dynamodb().unwrap();
    let keys = change.keys().unwrap();
    let text = |v: Option<&StreamValue>| match v {
        Some(StreamValue::S(s)) => s.clone(),
        Some(StreamValue::N(n)) => n.clone(),
        other => panic!("unexpected key value {other:?}"),
    };
    (
        record.event_name().unwrap().clone(),
        text(keys.get("pk")),
        text(keys.get("sk")),
        change.old_image().and_then(|i| i.get("v").cloned()),
        change.new_image().and_then(|i| i.get("v").cloned()),
    )
}

#[tokio::test]
async fn every_kind_of_write_leaves_its_record_in_order() {
    let server = Server::start();
    let client = server.client();
    let streams = streams_client(&server);
    let name = unique_table("streams");
    let arn = create_streamed_table(&client, &name, StreamViewType::NewAndOldImages).await;

    let v = |text: &str| AttributeValue::S(text.into());
    client
        .put_item()
        .table_name(&name)
        .set_item(Some(item("a", 1, &[("v", v("x"))])))
        .send()
        .await
        .unwrap();
    // The same item again changes nothing: no record.
    client
        .put_item()
        .table_name(&name)
        .set_item(Some(item("a", 1, &[("v", v("x"))])))
        .send()
        .await
        .unwrap();
    client
        .update_item()
        .table_name(&name)
        .set_key(Some(key("a", 1)))
        .update_expression("SET v = :v")
        .expression_attribute_values(":v", v("y"))
        .send()
        .await
        .unwrap();
    // The same set with its members in another order is the same item.
    let set =
        |members: &[&str]| AttributeValue::Ss(members.iter().map(|m| m.to_string()).collect());
    client
        .put_item()
        .table_name(&name)
        .set_item(Some(item("s", 1, &[("set", set(&["p", "q"]))])))
        .send()
        .await
        .unwrap();
    client
        .put_item()
        .table_name(&name)
        .set_item(Some(item("s", 1, &[("set", set(&["q", "p"]))])))
        .send()
        .await
        .unwrap();
    client
        .delete_item()
        .table_name(&name)
        .set_key(Some(key("s", 1)))
        .send()
        .await
        .unwrap();
    // An update to the value it has: no record either.
    client
        .update_item()
        .table_name(&name)
        .set_key(Some(key("a", 1)))
        .update_expression("SET v = :v")
        .expression_attribute_values(":v", v("y"))
        .send()
        .await
        .unwrap();
    // A failed condition writes nothing.
    let refused = client
        .put_item()
        .table_name(&name)
        .set_item(Some(item("a", 1, &[("v", v("z"))])))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&refused), "ConditionalCheckFailedException");
    client
        .delete_item()
        .table_name(&name)
        .set_key(Some(key("a", 1)))
        .send()
        .await
        .unwrap();
    // Deleting what is not there: no record.
    client
        .delete_item()
        .table_name(&name)
        .set_key(Some(key("a", 1)))
        .send()
        .await
        .unwrap();
    let put = |pk: &str, sk: i64, text: &str| {
        WriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .set_item(Some(item(pk, sk, &[("v", v(text))])))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    client
        .batch_write_item()
        .request_items(&name, vec![put("b", 1, "b1"), put("b", 2, "b2")])
        .send()
        .await
        .unwrap();
    client
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&name)
                        .set_item(Some(item("c", 1, &[("v", v("c1"))])))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&name)
                        .set_key(Some(key("b", 1)))
                        .update_expression("SET v = :v")
                        .expression_attribute_values(":v", v("b1+"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    client
        .execute_statement()
        .statement(format!(
            "UPDATE \"{name}\" SET v = 'c2' WHERE pk = 'c' AND sk = 1"
        ))
        .send()
        .await
        .unwrap();
    client
        .execute_statement()
        .statement(format!("DELETE FROM \"{name}\" WHERE pk = 'b' AND sk = 2"))
        .send()
        .await
        .unwrap();

    let records = read_from_start(&streams, &arn).await;
    let summaries: Vec<_> = records.iter().map(summary).collect();
    use OperationType::{Insert, Modify, Remove};
    let mut expected = vec![
        (Insert, "a".into(), "1".into(), None, Some(s("x"))),
        (Modify, "a".into(), "1".into(), Some(s("x")), Some(s("y"))),
        (Insert, "s".into(), "1".into(), None, None),
        (Remove, "s".into(), "1".into(), None, None),
        (Remove, "a".into(), "1".into(), Some(s("y")), None),
    ];
    // A batch's items are written in key order; a transaction's too.
    expected.push((Insert, "b".into(), "1".into(), None, Some(s("b1"))));
    expected.push((Insert, "b".into(), "2".into(), None, Some(s("b2"))));
    let transaction = vec![
        (
            Modify,
            "b".into(),
            "1".into(),
            Some(s("b1")),
            Some(s("b1+")),
        ),
        (Insert, "c".into(), "1".into(), None, Some(s("c1"))),
    ];
    assert_eq!(summaries[..7], expected[..], "{records:#?}");
    let mut in_transaction = summaries[7..9].to_vec();
    in_transaction.sort_by(|a, b| (&a.1, &a.2).cmp(&(&b.1, &b.2)));
    assert_eq!(in_transaction, transaction);
    assert_eq!(
        summaries[9..],
        [
            (Modify, "c".into(), "1".into(), Some(s("c1")), Some(s("c2"))),
            (Remove, "b".into(), "2".into(), Some(s("b2")), None),
        ]
    );
    assert_eq!(records.len(), 11);

    // Sequence numbers grow, event ids differ, every record says what it is.
    let mut previous = String::new();
    let mut ids = std::collections::HashSet::new();
    for record in &records {
        let change = record.dynamodb().unwrap();
        let sequence = change.sequence_number().unwrap().to_string();
        assert!(
            sequence.len() >= 21 && sequence > previous,
            "{sequence} after {previous}"
        );
        previous = sequence;
        assert!(ids.insert(record.event_id().unwrap().to_string()));
        assert_eq!(record.event_source(), Some("aws:dynamodb"));
        assert_eq!(record.event_version(), Some("1.1"));
        assert_eq!(record.aws_region(), Some("us-east-1"));
        assert!(change.size_bytes().unwrap() > 0);
        assert!(change.approximate_creation_date_time().is_some());
        assert_eq!(
            change.stream_view_type(),
            Some(&aws_sdk_dynamodbstreams::types::StreamViewType::NewAndOldImages)
        );
        assert!(record.user_identity().is_none());
    }
    // Reading the same records again gives the same ids.
    let again = read_from_start(&streams, &arn).await;
    assert_eq!(
        again
            .iter()
            .map(|r| r.event_id().unwrap())
            .collect::<Vec<_>>(),
        records
            .iter()
            .map(|r| r.event_id().unwrap())
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn the_view_type_chooses_the_images() {
    let server = Server::start();
    let client = server.client();
    let streams = streams_client(&server);
    for (view, has_old, has_new) in [
        (StreamViewType::KeysOnly, false, false),
        (StreamViewType::NewImage, false, true),
        (StreamViewType::OldImage, true, false),
        (StreamViewType::NewAndOldImages, true, true),
    ] {
        let name = unique_table("views");
        let arn = create_streamed_table(&client, &name, view.clone()).await;
        let first = item("k", 7, &[("v", AttributeValue::N("1".into()))]);
        let second = item("k", 7, &[("v", AttributeValue::N("2".into()))]);
        for change in [first, second] {
            client
                .put_item()
                .table_name(&name)
                .set_item(Some(change))
                .send()
                .await
                .unwrap();
        }
        let records = read_from_start(&streams, &arn).await;
        assert_eq!(records.len(), 2);
        let modify = records[1].dynamodb().unwrap();
        assert_eq!(modify.keys().unwrap().get("sk"), Some(&n("7")), "{view:?}");
        assert_eq!(modify.old_image().is_some(), has_old, "{view:?}");
        assert_eq!(modify.new_image().is_some(), has_new, "{view:?}");
        if has_new {
            assert_eq!(modify.new_image().unwrap().get("v"), Some(&n("2")));
        }
        // SizeBytes counts the keys and the images the record carries.
        let keys = 3 + 4; // "pk" + "k", "sk" + the number 7
        let image = keys + 3; // and "v" + the number
        let expected = keys + image * (usize::from(has_old) + usize::from(has_new));
        assert_eq!(modify.size_bytes(), Some(expected as i64), "{view:?}");
    }
}

#[tokio::test]
async fn streams_are_listed_described_disabled_and_outlive_their_table() {
    let server = Server::start();
    let client = server.client();
    let streams = streams_client(&server);
    let name = unique_table("lifecycle");
    let first_arn = create_streamed_table(&client, &name, StreamViewType::KeysOnly).await;
    assert!(first_arn.starts_with(&format!(
        "arn:aws:dynamodb:us-east-1:000000000000:table/{name}/stream/"
    )));

    let table = client
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(table.latest_stream_arn(), Some(first_arn.as_str()));
    let spec = table.stream_specification().unwrap();
    assert!(spec.stream_enabled());
    assert_eq!(spec.stream_view_type(), Some(&StreamViewType::KeysOnly));

    let listed = streams
        .list_streams()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.streams().len(), 1);
    assert_eq!(listed.streams()[0].stream_arn(), Some(first_arn.as_str()));
    assert_eq!(listed.streams()[0].table_name(), Some(name.as_str()));
    assert_eq!(listed.last_evaluated_stream_arn(), None);

    let description = streams
        .describe_stream()
        .stream_arn(&first_arn)
        .send()
        .await
        .unwrap()
        .stream_description
        .unwrap();
    assert_eq!(description.stream_status(), Some(&StreamStatus::Enabled));
    assert_eq!(description.table_name(), Some(name.as_str()));
    assert_eq!(description.key_schema().len(), 2);
    let range = description.shards()[0].sequence_number_range().unwrap();
    assert!(range.starting_sequence_number().is_some());
    assert_eq!(range.ending_sequence_number(), None);

    // LATEST starts after what is there: only later writes are read.
    client
        .put_item()
        .table_name(&name)
        .set_item(Some(key("before", 1)))
        .send()
        .await
        .unwrap();
    let latest = iterator(&streams, &first_arn, ShardIteratorType::Latest, None).await;
    client
        .put_item()
        .table_name(&name)
        .set_item(Some(key("after", 1)))
        .send()
        .await
        .unwrap();
    let (after, next) = read_all(&streams, latest, 10).await;
    assert_eq!(after.len(), 1);
    assert_eq!(summary(&after[0]).1, "after");
    assert!(next.is_some(), "an open shard always has a next iterator");

    // Disabling closes the shard: its reader reaches the end.
    client
        .update_table()
        .table_name(&name)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(false)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    client
        .put_item()
        .table_name(&name)
        .set_item(Some(key("unrecorded", 1)))
        .send()
        .await
        .unwrap();
    let table = client
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(table.stream_specification(), None);
    assert_eq!(table.latest_stream_arn(), Some(first_arn.as_str()));
    let closed = streams
        .describe_stream()
        .stream_arn(&first_arn)
        .send()
        .await
        .unwrap()
        .stream_description
        .unwrap();
    assert_eq!(closed.stream_status(), Some(&StreamStatus::Disabled));
    let all = read_from_start(&streams, &first_arn).await;
    assert_eq!(all.len(), 2);
    let last = all[1].dynamodb().unwrap().sequence_number().unwrap();
    let range = closed.shards()[0].sequence_number_range().unwrap();
    assert_eq!(range.ending_sequence_number(), Some(last));
    let start = iterator(&streams, &first_arn, ShardIteratorType::TrimHorizon, None).await;
    let (_, next) = read_all(&streams, start, 1000).await;
    assert_eq!(
        next, None,
        "a closed shard read to its end has no next iterator"
    );

    // Enabling again makes a new stream; both are listed, paged by Limit.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let table = client
        .update_table()
        .table_name(&name)
        .stream_specification(stream_spec(StreamViewType::NewImage))
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    let second_arn = table.latest_stream_arn().unwrap().to_string();
    assert_ne!(second_arn, first_arn);
    let page = streams
        .list_streams()
        .table_name(&name)
        .limit(1)
        .send()
        .await
        .unwrap();
    assert_eq!(page.streams().len(), 1);
    let cursor = page
        .last_evaluated_stream_arn()
        .expect("more streams")
        .to_string();
    let rest = streams
        .list_streams()
        .table_name(&name)
        .exclusive_start_stream_arn(cursor)
        .send()
        .await
        .unwrap();
    let mut arns: Vec<_> = page
        .streams()
        .iter()
        .chain(rest.streams())
        .map(|s| s.stream_arn().unwrap().to_string())
        .collect();
    arns.sort();
    let mut expected = vec![first_arn.clone(), second_arn.clone()];
    expected.sort();
    assert_eq!(arns, expected);
    assert_eq!(rest.last_evaluated_stream_arn(), None);
    client
        .put_item()
        .table_name(&name)
        .set_item(Some(key("second", 1)))
        .send()
        .await
        .unwrap();

    // Deleting the table leaves its stream readable and disabled.
    client
        .delete_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    let orphan = streams
        .describe_stream()
        .stream_arn(&second_arn)
        .send()
        .await
        .unwrap()
        .stream_description
        .unwrap();
    assert_eq!(orphan.stream_status(), Some(&StreamStatus::Disabled));
    let records = read_from_start(&streams, &second_arn).await;
    assert_eq!(records.len(), 1);
    assert_eq!(summary(&records[0]).1, "second");
}

#[tokio::test]
async fn iterators_start_at_and_after_sequence_numbers_and_bad_ones_are_refused() {
    let server = Server::start();
    let client = server.client();
    let streams = streams_client(&server);
    let name = unique_table("iterators");
    let arn = create_streamed_table(&client, &name, StreamViewType::KeysOnly).await;
    for sk in 1..=5 {
        client
            .put_item()
            .table_name(&name)
            .set_item(Some(key("p", sk)))
            .send()
            .await
            .unwrap();
    }
    let records = read_from_start(&streams, &arn).await;
    assert_eq!(records.len(), 5);
    let third = records[2].dynamodb().unwrap().sequence_number().unwrap();
    let at = iterator(
        &streams,
        &arn,
        ShardIteratorType::AtSequenceNumber,
        Some(third),
    )
    .await;
    let (from_third, _) = read_all(&streams, at, 1).await;
    assert_eq!(
        from_third.iter().map(|r| summary(r).2).collect::<Vec<_>>(),
        ["3", "4", "5"]
    );
    let after = iterator(
        &streams,
        &arn,
        ShardIteratorType::AfterSequenceNumber,
        Some(third),
    )
    .await;
    let (after_third, _) = read_all(&streams, after, 2).await;
    assert_eq!(
        after_third.iter().map(|r| summary(r).2).collect::<Vec<_>>(),
        ["4", "5"]
    );

    let shard = shard_id(&streams, &arn).await;
    let missing = streams
        .describe_stream()
        .stream_arn(format!("{arn}0"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&missing), "ResourceNotFoundException");
    let no_shard = streams
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id("shardId-00000000000000000000-00000000")
        .shard_iterator_type(ShardIteratorType::Latest)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&no_shard), "ResourceNotFoundException");
    let without_sequence = streams
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id(&shard)
        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&without_sequence), "ValidationException");
    let garbage = streams
        .get_records()
        .shard_iterator(format!("{arn}|1|AAAA"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&garbage), "ValidationException");
    let too_many = streams
        .get_records()
        .shard_iterator(iterator(&streams, &arn, ShardIteratorType::TrimHorizon, None).await)
        .limit(1001)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&too_many), "ValidationException");
    // The Streams API answers only its own operations, and DynamoDB's API
    // not the Streams ones.
    let raw = common::raw_request(
        &server.address(),
        "POST",
        &[
            ("X-Amz-Target", "DynamoDBStreams_20120810.PutItem"),
            ("Content-Type", "application/x-amz-json-1.0"),
            ("Authorization", common::AUTH),
        ],
        b"{}",
    );
    assert_eq!(raw.status, 400);
    assert!(raw.error_type().ends_with("#UnknownOperationException"));
    let raw = common::call(&server.address(), "ListStreams", "{}");
    assert!(raw.error_type().ends_with("#UnknownOperationException"));
}

#[tokio::test]
async fn concurrent_writes_are_read_exactly_once_in_each_items_order() {
    let server = Server::start();
    let client = server.client();
    let streams = streams_client(&server);
    let name = unique_table("concurrent");
    let arn = create_streamed_table(&client, &name, StreamViewType::NewImage).await;
    const WRITERS: i64 = 8;
    const ITEMS: i64 = 4;
    const WRITES: i64 = 60;

    let start = iterator(&streams, &arn, ShardIteratorType::TrimHorizon, None).await;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let streams = streams.clone();
        let done = done.clone();
        tokio::spawn(async move {
            let mut position = start;
            let mut records = Vec::new();
            loop {
                let finished = done.load(std::sync::atomic::Ordering::Acquire);
                let page = streams
                    .get_records()
                    .shard_iterator(&position)
                    .limit(7)
                    .send()
                    .await
                    .unwrap();
                let got = page.records().len();
                records.extend(page.records().iter().cloned());
                position = page.next_shard_iterator.unwrap();
                if finished && got == 0 {
                    return records;
                }
            }
        })
    };
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let client = client.clone();
        let name = name.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..WRITES {
                // Every writer bumps shared counters: each item's records
                // must come out with its counter rising one by one.
                let sk = (writer + i) % ITEMS;
                client
                    .update_item()
                    .table_name(&name)
                    .set_key(Some(key("hot", sk)))
                    .update_expression("ADD n :one")
                    .expression_attribute_values(":one", AttributeValue::N("1".into()))
                    .send()
                    .await
                    .unwrap();
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::Release);
    let records = reader.await.unwrap();
    assert_eq!(records.len() as i64, WRITERS * WRITES);
    let mut last: HashMap<String, i64> = HashMap::new();
    let mut previous = String::new();
    for record in &records {
        let change = record.dynamodb().unwrap();
        let sequence = change.sequence_number().unwrap().to_string();
        assert!(sequence > previous);
        previous = sequence;
        let (_, _, sk, _, _) = summary(record);
        let Some(StreamValue::N(count)) = change.new_image().unwrap().get("n") else {
            panic!("no counter in {record:?}");
        };
        let count: i64 = count.parse().unwrap();
        let seen = last.entry(sk.clone()).or_insert(0);
        assert_eq!(count, *seen + 1, "item {sk}: counter {count} after {seen}");
        *seen = count;
    }
    assert_eq!(last.values().sum::<i64>(), WRITERS * WRITES);
}

#[tokio::test]
async fn records_survive_a_restart_and_numbers_keep_rising() {
    let dir = tempfile::tempdir().unwrap();
    let name = unique_table("durable");
    let (arn, before) = {
        let server = Server::start_durable(dir.path());
        let client = server.client();
        let arn = create_streamed_table(&client, &name, StreamViewType::NewAndOldImages).await;
        for sk in 0..20 {
            client
                .put_item()
                .table_name(&name)
                .set_item(Some(key("d", sk)))
                .send()
                .await
                .unwrap();
        }
        let records = read_from_start(&streams_client(&server), &arn).await;
        // SIGKILL: acknowledged writes and their records must both be there.
        (arn, records)
    };
    assert_eq!(before.len(), 20);
    let server = Server::start_durable(dir.path());
    let client = server.client();
    let streams = streams_client(&server);
    let after_restart = read_from_start(&streams, &arn).await;
    let ids = |records: &[Record]| {
        records
            .iter()
            .map(|r| r.event_id().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&after_restart), ids(&before));
    client
        .delete_item()
        .table_name(&name)
        .set_key(Some(key("d", 0)))
        .send()
        .await
        .unwrap();
    let all = read_from_start(&streams, &arn).await;
    assert_eq!(all.len(), 21);
    let last = all[20].dynamodb().unwrap().sequence_number().unwrap();
    let previous = all[19].dynamodb().unwrap().sequence_number().unwrap();
    assert!(last > previous);
    assert_eq!(all[20].event_name(), Some(&OperationType::Remove));
}

#[tokio::test]
async fn time_to_live_deletes_are_recorded_as_the_service() {
    let server = Server::start();
    let client = server.client();
    let streams = streams_client(&server);
    let name = unique_table("ttlstream");
    let arn = create_streamed_table(&client, &name, StreamViewType::OldImage).await;
    client
        .update_time_to_live()
        .table_name(&name)
        .time_to_live_specification(
            aws_sdk_dynamodb::types::TimeToLiveSpecification::builder()
                .attribute_name("expires")
                .enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let past = AttributeValue::N("1700000000".into());
    client
        .put_item()
        .table_name(&name)
        .set_item(Some(item("gone", 1, &[("expires", past)])))
        .send()
        .await
        .unwrap();
    client
        .put_item()
        .table_name(&name)
        .set_item(Some(item("kept", 1, &[])))
        .send()
        .await
        .unwrap();
    client
        .delete_item()
        .table_name(&name)
        .set_key(Some(key("kept", 1)))
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let records = loop {
        let records = read_from_start(&streams, &arn).await;
        if records.len() == 4 || Instant::now() > deadline {
            break records;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(records.len(), 4, "{records:#?}");
    let by_ttl: Vec<_> = records
        .iter()
        .filter(|r| r.user_identity().is_some())
        .collect();
    assert_eq!(by_ttl.len(), 1);
    let expired = by_ttl[0];
    assert_eq!(expired.event_name(), Some(&OperationType::Remove));
    assert_eq!(summary(expired).1, "gone");
    let identity = expired.user_identity().unwrap();
    assert_eq!(identity.principal_id(), Some("dynamodb.amazonaws.com"));
    assert_eq!(identity.r#type(), Some("Service"));
    assert!(expired
        .dynamodb()
        .unwrap()
        .old_image()
        .unwrap()
        .contains_key("expires"));
}

#[tokio::test]
async fn records_older_than_the_retention_are_trimmed() {
    let server = Server::start_with(&["--stream-retention-secs", "2"]);
    let client = server.client();
    let streams = streams_client(&server);
    let name = unique_table("retention");
    let arn = create_streamed_table(&client, &name, StreamViewType::KeysOnly).await;
    client
        .put_item()
        .table_name(&name)
        .set_item(Some(key("old", 1)))
        .send()
        .await
        .unwrap();
    let old = read_from_start(&streams, &arn).await;
    let old_sequence = old[0]
        .dynamodb()
        .unwrap()
        .sequence_number()
        .unwrap()
        .to_string();
    let stale = iterator(&streams, &arn, ShardIteratorType::TrimHorizon, None).await;

    // Records live 2 s and are trimmed within a pass (1 s) after that;
    // keep writing so that something young is always there.
    let deadline = Instant::now() + Duration::from_secs(30);
    let trimmed = loop {
        client
            .put_item()
            .table_name(&name)
            .set_item(Some(key("young", 1)))
            .send()
            .await
            .unwrap();
        client
            .delete_item()
            .table_name(&name)
            .set_key(Some(key("young", 1)))
            .send()
            .await
            .unwrap();
        let attempt = streams.get_records().shard_iterator(&stale).send().await;
        match attempt {
            Err(e) => break e,
            Ok(_) if Instant::now() > deadline => panic!("old records were never trimmed"),
            Ok(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    };
    assert_eq!(error_code(&trimmed), "TrimmedDataAccessException");
    let shard = shard_id(&streams, &arn).await;
    let at_old = streams
        .get_shard_iterator()
        .stream_arn(&arn)
        .shard_id(shard)
        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
        .sequence_number(&old_sequence)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&at_old), "TrimmedDataAccessException");
    let left = read_from_start(&streams, &arn).await;
    assert!(left.iter().all(|r| summary(r).1 == "young"), "{left:#?}");

    // A disabled stream is forgotten once the retention has passed.
    client
        .delete_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match streams.describe_stream().stream_arn(&arn).send().await {
            Err(e) => {
                assert_eq!(error_code(&e), "ResourceNotFoundException");
                break;
            }
            Ok(_) if Instant::now() > deadline => panic!("the stream was never forgotten"),
            Ok(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
    let listed = streams
        .list_streams()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    assert!(listed.streams().is_empty());
}

/// How long a test waits for a trigger's deliveries.
const PATIENCE: Duration = Duration::from_secs(30);

#[tokio::test]
async fn triggers_deliver_lambda_events_in_order_and_retry_failures() {
    let receiver = Receiver::start(1);
    let name = unique_table("trigger");
    let trigger = format!("{name}={}", receiver.url);
    let server = Server::start_with(&[
        "--stream-trigger",
        &trigger,
        "--stream-trigger-batch-size",
        "3",
    ]);
    let client = server.client();
    let arn = create_streamed_table(&client, &name, StreamViewType::NewAndOldImages).await;
    for sk in 0..10 {
        client
            .put_item()
            .table_name(&name)
            .set_item(Some(item(
                "t",
                sk,
                &[("v", AttributeValue::N(sk.to_string()))],
            )))
            .send()
            .await
            .unwrap();
        if sk == 0 {
            // The rest is written once the first event (of one record)
            // has been refused: its retry must still be that one event.
            let deadline = Instant::now() + PATIENCE;
            while receiver.events().is_empty() && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    client
        .delete_item()
        .table_name(&name)
        .set_key(Some(key("t", 0)))
        .send()
        .await
        .unwrap();

    let records = receiver.records_after(1, 11, PATIENCE).await;
    assert_eq!(records.len(), 11, "{:#?}", receiver.events());
    let events = receiver.events();
    // The refused first event came again, unchanged, and later ones
    // followed in order, at most three records each.
    assert_eq!(events[0], events[1]);
    assert!(events
        .iter()
        .all(|e| e["Records"].as_array().unwrap().len() <= 3));
    for (sk, record) in records.iter().take(10).enumerate() {
        assert_eq!(record["eventName"], "INSERT");
        assert_eq!(record["eventSource"], "aws:dynamodb");
        assert_eq!(record["eventSourceARN"], arn.as_str());
        assert_eq!(record["dynamodb"]["NewImage"]["v"]["N"], sk.to_string());
        assert_eq!(record["dynamodb"]["StreamViewType"], "NEW_AND_OLD_IMAGES");
    }
    assert_eq!(records[10]["eventName"], "REMOVE");
    assert_eq!(records[10]["dynamodb"]["OldImage"]["v"]["N"], "0");
    // The same records GetRecords returns, with the same ids.
    let read = read_from_start(&streams_client(&server), &arn).await;
    let delivered: Vec<_> = records
        .iter()
        .map(|r| r["eventID"].as_str().unwrap().to_string())
        .collect();
    let listed: Vec<_> = read
        .iter()
        .map(|r| r.event_id().unwrap().to_string())
        .collect();
    assert_eq!(delivered, listed);
    // /metrics counts the records delivered and the refused attempt.
    let labels = format!(
        r#"{{kind="trigger",table="{name}",target="{}"}}"#,
        receiver.url
    );
    common::wait_for_metric(
        &server.address(),
        &format!("dynalith_delivered_records_total{labels} 11"),
    );
    common::wait_for_metric(
        &server.address(),
        &format!("dynalith_delivery_failures_total{labels} 1"),
    );
}

#[tokio::test]
async fn a_trigger_resumes_after_a_restart_without_delivering_twice() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = Receiver::start(0);
    let name = unique_table("resume");
    let trigger = format!("{name}={}", receiver.url);
    let args = ["--stream-trigger", trigger.as_str()];
    {
        let mut server = Server::start_durable_with(dir.path(), &args);
        let client = server.client();
        create_streamed_table(&client, &name, StreamViewType::KeysOnly).await;
        for sk in 0..3 {
            client
                .put_item()
                .table_name(&name)
                .set_item(Some(key("r", sk)))
                .send()
                .await
                .unwrap();
        }
        assert_eq!(receiver.records_after(0, 3, PATIENCE).await.len(), 3);
        assert!(server.terminate().success());
    }
    let server = Server::start_durable_with(dir.path(), &args);
    let client = server.client();
    client
        .put_item()
        .table_name(&name)
        .set_item(Some(key("r", 3)))
        .send()
        .await
        .unwrap();
    let records = receiver.records_after(0, 4, PATIENCE).await;
    let keys: Vec<_> = records
        .iter()
        .map(|r| {
            r["dynamodb"]["Keys"]["sk"]["N"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(keys, ["0", "1", "2", "3"]);
    let settled = receiver.records_after(0, 5, Duration::from_secs(1)).await;
    assert_eq!(settled.len(), 4, "nothing is delivered twice");
}

#[tokio::test]
async fn triggers_deliver_over_https_to_a_verified_receiver() {
    // A receiver with a self-signed certificate for localhost, trusted
    // through --stream-trigger-ca-file.
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("receiver.crt");
    std::fs::write(&ca, generated.cert.pem()).unwrap();
    let receiver = Receiver::start_with(1, receiver_config(&generated));
    assert!(receiver.url.starts_with("https://localhost:"));
    let name = unique_table("httpstrigger");
    let trigger = format!("{name}={}", receiver.url);
    let server = Server::start_with(&[
        "--stream-trigger",
        &trigger,
        "--stream-trigger-ca-file",
        ca.to_str().unwrap(),
    ]);
    let client = server.client();
    create_streamed_table(&client, &name, StreamViewType::NewImage).await;
    for sk in 0..5 {
        client
            .put_item()
            .table_name(&name)
            .set_item(Some(item("t", sk, &[])))
            .send()
            .await
            .unwrap();
    }
    // The first answer was a 500: retried, then every record in order.
    let records = receiver.records_after(1, 5, PATIENCE).await;
    let order: Vec<_> = records
        .iter()
        .map(|r| {
            r["dynamodb"]["Keys"]["sk"]["N"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(order, ["0", "1", "2", "3", "4"]);

    // Without the CA, the receiver's certificate is not trusted: nothing
    // is delivered, though the receiver keeps listening (the server keeps
    // retrying).
    let untrusted = Receiver::start_with(0, receiver_config(&generated));
    let other = unique_table("untrusted");
    let trigger = format!("{other}={}", untrusted.url);
    let server = Server::start_with(&["--stream-trigger", &trigger]);
    let client = server.client();
    create_streamed_table(&client, &other, StreamViewType::NewImage).await;
    client
        .put_item()
        .table_name(&other)
        .set_item(Some(item("t", 0, &[])))
        .send()
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(untrusted.events().is_empty());
    // The server kept trying (each attempt a connection whose handshake
    // failed), so the emptiness is the certificate's doing.
    assert!(
        untrusted.connections() >= 2,
        "{} connections",
        untrusted.connections()
    );
}

/// A server configuration with `generated`'s certificate.
fn receiver_config(
    generated: &rcgen::CertifiedKey,
) -> Option<std::sync::Arc<tokio_rustls::rustls::ServerConfig>> {
    let provider = std::sync::Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![generated.cert.der().clone()],
            tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(
                generated.key_pair.serialize_der().into(),
            ),
        )
        .unwrap();
    Some(std::sync::Arc::new(config))
}
