//! The wire protocol details the SDKs hide: routing, error shapes and
//! namespaces, checksums, request ids, gzip bodies, size limits, health.

mod common;

use common::{call, call_bytes, raw_request, Server, AUTH};
use std::io::Write;

#[test]
fn health_check_answers_get() {
    let server = Server::start();
    let response = raw_request(&server.address(), "GET", &[], b"");
    assert_eq!(response.status, 200);
    assert!(String::from_utf8_lossy(&response.body).starts_with("healthy: "));
}

#[test]
fn responses_carry_request_id_and_crc32() {
    let server = Server::start();
    let response = call(&server.address(), "ListTables", "{}");
    assert_eq!(response.status, 200);
    let id = response.header("x-amzn-RequestId").expect("request id");
    assert_eq!(id.len(), 52);
    let crc: u32 = response
        .header("x-amz-crc32")
        .expect("crc")
        .parse()
        .unwrap();
    assert_eq!(crc, crc32fast::hash(&response.body));
    assert_eq!(
        response.header("content-type"),
        Some("application/x-amz-json-1.0")
    );
}

/// A web page's JavaScript SDK on another origin: the browser's preflight
/// and then the request itself, with the headers Chrome sends for
/// `@aws-sdk/client-dynamodb`.
#[test]
fn browsers_of_any_origin_may_call() {
    let server = Server::start();
    let address = server.address();
    let asked = "amz-sdk-invocation-id,amz-sdk-request,authorization,content-type,x-amz-content-sha256,x-amz-date,x-amz-target,x-amz-user-agent";
    let preflight = raw_request(
        &address,
        "OPTIONS",
        &[
            ("Origin", "http://localhost:5173"),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", asked),
        ],
        b"",
    );
    assert_eq!(preflight.status, 200);
    assert!(preflight.body.is_empty());
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("POST")
    );
    assert_eq!(
        preflight.header("access-control-allow-headers"),
        Some(asked)
    );
    assert_eq!(preflight.header("access-control-max-age"), Some("172800"));

    let exposed = "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date";
    let target_and_auth = [
        ("Origin", "http://localhost:5173"),
        ("Content-Type", "application/x-amz-json-1.0"),
        ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
        ("Authorization", AUTH),
    ];
    let listed = raw_request(&address, "POST", &target_and_auth, b"{}");
    assert_eq!(listed.status, 200);
    let refused = raw_request(&address, "POST", &target_and_auth, b"{\"Limit\": 0}");
    assert_eq!(refused.status, 400);
    for answer in [&listed, &refused] {
        assert_eq!(answer.header("access-control-allow-origin"), Some("*"));
        assert_eq!(
            answer.header("access-control-expose-headers"),
            Some(exposed)
        );
        // What only a preflight asks for.
        assert_eq!(answer.header("access-control-max-age"), None);
        assert_eq!(answer.header("access-control-allow-methods"), None);
    }

    // Without Origin (every SDK outside a browser) no CORS header at all.
    let plain = call(&address, "ListTables", "{}");
    let options = raw_request(&address, "OPTIONS", &[], b"");
    assert_eq!(options.status, 200);
    for answer in [&plain, &options] {
        assert_eq!(answer.header("access-control-allow-origin"), None);
        assert_eq!(answer.header("access-control-expose-headers"), None);
    }
}

