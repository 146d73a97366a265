//! Kinesis Data Streams destinations' control plane through the AWS SDK
//! for Rust: Enable, Describe, Update and DisableKinesisStreamingDestination
//! with their statuses, state rules and validation, across DeleteTable and
//! a restart. Delivery to a Kinesis emulator and reading the records back
//! with the Kinesis client is tests/js/kinesis-destinations.test.mjs; here
//! the endpoint is a sink that takes every call.

mod common;

use aws_sdk_dynamodb::operation::enable_kinesis_streaming_destination::builders::EnableKinesisStreamingDestinationFluentBuilder as EnableRequest;
use aws_sdk_dynamodb::types::{
    ApproximateCreationDateTimePrecision as Precision, DestinationStatus,
    EnableKinesisStreamingConfiguration, UpdateKinesisStreamingConfiguration,
};
use aws_sdk_dynamodb::Client;
use base64::Engine as _;
use common::{create_table, error_code, error_message, unique_table, Server};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_rustls::rustls::{ServerConfig, ServerConnection, StreamOwned};

const STREAM: &str = "arn:aws:kinesis:us-east-1:000000000000:stream/orders";
const OTHER_STREAM: &str = "arn:aws:kinesis:us-east-1:000000000000:stream/audit";

/// What an [`accepting_kinesis`] was sent: every record's data, parsed,
/// and every request's Authorization header.
#[derive(Clone, Default)]
struct Received {
    records: Arc<Mutex<Vec<serde_json::Value>>>,
    authorizations: Arc<Mutex<Vec<String>>>,
}

/// A Kinesis endpoint that answers every call with success (a stream
/// summary for DescribeStreamSummary, no failed record for PutRecords) and
/// keeps what it is sent.
fn accepting_kinesis() -> (String, Received) {
    accepting_kinesis_with(None)
}

