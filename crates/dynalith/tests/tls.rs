//! HTTPS (`--tls-cert`, `--tls-key`) through the AWS SDK for Rust: a
//! client trusting the server's certificate works as over HTTP; one that
//! does not, or that speaks plain HTTP to the port, gets nothing; slow and
//! failed handshakes hold up no one; bad certificate files stop the server
//! at start-up with a message naming the file; SIGHUP reloads the files.

mod common;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::AttributeValue as Av;
use aws_sdk_dynamodb::Client;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use common::{create_table, unique_table, Server};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A self-signed certificate for localhost and 127.0.0.1, written as PEM
/// files into `dir`: (certificate, key, certificate's PEM text).
fn make_certificate(dir: &Path, name: &str) -> (PathBuf, PathBuf, String) {
    let generated =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("generate a certificate");
    let certificate_pem = generated.cert.pem();
    let certificate = dir.join(format!("{name}.crt"));
    let key = dir.join(format!("{name}.key"));
    std::fs::write(&certificate, &certificate_pem).expect("write certificate");
    std::fs::write(&key, generated.key_pair.serialize_pem()).expect("write key");
    (certificate, key, certificate_pem)
}

fn https_server(certificate: &Path, key: &Path) -> Server {
    let server = Server::start_with(&[
        "--tls-cert",
        certificate.to_str().expect("utf-8 path"),
        "--tls-key",
        key.to_str().expect("utf-8 path"),
    ]);
    assert!(
        server.endpoint.starts_with("https://"),
        "{}",
        server.endpoint
    );
    server
}

/// An SDK client that trusts `trusted_pem` (and no other roots), or the
/// system's roots when None.
fn client(endpoint: &str, trusted_pem: Option<&str>) -> Client {
    let mut http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
    if let Some(pem) = trusted_pem {
        let context = TlsContext::builder()
            .with_trust_store(
                TrustStore::empty()
                    .with_native_roots(false)
                    .with_pem_certificate(pem.as_bytes()),
            )
            .build()
            .expect("TLS context");
        http = http.tls_context(context);
    }
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        .http_client(http.build_https())
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

#[tokio::test]
async fn the_sdk_works_over_https() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (certificate, key, pem) = make_certificate(dir.path(), "server");
    let server = https_server(&certificate, &key);
    // By name as well as by address: the certificate carries both.
    let by_name = server.endpoint.replace("127.0.0.1", "localhost");
    for endpoint in [server.endpoint.as_str(), by_name.as_str()] {
        let client = client(endpoint, Some(&pem));
        let table = unique_table("tls");
        create_table(
            &client,
            &table,
            Some(aws_sdk_dynamodb::types::ScalarAttributeType::S),
        )
        .await;
        for sk in ["a", "b", "c"] {
            client
                .put_item()
                .table_name(&table)
                .item("pk", Av::S("p".into()))
                .item("sk", Av::S(sk.into()))
                .item("payload", Av::S("x".repeat(2000)))
                .send()
                .await
                .expect("put over https");
        }
        let got = client
            .get_item()
            .table_name(&table)
            .key("pk", Av::S("p".into()))
            .key("sk", Av::S("b".into()))
            .send()
            .await
            .expect("get over https");
        assert_eq!(
            got.item().and_then(|i| i.get("payload")),
            Some(&Av::S("x".repeat(2000)))
        );
        let query = client
            .query()
            .table_name(&table)
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", Av::S("p".into()))
            .limit(2)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .expect("paged query over https");
        assert_eq!(query.len(), 3);
        // Errors keep their type over TLS.
        let missing = client
            .describe_table()
            .table_name("no-such-table")
            .send()
            .await
            .expect_err("no such table");
        assert_eq!(common::error_code(&missing), "ResourceNotFoundException");
    }
}