/// A response of 4 KB or more goes out compressed when the client accepts
/// gzip or deflate, with the CRC32 of the bytes on the wire; a smaller one
/// as it is.
#[test]
fn large_responses_are_compressed_for_clients_that_accept_it() {
    use std::io::Read;
    let server = Server::start();
    let address = server.address();
    let create = r#"{"TableName":"zipped","BillingMode":"PAY_PER_REQUEST",
        "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
        "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}]}"#;
    assert_eq!(call(&address, "CreateTable", create).status, 200);
    let big = "x".repeat(6000);
    let put =
        format!(r#"{{"TableName":"zipped","Item":{{"pk":{{"S":"k"}},"v":{{"S":"{big}"}}}}}}"#);
    assert_eq!(call(&address, "PutItem", &put).status, 200);
    let get = |accept: &str, projection: &str| {
        let body = format!(
            r#"{{"TableName":"zipped","Key":{{"pk":{{"S":"k"}}}},"ProjectionExpression":"{projection}"}}"#
        );
        raw_request(
            &address,
            "POST",
            &[
                ("Content-Type", "application/x-amz-json-1.0"),
                ("X-Amz-Target", "DynamoDB_20120810.GetItem"),
                ("Authorization", AUTH),
                ("Accept-Encoding", accept),
            ],
            body.as_bytes(),
        )
    };
    let plain = get("identity", "pk, v");
    assert_eq!(plain.header("content-encoding"), None);
    for (accept, encoding) in [("gzip", "gzip"), ("deflate, gzip;q=0.9", "deflate")] {
        let answer = get(accept, "pk, v");
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("content-encoding"), Some(encoding));
        let crc: u32 = answer.header("x-amz-crc32").unwrap().parse().unwrap();
        assert_eq!(
            crc,
            crc32fast::hash(&answer.body),
            "the CRC of the wire bytes"
        );
        let mut inflated = Vec::new();
        match encoding {
            "gzip" => flate2::read::GzDecoder::new(&answer.body[..]).read_to_end(&mut inflated),
            _ => flate2::read::ZlibDecoder::new(&answer.body[..]).read_to_end(&mut inflated),
        }
        .unwrap();
        assert_eq!(inflated, plain.body);
        assert!(answer.body.len() * 30 < plain.body.len());
    }
    let small = get("gzip", "pk");
    assert_eq!(small.header("content-encoding"), None);
    assert_eq!(small.body, br#"{"Item":{"pk":{"S":"k"}}}"#);
}

#[test]
fn errors_use_dynamodb_namespaces() {
    let server = Server::start();
    let address = server.address();

    let missing = call(&address, "DescribeTable", r#"{"TableName":"nope"}"#);
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.error_type(),
        "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
    );
    assert_eq!(
        missing.json()["message"],
        "Requested resource not found: Table: nope not found"
    );

    let invalid = call(&address, "DescribeTable", r#"{"TableName":"a"}"#);
    assert_eq!(
        invalid.error_type(),
        "com.amazon.coral.validate#ValidationException"
    );
    assert_eq!(
        invalid.json()["message"],
        "1 validation error detected: Value 'a' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3"
    );

    // An empty TableName of a data-plane request (which may be an ARN) is
    // refused for its length alone (recorded from DynamoDB, 2026).
    let empty = call(
        &address,
        "PutItem",
        r#"{"TableName":"","Item":{"pk":{"S":"a"}}}"#,
    );
    assert_eq!(
        empty.json()["message"],
        "1 validation error detected: Value '' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );

    let missing_member = call(&address, "DescribeTable", "{}");
    assert_eq!(
        missing_member.json()["message"],
        "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null"
    );

    let malformed = call(&address, "ListTables", "{not json");
    assert_eq!(malformed.status, 400);
    assert_eq!(
        malformed.error_type(),
        "com.amazon.coral.service#SerializationException"
    );

    let wrong_type = call(&address, "DescribeTable", r#"{"TableName":5}"#);
    assert_eq!(
        wrong_type.error_type(),
        "com.amazon.coral.service#SerializationException"
    );
    assert_eq!(
        wrong_type.json()["message"],
        "NUMBER_VALUE can not be converted to a String"
    );
    let wrong_type = call(&address, "ListTables", r#"{"Limit":"2"}"#);
    assert_eq!(
        wrong_type.json()["message"],
        "STRING_VALUE can not be converted to an Integer"
    );

    let unknown = call(&address, "FlyToTheMoon", "{}");
    assert_eq!(
        unknown.error_type(),
        "com.amazon.coral.service#UnknownOperationException"
    );

    let unsigned = raw_request(
        &address,
        "POST",
        &[
            ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ("Content-Type", "application/x-amz-json-1.0"),
        ],
        b"{}",
    );
    assert_eq!(
        unsigned.error_type(),
        "com.amazon.coral.service#MissingAuthenticationTokenException"
    );
}

#[test]
fn gzip_request_bodies_are_accepted() {
    let server = Server::start();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(br#"{"Limit":5}"#).unwrap();
    let compressed = encoder.finish().unwrap();
    let response = raw_request(
        &server.address(),
        "POST",
        &[
            ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ("Content-Type", "application/x-amz-json-1.0"),
            ("Content-Encoding", "gzip"),
            ("Authorization", AUTH),
        ],
        &compressed,
    );
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    assert!(response.json()["TableNames"].is_array());
}

#[test]
fn bodies_over_16_mb_are_refused() {
    let server = Server::start();
    let body = vec![b' '; 16 * 1024 * 1024 + 1];
    let response = raw_request(
        &server.address(),
        "POST",
        &[
            ("X-Amz-Target", "DynamoDB_20120810.ListTables"),
            ("Authorization", AUTH),
        ],
        &body,
    );
    assert_eq!(response.status, 413);
    // The server is still serving.
    assert_eq!(call(&server.address(), "ListTables", "{}").status, 200);
}

#[test]
fn hostile_inputs_get_errors_not_crashes() {
    let server = Server::start();
    let address = server.address();
    call(
        &address,
        "CreateTable",
        r#"{"TableName":"hostile","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}"#,
    );
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    for body in [
        "",
        "null",
        "[]",
        "\"x\"",
        &deep,
        r#"{"TableName":"hostile","Item":{"pk":{"S":"a"},"n":{"N":"1e99999999999"}}}"#,
        r#"{"TableName":"hostile","Item":{"pk":{"S":"a"},"b":{"B":"!!notbase64"}}}"#,
        r#"{"TableName":"hostile","Item":{"pk":{"SS":["a"]}}}"#,
        r#"{"TableName":"hostile","Item":{"pk":{"S":"a"},"x":{"M":{"y":{}}}}}"#,
        r#"{"TableName":"hostile","Item":{"pk":{"S":"a"},"x":{"L":[{"NULL":false}]}}}"#,
        r#"{"TableName":"hostile","Item":null}"#,
        r#"{"TableName":"hostile","Item":{"pk":{"S":"a","N":"1"}}}"#,
        r#"{"TableName":"hostile","Item":{"pk":{"N":"-"}}}"#,
    ] {
        let response = call(&address, "PutItem", body);
        assert_eq!(
            response.status,
            400,
            "{body}: {}",
            String::from_utf8_lossy(&response.body)
        );
    }
    assert_eq!(call(&address, "ListTables", "{}").status, 200);
}

/// Invalid UTF-8 anywhere in the body, even in a member no operation reads,
/// is a SerializationException; with a ClientRequestToken it once was an
/// InternalServerError (found by `fuzz/`'s data-plane target).
#[test]
fn bodies_that_are_not_utf8_are_refused() {
    let server = Server::start();
    let address = server.address();
    call(
        &address,
        "CreateTable",
        r#"{"TableName":"utf8","BillingMode":"PAY_PER_REQUEST","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]}"#,
    );
    let bodies: [(&str, &[u8]); 2] = [
        (
            "PutItem",
            b"{\"TableName\":\"utf8\",\"Item\":{\"pk\":{\"S\":\"a\"}},\"Unknown\":\"\xff\xfe\"}",
        ),
        (
            "TransactWriteItems",
            b"{\"TransactItems\":[{\"Put\":{\"TableName\":\"utf8\",\"Item\":{\"pk\":{\"S\":\"b\"}}}}],\"ClientRequestToken\":\"t1\",\"Unknown\":\"\xc3\x28\"}",
        ),
    ];
    for (operation, body) in bodies {
        let response = call_bytes(&address, operation, body);
        assert_eq!(response.status, 400, "{operation}");
        assert_eq!(
            response.error_type(),
            "com.amazon.coral.service#SerializationException",
            "{operation}"
        );
    }
    let scanned = call(&address, "Scan", r#"{"TableName":"utf8"}"#);
    assert_eq!(scanned.json()["Count"], 0, "nothing was written");
}

/// Clients with endpoint discovery on ask first where to send requests:
/// here, where they already are.
#[tokio::test]
async fn describe_endpoints_names_the_address_the_client_used() {
    let server = Server::start();
    let described = server.client().describe_endpoints().send().await.unwrap();
    let endpoints = described.endpoints();
    assert_eq!(endpoints.len(), 1);
    assert_eq!(endpoints[0].address(), server.address());
    assert_eq!(endpoints[0].cache_period_in_minutes(), 1440);

    let refused = call(&server.address(), "DescribeEndpoints", "[]");
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.error_type(),
        "com.amazon.coral.service#SerializationException"
    );
}

/// One response read off a keep-alive connection: the head, then as many
/// bytes as its Content-Length says.
fn read_response(stream: &mut std::net::TcpStream) -> String {
    use std::io::Read;
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        assert_eq!(
            stream.read(&mut byte).expect("response head"),
            1,
            "closed mid-response"
        );
        raw.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&raw).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("content-length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).expect("response body");
    head
}

#[tokio::test]
async fn connections_that_make_no_request_are_closed() {
    use std::io::Read;
    use std::net::TcpStream;
    use std::time::{Duration, Instant};
    let server = Server::start_with(&["--idle-connection-secs", "1"]);
    let address = server.address();

    // Half a request's headers, then nothing: closed within two periods.
    let mut stalled = TcpStream::connect(&address).unwrap();
    stalled
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    stalled
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 64];
    match stalled.read(&mut buf) {
        Ok(0) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        other => panic!("the stalled connection was not closed: {other:?}"),
    }
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "{waited:?}"
    );

    // A connection that keeps making requests stays open past two periods.
    let mut busy = TcpStream::connect(&address).unwrap();
    busy.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    for _ in 0..8 {
        busy.write_all(format!("GET / HTTP/1.1\r\nHost: {address}\r\n\r\n").as_bytes())
            .unwrap();
        assert!(read_response(&mut busy).starts_with("http/1.1 200"));
        std::thread::sleep(Duration::from_millis(400));
    }

    // The SDK replaces a pooled connection the server closed while idle.
    let client = server.client();
    client.list_tables().send().await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    client.list_tables().send().await.unwrap();
}

/// A body sent a byte at a time holds a connection no longer than its
/// headers would: it must arrive within the idle timeout.
#[test]
fn a_body_that_does_not_arrive_is_answered_and_closed() {
    use std::io::Read;
    use std::net::TcpStream;
    use std::time::{Duration, Instant};
    let server = Server::start_with(&["--idle-connection-secs", "1"]);
    let address = server.address();
    let mut slow = TcpStream::connect(&address).unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Type: application/x-amz-json-1.0\r\nAuthorization: {AUTH}\r\nContent-Length: 100\r\n\r\n{{"
    );
    slow.write_all(head.as_bytes()).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    let _ = slow.read_to_end(&mut answer);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("SerializationException"), "{answer}");
}
