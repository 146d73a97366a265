//! Test harness: runs the real `dynalith` binary and talks to it through
//! the official AWS SDK for Rust (or raw HTTP for protocol details).
//!
//! Set `DYNALITH_TEST_ENDPOINT` (e.g. to a DynamoDB Local) to run the
//! SDK-level tests against another server instead.
#![allow(dead_code)]

pub mod receiver;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A running server, killed when dropped.
pub struct Server {
    pub child: Option<Child>,
    pub endpoint: String,
    /// The data directory made for a server started on disk in place of
    /// memory (`DYNALITH_TEST_ON_DISK`), removed when the server drops.
    pub scratch_dir: Option<tempfile::TempDir>,
}

impl Server {
    /// An in-memory server, or the external one named by DYNALITH_TEST_ENDPOINT.
    pub fn start() -> Server {
        if let Ok(endpoint) = std::env::var("DYNALITH_TEST_ENDPOINT") {
            return Server {
                child: None,
                endpoint,
                scratch_dir: None,
            };
        }
        Self::spawn(&["--in-memory"])
    }

    /// A durable server on `dir` (always our own binary).
    pub fn start_durable(dir: &Path) -> Server {
        Self::start_durable_with(dir, &[])
    }

    /// A durable server on `dir` with extra `serve` flags.
    pub fn start_durable_with(dir: &Path, extra: &[&str]) -> Server {
        let mut args = vec!["--data-dir", dir.to_str().expect("utf-8 temp dir")];
        args.extend_from_slice(extra);
        Self::spawn(&args)
    }

    /// An in-memory server of our own with extra `serve` flags.
    pub fn start_with(extra: &[&str]) -> Server {
        let mut args = vec!["--in-memory"];
        args.extend_from_slice(extra);
        Self::spawn(&args)
    }

    /// A server with its data in `schema` of the PostgreSQL database at
    /// `url` (whatever `DYNALITH_TEST_POSTGRES` says).
    pub fn start_on_postgres(url: &str, schema: &str) -> Server {
        Self::start_on_postgres_with(url, schema, &[])
    }

    /// The same, with extra `serve` flags.
    pub fn start_on_postgres_with(url: &str, schema: &str, extra: &[&str]) -> Server {
        let mut args = vec!["--postgres", url, "--postgres-schema", schema];
        args.extend_from_slice(extra);
        Self::spawn(&args)
    }

