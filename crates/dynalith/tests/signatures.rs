//! SigV4 verification (`--credentials`) through the AWS SDKs: requests
//! signed with a configured key's secret are served, DynamoDB's and the
//! Streams API's alike; a wrong secret, an unknown key and an unsigned
//! request get DynamoDB's errors. Without `--credentials` any signature is
//! accepted (every other test relies on that).

mod common;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use common::{error_code, unique_table, Server};

fn client(server: &Server, key: &str, secret: &str) -> Client {
    common::signed_client(&server.endpoint, "eu-west-1", key, secret)
}

#[tokio::test]
async fn only_requests_signed_with_a_configured_secret_are_served() {
    let server = Server::start_with(&[
        "--credentials",
        "AKIDGOOD:s3cr3t/with+chars",
        "--credentials",
        "AKIDOTHER:another",
    ]);
    let good = client(&server, "AKIDGOOD", "s3cr3t/with+chars");
    let name = unique_table("signed");
    common::create_table(&good, &name, None).await;
    good.put_item()
        .table_name(&name)
        .item("pk", AttributeValue::S("a b  c".into()))
        .item("text", AttributeValue::S("ünïcödé ✓".into()))
        .send()
        .await
        .unwrap();
    let got = good
        .get_item()
        .table_name(&name)
        .key("pk", AttributeValue::S("a b  c".into()))
        .send()
        .await
        .unwrap();
    assert!(got.item().is_some());
    // The region of ARNs is the signature's.
    let table = good
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert!(table
        .table_arn()
        .unwrap()
        .starts_with("arn:aws:dynamodb:eu-west-1:"));
    let other = client(&server, "AKIDOTHER", "another");
    other.list_tables().send().await.unwrap();

    let wrong_secret = client(&server, "AKIDGOOD", "not-the-secret");
    let refused = wrong_secret.list_tables().send().await.unwrap_err();
    assert_eq!(error_code(&refused), "InvalidSignatureException");
    let unknown_key = client(&server, "AKIDUNKNOWN", "s3cr3t/with+chars");
    let refused = unknown_key.list_tables().send().await.unwrap_err();
    assert_eq!(error_code(&refused), "UnrecognizedClientException");

    let unsigned = common::raw_request(
        &server.address(),
        "POST",
        &[
            ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ("Content-Type", "application/x-amz-json-1.0"),
        ],
        b"{}",
    );
    assert_eq!(unsigned.status, 400);
    assert!(unsigned
        .error_type()
        .ends_with("#MissingAuthenticationTokenException"));
    // A well-formed header with a signature made up.
    let forged = common::call(&server.address(), "ListTables", "{}");
    assert_eq!(forged.status, 400);
    assert!(
        forged
            .error_type()
            .ends_with("#UnrecognizedClientException"),
        "{}",
        forged.json()
    );

    // The Streams API checks signatures the same way.
    let streams = common::signed_streams_client(
        &server.endpoint,
        "eu-west-1",
        "AKIDGOOD",
        "s3cr3t/with+chars",
    );
    streams.list_streams().send().await.unwrap();
}
