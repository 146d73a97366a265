//! Control plane through the AWS SDK: CreateTable, DescribeTable,
//! ListTables, UpdateTable, DeleteTable and their errors.

mod common;

use aws_sdk_dynamodb::client::Waiters;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, GlobalSecondaryIndexUpdate,
    KeySchemaElement, KeyType, OnDemandThroughput, Projection, ProjectionType,
    ProvisionedThroughput, ScalarAttributeType, StreamSpecification, StreamViewType, TableStatus,
    UpdateGlobalSecondaryIndexAction,
};
use common::{
    call, create_table, delete_global_index, error_code, error_message, unique_table, Server,
};

fn key(name: &str, key_type: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .unwrap()
}

fn attr(name: &str, t: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(t)
        .build()
        .unwrap()
}

fn throughput(read: i64, write: i64) -> ProvisionedThroughput {
    ProvisionedThroughput::builder()
        .read_capacity_units(read)
        .write_capacity_units(write)
        .build()
        .unwrap()
}

/// A global index `name` on the hash key `g`, with provisioned capacity.
fn provisioned_index(
    name: &str,
    projection: ProjectionType,
    read: i64,
    write: i64,
) -> GlobalSecondaryIndex {
    let mut index = common::global_index(name, "g", projection);
    index.provisioned_throughput = Some(throughput(read, write));
    index
}

/// The table's description, as DescribeTable gives it.
async fn described(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
) -> aws_sdk_dynamodb::types::TableDescription {
    client
        .describe_table()
        .table_name(name)
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
}

#[tokio::test]
async fn create_describe_and_delete_a_table() {
    let server = Server::start();
    let client = server.client();
    let name = unique_table("lifecycle");
    let created = client
        .create_table()
        .table_name(&name)
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .attribute_definitions(attr("sk", ScalarAttributeType::N))
        .provisioned_throughput(throughput(5, 7))
        .send()
        .await
        .unwrap();
    let description = created.table_description().unwrap();
    assert_eq!(description.table_name(), Some(name.as_str()));
    assert!(matches!(
        description.table_status(),
        Some(TableStatus::Creating | TableStatus::Active)
    ));

    // The SDK's waiter polls DescribeTable until ACTIVE.
    client
        .wait_until_table_exists()
        .table_name(&name)
        .wait(std::time::Duration::from_secs(30))
        .await
        .unwrap();
    let table = described(&client, &name).await;
    assert_eq!(table.table_status(), Some(&TableStatus::Active));
    assert_eq!(table.key_schema().len(), 2);
    assert_eq!(table.key_schema()[0].attribute_name(), "pk");
    assert_eq!(table.key_schema()[1].key_type(), &KeyType::Range);
    assert_eq!(table.attribute_definitions().len(), 2);
    assert_eq!(table.item_count(), Some(0));
    assert_eq!(table.table_size_bytes(), Some(0));
    assert!(table
        .table_arn()
        .unwrap()
        .ends_with(&format!(":table/{name}")));
    assert!(table.table_id().is_some());
    assert!(table.creation_date_time().is_some());
    let provisioned = table.provisioned_throughput().unwrap();
    assert_eq!(provisioned.read_capacity_units(), Some(5));
    assert_eq!(provisioned.write_capacity_units(), Some(7));
    assert_eq!(table.deletion_protection_enabled(), Some(false));

    let deleted = client
        .delete_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        deleted.table_description().unwrap().table_name(),
        Some(name.as_str())
    );
    let error = client
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ResourceNotFoundException");
}

#[tokio::test]
async fn creating_an_existing_table_is_resource_in_use() {
    let server = Server::start();
    let client = server.client();
    let name = unique_table("dup");
    create_table(&client, &name, None).await;
    let mut request = client
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash))
        .attribute_definitions(attr("pk", ScalarAttributeType::S));
    let error = request.clone().send().await.unwrap_err();
    assert_eq!(error_code(&error), "ResourceInUseException");
    // Once deleted, the name can be used again, and the new table is empty.
    client
        .put_item()
        .table_name(&name)
        .item(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S("old".into()),
        )
        .send()
        .await
        .unwrap();
    client
        .delete_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    request = request.table_name(&name);
    request.send().await.unwrap();
    let got = client
        .get_item()
        .table_name(&name)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S("old".into()),
        )
        .send()
        .await
        .unwrap();
    assert!(got.item().is_none(), "a re-created table starts empty");
}

#[tokio::test]
async fn create_table_validation() {
    use aws_sdk_dynamodb::types::{SseSpecification, SseType, TableClass, WarmThroughput};
    let server = Server::start();
    let client = server.client();
    let base = || {
        client
            .create_table()
            .table_name(unique_table("v"))
            .billing_mode(BillingMode::PayPerRequest)
    };
    // Provisioned (the default) without throughput.
    let error = client
        .create_table()
        .table_name(unique_table("v"))
        .key_schema(key("pk", KeyType::Hash))
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ValidationException");
    assert!(error_message(&error)
        .contains("ReadCapacityUnits and WriteCapacityUnits must both be specified"));

    // Key attribute without a definition.
    let error = base()
        .key_schema(key("pk", KeyType::Hash))
        .attribute_definitions(attr("other", ScalarAttributeType::S))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ValidationException");
    assert!(
        error_message(&error).contains("Some index key attributes are not defined"),
        "{}",
        error_message(&error)
    );

    // Tags are checked as TagResource checks them.
    let error = base()
        .key_schema(key("pk", KeyType::Hash))
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .tags(
            aws_sdk_dynamodb::types::Tag::builder()
                .key("aws:x")
                .value("v")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "Tag Key cannot be prefixed with aws:, Key: aws:x"
    );

    // Extra attribute definitions.
    let error = base()
        .key_schema(key("pk", KeyType::Hash))
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .attribute_definitions(attr("x", ScalarAttributeType::S))
        .send()
        .await
        .unwrap_err();
    assert!(
        error_message(&error).contains("Number of attributes in KeySchema does not exactly match")
    );

    // RANGE first.
    let error = base()
        .key_schema(key("pk", KeyType::Range))
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .send()
        .await
        .unwrap_err();
    assert!(error_message(&error).contains("The first KeySchemaElement is not a HASH key type"));

    // Bad table name: Coral's constraint message.
    let error = client
        .create_table()
        .table_name("a b")
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash))
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ValidationException");
    assert!(error_message(&error)
        .contains("Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"));

    // Throughput on an on-demand table.
    let error = base()
        .key_schema(key("pk", KeyType::Hash))
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .provisioned_throughput(throughput(1, 1))
        .send()
        .await
        .unwrap_err();
    assert!(error_message(&error)
        .contains("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified"));

    // DynamoDB's words (DynamoDB Local words most of these its own way).
    let keyed = || {
        base()
            .key_schema(key("pk", KeyType::Hash))
            .attribute_definitions(attr("pk", ScalarAttributeType::S))
    };
    let provisioned = || {
        client
            .create_table()
            .table_name(unique_table("v"))
            .key_schema(key("pk", KeyType::Hash))
            .attribute_definitions(attr("pk", ScalarAttributeType::S))
            .provisioned_throughput(throughput(5, 5))
    };
    let sse = |enabled: bool, kind: Option<SseType>, key: Option<&str>| {
        SseSpecification::builder()
            .enabled(enabled)
            .set_sse_type(kind)
            .set_kms_master_key_id(key.map(str::to_string))
            .build()
    };
    let invalid = "One or more parameter values were invalid:";
    let cases = [
        (
            keyed().attribute_definitions(attr("pk", ScalarAttributeType::N)),
            "Attribute Name is duplicated: pk".to_string(),
        ),
        (
            keyed().table_class(TableClass::from("GLACIER")),
            "Invalid table-class parameter provided. Please try again with a valid table-class value: [STANDARD, STANDARD_INFREQUENT_ACCESS].".to_string(),
        ),
        (
            keyed().sse_specification(sse(false, Some(SseType::Kms), None)),
            format!("{invalid} SSEType can not be specified if Enabled is false"),
        ),
        (
            keyed().sse_specification(sse(false, None, Some("alias/k"))),
            format!("{invalid} KMSMasterKeyId can not be specified if Enabled is false"),
        ),
        (
            keyed().sse_specification(sse(true, None, Some("alias/k"))),
            format!("{invalid} SSEType KMS is required if KMSMasterKeyId is specified"),
        ),
        (
            keyed().sse_specification(sse(true, Some(SseType::Aes256), None)),
            format!("{invalid} SSEType AES256 is not supported"),
        ),
        (
            provisioned().on_demand_throughput(ceiling(None, Some(10))),
            format!("{invalid} MaxWriteRequestUnits for OnDemandThroughput cannot be specified when table BillingMode is PROVISIONED."),
        ),
        (
            keyed().on_demand_throughput(ceiling(Some(0), None)),
            format!("{invalid} Requested MaxReadRequestUnits for OnDemandThroughput for table is outside of valid range"),
        ),
        (
            provisioned().warm_throughput(
                WarmThroughput::builder()
                    .read_units_per_second(4)
                    .build(),
            ),
            format!("{invalid} Requested ReadUnitsPerSecond for WarmThroughput for table is lower than ReadCapacityUnits of ProvisionedThroughput"),
        ),
    ];
    for (request, expected) in cases {
        let error = request.send().await.unwrap_err();
        assert_eq!(error_code(&error), "ValidationException", "{expected}");
        if server.is_ours() {
            assert_eq!(error_message(&error), expected);
        }
    }
}

#[tokio::test]
async fn list_tables_pages_by_name() {
    let server = Server::start();
    if !server.is_ours() {
        return; // other servers hold other tables
    }
    let client = server.client();
    let mut names: Vec<String> = (0..7).map(|i| format!("list_{i:02}")).collect();
    for name in &names {
        create_table(&client, name, None).await;
    }
    names.sort();
    let page = client.list_tables().limit(3).send().await.unwrap();
    assert_eq!(page.table_names(), &names[..3]);
    assert_eq!(page.last_evaluated_table_name(), Some(names[2].as_str()));
    let page = client
        .list_tables()
        .limit(3)
        .exclusive_start_table_name(&names[5])
        .send()
        .await
        .unwrap();
    assert_eq!(page.table_names(), &names[6..]);
    assert_eq!(page.last_evaluated_table_name(), None);

    // The SDK paginator walks every page.
    let all: Vec<String> = client
        .list_tables()
        .limit(2)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    assert_eq!(all, names);

    let error = client.list_tables().limit(0).send().await.unwrap_err();
    assert_eq!(error_code(&error), "ValidationException");
    assert!(error_message(&error).contains("Member must have value greater than or equal to 1"));
}

