//! Time to Live through the AWS SDK: UpdateTimeToLive and
//! DescribeTimeToLive with their errors, and the background deletion of
//! expired items (with their index entries and counts), across a restart.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, KeyType, ProjectionType, ScalarAttributeType,
    TimeToLiveSpecification, TimeToLiveStatus,
};
use aws_sdk_dynamodb::Client;
use common::{
    attribute_definition, create_table, error_code, error_message, global_index, key_element,
    unique_table, Server,
};
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn spec(attribute: &str, enabled: bool) -> TimeToLiveSpecification {
    TimeToLiveSpecification::builder()
        .attribute_name(attribute)
        .enabled(enabled)
        .build()
        .unwrap()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn time_to_live_is_enabled_described_and_disabled() {
    let server = Server::start();
    let client = server.client();
    let name = unique_table("ttl");
    create_table(&client, &name, None).await;

    let describe = || async {
        client
            .describe_time_to_live()
            .table_name(&name)
            .send()
            .await
            .unwrap()
            .time_to_live_description
            .unwrap()
    };
    let off = describe().await;
    assert_eq!(off.time_to_live_status(), Some(&TimeToLiveStatus::Disabled));
    assert_eq!(off.attribute_name(), None);

    let update = |attribute: &'static str, enabled: bool| {
        client
            .update_time_to_live()
            .table_name(&name)
            .time_to_live_specification(spec(attribute, enabled))
            .send()
    };
    let error = update("expires", false).await.unwrap_err();
    assert_eq!(error_message(&error), "TimeToLive is already disabled");

    let answer = update("expires", true).await.unwrap();
    assert_eq!(
        answer.time_to_live_specification,
        Some(spec("expires", true))
    );
    let on = describe().await;
    assert_eq!(on.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));
    assert_eq!(on.attribute_name(), Some("expires"));

    let error = update("expires", true).await.unwrap_err();
    assert_eq!(error_code(&error), "ValidationException");
    assert_eq!(error_message(&error), "TimeToLive is already enabled");
    for enabled in [true, false] {
        let error = update("other", enabled).await.unwrap_err();
        assert_eq!(
            error_message(&error),
            "TimeToLive is active on a different AttributeName: current AttributeName is expires"
        );
    }

    update("expires", false).await.unwrap();
    assert_eq!(
        describe().await.time_to_live_status(),
        Some(&TimeToLiveStatus::Disabled)
    );

    let error = client
        .describe_time_to_live()
        .table_name("no-such-table")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ResourceNotFoundException");
    let error = client
        .update_time_to_live()
        .table_name(&name)
        .time_to_live_specification(spec("", true))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "1 validation error detected: Value '' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length greater than or equal to 1"
    );
}

/// The `pk`s of the table's items, and of its index's entries.
async fn keys_left(client: &Client, table: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut sets = Vec::new();
    for index in [None, Some("byGroup")] {
        let page = client
            .scan()
            .table_name(table)
            .set_index_name(index.map(str::to_string))
            .consistent_read(index.is_none())
            .send()
            .await
            .unwrap();
        sets.push(
            page.items()
                .iter()
                .map(|item| item["pk"].as_s().unwrap().clone())
                .collect(),
        );
    }
    let index = sets.pop().unwrap();
    (sets.pop().unwrap(), index)
}

#[tokio::test]
async fn expired_items_are_deleted_with_their_index_entries_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let name = unique_table("expire");
    let mut server = Server::start_durable(dir.path());
    let client = server.client();
    client
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute_definition("pk", ScalarAttributeType::S))
        .attribute_definitions(attribute_definition("group", ScalarAttributeType::S))
        .key_schema(key_element("pk", KeyType::Hash))
        .global_secondary_indexes(global_index("byGroup", "group", ProjectionType::KeysOnly))
        .send()
        .await
        .unwrap();
    client
        .update_time_to_live()
        .table_name(&name)
        .time_to_live_specification(spec("expires", true))
        .send()
        .await
        .unwrap();

    let at = now();
    let items: Vec<(&str, Option<AttributeValue>)> = vec![
        ("expired", Some(AttributeValue::N((at - 60).to_string()))),
        (
            "expired-fraction",
            Some(AttributeValue::N(format!("{}.25", at - 2))),
        ),
        ("future", Some(AttributeValue::N((at + 3600).to_string()))),
        ("string", Some(AttributeValue::S((at - 60).to_string()))),
        ("ancient", Some(AttributeValue::N("0".into()))),
        ("none", None),
    ];
    for (pk, expires) in items {
        let mut item = HashMap::from([
            ("pk".to_string(), AttributeValue::S(pk.into())),
            ("group".to_string(), AttributeValue::S("g".into())),
        ]);
        item.extend(expires.map(|e| ("expires".to_string(), e)));
        client
            .put_item()
            .table_name(&name)
            .set_item(Some(item))
            .send()
            .await
            .unwrap();
    }
    let kept: BTreeSet<String> = ["future", "string", "ancient", "none"]
        .map(String::from)
        .into();

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (items, entries) = keys_left(&client, &name).await;
        if items == kept {
            assert_eq!(entries, kept, "index entries go with their items");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "expired items still there: {items:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let table = client
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(table.item_count(), Some(4));
    assert_eq!(table.global_secondary_indexes()[0].item_count(), Some(4));

    // The setting survives a restart, and the sweep resumes: an item that
    // expires while the server is down is deleted after it comes back.
    client
        .put_item()
        .table_name(&name)
        .item("pk", AttributeValue::S("soon".into()))
        .item("group", AttributeValue::S("g".into()))
        .item("expires", AttributeValue::N((now() + 1).to_string()))
        .send()
        .await
        .unwrap();
    assert!(server.terminate().success(), "clean shutdown on SIGTERM");
    std::thread::sleep(Duration::from_secs(2));
    let server = Server::start_durable(dir.path());
    let client = server.client();
    let described = client
        .describe_time_to_live()
        .table_name(&name)
        .send()
        .await
        .unwrap()
        .time_to_live_description
        .unwrap();
    assert_eq!(described.attribute_name(), Some("expires"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while keys_left(&client, &name).await.0 != kept {
        assert!(
            Instant::now() < deadline,
            "the item expired while down stays"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