/// The same, over TLS with `tls`.
fn accepting_kinesis_with(tls: Option<Arc<ServerConfig>>) -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let url = match tls {
        Some(_) => format!("https://localhost:{port}"),
        None => format!("http://127.0.0.1:{port}"),
    };
    let received = Received::default();
    let sink = received.clone();
    trait Stream: Read + Write {}
    impl<T: Read + Write> Stream for T {}
    std::thread::spawn(move || {
        for connection in listener.incoming() {
            let Ok(connection) = connection else {
                return;
            };
            let mut connection: Box<dyn Stream> = match &tls {
                None => Box::new(connection),
                Some(config) => Box::new(StreamOwned::new(
                    ServerConnection::new(config.clone()).expect("TLS session"),
                    connection,
                )),
            };
            let mut reader = BufReader::new(&mut connection);
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                if line.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = line.split_once(':') {
                    if name.eq_ignore_ascii_case("content-length") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                    if name.eq_ignore_ascii_case("authorization") {
                        let value = value.trim().to_string();
                        sink.authorizations.lock().expect("headers").push(value);
                    }
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            drop(reader);
            let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            for record in request["Records"].as_array().into_iter().flatten() {
                let data = base64::engine::general_purpose::STANDARD
                    .decode(record["Data"].as_str().unwrap_or_default())
                    .expect("base64 data");
                let data = serde_json::from_slice(&data).expect("JSON data");
                sink.records.lock().expect("records").push(data);
            }
            let answer = r#"{"FailedRecordCount":0,"Records":[],"StreamDescriptionSummary":{"StreamStatus":"ACTIVE"}}"#;
            let _ = write!(
                connection,
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
            let _ = connection.flush();
        }
    });
    (url, received)
}

/// The keys (`pk`) of the records received, once there are `count`.
async fn wait_for_records(received: &Received, count: usize) -> Vec<String> {
    for _ in 0..100 {
        let keys: Vec<String> = received
            .records
            .lock()
            .expect("records")
            .iter()
            .map(|r| {
                r["dynamodb"]["Keys"]["pk"]["S"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            })
            .collect();
        if keys.len() >= count {
            return keys;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "fewer than {count} records: {:?}",
        received.records.lock().expect("records")
    );
}

/// An EnableKinesisStreamingDestination of `stream` for `table`, to send.
fn enable(client: &Client, table: &str, stream: &str) -> EnableRequest {
    client
        .enable_kinesis_streaming_destination()
        .table_name(table)
        .stream_arn(stream)
}

/// Puts the item `{pk: pk}`.
async fn put(client: &Client, table: &str, pk: &str) {
    client
        .put_item()
        .table_name(table)
        .item("pk", aws_sdk_dynamodb::types::AttributeValue::S(pk.into()))
        .send()
        .await
        .expect("put");
}

/// The destination of `table` for `stream`, once its status is `status`.
async fn wait_for_status(
    client: &Client,
    table: &str,
    stream: &str,
    status: DestinationStatus,
) -> aws_sdk_dynamodb::types::KinesisDataStreamDestination {
    let mut last = None;
    for _ in 0..100 {
        let described = client
            .describe_kinesis_streaming_destination()
            .table_name(table)
            .send()
            .await
            .expect("describe destinations");
        last = described
            .kinesis_data_stream_destinations()
            .iter()
            .find(|d| d.stream_arn() == Some(stream))
            .cloned();
        if last.as_ref().and_then(|d| d.destination_status()) == Some(&status) {
            return last.expect("found");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{stream} never {status:?}: {last:?}");
}

#[tokio::test]
async fn without_an_endpoint_enabling_fails_and_says_why() {
    let server = Server::start_with(&[]);
    let client = server.client();
    let table = unique_table("kds_none");
    create_table(&client, &table, None).await;
    let described = client
        .describe_kinesis_streaming_destination()
        .table_name(&table)
        .send()
        .await
        .expect("describe");
    assert_eq!(described.table_name(), Some(table.as_str()));
    assert!(described.kinesis_data_stream_destinations().is_empty());

    let enabled = enable(&client, &table, STREAM)
        .send()
        .await
        .expect("enable");
    assert_eq!(
        enabled.destination_status(),
        Some(&DestinationStatus::Enabling)
    );
    assert_eq!(enabled.stream_arn(), Some(STREAM));
    let failed = wait_for_status(&client, &table, STREAM, DestinationStatus::EnableFailed).await;
    assert!(
        failed
            .destination_status_description()
            .is_some_and(|d| d.contains("--kinesis-endpoint")),
        "{failed:?}"
    );
    assert_eq!(
        failed.approximate_creation_date_time_precision(),
        Some(&Precision::Microsecond)
    );
    // Writes are unaffected.
    put(&client, &table, "a").await;
}

#[tokio::test]
async fn statuses_follow_enable_update_and_disable_and_the_state_rules_hold() {
    let (kinesis, _) = accepting_kinesis();
    let server = Server::start_with(&["--kinesis-endpoint", &kinesis]);
    let client = server.client();
    let table = unique_table("kds_states");
    create_table(&client, &table, None).await;

    // Nothing to disable or update yet.
    let error = client
        .disable_kinesis_streaming_destination()
        .table_name(&table)
        .stream_arn(STREAM)
        .send()
        .await
        .expect_err("not enabled");
    assert_eq!(error_code(&error), "ValidationException");
    assert_eq!(
        error_message(&error),
        "Table is not in a valid state to disable Kinesis Streaming Destination: \
         DisableKinesisStreamingDestination must be ACTIVE to perform DISABLE operation."
    );
    let update = |precision: Precision| {
        client
            .update_kinesis_streaming_destination()
            .table_name(&table)
            .stream_arn(STREAM)
            .update_kinesis_streaming_configuration(
                UpdateKinesisStreamingConfiguration::builder()
                    .approximate_creation_date_time_precision(precision)
                    .build(),
            )
            .send()
    };
    let error = update(Precision::Millisecond)
        .await
        .expect_err("not enabled");
    assert_eq!(error_code(&error), "ValidationException");
    assert!(
        error_message(&error).contains("must be ACTIVE to perform UPDATE operation"),
        "{}",
        error_message(&error)
    );

    let enabled = enable(&client, &table, STREAM)
        .enable_kinesis_streaming_configuration(
            EnableKinesisStreamingConfiguration::builder()
                .approximate_creation_date_time_precision(Precision::Millisecond)
                .build(),
        )
        .send()
        .await
        .expect("enable");
    assert_eq!(
        enabled.destination_status(),
        Some(&DestinationStatus::Enabling)
    );
    assert_eq!(
        enabled
            .enable_kinesis_streaming_configuration()
            .and_then(|c| c.approximate_creation_date_time_precision()),
        Some(&Precision::Millisecond)
    );
    let active = wait_for_status(&client, &table, STREAM, DestinationStatus::Active).await;
    assert_eq!(
        active.approximate_creation_date_time_precision(),
        Some(&Precision::Millisecond)
    );
    // What the destination keeps is no DynamoDB stream: the table has none.
    let streams = common::call_streams(
        &server.address(),
        "ListStreams",
        &format!(r#"{{"TableName":"{table}"}}"#),
    );
    assert_eq!(streams.json()["Streams"], serde_json::json!([]));

    // One destination at a time, whichever stream a second names.
    for stream in [STREAM, OTHER_STREAM] {
        let error = enable(&client, &table, stream)
            .send()
            .await
            .expect_err("already enabled");
        assert_eq!(error_code(&error), "ValidationException");
        assert_eq!(
            error_message(&error),
            "Table is not in a valid state to enable Kinesis Streaming Destination: \
             EnableKinesisStreamingDestination must be DISABLED or ENABLE_FAILED to perform \
             ENABLE operation."
        );
    }

    let error = update(Precision::Millisecond).await.expect_err("no change");
    assert_eq!(error_code(&error), "ValidationException");
    let updated = update(Precision::Microsecond).await.expect("update");
    assert_eq!(
        updated.destination_status(),
        Some(&DestinationStatus::Updating)
    );
    let active = wait_for_status(&client, &table, STREAM, DestinationStatus::Active).await;
    assert_eq!(
        active.approximate_creation_date_time_precision(),
        Some(&Precision::Microsecond)
    );

    // Only the ACTIVE destination's stream can be disabled.
    let error = client
        .disable_kinesis_streaming_destination()
        .table_name(&table)
        .stream_arn(OTHER_STREAM)
        .send()
        .await
        .expect_err("another stream");
    assert_eq!(error_code(&error), "ValidationException");
    let disabled = client
        .disable_kinesis_streaming_destination()
        .table_name(&table)
        .stream_arn(STREAM)
        .send()
        .await
        .expect("disable");
    assert_eq!(
        disabled.destination_status(),
        Some(&DestinationStatus::Disabling)
    );
    wait_for_status(&client, &table, STREAM, DestinationStatus::Disabled).await;

    // Another stream now; the first stays listed, DISABLED.
    enable(&client, &table, OTHER_STREAM)
        .send()
        .await
        .expect("enable another");
    wait_for_status(&client, &table, OTHER_STREAM, DestinationStatus::Active).await;
    let described = client
        .describe_kinesis_streaming_destination()
        .table_name(&table)
        .send()
        .await
        .expect("describe");
    let statuses: Vec<_> = described
        .kinesis_data_stream_destinations()
        .iter()
        .map(|d| {
            (
                d.stream_arn().unwrap_or_default(),
                d.destination_status().cloned(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            (STREAM, Some(DestinationStatus::Disabled)),
            (OTHER_STREAM, Some(DestinationStatus::Active)),
        ]
    );

    // A table deleted and made again starts without destinations.
    client
        .delete_table()
        .table_name(&table)
        .send()
        .await
        .expect("delete");
    let error = client
        .describe_kinesis_streaming_destination()
        .table_name(&table)
        .send()
        .await
        .expect_err("deleted");
    assert_eq!(error_code(&error), "ResourceNotFoundException");
    create_table(&client, &table, None).await;
    let described = client
        .describe_kinesis_streaming_destination()
        .table_name(&table)
        .send()
        .await
        .expect("describe");
    assert!(described.kinesis_data_stream_destinations().is_empty());
}

#[tokio::test]
async fn requests_are_validated_as_dynamodb_validates_them() {
    let server = Server::start_with(&[]);
    let client = server.client();
    let table = unique_table("kds_valid");
    create_table(&client, &table, None).await;

    let error = enable(&client, &table, "arn:aws:kinesis:short")
        .send()
        .await
        .expect_err("short ARN");
    assert_eq!(error_code(&error), "ValidationException");
    assert_eq!(
        error_message(&error),
        "1 validation error detected: Value 'arn:aws:kinesis:short' at 'streamArn' failed to \
         satisfy constraint: Member must have length greater than or equal to 37"
    );
    let error = enable(
        &client,
        &table,
        "arn:aws:sqs:us-east-1:000000000000:a-queue-not-a-stream",
    )
    .send()
    .await
    .expect_err("not a stream");
    assert_eq!(error_code(&error), "ValidationException");
    assert!(
        error_message(&error).contains("not the ARN of a Kinesis data stream"),
        "{}",
        error_message(&error)
    );
    let error = enable(&client, "no-such-table", STREAM)
        .send()
        .await
        .expect_err("no table");
    assert_eq!(error_code(&error), "ResourceNotFoundException");
    assert_eq!(
        error_message(&error),
        "Requested resource not found: Table: no-such-table not found"
    );
    let error = client
        .update_kinesis_streaming_destination()
        .table_name(&table)
        .stream_arn(STREAM)
        .send()
        .await
        .expect_err("nothing to update");
    assert_eq!(error_code(&error), "ValidationException");

    // What the SDK would not send, over raw HTTP.
    let address = server.address();
    let missing = common::call(
        &address,
        "EnableKinesisStreamingDestination",
        &format!(r#"{{"TableName":"{table}"}}"#),
    );
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.json()["message"],
        "1 validation error detected: Value null at 'streamArn' failed to satisfy constraint: \
         Member must not be null"
    );
    let precision = common::call(
        &address,
        "EnableKinesisStreamingDestination",
        &format!(
            r#"{{"TableName":"{table}","StreamArn":"{STREAM}","EnableKinesisStreamingConfiguration":{{"ApproximateCreationDateTimePrecision":"SECOND"}}}}"#
        ),
    );
    assert_eq!(precision.status, 400);
    assert_eq!(
        precision.json()["message"],
        "1 validation error detected: Value 'SECOND' at \
         'enableKinesisStreamingConfiguration.approximateCreationDateTimePrecision' failed to \
         satisfy constraint: Member must satisfy enum value set: [MILLISECOND, MICROSECOND]"
    );
    let wrong_type = common::call(
        &address,
        "DescribeKinesisStreamingDestination",
        r#"{"TableName":7}"#,
    );
    assert_eq!(
        wrong_type.error_type(),
        "com.amazon.coral.service#SerializationException"
    );
}

/// After a restart the destination is as it was, and changes made then are
/// delivered too: records numbered after the ones already delivered (and
/// deleted), not again from where the log began.
#[tokio::test]
async fn destinations_survive_a_restart_and_deliver_what_follows() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (kinesis, received) = accepting_kinesis();
    let table = unique_table("kds_restart");
    {
        let mut server = Server::start_durable_with(dir.path(), &["--kinesis-endpoint", &kinesis]);
        let client = server.client();
        create_table(&client, &table, None).await;
        enable(&client, &table, STREAM)
            .send()
            .await
            .expect("enable");
        wait_for_status(&client, &table, STREAM, DestinationStatus::Active).await;
        put(&client, &table, "before-1").await;
        put(&client, &table, "before-2").await;
        assert_eq!(
            wait_for_records(&received, 2).await,
            ["before-1", "before-2"]
        );
        // A clean stop, so that the delivered position is on disk (after a
        // crash the last batches may be sent again: at least once).
        assert!(server.terminate().success());
    }
    let server = Server::start_durable_with(dir.path(), &["--kinesis-endpoint", &kinesis]);
    let client = server.client();
    let active = wait_for_status(&client, &table, STREAM, DestinationStatus::Active).await;
    assert_eq!(
        active.approximate_creation_date_time_precision(),
        Some(&Precision::Microsecond)
    );
    put(&client, &table, "after").await;
    assert_eq!(
        wait_for_records(&received, 3).await,
        ["before-1", "before-2", "after"]
    );
    // /metrics counts what this server delivered.
    common::wait_for_metric(
        &server.address(),
        &format!(
            r#"dynalith_delivered_records_total{{kind="kinesis",table="{table}",target="{STREAM}"}} 1"#
        ),
    );
}

/// An https:// endpoint is verified against --stream-trigger-ca-file, and
/// calls are signed with --kinesis-credentials' access key.
#[tokio::test]
async fn an_https_endpoint_gets_records_signed_with_the_given_credentials() {
    let generated =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("certificate");
    let dir = tempfile::tempdir().expect("temp dir");
    let ca = dir.path().join("kinesis.crt");
    std::fs::write(&ca, generated.cert.pem()).expect("write CA");
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocols")
        .with_no_client_auth()
        .with_single_cert(
            vec![generated.cert.der().clone()],
            tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(
                generated.key_pair.serialize_der().into(),
            ),
        )
        .expect("TLS config");
    let (kinesis, received) = accepting_kinesis_with(Some(Arc::new(config)));
    assert!(kinesis.starts_with("https://"));
    let server = Server::start_with(&[
        "--kinesis-endpoint",
        &kinesis,
        "--stream-trigger-ca-file",
        ca.to_str().expect("utf-8 path"),
        "--kinesis-credentials",
        "AKIDKINESIS:kinesis/secret",
    ]);
    let client = server.client();
    let table = unique_table("kds_https");
    create_table(&client, &table, None).await;
    enable(
        &client,
        &table,
        "arn:aws:kinesis:eu-central-1:000000000000:stream/orders",
    )
    .send()
    .await
    .expect("enable");
    wait_for_status(
        &client,
        &table,
        "arn:aws:kinesis:eu-central-1:000000000000:stream/orders",
        DestinationStatus::Active,
    )
    .await;
    put(&client, &table, "tls").await;
    assert_eq!(wait_for_records(&received, 1).await, ["tls"]);
    let authorizations = received.authorizations.lock().expect("headers").clone();
    assert!(!authorizations.is_empty());
    for authorization in authorizations {
        assert!(
            authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDKINESIS/")
                && authorization.contains("/eu-central-1/kinesis/aws4_request,"),
            "{authorization}"
        );
    }
}