#[tokio::test]
async fn update_table_changes_billing_throughput_protection_and_streams() {
    let server = Server::start();
    let client = server.client();
    let name = unique_table("upd");
    create_table(&client, &name, None).await;

    let error = client
        .update_table()
        .table_name(&name)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ValidationException");

    let updated = client
        .update_table()
        .table_name(&name)
        .billing_mode(BillingMode::Provisioned)
        .provisioned_throughput(throughput(3, 4))
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(
        updated.billing_mode_summary().unwrap().billing_mode(),
        Some(&BillingMode::Provisioned)
    );
    assert_eq!(
        updated
            .provisioned_throughput()
            .unwrap()
            .read_capacity_units(),
        Some(3)
    );

    let error = client
        .update_table()
        .table_name(&name)
        .provisioned_throughput(throughput(3, 4))
        .send()
        .await
        .unwrap_err();
    assert!(
        error_message(&error).contains("will not change"),
        "{}",
        error_message(&error)
    );

    // One kind of change per request, as DynamoDB requires. Deletion
    // protection changes at once: the answer says ACTIVE.
    let answer = client
        .update_table()
        .table_name(&name)
        .deletion_protection_enabled(true)
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(answer.table_status(), Some(&TableStatus::Active));
    client
        .update_table()
        .table_name(&name)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let table = described(&client, &name).await;
    assert_eq!(table.deletion_protection_enabled(), Some(true));
    assert_eq!(
        table.stream_specification().unwrap().stream_view_type(),
        Some(&StreamViewType::NewAndOldImages)
    );
    assert!(table
        .latest_stream_arn()
        .unwrap()
        .contains(&format!("table/{name}/stream/")));

    let error = client
        .delete_table()
        .table_name(&name)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ValidationException");
    assert_eq!(
        error_message(&error),
        "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first."
    );
    client
        .update_table()
        .table_name(&name)
        .deletion_protection_enabled(false)
        .send()
        .await
        .unwrap();
    client
        .delete_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();

    let error = client
        .update_table()
        .table_name(&name)
        .deletion_protection_enabled(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ResourceNotFoundException");
}

fn ceiling(read: Option<i64>, write: Option<i64>) -> OnDemandThroughput {
    OnDemandThroughput::builder()
        .set_max_read_request_units(read)
        .set_max_write_request_units(write)
        .build()
}

/// (table, index "byG") ceilings as DescribeTable reports them.
async fn described_ceilings(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
) -> (OnDemandThroughput, OnDemandThroughput) {
    let table = described(client, name).await;
    let index = table.global_secondary_indexes()[0].clone();
    assert_eq!(index.index_name(), Some("byG"));
    (
        table.on_demand_throughput().unwrap().clone(),
        index.on_demand_throughput().unwrap().clone(),
    )
}

#[tokio::test]
async fn on_demand_ceilings_are_recorded_updated_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let name = unique_table("ceiling");
    let mut server = Server::start_durable(dir.path());
    let client = server.client();
    client
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .attribute_definitions(attr("g", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .on_demand_throughput(ceiling(Some(100), Some(50)))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("byG")
                .key_schema(key("g", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .on_demand_throughput(ceiling(Some(7), None))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // A member without a ceiling (-1) is left out of the description.
    assert_eq!(
        described_ceilings(&client, &name).await,
        (ceiling(Some(100), Some(50)), ceiling(Some(7), None))
    );

    // A member left out keeps its value; -1 removes a ceiling (echoed in
    // the answer, left out of descriptions); an index's ceiling changes
    // without any throughput.
    let answer = client
        .update_table()
        .table_name(&name)
        .on_demand_throughput(ceiling(None, Some(-1)))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .update(
                    UpdateGlobalSecondaryIndexAction::builder()
                        .index_name("byG")
                        .on_demand_throughput(ceiling(None, Some(3)))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(
        answer.on_demand_throughput(),
        Some(&ceiling(Some(100), Some(-1)))
    );
    assert_eq!(
        answer.global_secondary_indexes()[0].on_demand_throughput(),
        Some(&ceiling(Some(7), Some(3)))
    );
    let expected = (ceiling(Some(100), None), ceiling(Some(7), Some(3)));
    assert_eq!(described_ceilings(&client, &name).await, expected);

    for bad in [0, -2] {
        let error = client
            .update_table()
            .table_name(&name)
            .on_demand_throughput(ceiling(Some(bad), None))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&error), "ValidationException");
        assert_eq!(
            error_message(&error),
            "One or more parameter values were invalid: Requested MaxReadRequestUnits for OnDemandThroughput for table is outside of valid range"
        );
    }
    let error = client
        .create_table()
        .table_name(unique_table("ceiling"))
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .provisioned_throughput(throughput(1, 1))
        .on_demand_throughput(ceiling(Some(10), None))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ValidationException");
    assert_eq!(
        error_message(&error),
        "One or more parameter values were invalid: MaxReadRequestUnits for OnDemandThroughput cannot be specified when table BillingMode is PROVISIONED."
    );

    assert!(server.terminate().success(), "clean shutdown on SIGTERM");
    let server = Server::start_durable(dir.path());
    let client = server.client();
    assert_eq!(described_ceilings(&client, &name).await, expected);

    // An index's ceiling cleared with -1: echoed, then left out.
    let answer = client
        .update_table()
        .table_name(&name)
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .update(
                    UpdateGlobalSecondaryIndexAction::builder()
                        .index_name("byG")
                        .on_demand_throughput(ceiling(Some(-1), None))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(
        answer.global_secondary_indexes()[0].on_demand_throughput(),
        Some(&ceiling(Some(-1), Some(3)))
    );
    assert_eq!(
        described_ceilings(&client, &name).await.1,
        ceiling(None, Some(3))
    );
}

#[tokio::test]
async fn tables_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let name = unique_table("persist");
    {
        let mut server = Server::start_durable(dir.path());
        let client = server.client();
        create_table(&client, &name, Some(ScalarAttributeType::N)).await;
        for i in 0..10 {
            client
                .put_item()
                .table_name(&name)
                .item("pk", aws_sdk_dynamodb::types::AttributeValue::S("p".into()))
                .item(
                    "sk",
                    aws_sdk_dynamodb::types::AttributeValue::N(i.to_string()),
                )
                .send()
                .await
                .unwrap();
        }
        assert!(server.terminate().success(), "clean shutdown on SIGTERM");
    }
    let server = Server::start_durable(dir.path());
    let client = server.client();
    let table = described(&client, &name).await;
    assert_eq!(table.item_count(), Some(10));
    assert!(table.table_size_bytes().unwrap() > 0);
    let item = client
        .get_item()
        .table_name(&name)
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S("p".into()))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::N("7".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(
        item["sk"],
        aws_sdk_dynamodb::types::AttributeValue::N("7".into())
    );
}

#[tokio::test]
async fn tables_are_tagged_untagged_and_listed() {
    use aws_sdk_dynamodb::types::Tag;
    let tag = |key: &str, value: &str| Tag::builder().key(key).value(value).build().unwrap();
    let server = Server::start();
    let client = server.client();
    let name = unique_table("tags");
    let arn = client
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .tags(tag("team", "core"))
        .tags(tag("empty", ""))
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap()
        .table_arn
        .unwrap();
    let listed = || async {
        client
            .list_tags_of_resource()
            .resource_arn(&arn)
            .send()
            .await
            .unwrap()
            .tags
            .unwrap_or_default()
    };
    assert_eq!(listed().await, vec![tag("empty", ""), tag("team", "core")]);

    client
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag("team", "storage"))
        .tags(tag("cost", "7"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed().await,
        vec![tag("cost", "7"), tag("empty", ""), tag("team", "storage")]
    );
    client
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("empty")
        .tag_keys("never-set")
        .send()
        .await
        .unwrap();
    assert_eq!(
        listed().await,
        vec![tag("cost", "7"), tag("team", "storage")]
    );

    // Wrong or missing ARNs, index ARNs, empty lists, and the quota.
    let error = client
        .list_tags_of_resource()
        .resource_arn(format!("{arn}-gone"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ResourceNotFoundException");
    assert_eq!(
        error_message(&error),
        format!("Requested resource not found: ResourceArn: {arn}-gone not found")
    );
    let invalid = "One or more parameter values were invalid";
    let region = arn.split(':').nth(3).unwrap();
    let elsewhere = arn.replacen(region, "eu-west-3", 1);
    for (given, message) in [
        (
            format!("{arn}/index/byX"),
            format!("{invalid}: Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {arn}/index/byX"),
        ),
        (
            "not-an-arn".to_string(),
            format!("{invalid}: ARNs must start with 'arn:': not-an-arn"),
        ),
        (
            format!("{arn}/backup/01234567890123-0123abcd"),
            format!("{invalid}: Provided Arn is not a DynamoDB resource arn: {arn}/backup/01234567890123-0123abcd"),
        ),
        (
            elsewhere.clone(),
            format!("Invalid TableArn: Invalid ResourceArn provided as input {elsewhere}"),
        ),
    ] {
        let error = client
            .list_tags_of_resource()
            .resource_arn(&given)
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&error), "ValidationException", "{given}");
        assert_eq!(error_message(&error), message);
        let error = client
            .tag_resource()
            .resource_arn(&given)
            .tags(tag("a", "b"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_message(&error), message);
    }
    let error = client
        .list_tags_of_resource()
        .resource_arn("arn:aws:dynamodb")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "AccessDeniedException");
    let error = client
        .untag_resource()
        .resource_arn(&arn)
        .set_tag_keys(Some(vec![]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "Atleast one Tag Key needs to be provided as Input."
    );
    let error = client
        .tag_resource()
        .resource_arn(&arn)
        .set_tags(Some(vec![]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "Atleast one Tag needs to be provided as Input."
    );
    // Bad tags, in DynamoDB's words; a good tag beside one is not applied.
    let long_key = "k".repeat(129);
    let long_value = "v".repeat(257);
    for (tags, message) in [
        (
            vec![tag("fine", "1"), tag(&long_key, "v")],
            format!("The Tag Key provided is invalid, Key: {long_key}"),
        ),
        (
            vec![tag("", "v")],
            "The Tag Key provided is invalid, Key: ".to_string(),
        ),
        (
            vec![tag("a,b", "v")],
            "The Tag Key provided is invalid, Key: a,b".to_string(),
        ),
        (
            vec![tag("fine", &long_value)],
            format!("The Tag Value provided is invalid, Value: {long_value}"),
        ),
        (
            vec![tag("fine", "100%")],
            "The Tag Value provided is invalid, Value: 100%".to_string(),
        ),
        (
            vec![tag("fine", "1"), tag("aws:zzz", "v")],
            "Tag Key cannot be prefixed with aws:, Key: aws:zzz".to_string(),
        ),
        // In any case (DDB-TABLE-105).
        (
            vec![tag("AWS:foo", "v")],
            "Tag Key cannot be prefixed with aws:, Key: AWS:foo".to_string(),
        ),
        (
            vec![tag("dup", "1"), tag("dup", "2")],
            "Duplicate Tag Keys provided as input: Duplicate Tag Key found dup".to_string(),
        ),
    ] {
        let error = client
            .tag_resource()
            .resource_arn(&arn)
            .set_tags(Some(tags))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&error), "ValidationException");
        assert_eq!(error_message(&error), message);
    }
    // UntagResource refuses such a key too; "myaws:" is no such prefix.
    let error = client
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("Aws:foo")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ValidationException");
    assert_eq!(
        error_message(&error),
        "Tag Key cannot be prefixed with aws:, Key: Aws:foo"
    );
    client
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag("myaws:foo", "v"))
        .send()
        .await
        .unwrap();
    client
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("myaws:foo")
        .send()
        .await
        .unwrap();
    // Letters of any script, spaces and + - = . _ : / @ are fine.
    client
        .tag_resource()
        .resource_arn(&arn)
        .tags(tag("ключ 表", "a+b-c=d.e_f:g/h@i"))
        .send()
        .await
        .unwrap();
    client
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys("ключ 表")
        .send()
        .await
        .unwrap();
    // Members the SDK cannot leave out.
    let raw = |body: String| {
        let response = call(&server.address(), "TagResource", &body);
        (response.error_type(), response.json()["message"].clone())
    };
    assert_eq!(
        raw(format!(r#"{{"ResourceArn":"{arn}","Tags":[{{}}]}}"#)).1,
        "The Tag Key provided is invalid, Key: null"
    );
    assert_eq!(
        raw(format!(
            r#"{{"ResourceArn":"{arn}","Tags":[{{"Key":"k"}}]}}"#
        ))
        .1,
        "The Tag Value provided is invalid, Value: null"
    );
    let error = client
        .untag_resource()
        .resource_arn(&arn)
        .tag_keys(&long_key)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        format!("The Tag Key provided is invalid, Key: {long_key}")
    );
    // The quota: 50 tags after the merge, and at most 50 keys to remove.
    let mut too_many = client.tag_resource().resource_arn(&arn);
    for i in 0..49 {
        too_many = too_many.tags(tag(&format!("k{i}"), "v"));
    }
    let error = too_many.send().await.unwrap_err();
    assert_eq!(error_code(&error), "ValidationException");
    assert_eq!(
        error_message(&error),
        "Number of Tags exceed the current limit for the provided ResourceArn"
    );
    let mut too_many = client.untag_resource().resource_arn(&arn);
    for i in 0..51 {
        too_many = too_many.tag_keys(format!("k{i}"));
    }
    let error = too_many.send().await.unwrap_err();
    assert_eq!(
        error_message(&error),
        "Number of Tags exceed the current limit for the provided ResourceArn"
    );
    assert_eq!(
        listed().await.len(),
        2,
        "a refused TagResource changes nothing"
    );
}

#[tokio::test]
async fn billing_mode_summary_only_once_a_table_was_on_demand() {
    let server = Server::start();
    let client = server.client();
    let summary = |name: String| {
        let client = client.clone();
        async move {
            described(&client, &name)
                .await
                .billing_mode_summary
                .and_then(|s| s.billing_mode)
        }
    };
    let implicit = unique_table("implicit");
    let explicit = unique_table("explicit");
    for (name, mode) in [
        (&implicit, None),
        (&explicit, Some(BillingMode::Provisioned)),
    ] {
        client
            .create_table()
            .table_name(name)
            .attribute_definitions(attr("pk", ScalarAttributeType::S))
            .key_schema(key("pk", KeyType::Hash))
            .set_billing_mode(mode)
            .provisioned_throughput(throughput(1, 1))
            .send()
            .await
            .unwrap();
    }
    // DynamoDB leaves the summary out for a provisioned table, created with
    // or without the mode named (DDB-TABLE-025).
    assert_eq!(summary(implicit.clone()).await, None);
    assert_eq!(summary(explicit.clone()).await, None);
    // A switch answers with the new mode alone; DescribeTable adds when the
    // table became on-demand, and keeps it after a switch back (-055, -060).
    let answer = client
        .update_table()
        .table_name(&implicit)
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    let answered = answer.billing_mode_summary().unwrap();
    assert_eq!(answered.billing_mode(), Some(&BillingMode::PayPerRequest));
    assert_eq!(answered.last_update_to_pay_per_request_date_time(), None);
    assert_eq!(
        summary(implicit.clone()).await,
        Some(BillingMode::PayPerRequest)
    );
    let since = described(&client, &implicit)
        .await
        .billing_mode_summary()
        .and_then(|s| s.last_update_to_pay_per_request_date_time().cloned());
    assert!(since.is_some());
    client
        .update_table()
        .table_name(&implicit)
        .billing_mode(BillingMode::Provisioned)
        .provisioned_throughput(throughput(1, 1))
        .send()
        .await
        .unwrap();
    let after = described(&client, &implicit).await;
    let kept = after.billing_mode_summary().unwrap();
    assert_eq!(kept.billing_mode(), Some(&BillingMode::Provisioned));
    assert_eq!(
        kept.last_update_to_pay_per_request_date_time().cloned(),
        since
    );
}

#[tokio::test]
async fn describe_limits_reports_dynamodb_default_quotas() {
    let server = Server::start();
    let limits = server.client().describe_limits().send().await.unwrap();
    assert_eq!(limits.account_max_read_capacity_units(), Some(80_000));
    assert_eq!(limits.account_max_write_capacity_units(), Some(80_000));
    assert_eq!(limits.table_max_read_capacity_units(), Some(40_000));
    assert_eq!(limits.table_max_write_capacity_units(), Some(40_000));
}

/// SSESpecification is recorded and described (SSEDescription) as
/// DynamoDB does, through CreateTable, UpdateTable, a restart and a restore.
#[tokio::test]
async fn encryption_settings_are_recorded_described_and_kept() {
    use aws_sdk_dynamodb::types::{SseSpecification, SseStatus, SseType};
    let dir = tempfile::tempdir().unwrap();
    let name = unique_table("sse");
    let described_sse = |client: aws_sdk_dynamodb::Client, name: String| async move {
        described(&client, &name).await.sse_description
    };
    {
        let mut server = Server::start_durable(dir.path());
        let client = server.client();
        let created = client
            .create_table()
            .table_name(&name)
            .key_schema(key("pk", KeyType::Hash))
            .attribute_definitions(attr("pk", ScalarAttributeType::S))
            .billing_mode(BillingMode::PayPerRequest)
            .sse_specification(SseSpecification::builder().enabled(true).build())
            .send()
            .await
            .unwrap();
        let sse = created.table_description.unwrap().sse_description.unwrap();
        assert_eq!(sse.status(), Some(&SseStatus::Enabled));
        assert_eq!(sse.sse_type(), Some(&SseType::Kms));
        let managed_key = sse.kms_master_key_arn().unwrap().to_string();
        assert!(
            managed_key.starts_with("arn:aws:kms:us-east-1:000000000000:key/"),
            "{managed_key}"
        );

        // Only encryption changes: a valid UpdateTable.
        client
            .update_table()
            .table_name(&name)
            .sse_specification(
                SseSpecification::builder()
                    .enabled(true)
                    .sse_type(SseType::Kms)
                    .kms_master_key_id("alias/app-key")
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let sse = described_sse(client.clone(), name.clone()).await.unwrap();
        assert_eq!(
            sse.kms_master_key_arn(),
            Some("arn:aws:kms:us-east-1:000000000000:alias/app-key")
        );

        let refused = client
            .update_table()
            .table_name(&name)
            .sse_specification(
                SseSpecification::builder()
                    .sse_type(SseType::from("SHA1"))
                    .build(),
            )
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&refused), "ValidationException");
        assert!(
            error_message(&refused).contains(
                "Value 'SHA1' at 'sSESpecification.sSEType' failed to satisfy constraint: \
                 Member must satisfy enum value set: [AES256, KMS]"
            ),
            "{}",
            error_message(&refused)
        );
        assert!(server.terminate().success());
    }
    let server = Server::start_durable(dir.path());
    let client = server.client();
    let sse = described_sse(client.clone(), name.clone()).await.unwrap();
    assert_eq!(
        sse.kms_master_key_arn(),
        Some("arn:aws:kms:us-east-1:000000000000:alias/app-key")
    );

    // A restore keeps the source's key unless told otherwise.
    let arn = client
        .create_backup()
        .table_name(&name)
        .backup_name("sse-backup")
        .send()
        .await
        .unwrap()
        .backup_details
        .unwrap()
        .backup_arn;
    let kept = format!("{name}_kept");
    client
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name(&kept)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described_sse(client.clone(), kept)
            .await
            .unwrap()
            .kms_master_key_arn(),
        Some("arn:aws:kms:us-east-1:000000000000:alias/app-key")
    );
    let owned = format!("{name}_owned");
    client
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name(&owned)
        .sse_specification_override(SseSpecification::builder().enabled(false).build())
        .send()
        .await
        .unwrap();
    assert_eq!(described_sse(client.clone(), owned).await, None);

    // Back to the key AWS owns: DynamoDB describes nothing then.
    client
        .update_table()
        .table_name(&name)
        .sse_specification(SseSpecification::builder().enabled(false).build())
        .send()
        .await
        .unwrap();
    assert_eq!(described_sse(client.clone(), name.clone()).await, None);
}

/// Resource-based policies with their revisions, as DynamoDB answers them
/// (the messages moto's AWS-verified tests record).
#[tokio::test]
async fn resource_policies_are_kept_with_their_revisions() {
    let server = Server::start();
    let client = server.client();
    let name = unique_table("policy");
    let policy = |action: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"000000000000"}},"Action":["{action}"],"Resource":"*"}}]}}"#
        )
    };
    let created = client
        .create_table()
        .table_name(&name)
        .key_schema(key("pk", KeyType::Hash))
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::KeysOnly)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    let arn = created.table_arn().unwrap().to_string();
    let stream_arn = created.latest_stream_arn().unwrap().to_string();

    let missing = client
        .get_resource_policy()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&missing), "PolicyNotFoundException");
    assert_eq!(
        error_message(&missing),
        format!("Resource-based policy not found for the provided ResourceArn: {arn}")
    );

    let put = |document: String, expected: Option<&str>| {
        client
            .put_resource_policy()
            .resource_arn(&arn)
            .policy(document)
            .set_expected_revision_id(expected.map(str::to_string))
            .send()
    };
    let first = put(policy("dynamodb:*"), Some("NO_POLICY"))
        .await
        .unwrap()
        .revision_id
        .unwrap();
    let got = client
        .get_resource_policy()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(got.policy(), Some(policy("dynamodb:*").as_str()));
    assert_eq!(got.revision_id(), Some(first.as_str()));
    // The same document again is no change.
    let same = put(policy("dynamodb:*"), None).await.unwrap().revision_id;
    assert_eq!(same.as_deref(), Some(first.as_str()));
    let second = put(policy("dynamodb:PutItem"), Some(&first))
        .await
        .unwrap()
        .revision_id
        .unwrap();
    assert!(second.parse::<u64>().unwrap() > first.parse::<u64>().unwrap());

    let stale = put(policy("dynamodb:GetItem"), Some(&first))
        .await
        .unwrap_err();
    assert_eq!(error_code(&stale), "PolicyNotFoundException");
    assert_eq!(
        error_message(&stale),
        format!(
            "Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id {first}, but the policy associated to target table {name} has revision id {second}."
        )
    );
    let expecting_none = put(policy("dynamodb:GetItem"), Some("NO_POLICY"))
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&expecting_none),
        format!(
            "Resource-based policy not found for the provided ResourceArn: Requested policy update expecting none to be present for table {name}, but a policy exists with revision id {second}."
        )
    );

    // The stream has a policy of its own.
    client
        .put_resource_policy()
        .resource_arn(&stream_arn)
        .policy(policy("dynamodb:GetRecords"))
        .send()
        .await
        .unwrap();
    let stream_policy = client
        .get_resource_policy()
        .resource_arn(&stream_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        stream_policy.policy(),
        Some(policy("dynamodb:GetRecords").as_str())
    );

    let wrong = client
        .delete_resource_policy()
        .resource_arn(&arn)
        .expected_revision_id("unknown")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&wrong), "PolicyNotFoundException");
    client
        .delete_resource_policy()
        .resource_arn(&arn)
        .expected_revision_id(&second)
        .send()
        .await
        .unwrap();
    let gone = client
        .get_resource_policy()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&gone), "PolicyNotFoundException");

    let unknown = client
        .get_resource_policy()
        .resource_arn(format!("{arn}unknown"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&unknown), "ResourceNotFoundException");
    assert_eq!(
        error_message(&unknown),
        format!("Requested resource not found: Table: {name}unknown not found")
    );

    // ARNs that name no table or stream of this region, in DynamoDB's words.
    let region = arn.split(':').nth(3).unwrap();
    let invalid = "One or more parameter values were invalid";
    let label = "2000-01-01T00:00:00.000";
    for (given, code, message) in [
        (
            "not-an-arn".to_string(),
            "ValidationException",
            format!("{invalid}: ARNs must start with 'arn:': not-an-arn"),
        ),
        (
            format!("{arn}/backup/01234567890123-0123abcd"),
            "ValidationException",
            format!("{invalid}: Provided Arn is not a DynamoDB resource arn: {arn}/backup/01234567890123-0123abcd"),
        ),
        (
            format!("{arn}/index/byX"),
            "ValidationException",
            format!("{invalid}: Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {arn}/index/byX"),
        ),
        (
            arn.replacen(region, "eu-west-3", 1),
            "ValidationException",
            format!("{invalid}: Invalid resource Arn: {}", arn.replacen(region, "eu-west-3", 1)),
        ),
        (
            arn.replacen("arn:aws:", "arn:aws-cn:", 1),
            "ValidationException",
            format!("{invalid}: Invalid resource Arn: {}", arn.replacen("arn:aws:", "arn:aws-cn:", 1)),
        ),
        (
            format!("{arn}/stream/{label}"),
            "ResourceNotFoundException",
            format!("Requested resource not found: Stream: {label} not found for Table: {name}"),
        ),
    ] {
        let error = client
            .get_resource_policy()
            .resource_arn(&given)
            .send()
            .await
            .unwrap_err();
        assert_eq!((error_code(&error), error_message(&error)), (code.to_string(), message), "{given}");
    }

    // Documents DynamoDB refuses, in its words.
    let statement = r#"{"Sid":"s","Effect":"Allow","Principal":"*","Action":"dynamodb:GetItem","Resource":"*"}"#;
    for (document, detail) in [
        (
            String::new(),
            "Invalid policy document: This policy contains invalid Json",
        ),
        (
            "[]".into(),
            "Invalid policy document: This policy contains invalid Json",
        ),
        (
            "null".into(),
            "Invalid policy document: This text appears not to be a policy",
        ),
        (
            r#"{"Version":"2012-10-17","Statement":[]}"#.into(),
            "Invalid policy document: Could not parse the policy: Statement is empty!",
        ),
        (
            r#"{"Statement":[{}]}"#.into(),
            "Invalid policy document: Missing required field Effect",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"dynamodb:GetItem"}]}"#
                .into(),
            "Invalid policy document: Missing required field Resource",
        ),
        (
            format!(r#"{{"Statement":[{statement},{statement}]}}"#),
            "Invalid policy document: The Statement Ids in the policy are not unique",
        ),
        (
            format!(
                r#"{{"Statement":[{statement}],"Padding":"{}"}}"#,
                "x".repeat(20 * 1024)
            ),
            "Maximum policy size of 20480 bytes exceeded",
        ),
    ] {
        let error = put(document, None).await.unwrap_err();
        assert_eq!(error_code(&error), "ValidationException");
        assert_eq!(error_message(&error), format!("{invalid}: {detail}"));
    }

    // CreateTable may attach one.
    let other = unique_table("policy_at_creation");
    let other_arn = client
        .create_table()
        .table_name(&other)
        .key_schema(key("pk", KeyType::Hash))
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .billing_mode(BillingMode::PayPerRequest)
        .resource_policy(policy("dynamodb:Query"))
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap()
        .table_arn
        .unwrap();
    let attached = client
        .get_resource_policy()
        .resource_arn(other_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(attached.policy(), Some(policy("dynamodb:Query").as_str()));
}

