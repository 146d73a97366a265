//! A table's ARN in place of its name (TableName, RequestItems keys,
//! transaction members), as DynamoDB has accepted it since 2024: answers
//! name the table bare, except where DynamoDB echoes what the request gave
//! (batch maps, ConsumedCapacity).

mod common;

use aws_sdk_dynamodb::types::{
    AttributeValue, ContributorInsightsAction, Get, KeysAndAttributes, Put, PutRequest,
    ReturnConsumedCapacity, TimeToLiveSpecification, TransactGetItem, TransactWriteItem,
    WriteRequest,
};
use aws_sdk_dynamodb::Client;
use common::{create_table, error_code, error_message, unique_table, Server};
use std::collections::HashMap;

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

fn key(pk: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([("pk".to_string(), s(pk))])
}

/// A new table and its ARN, as DescribeTable gives it.
async fn table_with_arn(client: &Client, prefix: &str) -> (String, String) {
    let name = unique_table(prefix);
    create_table(client, &name, None).await;
    let arn = client
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .unwrap()
        .table
        .unwrap()
        .table_arn
        .unwrap();
    assert_eq!(
        arn,
        format!("arn:aws:dynamodb:us-east-1:000000000000:table/{name}")
    );
    (name, arn)
}

#[tokio::test]
async fn item_operations_take_the_table_arn() {
    let server = Server::start();
    let client = server.client();
    let (name, arn) = table_with_arn(&client, "arn_items").await;

    client
        .put_item()
        .table_name(&arn)
        .item("pk", s("a"))
        .item("v", s("1"))
        .send()
        .await
        .unwrap();
    client
        .update_item()
        .table_name(&arn)
        .set_key(Some(key("a")))
        .update_expression("SET v = :v")
        .expression_attribute_values(":v", s("2"))
        .send()
        .await
        .unwrap();
    // Written through the ARN, read through the name, and back.
    let by_name = client
        .get_item()
        .table_name(&name)
        .set_key(Some(key("a")))
        .send()
        .await
        .unwrap();
    assert_eq!(by_name.item.unwrap()["v"], s("2"));
    let by_arn = client
        .get_item()
        .table_name(&arn)
        .set_key(Some(key("a")))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(by_arn.item.unwrap()["v"], s("2"));
    // DynamoDB: "If you had specified the ARN of a table in the input,
    // you'll see the table ARN in the response."
    assert_eq!(
        by_arn.consumed_capacity.unwrap().table_name.as_deref(),
        Some(arn.as_str())
    );

    let query = client
        .query()
        .table_name(&arn)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", s("a"))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(query.count, 1);
    assert_eq!(
        query.consumed_capacity.unwrap().table_name.as_deref(),
        Some(arn.as_str())
    );
    let scan = client.scan().table_name(&arn).send().await.unwrap();
    assert_eq!(scan.count, 1);

    client
        .delete_item()
        .table_name(&arn)
        .set_key(Some(key("a")))
        .send()
        .await
        .unwrap();
    let gone = client
        .get_item()
        .table_name(&name)
        .set_key(Some(key("a")))
        .send()
        .await
        .unwrap();
    assert!(gone.item.is_none());
}