#[tokio::test]
async fn clients_without_trust_or_tls_get_nothing_and_the_server_carries_on() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (certificate, key, pem) = make_certificate(dir.path(), "server");
    let server = https_server(&certificate, &key);
    let address = server.endpoint.trim_start_matches("https://").to_string();

    // A client that does not trust the self-signed certificate.
    let untrusting = client(&server.endpoint, None);
    let error = untrusting
        .list_tables()
        .send()
        .await
        .expect_err("an untrusted certificate must fail the request");
    assert!(
        matches!(error, aws_sdk_dynamodb::error::SdkError::DispatchFailure(_)),
        "{error:?}"
    );

    // Plain HTTP to the HTTPS port: no HTTP response comes back.
    let mut plain = TcpStream::connect(&address).expect("connect");
    plain
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    plain
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .expect("write");
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer);
    assert!(
        !answer.starts_with(b"HTTP/"),
        "plain HTTP was answered: {:?}",
        String::from_utf8_lossy(&answer)
    );

    // A connection that never starts its handshake holds up no one.
    let _stalled = TcpStream::connect(&address).expect("connect");
    let trusting = client(&server.endpoint, Some(&pem));
    let tables = tokio::time::timeout(Duration::from_secs(5), trusting.list_tables().send())
        .await
        .expect("answered beside a stalled handshake")
        .expect("list tables");
    assert!(tables.table_names().is_empty());
}

/// Runs the server with these flags; it must fail at start-up. Returns
/// its stderr.
fn failed_start(flags: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_dynalith"))
        .args(["serve", "--in-memory", "--port", "0"])
        .args(flags)
        .output()
        .expect("run dynalith");
    assert!(
        !output.status.success(),
        "started with {flags:?}: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("listening"),
        "listened with {flags:?}"
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn bad_certificate_files_stop_the_server_at_start_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (certificate, key, _) = make_certificate(dir.path(), "one");
    let (_, other_key, _) = make_certificate(dir.path(), "two");
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "not a certificate").expect("write");
    let missing = dir.path().join("missing.pem");
    let path = |p: &Path| p.to_str().expect("utf-8 path").to_string();

    let stderr = failed_start(&["--tls-cert", &path(&missing), "--tls-key", &path(&key)]);
    assert!(
        stderr.contains("cannot read TLS certificates") && stderr.contains("missing.pem"),
        "{stderr}"
    );
    let stderr = failed_start(&["--tls-cert", &path(&not_pem), "--tls-key", &path(&key)]);
    assert!(
        stderr.contains("no certificate") && stderr.contains("not.pem"),
        "{stderr}"
    );
    let stderr = failed_start(&[
        "--tls-cert",
        &path(&certificate),
        "--tls-key",
        &path(&not_pem),
    ]);
    assert!(
        stderr.contains("cannot read a TLS private key") && stderr.contains("not.pem"),
        "{stderr}"
    );
    // A key that is not the certificate's.
    let stderr = failed_start(&[
        "--tls-cert",
        &path(&certificate),
        "--tls-key",
        &path(&other_key),
    ]);
    assert!(stderr.contains("cannot be used together"), "{stderr}");
    // One without the other is a usage error.
    let stderr = failed_start(&["--tls-cert", &path(&certificate)]);
    assert!(stderr.contains("--tls-key"), "{stderr}");
}

/// A server whose log (stderr, at info) the test reads as it comes.
fn https_server_with_log(
    certificate: &Path,
    key: &Path,
    extra: &[&str],
) -> (Server, Arc<Mutex<String>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dynalith"))
        .args(["serve", "--in-memory", "--port", "0", "--log-level", "info"])
        .arg("--tls-cert")
        .arg(certificate)
        .arg("--tls-key")
        .arg(key)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start dynalith");
    let endpoint = common::read_endpoint(&mut child);
    let log = Arc::new(Mutex::new(String::new()));
    let sink = log.clone();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let mut log = sink.lock().expect("log");
            log.push_str(&line);
            log.push('\n');
        }
    });
    let server = Server {
        child: Some(child),
        endpoint,
        scratch_dir: None,
    };
    (server, log)
}

/// Sends SIGHUP and waits until the log has one more line containing
/// `expected` than before.
async fn hang_up_and_wait_for(server: &Server, log: &Mutex<String>, expected: &str) {
    let before = log.lock().expect("log").matches(expected).count();
    let pid = server.child.as_ref().expect("own server").id().to_string();
    let status = Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .expect("kill -HUP");
    assert!(status.success());
    wait_for_log(log, expected, before).await;
}