/// Contributor Insights settings of a table and its global index: turned
/// on and off, described with DynamoDB's rule names, listed, and gone with
/// a deleted index.
#[tokio::test]
async fn contributor_insights_settings_are_kept_and_listed() {
    use aws_sdk_dynamodb::types::{
        ContributorInsightsAction, ContributorInsightsMode, ContributorInsightsStatus,
    };
    let server = Server::start();
    let client = server.client();
    let name = unique_table("insights");
    client
        .create_table()
        .table_name(&name)
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .attribute_definitions(attr("sk", ScalarAttributeType::S))
        .attribute_definitions(attr("g", ScalarAttributeType::S))
        .billing_mode(BillingMode::PayPerRequest)
        .global_secondary_indexes(common::global_index("by_g", "g", ProjectionType::KeysOnly))
        .send()
        .await
        .unwrap();
    let described = client
        .describe_contributor_insights()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.contributor_insights_status(),
        Some(&ContributorInsightsStatus::Disabled)
    );
    assert!(described.contributor_insights_rule_list().is_empty());

    let updated = client
        .update_contributor_insights()
        .table_name(&name)
        .contributor_insights_action(ContributorInsightsAction::Enable)
        .send()
        .await
        .unwrap();
    assert_eq!(
        updated.contributor_insights_status(),
        Some(&ContributorInsightsStatus::Enabling)
    );
    client
        .update_contributor_insights()
        .table_name(&name)
        .index_name("by_g")
        .contributor_insights_action(ContributorInsightsAction::Enable)
        .contributor_insights_mode(ContributorInsightsMode::ThrottledKeys)
        .send()
        .await
        .unwrap();
    let described = client
        .describe_contributor_insights()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.contributor_insights_status(),
        Some(&ContributorInsightsStatus::Enabled)
    );
    assert_eq!(
        described.contributor_insights_mode(),
        Some(&ContributorInsightsMode::AccessedAndThrottledKeys)
    );
    let rules = described.contributor_insights_rule_list();
    assert_eq!(rules.len(), 4, "partition and sort key rules: {rules:?}");
    assert!(rules[0].starts_with(&format!("DynamoDBContributorInsights-PKC-{name}-")));
    let index = client
        .describe_contributor_insights()
        .table_name(&name)
        .index_name("by_g")
        .send()
        .await
        .unwrap();
    assert_eq!(index.index_name(), Some("by_g"));
    // THROTTLED_KEYS on a hash-only index: its throttled-key rule alone.
    assert_eq!(index.contributor_insights_rule_list().len(), 1);

    let listed = client
        .list_contributor_insights()
        .table_name(&name)
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.contributor_insights_summaries().len(), 1);
    let rest = client
        .list_contributor_insights()
        .table_name(&name)
        .next_token(listed.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(rest.contributor_insights_summaries().len(), 1);
    assert_eq!(rest.next_token(), None);

    let missing = client
        .describe_contributor_insights()
        .table_name(&name)
        .index_name("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&missing), "ResourceNotFoundException");

    // Deleting the index takes its setting; disabling the table's turns it off.
    client
        .update_table()
        .table_name(&name)
        .global_secondary_index_updates(delete_global_index("by_g"))
        .send()
        .await
        .unwrap();
    client
        .update_contributor_insights()
        .table_name(&name)
        .contributor_insights_action(ContributorInsightsAction::Disable)
        .send()
        .await
        .unwrap();
    let listed = client
        .list_contributor_insights()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    assert!(listed.contributor_insights_summaries().is_empty());
}

/// Contributor Insights as DynamoDB was recorded answering (DDB-TABLE-089,
/// 091, 094, 097, 098, 137, 341): a missing table and a local index are not
/// found, a repeated ENABLE or DISABLE changes nothing and says so, and a
/// disabled setting keeps its mode and time.
#[tokio::test]
async fn contributor_insights_no_ops_and_not_found() {
    use aws_sdk_dynamodb::types::{
        ContributorInsightsAction, ContributorInsightsMode, ContributorInsightsStatus,
        LocalSecondaryIndex,
    };
    let server = Server::start();
    let client = server.client();
    let name = unique_table("insights");
    client
        .create_table()
        .table_name(&name)
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .attribute_definitions(attr("sk", ScalarAttributeType::S))
        .attribute_definitions(attr("l", ScalarAttributeType::S))
        .billing_mode(BillingMode::PayPerRequest)
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("by_l")
                .key_schema(key("pk", KeyType::Hash))
                .key_schema(key("l", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let missing = format!("{name}-gone");
    let not_found = format!("Requested resource not found: Table: {missing} not found");
    let error = client
        .describe_contributor_insights()
        .table_name(&missing)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ResourceNotFoundException");
    assert_eq!(error_message(&error), not_found);
    let error = client
        .update_contributor_insights()
        .table_name(&missing)
        .contributor_insights_action(ContributorInsightsAction::Enable)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ResourceNotFoundException");
    assert_eq!(error_message(&error), not_found);
    let error = client
        .list_contributor_insights()
        .table_name(&missing)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ResourceNotFoundException");
    assert_eq!(error_message(&error), not_found);

    let local = format!("Requested resource not found: Index: by_l not found for table: {name}");
    let error = client
        .update_contributor_insights()
        .table_name(&name)
        .index_name("by_l")
        .contributor_insights_action(ContributorInsightsAction::Enable)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ResourceNotFoundException");
    assert_eq!(error_message(&error), local);
    let error = client
        .describe_contributor_insights()
        .table_name(&name)
        .index_name("by_l")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ResourceNotFoundException");
    assert_eq!(error_message(&error), local);

    // DISABLE of a never-configured table: DISABLED at once.
    let update = |action: ContributorInsightsAction| {
        client
            .update_contributor_insights()
            .table_name(&name)
            .contributor_insights_action(action)
    };
    let answered = update(ContributorInsightsAction::Disable)
        .send()
        .await
        .unwrap();
    assert_eq!(
        answered.contributor_insights_status(),
        Some(&ContributorInsightsStatus::Disabled)
    );
    let describe = || {
        client
            .describe_contributor_insights()
            .table_name(&name)
            .send()
    };
    let fresh = describe().await.unwrap();
    assert_eq!(fresh.last_update_date_time(), None);
    assert_eq!(fresh.contributor_insights_mode(), None);

    // ENABLE, then ENABLE again in the same mode: ENABLED, nothing changed.
    let answered = update(ContributorInsightsAction::Enable)
        .send()
        .await
        .unwrap();
    assert_eq!(
        answered.contributor_insights_status(),
        Some(&ContributorInsightsStatus::Enabling)
    );
    let enabled = describe().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let answered = update(ContributorInsightsAction::Enable)
        .contributor_insights_mode(ContributorInsightsMode::AccessedAndThrottledKeys)
        .send()
        .await
        .unwrap();
    assert_eq!(
        answered.contributor_insights_status(),
        Some(&ContributorInsightsStatus::Enabled)
    );
    assert_eq!(
        answered.contributor_insights_mode(),
        Some(&ContributorInsightsMode::AccessedAndThrottledKeys)
    );
    let again = describe().await.unwrap();
    assert_eq!(
        again.last_update_date_time(),
        enabled.last_update_date_time()
    );
    assert_eq!(
        again.contributor_insights_rule_list(),
        enabled.contributor_insights_rule_list()
    );

    // DISABLE: DISABLING with the mode; then DISABLED keeping the mode and
    // a time, unlisted; DISABLE again: DISABLED.
    let answered = update(ContributorInsightsAction::Disable)
        .send()
        .await
        .unwrap();
    assert_eq!(
        answered.contributor_insights_status(),
        Some(&ContributorInsightsStatus::Disabling)
    );
    assert_eq!(
        answered.contributor_insights_mode(),
        Some(&ContributorInsightsMode::AccessedAndThrottledKeys)
    );
    let disabled = describe().await.unwrap();
    assert_eq!(
        disabled.contributor_insights_status(),
        Some(&ContributorInsightsStatus::Disabled)
    );
    assert_eq!(
        disabled.contributor_insights_mode(),
        Some(&ContributorInsightsMode::AccessedAndThrottledKeys)
    );
    assert!(disabled.last_update_date_time().is_some());
    assert!(disabled.contributor_insights_rule_list().is_empty());
    let listed = client
        .list_contributor_insights()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    assert!(listed.contributor_insights_summaries().is_empty());
    let answered = update(ContributorInsightsAction::Disable)
        .send()
        .await
        .unwrap();
    assert_eq!(
        answered.contributor_insights_status(),
        Some(&ContributorInsightsStatus::Disabled)
    );
    assert_eq!(
        describe().await.unwrap().last_update_date_time(),
        disabled.last_update_date_time()
    );
}

/// What CreateTable, DescribeTable and DeleteTable answer, as DynamoDB was
/// recorded answering (DDB-TABLE-042, 125, 039, 363): definitions and
/// projected attributes by name, -1 refused as a ceiling at creation, and
/// DeleteTable's reduced description.
#[tokio::test]
async fn table_descriptions_sort_names_and_delete_answers_less() {
    let server = Server::start();
    let client = server.client();
    let name = unique_table("sorted");
    let created = client
        .create_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("z", ScalarAttributeType::S))
        .attribute_definitions(attr("a", ScalarAttributeType::S))
        .attribute_definitions(attr("m", ScalarAttributeType::S))
        .attribute_definitions(attr("sk", ScalarAttributeType::N))
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("g-z")
                .key_schema(key("z", KeyType::Hash))
                .key_schema(key("m", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::Include)
                        .non_key_attributes("zz")
                        .non_key_attributes("aa")
                        .non_key_attributes("mm")
                        .non_key_attributes("sk")
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .global_secondary_indexes(common::global_index("g-a", "a", ProjectionType::KeysOnly))
        .send()
        .await
        .unwrap();
    let names = |table: &aws_sdk_dynamodb::types::TableDescription| {
        let definitions: Vec<String> = table
            .attribute_definitions()
            .iter()
            .map(|d| d.attribute_name().to_string())
            .collect();
        let indexes: Vec<String> = table
            .global_secondary_indexes()
            .iter()
            .map(|i| i.index_name().unwrap().to_string())
            .collect();
        let projected: Vec<String> = table.global_secondary_indexes()[0]
            .projection()
            .unwrap()
            .non_key_attributes()
            .to_vec();
        (definitions, indexes, projected)
    };
    let expected = (
        vec!["a", "m", "pk", "sk", "z"],
        vec!["g-z", "g-a"],
        vec!["aa", "mm", "sk", "zz"],
    );
    let expected = (
        expected.0.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        expected.1.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        expected.2.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    );
    assert_eq!(names(created.table_description().unwrap()), expected);
    assert_eq!(names(&described(&client, &name).await), expected);

    // DeleteTable: no keys, definitions, indexes, creation time or warm
    // throughput.
    let deleted = client
        .delete_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    let deleted = deleted.table_description().unwrap();
    assert_eq!(deleted.table_name(), Some(name.as_str()));
    assert_eq!(deleted.table_status(), Some(&TableStatus::Deleting));
    assert!(deleted.table_arn().is_some());
    assert!(deleted.table_id().is_some());
    assert!(deleted.provisioned_throughput().is_some());
    assert!(deleted.key_schema().is_empty());
    assert!(deleted.attribute_definitions().is_empty());
    assert!(deleted.global_secondary_indexes().is_empty());
    assert!(deleted.local_secondary_indexes().is_empty());
    assert!(deleted.creation_date_time().is_none());
    assert!(deleted.warm_throughput().is_none());

    // CreateTable refuses -1 (UpdateTable's "no ceiling"), empty
    // definitions and an empty key schema.
    let base = || {
        client
            .create_table()
            .table_name(unique_table("sorted"))
            .billing_mode(BillingMode::PayPerRequest)
    };
    let cases = [
        (
            base()
                .attribute_definitions(attr("pk", ScalarAttributeType::S))
                .key_schema(key("pk", KeyType::Hash))
                .on_demand_throughput(
                    OnDemandThroughput::builder()
                        .max_read_request_units(-1)
                        .max_write_request_units(-1)
                        .build(),
                ),
            "One or more parameter values were invalid: Requested MaxReadRequestUnits for OnDemandThroughput for table is outside of valid range",
        ),
        (
            base()
                .set_attribute_definitions(Some(Vec::new()))
                .key_schema(key("pk", KeyType::Hash)),
            "Invalid KeySchema: Some index key attribute have no definition",
        ),
        (
            base()
                .attribute_definitions(attr("pk", ScalarAttributeType::S))
                .set_key_schema(Some(Vec::new())),
            "1 validation error detected: Value '[]' at 'keySchema' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
    ];
    for (request, expected) in cases {
        let error = request.send().await.unwrap_err();
        assert_eq!(error_code(&error), "ValidationException", "{expected}");
        assert_eq!(error_message(&error), expected);
    }

    // UpdateTable's Create action gets Coral's checks on the index's
    // throughput, as CreateTable's indexes do (DDB-TABLE-128).
    let provisioned = unique_table("sorted");
    create_table(&client, &provisioned, None).await;
    let error = client
        .update_table()
        .table_name(&provisioned)
        .attribute_definitions(attr("g", ScalarAttributeType::S))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
                        .index_name("by_g")
                        .key_schema(key("g", KeyType::Hash))
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::All)
                                .build(),
                        )
                        .provisioned_throughput(throughput(0, 1))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ValidationException");
    assert_eq!(
        error_message(&error),
        "1 validation error detected: Value '0' at 'globalSecondaryIndexUpdates.1.member.create.provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1"
    );
}

fn warm(read: i64, write: i64) -> aws_sdk_dynamodb::types::WarmThroughput {
    aws_sdk_dynamodb::types::WarmThroughput::builder()
        .read_units_per_second(read)
        .write_units_per_second(write)
        .build()
}

/// (table, index "byG") warm throughput as DescribeTable reports it:
/// (read, write, status) each.
async fn described_warm(
    client: &aws_sdk_dynamodb::Client,
    name: &str,
) -> ((i64, i64, String), Option<(i64, i64, String)>) {
    let table = described(client, name).await;
    let warm = table.warm_throughput().expect("the table's WarmThroughput");
    let index = table.global_secondary_indexes().first().map(|index| {
        let warm = index.warm_throughput().expect("the index's WarmThroughput");
        (
            warm.read_units_per_second().unwrap(),
            warm.write_units_per_second().unwrap(),
            warm.status().unwrap().as_str().to_string(),
        )
    });
    (
        (
            warm.read_units_per_second().unwrap(),
            warm.write_units_per_second().unwrap(),
            warm.status().unwrap().as_str().to_string(),
        ),
        index,
    )
}

fn active(read: i64, write: i64) -> (i64, i64, String) {
    (read, write, "ACTIVE".to_string())
}

#[tokio::test]
async fn warm_throughput_is_reported_raised_and_never_lowered() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start_durable(dir.path());
    let client = server.client();
    let by_g = |warm_throughput: Option<aws_sdk_dynamodb::types::WarmThroughput>,
                provisioned: Option<ProvisionedThroughput>| {
        GlobalSecondaryIndex::builder()
            .index_name("byG")
            .key_schema(key("g", KeyType::Hash))
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::KeysOnly)
                    .build(),
            )
            .set_provisioned_throughput(provisioned)
            .set_warm_throughput(warm_throughput)
            .build()
            .unwrap()
    };

    // An on-demand table and its index start at 12,000 reads and 4,000
    // writes a second; CreateTable's answer leaves them out, as
    // DynamoDB's does (DDB-TABLE-033, 138).
    let on_demand = unique_table("warm");
    let created = client
        .create_table()
        .table_name(&on_demand)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .attribute_definitions(attr("g", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .global_secondary_indexes(by_g(None, None))
        .send()
        .await
        .unwrap();
    let answered = created.table_description().unwrap();
    assert!(answered.warm_throughput().is_none());
    let index = &answered.global_secondary_indexes()[0];
    assert!(index.warm_throughput().is_none());
    assert_eq!(
        index.index_status(),
        Some(&aws_sdk_dynamodb::types::IndexStatus::Creating)
    );
    assert_eq!(index.backfilling(), None);
    assert_eq!(
        answered
            .billing_mode_summary()
            .unwrap()
            .last_update_to_pay_per_request_date_time(),
        None
    );
    assert_eq!(
        described_warm(&client, &on_demand).await,
        (active(12_000, 4_000), Some(active(12_000, 4_000)))
    );

    // A provisioned table and index are warm for their provisioned
    // capacity; one may ask for more at creation (Terraform's example:
    // 5,000 / 2,000 over 5 / 5 units), on-demand or provisioned.
    let provisioned = unique_table("warm");
    client
        .create_table()
        .table_name(&provisioned)
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .attribute_definitions(attr("g", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .provisioned_throughput(throughput(5, 5))
        .warm_throughput(warm(5_000, 2_000))
        .global_secondary_indexes(by_g(None, Some(throughput(50, 25))))
        .send()
        .await
        .unwrap();
    assert_eq!(
        described_warm(&client, &provisioned).await,
        (active(5_000, 2_000), Some(active(50, 25)))
    );
    let prewarmed = unique_table("warm");
    let created = client
        .create_table()
        .table_name(&prewarmed)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .attribute_definitions(attr("g", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .warm_throughput(warm(15_000, 5_000))
        .global_secondary_indexes(by_g(Some(warm(13_000, 4_000)), None))
        .send()
        .await
        .unwrap();
    // Asked for, the table's is in the answer, UPDATING (DDB-TABLE-032);
    // the index's is not, even asked for (DDB-TABLE-134).
    let answered = created.table_description().unwrap();
    let warm_answered = answered.warm_throughput().unwrap();
    assert_eq!(
        (
            warm_answered.read_units_per_second(),
            warm_answered.write_units_per_second(),
            warm_answered.status().map(|s| s.as_str())
        ),
        (Some(15_000), Some(5_000), Some("UPDATING"))
    );
    assert!(answered.global_secondary_indexes()[0]
        .warm_throughput()
        .is_none());
    assert_eq!(
        described_warm(&client, &prewarmed).await,
        (active(15_000, 5_000), Some(active(13_000, 4_000)))
    );

    // Less than a new table starts with (0 too: CreateTable has no member
    // check, DDB-TABLE-039), or less than it has, is refused, and so is a
    // value below 1 in UpdateTable (Coral's member check).
    for asked in [warm(5_000, 2_000), warm(0, 0)] {
        let error = client
            .create_table()
            .table_name(unique_table("warm"))
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attr("pk", ScalarAttributeType::S))
            .key_schema(key("pk", KeyType::Hash))
            .warm_throughput(asked)
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&error), "ValidationException");
        assert_eq!(
            error_message(&error),
            "One or more parameter values were invalid: Requested ReadUnitsPerSecond for WarmThroughput for table is lower than initial throughput for OnDemand. See: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html#on-demand-capacity-mode-initial"
        );
    }
    let error = client
        .create_table()
        .table_name(unique_table("warm"))
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .provisioned_throughput(throughput(50, 25))
        .warm_throughput(warm(100, 24))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "One or more parameter values were invalid: Requested WriteUnitsPerSecond for WarmThroughput for table is lower than WriteCapacityUnits of ProvisionedThroughput"
    );
    for (asked, refusal) in [
        (
            warm(14_000, 5_000),
            "One or more parameter values were invalid: Requested ReadUnitsPerSecond for WarmThroughput for table is lower than current WarmThroughput, decreasing WarmThroughput is not supported",
        ),
        (
            warm(0, 5_000),
            "1 validation error detected: Value '0' at 'warmThroughput.readUnitsPerSecond' failed to satisfy constraint: Member must have value greater than or equal to 1",
        ),
    ] {
        let error = client
            .update_table()
            .table_name(&prewarmed)
            .warm_throughput(asked)
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&error), "ValidationException");
        assert_eq!(error_message(&error), refusal);
    }

    // UpdateTable raises the table's (one value at a time) and, in a
    // request of its own (warm throughput comes alone), an index's warm
    // throughput, alone in its update action. Its answer says UPDATING;
    // DescribeTable, ACTIVE.
    let updated = client
        .update_table()
        .table_name(&on_demand)
        .warm_throughput(
            aws_sdk_dynamodb::types::WarmThroughput::builder()
                .read_units_per_second(20_000)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let answered = updated
        .table_description()
        .unwrap()
        .warm_throughput()
        .unwrap();
    assert_eq!(answered.status().map(|s| s.as_str()), Some("UPDATING"));
    client
        .update_table()
        .table_name(&on_demand)
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .update(
                    UpdateGlobalSecondaryIndexAction::builder()
                        .index_name("byG")
                        .warm_throughput(warm(12_000, 6_000))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        described_warm(&client, &on_demand).await,
        (active(20_000, 4_000), Some(active(12_000, 6_000)))
    );

    // Provisioned capacity past the warm throughput raises it, and it
    // stays when the capacity comes down again.
    for (read, write) in [(30_000, 5), (10, 5)] {
        client
            .update_table()
            .table_name(&provisioned)
            .provisioned_throughput(throughput(read, write))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        described_warm(&client, &provisioned).await,
        (active(30_000, 2_000), Some(active(50, 25)))
    );

    // A table restored from a backup is a new table: warm for what its
    // billing gives it, and for what its index overrides ask.
    let backup = client
        .create_backup()
        .table_name(&prewarmed)
        .backup_name("warm")
        .send()
        .await
        .unwrap()
        .backup_details
        .unwrap()
        .backup_arn;
    for (override_warm, expected_index) in [
        (None, (12_000, 4_000)),
        (Some(warm(14_000, 4_500)), (14_000, 4_500)),
    ] {
        let restored = unique_table("warm");
        client
            .restore_table_from_backup()
            .target_table_name(&restored)
            .backup_arn(&backup)
            .global_secondary_index_override(by_g(override_warm, None))
            .send()
            .await
            .unwrap();
        client
            .wait_until_table_exists()
            .table_name(&restored)
            .wait(std::time::Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(
            described_warm(&client, &restored).await,
            (
                active(12_000, 4_000),
                Some(active(expected_index.0, expected_index.1))
            )
        );
    }

    // All of it is kept across a restart.
    assert!(server.terminate().success(), "clean shutdown on SIGTERM");
    let server = Server::start_durable(dir.path());
    let client = server.client();
    assert_eq!(
        described_warm(&client, &on_demand).await,
        (active(20_000, 4_000), Some(active(12_000, 6_000)))
    );
    assert_eq!(
        described_warm(&client, &provisioned).await,
        (active(30_000, 2_000), Some(active(50, 25)))
    );
}

/// DynamoDB applies one kind of change per UpdateTable; each pair below is
/// refused with the message DynamoDB gives (recorded answers), and nothing
/// of a refused request is applied.
#[tokio::test]
async fn update_table_takes_one_kind_of_change_per_request() {
    use aws_sdk_dynamodb::operation::update_table::builders::UpdateTableFluentBuilder;
    use aws_sdk_dynamodb::types::{
        CreateGlobalSecondaryIndexAction, SseSpecification, TableClass, WarmThroughput,
    };
    let server = Server::start();
    let client = server.client();
    let name = unique_table("one_kind");
    client
        .create_table()
        .table_name(&name)
        .key_schema(key("pk", KeyType::Hash))
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .attribute_definitions(attr("g", ScalarAttributeType::S))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("gsi1")
                .key_schema(key("g", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .provisioned_throughput(throughput(1, 1))
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::Provisioned)
        .provisioned_throughput(throughput(5, 5))
        .send()
        .await
        .unwrap();
    let stream = || {
        StreamSpecification::builder()
            .stream_enabled(true)
            .stream_view_type(StreamViewType::NewImage)
            .build()
            .unwrap()
    };
    let sse = || SseSpecification::builder().enabled(true).build();
    let warm = || {
        WarmThroughput::builder()
            .read_units_per_second(20_000)
            .build()
    };
    let ceiling = || {
        OnDemandThroughput::builder()
            .max_read_request_units(100)
            .build()
    };
    let create_index = || {
        GlobalSecondaryIndexUpdate::builder()
            .create(
                CreateGlobalSecondaryIndexAction::builder()
                    .index_name("gsi2")
                    .key_schema(key("g", KeyType::Hash))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::KeysOnly)
                            .build(),
                    )
                    .provisioned_throughput(throughput(1, 1))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let delete_index = || delete_global_index("gsi1");
    type With = Box<dyn Fn(UpdateTableFluentBuilder) -> UpdateTableFluentBuilder>;
    let cases: Vec<(&str, With, &str)> = vec![
        (
            "SSE + protection",
            Box::new(move |r| r.sse_specification(sse()).deletion_protection_enabled(true)),
            "Server-Side Encryption modification must be the only operation in the request",
        ),
        (
            "SSE + class",
            Box::new(move |r| {
                r.sse_specification(sse())
                    .table_class(TableClass::StandardInfrequentAccess)
            }),
            "Server-Side Encryption modification must be the only operation in the request",
        ),
        (
            "class + protection",
            Box::new(|r| {
                r.table_class(TableClass::StandardInfrequentAccess)
                    .deletion_protection_enabled(true)
            }),
            "TableClass modification must be the only operation in the request",
        ),
        (
            "class + throughput",
            Box::new(|r| {
                r.table_class(TableClass::StandardInfrequentAccess)
                    .provisioned_throughput(throughput(6, 6))
            }),
            "TableClass modification must be the only operation in the request",
        ),
        (
            "protection + billing",
            Box::new(|r| {
                r.deletion_protection_enabled(true)
                    .billing_mode(BillingMode::Provisioned)
            }),
            "DeletionProtection modification must be the only operation in the request",
        ),
        (
            "protection + stream",
            Box::new(move |r| {
                r.deletion_protection_enabled(true)
                    .stream_specification(stream())
            }),
            "DeletionProtection modification must be the only operation in the request",
        ),
        (
            "protection + warm",
            Box::new(move |r| r.deletion_protection_enabled(true).warm_throughput(warm())),
            "DeletionProtection modification must be the only operation in the request",
        ),
        (
            "ceiling + stream",
            Box::new(move |r| {
                r.on_demand_throughput(ceiling())
                    .stream_specification(stream())
            }),
            "OnDemandThroughput can only be combined with BillingMode in an UpdateTable request",
        ),
        (
            "ceiling + warm",
            Box::new(move |r| r.on_demand_throughput(ceiling()).warm_throughput(warm())),
            "OnDemandThroughput can only be combined with BillingMode in an UpdateTable request",
        ),
        (
            "warm + index create",
            Box::new(move |r| {
                r.warm_throughput(warm())
                    .global_secondary_index_updates(create_index())
                    .attribute_definitions(attr("g", ScalarAttributeType::S))
            }),
            "Create global secondary index cannot be specified when updating WarmThroughput",
        ),
        (
            "warm + throughput",
            Box::new(move |r| {
                r.warm_throughput(warm())
                    .provisioned_throughput(throughput(6, 6))
            }),
            "WarmThroughput must be the only operation in the request",
        ),
        (
            "stream + throughput",
            Box::new(move |r| {
                r.stream_specification(stream())
                    .provisioned_throughput(throughput(6, 6))
            }),
            "You cannot modify stream status while updating table IOPS",
        ),
        (
            "stream + PROVISIONED",
            Box::new(move |r| {
                r.stream_specification(stream())
                    .billing_mode(BillingMode::Provisioned)
                    .provisioned_throughput(throughput(6, 6))
            }),
            "You cannot modify stream status while updating table IOPS",
        ),
        (
            "index delete + throughput",
            Box::new(move |r| {
                r.global_secondary_index_updates(delete_index())
                    .provisioned_throughput(throughput(6, 6))
            }),
            "You cannot create or delete index while updating table IOPS",
        ),
        (
            "index create + stream",
            Box::new(move |r| {
                r.global_secondary_index_updates(create_index())
                    .attribute_definitions(attr("g", ScalarAttributeType::S))
                    .stream_specification(stream())
            }),
            "You cannot create or delete index while changing stream status",
        ),
    ];
    for (what, with, message) in &cases {
        let error = with(client.update_table().table_name(&name))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&error), "ValidationException", "{what}");
        assert_eq!(
            error_message(&error),
            format!("One or more parameter values were invalid: {message}"),
            "{what}"
        );
    }
    // Nothing of any of them was applied.
    let table = described(&client, &name).await;
    assert_eq!(table.deletion_protection_enabled(), Some(false));
    assert!(table.stream_specification().is_none());
    assert!(table.sse_description().is_none());
    assert!(table.table_class_summary().is_none());
    assert_eq!(table.global_secondary_indexes().len(), 1);
    assert_eq!(
        table
            .provisioned_throughput()
            .unwrap()
            .read_capacity_units(),
        Some(5)
    );

    // The pairs DynamoDB does take: a switch to on-demand with a stream,
    // or with an on-demand ceiling.
    client
        .update_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(stream())
        .send()
        .await
        .unwrap();
    client
        .update_table()
        .table_name(&name)
        .billing_mode(BillingMode::PayPerRequest)
        .on_demand_throughput(ceiling())
        .send()
        .await
        .unwrap();
    let table = described(&client, &name).await;
    assert_eq!(
        table.billing_mode_summary().unwrap().billing_mode(),
        Some(&BillingMode::PayPerRequest)
    );
    assert!(table.stream_specification().unwrap().stream_enabled());
    assert_eq!(
        table
            .on_demand_throughput()
            .unwrap()
            .max_read_request_units(),
        Some(100)
    );
}

