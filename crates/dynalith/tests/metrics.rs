//! The Prometheus endpoint (`GET /metrics`) after requests through the SDK:
//! requests by operation and outcome, latency histograms, item counts,
//! consumed capacity per table and global index, throttled requests; and
//! `--no-metrics` turning it off.

mod common;

use aws_sdk_dynamodb::types::{AttributeValue as Av, KeyType, ProjectionType, ScalarAttributeType};
use common::{
    attribute_definition, global_index, key_element, provisioned_throughput, raw_request_to,
    unique_table, without_retries, Server,
};
use std::collections::HashMap;

/// The value of the sample `name{labels}` (labels as rendered, in order).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| value.parse().expect("a number"))
}

fn scrape(server: &Server) -> String {
    let response = raw_request_to(&server.address(), "GET", "/metrics", &[], b"");
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    let text = String::from_utf8(response.body).unwrap();
    assert!(
        text.ends_with("# EOF\n"),
        "an OpenMetrics exposition ends with # EOF"
    );
    text
}

fn item(pk: &str, color: &str, bytes: usize) -> HashMap<String, Av> {
    HashMap::from([
        ("pk".to_string(), Av::S(pk.to_string())),
        ("color".to_string(), Av::S(color.to_string())),
        ("pad".to_string(), Av::S("x".repeat(bytes))),
    ])
}

#[tokio::test]
async fn requests_items_and_capacity_show_in_the_metrics() {
    let server = Server::start_with(&["--enforce-throughput"]);
    let client = without_retries(&server);
    let table = unique_table("metrics");
    let mut index = global_index("byColor", "color", ProjectionType::KeysOnly);
    index.provisioned_throughput = Some(provisioned_throughput(50, 50));
    client
        .create_table()
        .table_name(&table)
        .key_schema(key_element("pk", KeyType::Hash))
        .attribute_definitions(attribute_definition("pk", ScalarAttributeType::S))
        .attribute_definitions(attribute_definition("color", ScalarAttributeType::S))
        .global_secondary_indexes(index)
        .provisioned_throughput(provisioned_throughput(2, 50))
        .send()
        .await
        .unwrap();
    // Three writes of 3 KB: 3 units each on the table, 1 on the index
    // (it keeps only keys).
    for pk in ["a", "b", "c"] {
        client
            .put_item()
            .table_name(&table)
            .set_item(Some(item(pk, "red", 3000)))
            .send()
            .await
            .unwrap();
    }
    let missing = client
        .get_item()
        .table_name("no_such_table")
        .key("pk", Av::S("a".into()))
        .send()
        .await;
    assert!(missing.is_err());
    // A strongly consistent Scan of ~9 KB costs 3 units, one more than the
    // table's read capacity (2 a second) holds: the next read is throttled.
    client
        .scan()
        .table_name(&table)
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    let throttled = client
        .scan()
        .table_name(&table)
        .consistent_read(true)
        .send()
        .await;
    assert!(throttled.is_err());

    let text = scrape(&server);
    let requests = |operation: &str, outcome: &str| {
        sample(
            &text,
            &format!(r#"dynalith_requests_total{{operation="{operation}",outcome="{outcome}"}}"#),
        )
    };
    assert_eq!(requests("PutItem", "ok"), Some(3.0));
    assert_eq!(requests("GetItem", "ResourceNotFoundException"), Some(1.0));
    assert_eq!(requests("Scan", "ok"), Some(1.0));
    assert_eq!(
        requests("Scan", "ProvisionedThroughputExceededException"),
        Some(1.0)
    );
    assert_eq!(requests("GetItem", "ok"), None, "no successful GetItem");
    assert_eq!(
        sample(
            &text,
            r#"dynalith_request_duration_seconds_count{operation="PutItem"}"#
        ),
        Some(3.0)
    );
    assert_eq!(
        sample(
            &text,
            r#"dynalith_request_duration_seconds_bucket{le="+Inf",operation="Scan"}"#
        ),
        Some(2.0)
    );
    let of_table = |name: &str, index: &str| {
        sample(
            &text,
            &format!(r#"{name}{{table="{table}",index="{index}"}}"#),
        )
    };
    assert_eq!(
        sample(
            &text,
            &format!(r#"dynalith_table_items{{table="{table}"}}"#)
        ),
        Some(3.0)
    );
    assert_eq!(
        of_table("dynalith_consumed_write_capacity_units_total", ""),
        Some(9.0)
    );
    assert_eq!(
        of_table("dynalith_consumed_write_capacity_units_total", "byColor"),
        Some(3.0)
    );
    assert_eq!(
        of_table("dynalith_consumed_read_capacity_units_total", ""),
        Some(3.0)
    );
    assert_eq!(
        sample(
            &text,
            &format!(
                r#"dynalith_throttled_requests_total{{table="{table}",index="",direction="read"}}"#
            )
        ),
        Some(1.0)
    );
    assert!(sample(&text, "process_resident_memory_bytes").is_some_and(|rss| rss > 1e6));
}

#[tokio::test]
async fn no_metrics_leaves_get_metrics_the_health_line() {
    let server = Server::start_with(&["--no-metrics"]);
    let response = raw_request_to(&server.address(), "GET", "/metrics", &[], b"");
    assert_eq!(response.status, 200);
    assert_eq!(
        String::from_utf8(response.body).unwrap(),
        "healthy: dynamodb.us-east-1.amazonaws.com "
    );
}