    /// Starts our binary; `DYNALITH_TEST_SERVE_ARGS` adds flags to every
    /// server the tests start (scripts/test.sh runs the differential tests
    /// again with the read caches on), unless the test gives flags of its
    /// own that it names.
    ///
    /// With `DYNALITH_TEST_POSTGRES` set to a database URL, every server
    /// keeps its data there instead: an in-memory server in a schema of its
    /// own, a durable one in the schema its data directory names (so that a
    /// restart on the same directory finds its data again).
    ///
    /// With `DYNALITH_TEST_ON_DISK=1`, a server that would run in memory
    /// (on the in-memory engine) runs on the embedded RocksDB engine
    /// instead, in a fresh directory of its own: scripts/test.sh runs the
    /// integration tests once more that way.
    fn spawn(extra: &[&str]) -> Server {
        let scratch_dir = (std::env::var("DYNALITH_TEST_ON_DISK").as_deref() == Ok("1")
            && extra.contains(&"--in-memory"))
        .then(|| tempfile::tempdir().expect("scratch data directory"));
        let on_disk: Vec<&str>;
        let extra = match &scratch_dir {
            Some(dir) => {
                on_disk = ["--data-dir", dir.path().to_str().expect("utf-8 temp dir")]
                    .into_iter()
                    .chain(extra.iter().copied().filter(|&a| a != "--in-memory"))
                    .collect();
                &on_disk[..]
            }
            None => extra,
        };
        let from_env = std::env::var("DYNALITH_TEST_SERVE_ARGS").unwrap_or_default();
        let from_env: Vec<&str> = from_env.split_whitespace().collect();
        let overridden = from_env
            .iter()
            .any(|arg| arg.starts_with("--") && extra.contains(arg));
        let engine = postgres_args(extra);
        let extra: Vec<&str> = if engine.is_empty() {
            extra.to_vec()
        } else {
            extra
                .iter()
                .copied()
                .filter(|&a| a != "--in-memory")
                .collect()
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_dynalith"))
            .args(["serve", "--port", "0", "--log-level", "warn"])
            .args(&extra)
            .args(&engine)
            .args(if overridden { &[][..] } else { &from_env[..] })
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start dynalith");
        let endpoint = read_endpoint(&mut child);
        Server {
            child: Some(child),
            endpoint,
            scratch_dir,
        }
    }

    pub fn client(&self) -> Client {
        client_for(&self.endpoint)
    }

    /// host:port, for raw HTTP.
    pub fn address(&self) -> String {
        self.endpoint.trim_start_matches("http://").to_string()
    }

    pub fn is_ours(&self) -> bool {
        self.child.is_some()
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM and wait for a clean exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("own server");
        let pid = child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        child.wait().expect("wait")
    }
}

/// The endpoint a starting server prints on its first line of stdout.
pub fn read_endpoint(child: &mut Child) -> String {
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read listening line");
    line.trim()
        .strip_prefix("dynalith listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string()
}

/// Flags only the embedded engine has: a test that gives one tests that
/// engine and keeps it (as one that names its own database keeps that).
const EMBEDDED_ENGINE_FLAGS: [&str; 4] = [
    "--background-write-mb",
    "--block-cache-mb",
    "--memtable-mb",
    "--compact-when-idle-secs",
];

/// The PostgreSQL database tests may use, from `DYNALITH_TEST_POSTGRES`
/// (scripts/test.sh's PostgreSQL phase sets it).
pub fn test_postgres_url() -> Option<String> {
    std::env::var("DYNALITH_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty())
}

/// A schema name no other server of this test run uses: `prefix`, the
/// process and a counter.
pub fn fresh_schema(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// The flags that put a server's data in the PostgreSQL database named by
/// `DYNALITH_TEST_POSTGRES`, if set (see `Server::spawn`).
fn postgres_args(extra: &[&str]) -> Vec<String> {
    let Some(url) = test_postgres_url() else {
        return Vec::new();
    };
    if extra
        .iter()
        .any(|arg| EMBEDDED_ENGINE_FLAGS.contains(arg) || *arg == "--postgres")
    {
        return Vec::new();
    }
    let data_dir = extra
        .iter()
        .position(|&arg| arg == "--data-dir")
        .and_then(|at| extra.get(at + 1));
    let schema = match data_dir {
        Some(dir) => {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            dir.hash(&mut hasher);
            format!("test_dir_{}_{:016x}", std::process::id(), hasher.finish())
        }
        None => fresh_schema("test"),
    };
    vec![
        "--postgres".to_string(),
        url,
        "--postgres-schema".to_string(),
        schema,
    ]
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A client of `server` that reports throttling instead of retrying it.
pub fn without_retries(server: &Server) -> Client {
    retries_off(server.client())
}

/// `client`, reporting throttling instead of retrying it.
pub fn retries_off(client: Client) -> Client {
    let config = client
        .config()
        .to_builder()
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// Provisioned capacity of `read` and `write` units a second.
pub fn provisioned_throughput(
    read: i64,
    write: i64,
) -> aws_sdk_dynamodb::types::ProvisionedThroughput {
    aws_sdk_dynamodb::types::ProvisionedThroughput::builder()
        .read_capacity_units(read)
        .write_capacity_units(write)
        .build()
        .expect("provisioned throughput")
}

pub fn client_for(endpoint: &str) -> Client {
    signed_client(endpoint, "us-east-1", "AKIDTEST", "secret")
}

/// A client signing with this region, access key and secret.
pub fn signed_client(endpoint: &str, region: &str, key: &str, secret: &str) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(region.to_string()))
        .credentials_provider(Credentials::new(key, secret, None, None, "test"))
        .build();
    Client::from_conf(config)
}

/// A DynamoDB Streams client (`aws-sdk-dynamodbstreams`), signing as
/// `signed_client` does.
pub fn signed_streams_client(
    endpoint: &str,
    region: &str,
    key: &str,
    secret: &str,
) -> aws_sdk_dynamodbstreams::Client {
    use aws_sdk_dynamodbstreams::config;
    let config = aws_sdk_dynamodbstreams::Config::builder()
        .behavior_version(config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(config::Region::new(region.to_string()))
        .credentials_provider(config::Credentials::new(key, secret, None, None, "test"))
        .build();
    aws_sdk_dynamodbstreams::Client::from_conf(config)
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The two servers of a differential test: dynalith, started here, and the
/// reference server named by `DYNALITH_DIFF_ENDPOINT` (DynamoDB Local), with
/// the workload's seed (`DYNALITH_DIFF_SEED`, default 20260101).
pub struct Differential {
    pub server: Server,
    pub ours: String,
    pub theirs: String,
    pub seed: u64,
}

/// `None`, after a note, when `DYNALITH_DIFF_ENDPOINT` is not set. With a
/// directory, dynalith runs durable there.
pub fn differential(test: &str, durable_dir: Option<&Path>) -> Option<Differential> {
    let Ok(reference) = std::env::var("DYNALITH_DIFF_ENDPOINT") else {
        eprintln!("DYNALITH_DIFF_ENDPOINT is not set: skipping the differential {test} test");
        return None;
    };
    let server = match durable_dir {
        Some(dir) => Server::start_durable(dir),
        None => Server::start(),
    };
    let ours = server.address();
    let theirs = reference
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let seed = std::env::var("DYNALITH_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20260101);
    Some(Differential {
        server,
        ours,
        theirs,
        seed,
    })
}

/// A table name no other test uses.
pub fn unique_table(prefix: &str) -> String {
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A key schema element.
pub fn key_element(name: &str, key_type: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .expect("key schema element")
}

/// UpdateTable's ReplicaUpdates entry creating a replica in `region`.
pub fn create_replica(region: &str) -> aws_sdk_dynamodb::types::ReplicationGroupUpdate {
    use aws_sdk_dynamodb::types::{CreateReplicationGroupMemberAction, ReplicationGroupUpdate};
    ReplicationGroupUpdate::builder()
        .create(
            CreateReplicationGroupMemberAction::builder()
                .region_name(region)
                .build()
                .expect("a Region is all it needs"),
        )
        .build()
}

/// Adds the table's replica in `region` (UpdateTable's ReplicaUpdates).
pub async fn add_replica(client: &Client, table: &str, region: &str) {
    client
        .update_table()
        .table_name(table)
        .replica_updates(create_replica(region))
        .send()
        .await
        .expect("replica created");
}

/// A global secondary index on the hash key `hash` with the given
/// projection type (no non-key attributes, no throughput).
pub fn global_index(
    name: &str,
    hash: &str,
    projection: aws_sdk_dynamodb::types::ProjectionType,
) -> aws_sdk_dynamodb::types::GlobalSecondaryIndex {
    aws_sdk_dynamodb::types::GlobalSecondaryIndex::builder()
        .index_name(name)
        .key_schema(key_element(hash, KeyType::Hash))
        .projection(
            aws_sdk_dynamodb::types::Projection::builder()
                .projection_type(projection)
                .build(),
        )
        .build()
        .expect("global secondary index")
}

/// UpdateTable's GlobalSecondaryIndexUpdates member that creates a global
/// index `name` on the hash key `hash` (on-demand: no throughput).
pub fn create_global_index(
    name: &str,
    hash: &str,
    projection: aws_sdk_dynamodb::types::ProjectionType,
) -> aws_sdk_dynamodb::types::GlobalSecondaryIndexUpdate {
    let index = global_index(name, hash, projection);
    aws_sdk_dynamodb::types::GlobalSecondaryIndexUpdate::builder()
        .create(
            aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
                .index_name(index.index_name)
                .set_key_schema(Some(index.key_schema))
                .set_projection(index.projection)
                .build()
                .expect("index creation"),
        )
        .build()
}

/// UpdateTable's GlobalSecondaryIndexUpdates member that deletes the
/// global index `name`.
pub fn delete_global_index(name: &str) -> aws_sdk_dynamodb::types::GlobalSecondaryIndexUpdate {
    aws_sdk_dynamodb::types::GlobalSecondaryIndexUpdate::builder()
        .delete(
            aws_sdk_dynamodb::types::DeleteGlobalSecondaryIndexAction::builder()
                .index_name(name)
                .build()
                .expect("index deletion"),
        )
        .build()
}

/// An attribute definition.
pub fn attribute_definition(name: &str, t: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(t)
        .build()
        .expect("attribute definition")
}

/// Creates an on-demand table with a string partition key `pk` and, when
/// `sort` is given, a sort key `sk` of that type.
pub async fn create_table(client: &Client, name: &str, sort: Option<ScalarAttributeType>) {
    create_table_request(client, name, sort)
        .send()
        .await
        .expect("create table");
}

/// `create_table`'s request, to send.
pub fn create_table_request(
    client: &Client,
    name: &str,
    sort: Option<ScalarAttributeType>,
) -> aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder {
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key_element("pk", KeyType::Hash))
        .attribute_definitions(attribute_definition("pk", ScalarAttributeType::S));
    if let Some(sort_type) = sort {
        request = request
            .key_schema(key_element("sk", KeyType::Range))
            .attribute_definitions(attribute_definition("sk", sort_type));
    }
    request
}

/// Writes items (distinct keys) with up to 8 BatchWriteItem calls of 25
/// in flight.
pub async fn put_all(
    client: &Client,
    table: &str,
    items: Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>>,
) {
    type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;
    let chunks: Vec<Vec<Item>> = items.chunks(25).map(<[Item]>::to_vec).collect();
    let queue = std::sync::Arc::new(std::sync::Mutex::new(chunks));
    let mut workers = Vec::new();
    for _ in 0..8 {
        let (client, table, queue) = (client.clone(), table.to_string(), queue.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let Some(chunk) = queue.lock().unwrap().pop() else {
                    return;
                };
                let requests = chunk
                    .into_iter()
                    .map(|item| {
                        aws_sdk_dynamodb::types::WriteRequest::builder()
                            .put_request(
                                aws_sdk_dynamodb::types::PutRequest::builder()
                                    .set_item(Some(item))
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                    })
                    .collect();
                let out = client
                    .batch_write_item()
                    .request_items(&table, requests)
                    .send()
                    .await
                    .unwrap();
                assert!(out.unprocessed_items.unwrap_or_default().is_empty());
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
}

/// The error code (`__type` after '#') of an SDK error.
pub fn error_code<E, R>(error: &aws_sdk_dynamodb::error::SdkError<E, R>) -> String
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    error
        .as_service_error()
        .and_then(|e| e.code())
        .unwrap_or("<not a service error>")
        .to_string()
}

pub fn error_message<E, R>(error: &aws_sdk_dynamodb::error::SdkError<E, R>) -> String
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    error
        .as_service_error()
        .and_then(|e| e.message())
        .unwrap_or_default()
        .to_string()
}

/// A raw HTTP/1.1 exchange, for what the SDK hides (headers, status lines,
/// malformed input).
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The error's `__type` (namespace included), or "" for none.
    pub fn error_type(&self) -> String {
        self.json()["__type"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

pub const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00";

pub fn raw_request(
    address: &str,
    method: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    raw_request_to(address, method, "/", headers, body)
}

/// [`raw_request`] to another path than `/`.
pub fn raw_request_to(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    let mut stream = TcpStream::connect(address).expect("connect");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("write head");
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse_response(&raw)
}

/// Scrapes the server's /metrics until a line reads `line` (a metric, its
/// labels and value), for up to 10 s; panics with the last scrape if none
/// does.
pub fn wait_for_metric(address: &str, line: &str) {
    let mut text = String::new();
    for _ in 0..200 {
        let scraped = raw_request_to(address, "GET", "/metrics", &[], b"");
        text = String::from_utf8_lossy(&scraped.body).into_owned();
        if text.lines().any(|l| l == line) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("no line {line:?} in /metrics:\n{text}");
}

/// A DynamoDB call over raw HTTP.
pub fn call(address: &str, operation: &str, body: &str) -> RawResponse {
    call_bytes(address, operation, body.as_bytes())
}

/// [`call`] with a body that need not be text.
pub fn call_bytes(address: &str, operation: &str, body: &[u8]) -> RawResponse {
    call_target(address, &format!("DynamoDB_20120810.{operation}"), body)
}

/// A DynamoDB Streams call over raw HTTP.
pub fn call_streams(address: &str, operation: &str, body: &str) -> RawResponse {
    call_target(
        address,
        &format!("DynamoDBStreams_20120810.{operation}"),
        body.as_bytes(),
    )
}

fn call_target(address: &str, target: &str, body: &[u8]) -> RawResponse {
    raw_request(
        address,
        "POST",
        &[
            ("X-Amz-Target", target),
            ("Content-Type", "application/x-amz-json-1.0"),
            ("Authorization", AUTH),
        ],
        body,
    )
}

fn parse_response(raw: &[u8]) -> RawResponse {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("response head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    RawResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..end]).unwrap_or("0").trim(), 16)
                .unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
    out
}

/// Items in wire JSON (`{"a":{"SS":[...]}}`) as a set of comparable texts:
/// set members sorted, since servers return them in no particular order
/// (map keys are sorted already), and the items in any order.
pub fn wire_item_set(items: &serde_json::Value) -> std::collections::BTreeSet<String> {
    fn sort_sets(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, inner) in map.iter_mut() {
                    match (key.as_str(), inner) {
                        ("SS" | "NS" | "BS", serde_json::Value::Array(members)) => {
                            members.sort_by_key(|m| m.to_string())
                        }
                        (_, inner) => sort_sets(inner),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(sort_sets),
            _ => {}
        }
    }
    items
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| {
                    let mut item = item.clone();
                    sort_sets(&mut item);
                    item.to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}