/// The answers DynamoDB gives to a change that is no change, or half of
/// one, for streams and encryption.
#[tokio::test]
async fn stream_and_encryption_changes_that_change_nothing_are_refused() {
    use aws_sdk_dynamodb::types::SseSpecification;
    let server = Server::start();
    let client = server.client();
    let name = unique_table("no_change");
    create_table(&client, &name, None).await;
    let refused =
        |request: aws_sdk_dynamodb::operation::update_table::builders::UpdateTableFluentBuilder| async move {
            let error = request.send().await.unwrap_err();
            assert_eq!(error_code(&error), "ValidationException");
            error_message(&error)
        };
    let spec = |enabled: bool, view: Option<StreamViewType>| {
        StreamSpecification::builder()
            .stream_enabled(enabled)
            .set_stream_view_type(view)
            .build()
            .unwrap()
    };
    let update = || client.update_table().table_name(&name);
    assert_eq!(
        refused(update().stream_specification(spec(false, None))).await,
        format!("Table has no stream to disable: TableName: {name}")
    );
    assert_eq!(
        refused(update().stream_specification(spec(true, None))).await,
        "One or more parameter values were invalid: If stream is being enabled then UpdateViewType is required"
    );
    assert_eq!(
        refused(update().stream_specification(spec(false, Some(StreamViewType::KeysOnly)))).await,
        "One or more parameter values were invalid: If stream is being disabled, then UpdateViewType must not be specified"
    );
    update()
        .stream_specification(spec(true, Some(StreamViewType::KeysOnly)))
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused(update().stream_specification(spec(true, Some(StreamViewType::NewImage)))).await,
        format!("Table already has an enabled stream: TableName: {name}")
    );
    let created = |enabled: bool, view: Option<StreamViewType>| {
        client
            .create_table()
            .table_name(format!("{name}_created"))
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key("pk", KeyType::Hash))
            .attribute_definitions(attr("pk", ScalarAttributeType::S))
            .stream_specification(spec(enabled, view))
            .send()
    };
    let error = created(true, None).await.unwrap_err();
    assert_eq!(
        error_message(&error),
        "One or more parameter values were invalid: Table is being created with a stream enabled, UpdateViewType is required"
    );
    let error = created(false, Some(StreamViewType::NewImage))
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "One or more parameter values were invalid: Table is being created with a stream disabled, UpdateViewType should not be specified"
    );

    // Encryption: the default key again, or the KMS key in use named by
    // its ARN; naming it by alias applies it again.
    let sse = |enabled: bool, key: Option<&str>| {
        SseSpecification::builder()
            .enabled(enabled)
            .set_sse_type(key.map(|_| aws_sdk_dynamodb::types::SseType::Kms))
            .set_kms_master_key_id(key.map(str::to_string))
            .build()
    };
    assert_eq!(
        refused(update().sse_specification(sse(false, None))).await,
        "One or more parameter values were invalid: Table is already encrypted by default"
    );
    let key_arn = "arn:aws:kms:us-east-1:000000000000:key/7d0c3a47-54b9-4a5c-9b8e-3d8e2f0c1a11";
    // The answer: the table ACTIVE, its encryption UPDATING, with the key
    // it had (none here).
    let answer = update()
        .sse_specification(sse(true, Some(key_arn)))
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(answer.table_status(), Some(&TableStatus::Active));
    let sse_answer = answer.sse_description().unwrap();
    assert_eq!(sse_answer.status().map(|s| s.as_str()), Some("UPDATING"));
    assert_eq!(sse_answer.kms_master_key_arn(), None);
    assert_eq!(
        refused(update().sse_specification(sse(true, Some(key_arn)))).await,
        "One or more parameter values were invalid: Table is already encrypted with given KMSMasterKeyId. Use KMSMasterKeyId parameter if you want to change Master Key"
    );
    let answer = update()
        .sse_specification(sse(true, Some("alias/app-key")))
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(
        answer.sse_description().unwrap().kms_master_key_arn(),
        Some(key_arn),
        "the answer names the key being replaced"
    );
    update()
        .sse_specification(sse(true, Some("alias/app-key")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        described(&client, &name)
            .await
            .sse_description()
            .unwrap()
            .kms_master_key_arn(),
        Some("arn:aws:kms:us-east-1:000000000000:alias/app-key")
    );
}