#[tokio::test]
async fn batches_and_transactions_take_the_table_arn() {
    let server = Server::start();
    let client = server.client();
    let (name, arn) = table_with_arn(&client, "arn_batch").await;

    let put = |pk: &str| {
        WriteRequest::builder()
            .put_request(PutRequest::builder().item("pk", s(pk)).build().unwrap())
            .build()
    };
    let written = client
        .batch_write_item()
        .request_items(&arn, vec![put("b1"), put("b2")])
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert!(written.unprocessed_items.unwrap_or_default().is_empty());
    let consumed = written.consumed_capacity.unwrap();
    assert_eq!(consumed[0].table_name.as_deref(), Some(arn.as_str()));

    let read = client
        .batch_get_item()
        .request_items(
            &arn,
            KeysAndAttributes::builder()
                .keys(key("b1"))
                .keys(key("b2"))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    // The Responses map is keyed as the request was.
    let responses = read.responses.unwrap();
    assert_eq!(responses.keys().collect::<Vec<_>>(), vec![&arn]);
    assert_eq!(responses[&arn].len(), 2);

    client
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&arn)
                        .item("pk", s("t1"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let got = client
        .transact_get_items()
        .transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name(&arn)
                        .set_key(Some(key("t1")))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(got.responses.unwrap()[0].item.is_some());
    let scan = client.scan().table_name(&name).send().await.unwrap();
    assert_eq!(scan.count, 3);
}

#[tokio::test]
async fn table_operations_take_the_table_arn_and_answer_the_bare_name() {
    let server = Server::start();
    let client = server.client();
    let (name, arn) = table_with_arn(&client, "arn_table").await;

    let described = client
        .describe_table()
        .table_name(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.table.unwrap().table_name.as_deref(),
        Some(name.as_str())
    );

    let updated = client
        .update_table()
        .table_name(&arn)
        .deletion_protection_enabled(false)
        .send()
        .await
        .unwrap();
    assert_eq!(
        updated.table_description.unwrap().table_name.as_deref(),
        Some(name.as_str())
    );

    client
        .update_time_to_live()
        .table_name(&arn)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name("expires")
                .enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let ttl = client
        .describe_time_to_live()
        .table_name(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ttl.time_to_live_description
            .unwrap()
            .attribute_name
            .as_deref(),
        Some("expires")
    );

    client
        .describe_continuous_backups()
        .table_name(&arn)
        .send()
        .await
        .unwrap();
    let backup = client
        .create_backup()
        .table_name(&arn)
        .backup_name("by-arn")
        .send()
        .await
        .unwrap();
    assert!(backup.backup_details.is_some());
    let backups = client.list_backups().table_name(&arn).send().await.unwrap();
    let summaries = backups.backup_summaries.unwrap();
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].table_name.as_deref(), Some(name.as_str()));

    client
        .update_contributor_insights()
        .table_name(&arn)
        .contributor_insights_action(ContributorInsightsAction::Enable)
        .send()
        .await
        .unwrap();
    let insights = client
        .describe_contributor_insights()
        .table_name(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(insights.table_name.as_deref(), Some(name.as_str()));

    let deleted = client.delete_table().table_name(&arn).send().await.unwrap();
    assert_eq!(
        deleted.table_description.unwrap().table_name.as_deref(),
        Some(name.as_str())
    );
    // A missing table is named by the name the ARN holds.
    let error = client
        .describe_table()
        .table_name(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ResourceNotFoundException");
    assert_eq!(
        error_message(&error),
        format!("Requested resource not found: Table: {name} not found")
    );
}

#[tokio::test]
async fn create_table_takes_an_arn_and_creates_the_bare_name() {
    let server = Server::start();
    let client = server.client();
    let name = unique_table("arn_create");
    let arn = format!("arn:aws:dynamodb:us-east-1:000000000000:table/{name}");
    create_table(&client, &arn, None).await;
    let described = client
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(described.table.unwrap().table_arn, Some(arn));
}

#[tokio::test]
async fn arns_of_other_regions_accounts_and_resources_are_refused() {
    let server = Server::start();
    let client = server.client();
    let (name, _) = table_with_arn(&client, "arn_refused").await;

    let other_region = format!("arn:aws:dynamodb:eu-west-1:000000000000:table/{name}");
    let error = client
        .get_item()
        .table_name(&other_region)
        .set_key(Some(key("a")))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ValidationException");
    assert_eq!(
        error_message(&error),
        format!("1 validation error detected: Invalid AWS region in '{other_region}'")
    );
    // The region is the one the request is signed for: the same ARN passes
    // the check in eu-west-1.
    let endpoint = format!("http://{}", server.address());
    let eu = common::signed_client(&endpoint, "eu-west-1", "AKIDTEST", "secret");
    if let Err(error) = eu.describe_table().table_name(&other_region).send().await {
        assert_ne!(error_code(&error), "ValidationException");
    }

    let other_account = format!("arn:aws:dynamodb:us-east-1:111122223333:table/{name}");
    let error = client
        .describe_table()
        .table_name(&other_account)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "AccessDeniedException");
    assert_eq!(error_message(&error), "Access is denied");

    for not_a_table in [
        format!("arn:aws:dynamodb:us-east-1:000000000000:table/{name}/index/byValue"),
        format!(
            "arn:aws:dynamodb:us-east-1:000000000000:table/{name}/stream/2026-01-01T00:00:00.000"
        ),
        "arn:aws:dynamodb:us-east-1:000000000000:table/".to_string(),
    ] {
        let error = client
            .describe_table()
            .table_name(&not_a_table)
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&error), "ValidationException", "{not_a_table}");
        assert!(
            error_message(&error).contains("Valid ARN format is"),
            "{not_a_table}: {}",
            error_message(&error)
        );
    }

    // Plain names keep their checks.
    let error = client
        .describe_table()
        .table_name("ab")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: \
         Member must have length greater than or equal to 3"
    );
}
