//! Several servers on one PostgreSQL schema (`--shared-schema`): the first
//! leads, the others answer reads themselves and send everything else to
//! it, and one of them takes over when the leader is killed.
//!
//! Runs when `DYNALITH_TEST_POSTGRES` names a database (scripts/test.sh's
//! PostgreSQL phase).

mod common;

use aws_sdk_dynamodb::types::{
    AttributeValue as Av, BillingMode, KeyType, Put, ScalarAttributeType, StreamSpecification,
    StreamViewType, TableStatus, TransactWriteItem,
};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use common::{
    attribute_definition, call, error_code, fresh_schema, key_element, signed_client,
    signed_streams_client, test_postgres_url, Server,
};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The database's URL and a schema of the test's own, or `None` (said so)
/// without `DYNALITH_TEST_POSTGRES`.
fn database() -> Option<(String, String)> {
    let url = test_postgres_url();
    if url.is_none() {
        eprintln!("DYNALITH_TEST_POSTGRES is not set: no shared schema to test");
    }
    Some((url?, fresh_schema("shared")))
}

fn shared(url: &str, schema: &str, extra: &[&str]) -> Server {
    let mut args = vec!["--shared-schema"];
    args.extend_from_slice(extra);
    Server::start_on_postgres_with(url, schema, &args)
}

/// A table keyed by `pk` (S) with a NEW_AND_OLD_IMAGES stream; its ARN.
async fn create_streamed_table(client: &Client, name: &str) -> String {
    client
        .create_table()
        .table_name(name)
        .key_schema(key_element("pk", KeyType::Hash))
        .attribute_definitions(attribute_definition("pk", ScalarAttributeType::S))
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create table")
        .table_description
        .unwrap()
        .latest_stream_arn
        .expect("LatestStreamArn")
}

/// The value of the `/metrics` line that starts with `name` and a space.
fn metric(server: &Server, name: &str) -> Option<String> {
    let scraped = common::raw_request_to(&server.address(), "GET", "/metrics", &[], b"");
    let prefix = format!("{name} ");
    String::from_utf8_lossy(&scraped.body)
        .lines()
        .find_map(|line| line.strip_prefix(&prefix).map(str::to_string))
}

/// Whether the request could not have reached a server: its connection
/// was refused. (A dispatch failure in general includes a connection
/// closed after the request went out.)
fn never_sent<E: std::error::Error + 'static>(error: &E) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        let refused = e
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused);
        if refused {
            return true;
        }
        cause = e.source();
    }
    false
}

fn key(pk: &str) -> HashMap<String, Av> {
    HashMap::from([("pk".to_string(), Av::S(pk.to_string()))])
}

async fn get(client: &Client, table: &str, pk: &str) -> Option<HashMap<String, Av>> {
    client
        .get_item()
        .table_name(table)
        .set_key(Some(key(pk)))
        .consistent_read(true)
        .send()
        .await
        .expect("get item")
        .item
}

/// Every record of the stream, through `endpoint`, in shard order.
async fn stream_records(endpoint: &str, arn: &str) -> Vec<aws_sdk_dynamodbstreams::types::Record> {
    let streams = signed_streams_client(endpoint, "us-east-1", "AKIDTEST", "secret");
    let description = streams
        .describe_stream()
        .stream_arn(arn)
        .send()
        .await
        .expect("describe stream")
        .stream_description
        .unwrap();
    let mut records = Vec::new();
    for shard in description.shards() {
        let mut position = streams
            .get_shard_iterator()
            .stream_arn(arn)
            .shard_id(shard.shard_id().unwrap())
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .expect("shard iterator")
            .shard_iterator;
        while let Some(at) = position {
            let page = streams
                .get_records()
                .shard_iterator(at)
                .send()
                .await
                .expect("get records");
            if page.records().is_empty() {
                break;
            }
            records.extend(page.records().iter().cloned());
            position = page.next_shard_iterator;
        }
    }
    records
}