/// TableClassSummary as DynamoDB describes it: absent while the class was
/// never set, LastUpdateDateTime once UpdateTable changed it, the old class
/// in UpdateTable's own answer, and gone again in a restored table.
#[tokio::test]
async fn table_class_summary_appears_once_a_class_is_set() {
    use aws_sdk_dynamodb::types::TableClass;
    let server = Server::start();
    let client = server.client();
    let name = unique_table("class");
    create_table(&client, &name, None).await;
    assert!(described(&client, &name)
        .await
        .table_class_summary()
        .is_none());

    let error = client
        .update_table()
        .table_name(&name)
        .table_class(TableClass::from("GLACIER"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "Invalid table-class parameter provided. Please try again with a valid table-class \
         value: [STANDARD, STANDARD_INFREQUENT_ACCESS]."
    );

    // STANDARD on a table never given a class changes nothing.
    client
        .update_table()
        .table_name(&name)
        .table_class(TableClass::Standard)
        .send()
        .await
        .unwrap();
    assert!(described(&client, &name)
        .await
        .table_class_summary()
        .is_none());

    let before = std::time::SystemTime::now();
    let answer = client
        .update_table()
        .table_name(&name)
        .table_class(TableClass::StandardInfrequentAccess)
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert!(
        answer.table_class_summary().is_none(),
        "the answer shows the old class"
    );
    let table = described(&client, &name).await;
    let summary = table.table_class_summary().unwrap();
    assert_eq!(
        summary.table_class(),
        Some(&TableClass::StandardInfrequentAccess)
    );
    let changed =
        std::time::SystemTime::try_from(*summary.last_update_date_time().unwrap()).unwrap();
    assert!(changed >= before - std::time::Duration::from_secs(1));

    let answer = client
        .update_table()
        .table_name(&name)
        .table_class(TableClass::Standard)
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(
        answer.table_class_summary().unwrap().table_class(),
        Some(&TableClass::StandardInfrequentAccess)
    );
    let summary = described(&client, &name)
        .await
        .table_class_summary()
        .cloned()
        .unwrap();
    assert_eq!(summary.table_class(), Some(&TableClass::Standard));
    assert!(summary.last_update_date_time().is_some());

    // A class named at creation is described, without an update time.
    let named = format!("{name}_named");
    client
        .create_table()
        .table_name(&named)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash))
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .table_class(TableClass::StandardInfrequentAccess)
        .send()
        .await
        .unwrap();
    let summary = described(&client, &named)
        .await
        .table_class_summary()
        .cloned()
        .unwrap();
    assert_eq!(
        summary.table_class(),
        Some(&TableClass::StandardInfrequentAccess)
    );
    assert!(summary.last_update_date_time().is_none());

    // A restore does not keep the class.
    let backup = client
        .create_backup()
        .table_name(&named)
        .backup_name("class")
        .send()
        .await
        .unwrap()
        .backup_details
        .unwrap()
        .backup_arn;
    let restored = format!("{name}_restored");
    client
        .restore_table_from_backup()
        .backup_arn(backup)
        .target_table_name(&restored)
        .send()
        .await
        .unwrap();
    assert!(described(&client, &restored)
        .await
        .table_class_summary()
        .is_none());
}

