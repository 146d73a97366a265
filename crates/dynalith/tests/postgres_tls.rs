//! TLS between dynalith and PostgreSQL: `sslmode=require` in the URL and
//! `--postgres-ca-file` for a private CA. Every connection the server
//! keeps is encrypted (PostgreSQL's own `pg_stat_ssl` says so), the
//! server's certificate is verified, and misconfigurations stop the server
//! at start-up with a message that says what is wrong.
//!
//! Needs `DYNALITH_TEST_POSTGRES` (a database URL) and
//! `DYNALITH_TEST_POSTGRES_CA` (the CA that issued its certificate), as
//! scripts/test.sh sets them from scripts/postgres.sh's server; without
//! them the tests print a note and pass.

mod common;

use aws_sdk_dynamodb::types::AttributeValue as Av;
use common::{create_table, unique_table, Server};
use std::process::Command;

/// The database's URL and its CA file, when the environment names both.
fn database() -> Option<(String, String)> {
    let url = common::test_postgres_url();
    let ca = std::env::var("DYNALITH_TEST_POSTGRES_CA")
        .ok()
        .filter(|c| !c.is_empty());
    match (url, ca) {
        (Some(url), Some(ca)) => Some((url, ca)),
        _ => {
            eprintln!("DYNALITH_TEST_POSTGRES / DYNALITH_TEST_POSTGRES_CA not set: skipped");
            None
        }
    }
}

fn with_ssl_mode(url: &str, mode: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}sslmode={mode}")
}

fn schema(test: &str) -> String {
    format!("tls_{test}_{}", std::process::id())
}

/// Whether each connection named for `schema` uses TLS. (On a thread of
/// its own: the blocking client runs a runtime of its own.)
fn connections_use_tls(url: &str, schema: &str) -> Vec<bool> {
    let (url, schema) = (url.to_string(), schema.to_string());
    std::thread::spawn(move || query_connections(&url, &schema))
        .join()
        .expect("query thread")
}

fn query_connections(url: &str, schema: &str) -> Vec<bool> {
    let mut admin = postgres::Client::connect(url, postgres::NoTls).expect("connect to PostgreSQL");
    admin
        .query(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.application_name IN ($1, $2)",
            &[
                &format!("dynalith schema {schema}"),
                &format!("dynalith owner of schema {schema}"),
            ],
        )
        .expect("pg_stat_ssl")
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[tokio::test]
async fn data_in_postgres_over_verified_tls() {
    let Some((url, ca)) = database() else { return };
    let schema = schema("verified");
    let server = Server::start_on_postgres_with(
        &with_ssl_mode(&url, "require"),
        &schema,
        &["--postgres-ca-file", &ca],
    );
    let client = server.client();
    let table = unique_table("pgtls");
    create_table(&client, &table, None).await;
    for i in 0..20 {
        client
            .put_item()
            .table_name(&table)
            .item("pk", Av::S(format!("k{i}")))
            .item("v", Av::N(i.to_string()))
            .send()
            .await
            .expect("put");
    }
    let scanned = client
        .scan()
        .table_name(&table)
        .consistent_read(true)
        .send()
        .await
        .expect("scan");
    assert_eq!(scanned.count(), 20);

    let tls = connections_use_tls(&url, &schema);
    // The schema's keeper and at least one pooled connection.
    assert!(tls.len() >= 2, "connections found: {tls:?}");
    assert!(tls.iter().all(|&ssl| ssl), "a plain connection: {tls:?}");

    // The same schema over plain connections (the URL asks for none), as a
    // check that the query above tells the two apart.
    drop(server);
    let plain = Server::start_on_postgres(&url, &schema);
    plain
        .client()
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .expect("the data is there over plain connections too");
    // The killed server's backends may take a moment to go.
    let mut tls = connections_use_tls(&url, &schema);
    for _ in 0..50 {
        if !tls.is_empty() && tls.iter().all(|&ssl| !ssl) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        tls = connections_use_tls(&url, &schema);
    }
    assert!(
        !tls.is_empty() && tls.iter().all(|&ssl| !ssl),
        "expected plain connections: {tls:?}"
    );
}

/// Runs the server on the database with `url` and these flags; it must
/// fail at start-up. Returns its stderr.
fn failed_start(url: &str, schema: &str, flags: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_dynalith"))
        .args([
            "serve",
            "--port",
            "0",
            "--postgres",
            url,
            "--postgres-schema",
            schema,
        ])
        .args(flags)
        .output()
        .expect("run dynalith");
    assert!(
        !output.status.success(),
        "started with {flags:?}: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn unverifiable_or_inconsistent_tls_settings_stop_the_server() {
    let Some((url, ca)) = database() else { return };
    let schema = schema("refused");
    let required = with_ssl_mode(&url, "require");
    // The test CA is in no system store: the certificate cannot be verified.
    let stderr = failed_start(&required, &schema, &[]);
    assert!(
        stderr.contains("cannot connect to PostgreSQL") && stderr.contains("certificate"),
        "{stderr}"
    );
    // A CA file that is not one.
    let dir = tempfile::tempdir().expect("temp dir");
    let not_pem = dir.path().join("ca.pem");
    std::fs::write(&not_pem, "no certificate here").expect("write");
    let stderr = failed_start(
        &required,
        &schema,
        &["--postgres-ca-file", not_pem.to_str().expect("utf-8 path")],
    );
    assert!(stderr.contains("no usable CA certificate"), "{stderr}");
    // A CA file without sslmode=require would protect nothing.
    let stderr = failed_start(&url, &schema, &["--postgres-ca-file", &ca]);
    assert!(stderr.contains("needs sslmode=require"), "{stderr}");
    let stderr = failed_start(
        &with_ssl_mode(&url, "disable"),
        &schema,
        &["--postgres-ca-file", &ca],
    );
    assert!(stderr.contains("needs sslmode=require"), "{stderr}");
}