#[tokio::test]
async fn followers_answer_reads_and_send_the_rest_to_the_leader() {
    let Some((url, schema)) = database() else {
        return;
    };
    // Both verify signatures: the follower its own reads, the leader what
    // the follower passes on, signed for the follower's Host.
    let credentials = ["--credentials", "AKIDTEST:secret"];
    let leader = shared(&url, &schema, &credentials);
    let follower = shared(&url, &schema, &credentials);
    let (on_leader, on_follower) = (leader.client(), follower.client());

    // A table created through the follower is there for it at once.
    let arn = create_streamed_table(&on_follower, "orders").await;
    let described = on_follower
        .describe_table()
        .table_name("orders")
        .send()
        .await
        .expect("the follower knows the new table");
    assert_eq!(described.table.unwrap().latest_stream_arn(), Some(&*arn));

    for i in 0..10 {
        on_follower
            .put_item()
            .table_name("orders")
            .item("pk", Av::S(format!("o{i}")))
            .item("n", Av::N(i.to_string()))
            .send()
            .await
            .expect("put through the follower");
    }
    let updated = on_follower
        .update_item()
        .table_name("orders")
        .set_key(Some(key("o3")))
        .update_expression("ADD n :one")
        .expression_attribute_values(":one", Av::N("1".into()))
        .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
        .send()
        .await
        .expect("update through the follower");
    assert_eq!(updated.attributes.unwrap()["n"], Av::N("4".into()));
    // The leader's errors come back as they are.
    let refused = on_follower
        .put_item()
        .table_name("orders")
        .item("pk", Av::S("o1".into()))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .expect_err("o1 exists");
    assert_eq!(error_code(&refused), "ConditionalCheckFailedException");
    on_follower
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name("orders")
                        .item("pk", Av::S("t1".into()))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .expect("transaction through the follower");

    // Both read what either wrote.
    for client in [&on_leader, &on_follower] {
        assert_eq!(
            get(client, "orders", "o3").await.unwrap()["n"],
            Av::N("4".into())
        );
        assert!(get(client, "orders", "t1").await.is_some());
        let scanned = client.scan().table_name("orders").send().await.unwrap();
        assert_eq!(scanned.count, 11);
    }
    // Each server ran the reads sent to it; the leader ran every write.
    let requests = |server: &Server, operation: &str| {
        metric(
            server,
            &format!(r#"dynalith_requests_total{{operation="{operation}",outcome="ok"}}"#),
        )
    };
    assert_eq!(requests(&follower, "Scan").as_deref(), Some("1"));
    assert_eq!(requests(&leader, "Scan").as_deref(), Some("1"));
    assert_eq!(requests(&follower, "PutItem"), None);
    assert_eq!(requests(&leader, "PutItem").as_deref(), Some("10"));
    // CreateTable, ten puts, the update, the refused put, the transaction.
    let forwarded = r#"dynalith_forwarded_requests_total{outcome="answered"}"#;
    assert_eq!(metric(&follower, forwarded).as_deref(), Some("14"));
    assert_eq!(metric(&leader, forwarded).as_deref(), Some("0"));
    assert_eq!(metric(&follower, "dynalith_leads").as_deref(), Some("0"));
    assert_eq!(metric(&leader, "dynalith_leads").as_deref(), Some("1"));

    // A follower sent a request as if it led runs nothing and says so (the
    // sender then asks storage where the leader is).
    let misdirected = common::raw_request(
        &follower.address(),
        "POST",
        &[
            ("X-Amz-Target", "DynamoDB_20120810.PutItem"),
            ("Content-Type", "application/x-amz-json-1.0"),
            ("Authorization", common::AUTH),
            ("x-dynalith-forwarded", "1"),
        ],
        br#"{"TableName":"orders","Item":{"pk":{"S":"misdirected"}}}"#,
    );
    assert_eq!(misdirected.status, 503);
    assert_eq!(misdirected.header("x-dynalith-not-leader"), Some("1"));
    assert_eq!(
        misdirected.error_type(),
        "com.amazonaws.dynamodb.v20120810#ServiceUnavailable"
    );
    assert!(get(&on_leader, "orders", "misdirected").await.is_none());
    let refused_here = r#"dynalith_forwarded_requests_total{outcome="refused"}"#;
    assert_eq!(metric(&follower, refused_here).as_deref(), Some("1"));

    // Stream reads go to the leader too: one record per change, in order.
    let records = stream_records(&follower.endpoint, &arn).await;
    assert_eq!(records.len(), 12, "{records:?}");
    assert_eq!(
        records[10].event_name().map(|e| e.as_str()),
        Some("MODIFY"),
        "{records:?}"
    );

    // A bad signature is refused by whichever server checks it.
    let forger = signed_client(&follower.endpoint, "us-east-1", "AKIDTEST", "wrong");
    let read = forger
        .get_item()
        .table_name("orders")
        .set_key(Some(key("o1")))
        .send()
        .await;
    assert_eq!(
        error_code(&read.expect_err("bad signature")),
        "InvalidSignatureException"
    );
    let write = forger
        .put_item()
        .table_name("orders")
        .item("pk", Av::S("forged".into()))
        .send()
        .await;
    assert_eq!(
        error_code(&write.expect_err("bad signature")),
        "InvalidSignatureException"
    );
    assert!(get(&on_leader, "orders", "forged").await.is_none());

    // PartiQL: SELECTs are reads the follower answers itself; INSERTs go
    // to the leader, as does a batch mixing the two (which it refuses, as
    // DynamoDB does).
    let selected = on_follower
        .execute_statement()
        .statement("SELECT n FROM orders WHERE pk = 'o3'")
        .send()
        .await
        .expect("SELECT through the follower");
    assert_eq!(selected.items()[0]["n"], Av::N("4".into()));
    let statement = |text: &str| {
        aws_sdk_dynamodb::types::BatchStatementRequest::builder()
            .statement(text)
            .build()
            .unwrap()
    };
    let batch = |texts: &[&str]| {
        on_follower
            .batch_execute_statement()
            .set_statements(Some(texts.iter().map(|t| statement(t)).collect()))
            .send()
    };
    let read = batch(&[
        "SELECT * FROM orders WHERE pk = 'o1'",
        "SELECT * FROM orders WHERE pk = 'o2'",
    ])
    .await
    .expect("a batch of SELECTs through the follower");
    assert!(read.responses().iter().all(|r| r.item().is_some()));
    batch(&[
        "INSERT INTO orders VALUE {'pk': 'p1'}",
        "INSERT INTO orders VALUE {'pk': 'p2'}",
    ])
    .await
    .expect("a batch of INSERTs through the follower");
    let mixed = batch(&[
        "SELECT * FROM orders WHERE pk = 'o1'",
        "INSERT INTO orders VALUE {'pk': 'p3'}",
    ])
    .await
    .expect_err("reads and writes in one batch");
    assert_eq!(error_code(&mixed), "ValidationException");
    on_follower
        .execute_statement()
        .statement("INSERT INTO orders VALUE {'pk': 'p4'}")
        .send()
        .await
        .expect("INSERT through the follower");
    for pk in ["p1", "p2", "p4"] {
        assert!(get(&on_leader, "orders", pk).await.is_some(), "{pk}");
    }
    assert_eq!(
        requests(&follower, "ExecuteStatement").as_deref(),
        Some("1")
    );
    assert_eq!(requests(&leader, "ExecuteStatement").as_deref(), Some("1"));
    let batches = |server| requests(server, "BatchExecuteStatement");
    assert_eq!(batches(&follower).as_deref(), Some("1"));
    assert_eq!(batches(&leader).as_deref(), Some("1"));

    // A table deleted through the follower is gone for both.
    on_follower
        .delete_table()
        .table_name("orders")
        .send()
        .await
        .expect("delete through the follower");
    for client in [&on_leader, &on_follower] {
        let gone = client
            .get_item()
            .table_name("orders")
            .set_key(Some(key("o1")))
            .send()
            .await
            .expect_err("table deleted");
        assert_eq!(error_code(&gone), "ResourceNotFoundException");
    }
}

/// Writes `pk` through `client`, trying for up to 20 s (a takeover in
/// between answers 503s, which the SDK's own retries may not outlast).
async fn put_until_taken(client: &Client, table: &str, pk: &str) -> usize {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut failures = 0;
    loop {
        let put = client
            .put_item()
            .table_name(table)
            .item("pk", Av::S(pk.to_string()))
            .send()
            .await;
        match put {
            Ok(_) => return failures,
            Err(e) if Instant::now() < deadline => {
                failures += 1;
                eprintln!("put {pk}: {}", error_code(&e));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("put {pk} never taken: {e:?}"),
        }
    }
}

#[tokio::test]
async fn a_follower_takes_over_when_the_leader_is_killed() {
    let Some((url, schema)) = database() else {
        return;
    };
    let mut leader = shared(&url, &schema, &[]);
    let follower = shared(&url, &schema, &[]);
    let client = follower.client();
    let arn = create_streamed_table(&leader.client(), "jobs").await;

    for i in 0..20 {
        if i == 10 {
            leader.kill();
        }
        put_until_taken(&client, "jobs", &format!("j{i:02}")).await;
    }
    // The follower leads now: its writes, its stream, its background work.
    assert_eq!(metric(&follower, "dynalith_leads").as_deref(), Some("1"));
    for i in 0..20 {
        assert!(
            get(&client, "jobs", &format!("j{i:02}")).await.is_some(),
            "j{i:02}"
        );
    }
    let records = stream_records(&follower.endpoint, &arn).await;
    let written: Vec<String> = records
        .iter()
        .map(|r| match &r.dynamodb().unwrap().keys().unwrap()["pk"] {
            aws_sdk_dynamodbstreams::types::AttributeValue::S(pk) => pk.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    let expected: Vec<String> = (0..20).map(|i| format!("j{i:02}")).collect();
    assert_eq!(
        written, expected,
        "one record per write, in order, across the takeover"
    );
    let sequence: Vec<u128> = records
        .iter()
        .map(|r| {
            r.dynamodb()
                .unwrap()
                .sequence_number()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(sequence.windows(2).all(|w| w[0] < w[1]), "{sequence:?}");

    // A server started now follows the new leader, and passes its
    // responses on unchanged (boto3 checks the CRC32 header).
    let newcomer = shared(&url, &schema, &[]);
    put_until_taken(&newcomer.client(), "jobs", "late").await;
    assert!(get(&client, "jobs", "late").await.is_some());
    let answer = call(
        &newcomer.address(),
        "PutItem",
        r#"{"TableName":"jobs","Item":{"pk":{"S":"raw"}},"ReturnValues":"ALL_OLD"}"#,
    );
    assert_eq!(
        answer.status,
        200,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    let crc: u32 = answer
        .header("x-amz-crc32")
        .expect("x-amz-crc32")
        .parse()
        .unwrap();
    assert_eq!(crc, crc32fast::hash(&answer.body));
    assert!(get(&client, "jobs", "raw").await.is_some());
}

/// What one writer saw: writes acknowledged, and additions to the shared
/// counter acknowledged or of unknown outcome (an error after sending).
#[derive(Default)]
struct Seen {
    acknowledged: Vec<String>,
    added: i64,
    maybe_added: i64,
}

#[tokio::test]
async fn writes_through_every_server_lose_nothing_acknowledged_when_the_leader_is_killed() {
    let Some((url, schema)) = database() else {
        return;
    };
    let mut leader = shared(&url, &schema, &[]);
    let followers = [shared(&url, &schema, &[]), shared(&url, &schema, &[])];
    common::create_table(&leader.client(), "ledger", None).await;
    let servers: Vec<&Server> = std::iter::once(&leader).chain(&followers).collect();
    let stop_at = Instant::now() + Duration::from_secs(4);
    let mut writers = Vec::new();
    for writer in 0..4 {
        // Every send counted: no retries inside the SDK.
        let clients: Vec<Client> = servers.iter().map(|s| common::without_retries(s)).collect();
        writers.push(tokio::spawn(async move {
            let mut seen = Seen::default();
            let mut n = 0;
            while Instant::now() < stop_at {
                let client = &clients[n % clients.len()];
                let pk = format!("w{writer}-{n}");
                let put = client
                    .put_item()
                    .table_name("ledger")
                    .item("pk", Av::S(pk.clone()))
                    .condition_expression("attribute_not_exists(pk)")
                    .send()
                    .await;
                if put.is_ok() {
                    seen.acknowledged.push(pk);
                }
                let add = client
                    .update_item()
                    .table_name("ledger")
                    .set_key(Some(key("total")))
                    .update_expression("ADD n :one")
                    .expression_attribute_values(":one", Av::N("1".into()))
                    .send()
                    .await;
                match add {
                    Ok(_) => seen.added += 1,
                    // Refused before it ran: a 503 from a follower that
                    // could not reach a leader, or a connection refused.
                    Err(e) if error_code(&e) == "ServiceUnavailable" || never_sent(&e) => {}
                    // A connection the killed leader dropped after taking
                    // the request among them: it may have committed.
                    Err(_) => seen.maybe_added += 1,
                }
                n += 1;
            }
            seen
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    leader.kill();
    let mut seen = Seen::default();
    for writer in writers {
        let one = writer.await.expect("writer");
        seen.acknowledged.extend(one.acknowledged);
        seen.added += one.added;
        seen.maybe_added += one.maybe_added;
    }
    let client = followers[0].client();
    for pk in &seen.acknowledged {
        assert!(
            get(&client, "ledger", pk).await.is_some(),
            "acknowledged {pk} lost"
        );
    }
    let total: i64 = match &get(&client, "ledger", "total").await.expect("counter")["n"] {
        Av::N(n) => n.parse().unwrap(),
        other => panic!("{other:?}"),
    };
    assert!(
        seen.added <= total && total <= seen.added + seen.maybe_added,
        "counter {total}: {} acknowledged, {} of unknown outcome",
        seen.added,
        seen.maybe_added
    );
    println!(
        "{} puts and {} additions acknowledged ({} unknown) across the takeover",
        seen.acknowledged.len(),
        seen.added,
        seen.maybe_added
    );
}

#[tokio::test]
async fn with_enforced_throughput_one_server_meters_every_request() {
    let Some((url, schema)) = database() else {
        return;
    };
    let leader = shared(&url, &schema, &["--enforce-throughput"]);
    let follower = shared(&url, &schema, &["--enforce-throughput"]);
    let (on_leader, on_follower) = (
        common::without_retries(&leader),
        common::without_retries(&follower),
    );
    on_leader
        .create_table()
        .table_name("metered")
        .key_schema(key_element("pk", KeyType::Hash))
        .attribute_definitions(attribute_definition("pk", ScalarAttributeType::S))
        .provisioned_throughput(common::provisioned_throughput(5, 100))
        .send()
        .await
        .expect("create table");
    on_leader
        .put_item()
        .table_name("metered")
        .item("pk", Av::S("big".into()))
        .item("data", Av::S("x".repeat(40 * 1024 - 100)))
        .send()
        .await
        .expect("put");
    let read = |client: &Client| {
        client
            .get_item()
            .table_name("metered")
            .set_key(Some(key("big")))
            .consistent_read(true)
            .send()
    };
    // A new table has a second of capacity (5 units); the 40 KB read costs
    // 10 and runs, leaving a deficit that refuses the next read, whichever
    // server it reaches: the two share the table's capacity.
    read(&on_follower).await.expect("first read");
    for client in [&on_leader, &on_follower] {
        let refused = read(client).await.map(|_| ()).expect_err("capacity spent");
        assert_eq!(
            error_code(&refused),
            "ProvisionedThroughputExceededException"
        );
    }
    assert_eq!(
        metric(
            &follower,
            r#"dynalith_requests_total{operation="GetItem",outcome="ok"}"#
        ),
        None,
        "the follower passed its reads on"
    );
    assert_eq!(
        metric(
            &leader,
            r#"dynalith_requests_total{operation="GetItem",outcome="ok"}"#
        )
        .as_deref(),
        Some("1")
    );
}

#[tokio::test]
async fn followers_report_the_transient_statuses_the_leader_does() {
    let Some((url, schema)) = database() else {
        return;
    };
    let delay = ["--transient-status-ms", "3000"];
    let leader = shared(&url, &schema, &delay);
    let follower = shared(&url, &schema, &delay);
    let (on_leader, on_follower) = (leader.client(), follower.client());
    let status = |client: Client| async move {
        match client.describe_table().table_name("phases").send().await {
            Ok(answer) => Some(answer.table.unwrap().table_status.unwrap()),
            Err(e) => {
                assert_eq!(error_code(&e), "ResourceNotFoundException");
                None
            }
        }
    };
    let wait_for = |client: Client, wanted: Option<TableStatus>| async move {
        let start = Instant::now();
        while status(client.clone()).await != wanted {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "never {wanted:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };

    on_leader
        .create_table()
        .table_name("phases")
        .key_schema(key_element("pk", KeyType::Hash))
        .attribute_definitions(attribute_definition("pk", ScalarAttributeType::S))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("create table");
    assert_eq!(
        status(on_follower.clone()).await,
        Some(TableStatus::Creating)
    );
    let e = on_follower
        .get_item()
        .table_name("phases")
        .set_key(Some(key("a")))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ResourceNotFoundException");
    wait_for(on_follower.clone(), Some(TableStatus::Active)).await;

    // Deleted through the follower (so by the leader): DELETING for both.
    on_follower
        .delete_table()
        .table_name("phases")
        .send()
        .await
        .unwrap();
    assert_eq!(
        status(on_follower.clone()).await,
        Some(TableStatus::Deleting)
    );
    assert_eq!(status(on_leader.clone()).await, Some(TableStatus::Deleting));
    let listed = on_follower.list_tables().send().await.unwrap();
    assert_eq!(listed.table_names(), ["phases"]);
    wait_for(on_follower, None).await;
}