/// The Region a table's ARN names.
fn region_of(table: &aws_sdk_dynamodb::types::TableDescription) -> String {
    table
        .table_arn()
        .unwrap()
        .split(':')
        .nth(3)
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn update_table_billing_rules_quotas_and_answers() {
    let server = Server::start();
    let client = server.client();
    let name = unique_table("bill");
    create_table(&client, &name, None).await;
    let region = region_of(&described(&client, &name).await);
    let invalid = |detail: &str| format!("One or more parameter values were invalid: {detail}");
    let at_least_one = "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required";

    // On demand: capacity needs the switch, and the switch needs capacity.
    let update = || client.update_table().table_name(&name);
    for (request, message) in [
        (
            update().billing_mode(BillingMode::Provisioned),
            invalid("ProvisionedThroughput must be specified when BillingMode is PROVISIONED"),
        ),
        (
            update().provisioned_throughput(throughput(1, 1)),
            invalid("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"),
        ),
        // An empty list of index updates counts as absent, and is refused
        // beside another change (which is not applied).
        (
            update().set_global_secondary_index_updates(Some(vec![])),
            at_least_one.to_string(),
        ),
        (
            update()
                .set_global_secondary_index_updates(Some(vec![]))
                .attribute_definitions(attr("pk", ScalarAttributeType::S)),
            at_least_one.to_string(),
        ),
        (
            update()
                .set_global_secondary_index_updates(Some(vec![]))
                .deletion_protection_enabled(true),
            invalid("List of GlobalSecondaryIndexUpdates is empty"),
        ),
        (
            update()
                .set_global_secondary_index_updates(Some(vec![]))
                .billing_mode(BillingMode::PayPerRequest),
            invalid("List of GlobalSecondaryIndexUpdates is empty"),
        ),
        (
            update()
                .set_global_secondary_index_updates(Some(vec![]))
                .on_demand_throughput(ceiling(Some(10), None)),
            invalid("List of GlobalSecondaryIndexUpdates is empty"),
        ),
    ] {
        let error = request.send().await.unwrap_err();
        assert_eq!(error_code(&error), "ValidationException");
        assert_eq!(error_message(&error), message);
    }
    let table = described(&client, &name).await;
    assert_eq!(table.deletion_protection_enabled(), Some(false));
    // No ceiling was ever set, so none is described.
    assert_eq!(table.on_demand_throughput(), None);

    // An empty WarmThroughput or OnDemandThroughput beside another change
    // is ignored (not one more kind of change); alone it changes nothing.
    for request in [
        update()
            .warm_throughput(aws_sdk_dynamodb::types::WarmThroughput::builder().build())
            .table_class(aws_sdk_dynamodb::types::TableClass::Standard),
        update()
            .on_demand_throughput(ceiling(None, None))
            .billing_mode(BillingMode::PayPerRequest),
        update().warm_throughput(aws_sdk_dynamodb::types::WarmThroughput::builder().build()),
        update().on_demand_throughput(ceiling(None, None)),
    ] {
        request.send().await.unwrap();
    }
    assert_eq!(
        described_warm(&client, &name).await.0,
        active(12_000, 4_000)
    );

    // An on-demand ceiling changes at once: ACTIVE, with the new values;
    // above the per-table quota DescribeLimits reports it is refused.
    let answer = update()
        .on_demand_throughput(ceiling(Some(100), Some(50)))
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(answer.table_status(), Some(&TableStatus::Active));
    assert_eq!(
        answer.on_demand_throughput(),
        Some(&ceiling(Some(100), Some(50)))
    );
    for (read, write, member, quota) in [
        (
            Some(40_001),
            None,
            "MaxReadRequestUnits",
            "TableMaxReadCapacityUnits",
        ),
        (
            None,
            Some(40_001),
            "MaxWriteRequestUnits",
            "TableMaxWriteCapacityUnits",
        ),
    ] {
        let error = update()
            .on_demand_throughput(ceiling(read, write))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&error), "LimitExceededException");
        assert_eq!(
            error_message(&error),
            format!("Subscriber limit exceeded: Requested {member} for OnDemandThroughput for table exceeds {quota} of the account in region {region}")
        );
    }
    update()
        .on_demand_throughput(ceiling(Some(40_000), Some(-1)))
        .send()
        .await
        .unwrap();

    // Warm throughput: ACTIVE, the old values UPDATING; applied after.
    let answer = update()
        .warm_throughput(warm(13_000, 5_000))
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(answer.table_status(), Some(&TableStatus::Active));
    let old = answer.warm_throughput().unwrap();
    assert_eq!(
        (
            old.read_units_per_second(),
            old.write_units_per_second(),
            old.status().map(|s| s.as_str())
        ),
        (Some(12_000), Some(4_000), Some("UPDATING"))
    );
    assert_eq!(
        described_warm(&client, &name).await.0,
        active(13_000, 5_000)
    );

    // A switch to provisioned drops the ceilings: back on demand, none.
    update()
        .billing_mode(BillingMode::Provisioned)
        .provisioned_throughput(throughput(1, 1))
        .send()
        .await
        .unwrap();
    assert!(described(&client, &name)
        .await
        .on_demand_throughput()
        .is_none());

    // Provisioned: the switch still needs capacity; capacity may not come
    // with a switch to on demand; the per-table quota holds.
    for (request, message) in [
        (
            update().billing_mode(BillingMode::Provisioned),
            invalid("ProvisionedThroughput must be specified when BillingMode is PROVISIONED"),
        ),
        (
            update()
                .billing_mode(BillingMode::PayPerRequest)
                .provisioned_throughput(throughput(2, 2)),
            invalid(
                "ProvisionedThroughput cannot be specified when BillingMode is PAY_PER_REQUEST",
            ),
        ),
    ] {
        let error = request.send().await.unwrap_err();
        assert_eq!(error_code(&error), "ValidationException");
        assert_eq!(error_message(&error), message);
    }
    for (read, write, member) in [
        (40_001, 1, "ReadCapacityUnits"),
        (1, 40_001, "WriteCapacityUnits"),
    ] {
        let error = update()
            .provisioned_throughput(throughput(read, write))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&error), "LimitExceededException");
        assert_eq!(
            error_message(&error),
            format!("The requested {member}, 40001, is above the per table maximum for the account in {region}. Per table maximum: 40000. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.")
        );
    }

    // CreateTable holds the table and each global index to the same quota.
    let over_quota = client
        .create_table()
        .table_name(unique_table("quota"))
        .key_schema(key("pk", KeyType::Hash))
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .attribute_definitions(attr("g", ScalarAttributeType::S))
        .billing_mode(BillingMode::Provisioned)
        .provisioned_throughput(throughput(5, 5))
        .global_secondary_indexes(provisioned_index("big", ProjectionType::All, 5, 40_001))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&over_quota), "LimitExceededException");
    assert_eq!(
        error_message(&over_quota),
        format!("The requested WriteCapacityUnits for index big, 40001, is above the per index maximum for the account in {region}. Per table maximum: 40000. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.")
    );

    // A capacity change answers UPDATING with the old capacity and count
    // of decreases, and the new date.
    let answer = update()
        .provisioned_throughput(throughput(40_000, 3))
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(answer.table_status(), Some(&TableStatus::Updating));
    let echoed = answer.provisioned_throughput().unwrap();
    assert_eq!(
        (
            echoed.read_capacity_units(),
            echoed.write_capacity_units(),
            echoed.number_of_decreases_today()
        ),
        (Some(1), Some(1), Some(0))
    );
    let increased = echoed.last_increase_date_time().cloned();
    assert!(increased.is_some());
    let answer = update()
        .provisioned_throughput(throughput(2, 2))
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    let echoed = answer.provisioned_throughput().unwrap();
    assert_eq!(
        (
            echoed.read_capacity_units(),
            echoed.write_capacity_units(),
            echoed.number_of_decreases_today()
        ),
        (Some(40_000), Some(3), Some(0))
    );
    assert!(echoed.last_decrease_date_time().is_some());
    assert_eq!(echoed.last_increase_date_time().cloned(), increased);
    let now = described(&client, &name).await;
    let described_throughput = now.provisioned_throughput().unwrap();
    assert_eq!(
        (
            described_throughput.read_capacity_units(),
            described_throughput.write_capacity_units(),
            described_throughput.number_of_decreases_today()
        ),
        (Some(2), Some(2), Some(1))
    );

    // Back on demand: no ceiling until one is set; a ceiling set and then
    // cleared with -1 is echoed in the answer and gone from descriptions
    // (DDB-TABLE-182).
    update()
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    assert_eq!(described(&client, &name).await.on_demand_throughput(), None);
    let answer = update()
        .on_demand_throughput(ceiling(Some(300), None))
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.table_description().unwrap().on_demand_throughput(),
        Some(&ceiling(Some(300), None))
    );
    assert_eq!(
        described(&client, &name).await.on_demand_throughput(),
        Some(&ceiling(Some(300), None))
    );
    let answer = update()
        .on_demand_throughput(ceiling(Some(-1), None))
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.table_description().unwrap().on_demand_throughput(),
        Some(&ceiling(Some(-1), None))
    );
    assert_eq!(described(&client, &name).await.on_demand_throughput(), None);
}