/// Waits (up to 10 s) until the log has more than `before` lines
/// containing `expected`.
async fn wait_for_log(log: &Mutex<String>, expected: &str, before: usize) {
    for _ in 0..200 {
        if log.lock().expect("log").matches(expected).count() > before {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "no new {expected:?} in the log:\n{}",
        log.lock().expect("log")
    );
}

/// Whether a new client trusting only `pem` gets an answer.
async fn trusted_by(endpoint: &str, pem: &str) -> bool {
    client(endpoint, Some(pem))
        .list_tables()
        .send()
        .await
        .is_ok()
}

#[tokio::test]
async fn sighup_reloads_the_certificate_and_a_bad_rotation_keeps_the_old_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (certificate, key, first) = make_certificate(dir.path(), "server");
    let (server, log) = https_server_with_log(&certificate, &key, &[]);
    assert!(trusted_by(&server.endpoint, &first).await);

    // A rotation as cert-manager or certbot does it: new files moved into
    // place, then the signal.
    let (next_certificate, next_key, second) = make_certificate(dir.path(), "next");
    std::fs::rename(&next_certificate, &certificate).expect("rotate certificate");
    std::fs::rename(&next_key, &key).expect("rotate key");
    hang_up_and_wait_for(&server, &log, "TLS certificate reloaded").await;
    assert!(trusted_by(&server.endpoint, &second).await);
    assert!(
        !trusted_by(&server.endpoint, &first).await,
        "the old certificate is still served"
    );

    // Caught half-way (a new certificate beside the old key): the pair in
    // use stays, and the server keeps running.
    let (third_certificate, third_key, third) = make_certificate(dir.path(), "third");
    std::fs::rename(&third_certificate, &certificate).expect("rotate certificate");
    hang_up_and_wait_for(&server, &log, "TLS certificate not reloaded").await;
    assert!(
        log.lock().expect("log").contains("cannot be used together"),
        "{}",
        log.lock().expect("log")
    );
    assert!(trusted_by(&server.endpoint, &second).await);
    assert!(!trusted_by(&server.endpoint, &third).await);

    // The key arrives; the next SIGHUP takes the pair.
    std::fs::rename(&third_key, &key).expect("rotate key");
    hang_up_and_wait_for(&server, &log, "TLS certificate reloaded").await;
    assert!(trusted_by(&server.endpoint, &third).await);
    assert!(!trusted_by(&server.endpoint, &second).await);

    // A missing file is an error too, not a crash.
    std::fs::remove_file(&key).expect("remove key");
    hang_up_and_wait_for(&server, &log, "TLS certificate not reloaded").await;
    assert!(trusted_by(&server.endpoint, &third).await);
}

/// With --tls-reload-secs, a rotation is taken without a signal.
#[tokio::test]
async fn changed_certificate_files_are_reloaded_when_watched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (certificate, key, first) = make_certificate(dir.path(), "server");
    let (server, log) = https_server_with_log(&certificate, &key, &["--tls-reload-secs", "1"]);
    assert!(trusted_by(&server.endpoint, &first).await);
    let (next_certificate, next_key, second) = make_certificate(dir.path(), "next");
    std::fs::rename(&next_key, &key).expect("rotate key");
    std::fs::rename(&next_certificate, &certificate).expect("rotate certificate");
    wait_for_log(&log, "TLS certificate reloaded", 0).await;
    assert!(trusted_by(&server.endpoint, &second).await);
    assert!(!trusted_by(&server.endpoint, &first).await);
}

/// Without TLS, SIGHUP keeps its default action: a server started in a
/// terminal stops when the terminal closes.
#[test]
fn sighup_stops_a_server_without_tls() {
    let mut server = Server::start_with(&[]);
    let mut child = server.child.take().expect("own server");
    let pid = child.id().to_string();
    Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .expect("kill -HUP");
    let status = child.wait().expect("wait");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(1), "{status:?}");
}