#[tokio::test]
async fn a_fifth_capacity_decrease_in_a_day_waits_an_hour() {
    let server = Server::start();
    let client = server.client();
    let name = unique_table("decreases");
    client
        .create_table()
        .table_name(&name)
        .key_schema(key("pk", KeyType::Hash))
        .attribute_definitions(attr("pk", ScalarAttributeType::S))
        .attribute_definitions(attr("g", ScalarAttributeType::S))
        .billing_mode(BillingMode::Provisioned)
        .provisioned_throughput(throughput(20, 20))
        .global_secondary_indexes(provisioned_index("byG", ProjectionType::KeysOnly, 20, 20))
        .send()
        .await
        .unwrap();
    let table_to = |units: i64| {
        client
            .update_table()
            .table_name(&name)
            .provisioned_throughput(throughput(units, units))
            .send()
    };
    let index_to = |units: i64| {
        client
            .update_table()
            .table_name(&name)
            .global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder()
                    .update(
                        UpdateGlobalSecondaryIndexAction::builder()
                            .index_name("byG")
                            .provisioned_throughput(throughput(units, units))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
    };
    // Four decreases at any time; the fifth is DynamoDB's refusal, and
    // the table keeps its capacity.
    for units in [19, 18, 17, 16] {
        table_to(units).await.unwrap();
    }
    let refused = table_to(15)
        .await
        .expect_err("a fifth decrease within the hour");
    assert_eq!(error_code(&refused), "LimitExceededException");
    let message = error_message(&refused);
    assert!(
        message.starts_with("Subscriber limit exceeded: Provisioned throughput decreases are limited within a given UTC day. After the first 4 decreases, each subsequent decrease in the same UTC day can be performed at most once every 3600 seconds. Number of decreases today: 4. Last decrease at "),
        "{message}"
    );
    assert!(message.contains(" Coordinated Universal Time. Next decrease can be made at "));
    let throughput_now = described(&client, &name)
        .await
        .provisioned_throughput
        .unwrap();
    assert_eq!(throughput_now.read_capacity_units(), Some(16));
    assert_eq!(throughput_now.number_of_decreases_today(), Some(4));
    // An increase is not limited; the index counts its own decreases.
    table_to(30).await.unwrap();
    for units in [19, 18, 17, 16] {
        index_to(units).await.unwrap();
    }
    let refused = index_to(15).await.expect_err("the index's fifth decrease");
    assert_eq!(error_code(&refused), "LimitExceededException");
}
