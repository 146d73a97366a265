//! On-demand backups through the AWS SDK: CreateBackup, DescribeBackup,
//! ListBackups, DeleteBackup and RestoreTableFromBackup, with their errors;
//! a restore holds the items as they were when the backup was taken, with
//! working indexes and counts; backups survive a restart and their table.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeValue, BackupStatus, BackupTypeFilter, BillingMode, GlobalSecondaryIndex, KeyType,
    LocalSecondaryIndex, Projection, ProjectionType, ProvisionedThroughput, ScalarAttributeType,
    Select,
};
use aws_sdk_dynamodb::Client;
use common::{attribute_definition, error_code, global_index, key_element, unique_table, Server};
use std::collections::BTreeSet;

/// A table keyed by pk/sk with a global index on `g` and a local one on `l`.
async fn create_indexed_table(client: &Client, name: &str) {
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key_element("pk", KeyType::Hash))
        .key_schema(key_element("sk", KeyType::Range))
        .attribute_definitions(attribute_definition("pk", ScalarAttributeType::S))
        .attribute_definitions(attribute_definition("sk", ScalarAttributeType::N))
        .attribute_definitions(attribute_definition("g", ScalarAttributeType::S))
        .attribute_definitions(attribute_definition("l", ScalarAttributeType::S))
        .global_secondary_indexes(global_index("ByG", "g", ProjectionType::All))
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("ByL")
                .key_schema(key_element("pk", KeyType::Hash))
                .key_schema(key_element("l", KeyType::Range))
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
}

async fn put(client: &Client, table: &str, pk: &str, sk: i64) {
    client
        .put_item()
        .table_name(table)
        .item("pk", AttributeValue::S(pk.into()))
        .item("sk", AttributeValue::N(sk.to_string()))
        .item("g", AttributeValue::S(format!("g{}", sk % 3)))
        .item("l", AttributeValue::S(format!("l{sk}")))
        .item("payload", AttributeValue::S("x".repeat(100)))
        .send()
        .await
        .unwrap();
}

/// Every item's (pk, sk), from a consistent Scan.
async fn keys(client: &Client, table: &str) -> BTreeSet<(String, String)> {
    let items: Vec<_> = client
        .scan()
        .table_name(table)
        .consistent_read(true)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    items
        .iter()
        .map(|i| {
            (
                i["pk"].as_s().unwrap().clone(),
                i["sk"].as_n().unwrap().clone(),
            )
        })
        .collect()
}

async fn index_count(
    client: &Client,
    table: &str,
    index: &str,
    condition: &str,
    value: &str,
) -> i32 {
    client
        .query()
        .table_name(table)
        .index_name(index)
        .key_condition_expression(condition)
        .expression_attribute_values(":v", AttributeValue::S(value.into()))
        .select(Select::Count)
        .send()
        .await
        .unwrap()
        .count()
}

#[tokio::test]
async fn a_restore_holds_the_items_of_the_backup_with_working_indexes() {
    let server = Server::start();
    let client = server.client();
    let name = unique_table("backed");
    create_indexed_table(&client, &name).await;
    for sk in 0..30 {
        put(&client, &name, if sk % 2 == 0 { "even" } else { "odd" }, sk).await;
    }
    let created = client
        .create_backup()
        .table_name(&name)
        .backup_name("nightly")
        .send()
        .await
        .unwrap()
        .backup_details
        .unwrap();
    let arn = created.backup_arn().to_string();
    assert!(
        arn.starts_with(&format!(
            "arn:aws:dynamodb:us-east-1:000000000000:table/{name}/backup/"
        )),
        "{arn}"
    );
    assert_eq!(created.backup_name(), "nightly");
    assert_eq!(
        created.backup_type(),
        &aws_sdk_dynamodb::types::BackupType::User
    );
    let at_backup = keys(&client, &name).await;

    // Changes after the backup are not in it.
    put(&client, &name, "later", 99).await;
    client
        .delete_item()
        .table_name(&name)
        .key("pk", AttributeValue::S("even".into()))
        .key("sk", AttributeValue::N("0".into()))
        .send()
        .await
        .unwrap();

    let described = client
        .describe_backup()
        .backup_arn(&arn)
        .send()
        .await
        .unwrap()
        .backup_description
        .unwrap();
    let details = described.backup_details().unwrap();
    assert_eq!(details.backup_status(), &BackupStatus::Available);
    assert!(details.backup_size_bytes().unwrap() > 30 * 100);
    let source = described.source_table_details().unwrap();
    assert_eq!(source.table_name(), name);
    assert_eq!(source.item_count(), Some(30));
    let features = described.source_table_feature_details().unwrap();
    assert_eq!(
        features.global_secondary_indexes()[0].index_name(),
        Some("ByG")
    );
    assert_eq!(
        features.local_secondary_indexes()[0].index_name(),
        Some("ByL")
    );

    let restored = unique_table("restored");
    let description = client
        .restore_table_from_backup()
        .target_table_name(&restored)
        .backup_arn(&arn)
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(
        description.restore_summary().unwrap().source_backup_arn(),
        Some(arn.as_str())
    );
    assert_eq!(keys(&client, &restored).await, at_backup);
    let table = client
        .describe_table()
        .table_name(&restored)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(table.item_count(), Some(30));
    let summary = table.restore_summary().unwrap();
    assert!(!summary.restore_in_progress());
    assert_eq!(
        summary.source_table_arn(),
        Some(format!("arn:aws:dynamodb:us-east-1:000000000000:table/{name}").as_str())
    );
    assert_eq!(table.global_secondary_indexes()[0].item_count(), Some(30));
    assert_eq!(
        index_count(&client, &restored, "ByG", "g = :v", "g0").await,
        10
    );
    assert_eq!(
        index_count(&client, &restored, "ByL", "pk = :v", "even").await,
        15
    );
    // The restored table is an ordinary table.
    put(&client, &restored, "new", 1).await;
    assert_eq!(keys(&client, &restored).await.len(), 31);

    // Overrides: no global index, provisioned throughput.
    let lean = unique_table("lean");
    client
        .restore_table_from_backup()
        .target_table_name(&lean)
        .backup_arn(&arn)
        .set_global_secondary_index_override(Some(Vec::<GlobalSecondaryIndex>::new()))
        .billing_mode_override(BillingMode::Provisioned)
        .provisioned_throughput_override(
            ProvisionedThroughput::builder()
                .read_capacity_units(5)
                .write_capacity_units(7)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let table = client
        .describe_table()
        .table_name(&lean)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert!(table.global_secondary_indexes().is_empty());
    assert_eq!(table.local_secondary_indexes().len(), 1);
    assert_eq!(
        table
            .provisioned_throughput()
            .unwrap()
            .write_capacity_units(),
        Some(7)
    );
    assert_eq!(keys(&client, &lean).await, at_backup);

    // Errors.
    let taken = client
        .restore_table_from_backup()
        .target_table_name(&restored)
        .backup_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&taken), "TableAlreadyExistsException");
    let missing = client
        .create_backup()
        .table_name("no_such_table")
        .backup_name("b")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_code(&missing),
        "ValidationException",
        "a backup name is 3 characters or more"
    );
    let missing = client
        .create_backup()
        .table_name("no_such_table")
        .backup_name("bbb")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&missing), "TableNotFoundException");

    let deleted = client
        .delete_backup()
        .backup_arn(&arn)
        .send()
        .await
        .unwrap()
        .backup_description
        .unwrap();
    assert_eq!(
        deleted.backup_details().unwrap().backup_status(),
        &BackupStatus::Deleted
    );
    let gone = client
        .describe_backup()
        .backup_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&gone), "BackupNotFoundException");
    let gone = client
        .restore_table_from_backup()
        .target_table_name(unique_table("never"))
        .backup_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&gone), "BackupNotFoundException");
    // The restored tables do not depend on the backup.
    assert_eq!(keys(&client, &lean).await, at_backup);
}

#[tokio::test]
async fn backups_are_listed_by_table_time_and_type_and_paged() {
    let server = Server::start();
    let client = server.client();
    let first = unique_table("listed");
    let second = unique_table("listed");
    for name in [&first, &second] {
        common::create_table(&client, name, None).await;
    }
    let mut arns = Vec::new();
    for (table, backup) in [(&first, "one"), (&first, "two"), (&second, "three")] {
        let created = client
            .create_backup()
            .table_name(table)
            .backup_name(backup)
            .send()
            .await
            .unwrap();
        arns.push(created.backup_details.unwrap().backup_arn);
    }
    let of_first = client
        .list_backups()
        .table_name(&first)
        .send()
        .await
        .unwrap();
    let names: Vec<_> = of_first
        .backup_summaries()
        .iter()
        .map(|b| b.backup_name().unwrap().to_string())
        .collect();
    assert_eq!(names, ["one", "two"]);
    assert_eq!(
        of_first.backup_summaries()[0].table_name(),
        Some(first.as_str())
    );

    // Paged one at a time over both tables (other tests' backups may be
    // listed too: only ours are checked).
    let mut seen = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let page = client
            .list_backups()
            .limit(1)
            .set_exclusive_start_backup_arn(start.clone())
            .send()
            .await
            .unwrap();
        assert!(page.backup_summaries().len() <= 1);
        seen.extend(
            page.backup_summaries()
                .iter()
                .map(|b| b.backup_arn().unwrap().to_string()),
        );
        match page.last_evaluated_backup_arn() {
            Some(last) => start = Some(last.to_string()),
            None => break,
        }
    }
    let ours: Vec<_> = seen.into_iter().filter(|a| arns.contains(a)).collect();
    assert_eq!(ours, arns);

    let system = client
        .list_backups()
        .table_name(&first)
        .backup_type(BackupTypeFilter::System)
        .send()
        .await
        .unwrap();
    assert!(system.backup_summaries().is_empty());
    let created = of_first.backup_summaries()[1]
        .backup_creation_date_time()
        .unwrap();
    let from_second = client
        .list_backups()
        .table_name(&first)
        .time_range_lower_bound(*created)
        .send()
        .await
        .unwrap();
    assert_eq!(from_second.backup_summaries().len(), 1);
    assert_eq!(from_second.backup_summaries()[0].backup_name(), Some("two"));
    let before_second = client
        .list_backups()
        .table_name(&first)
        .time_range_upper_bound(*created)
        .send()
        .await
        .unwrap();
    assert_eq!(before_second.backup_summaries().len(), 1);
    assert_eq!(
        before_second.backup_summaries()[0].backup_name(),
        Some("one")
    );
    let bad = client.list_backups().limit(101).send().await.unwrap_err();
    assert_eq!(error_code(&bad), "ValidationException");
}

#[tokio::test]
async fn backups_survive_a_restart_and_the_deletion_of_their_table() {
    let dir = tempfile::tempdir().unwrap();
    let name = unique_table("durable_backup");
    let arn = {
        let server = Server::start_durable(dir.path());
        let client = server.client();
        create_indexed_table(&client, &name).await;
        for sk in 0..12 {
            put(&client, &name, "p", sk).await;
        }
        let created = client
            .create_backup()
            .table_name(&name)
            .backup_name("keep")
            .send()
            .await
            .unwrap();
        client
            .delete_table()
            .table_name(&name)
            .send()
            .await
            .unwrap();
        created.backup_details.unwrap().backup_arn
        // SIGKILL on drop.
    };
    let server = Server::start_durable(dir.path());
    let client = server.client();
    let listed = client
        .list_backups()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.backup_summaries().len(), 1);
    client
        .restore_table_from_backup()
        .target_table_name(&name)
        .backup_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(keys(&client, &name).await.len(), 12);
    assert_eq!(index_count(&client, &name, "ByG", "g = :v", "g1").await, 4);
}

#[tokio::test]
async fn continuous_backups_report_point_in_time_recovery_off() {
    use aws_sdk_dynamodb::types::{
        ContinuousBackupsStatus, PointInTimeRecoverySpecification, PointInTimeRecoveryStatus,
    };
    let server = Server::start();
    let client = server.client();
    let name = unique_table("continuous");
    common::create_table(&client, &name, None).await;
    let described = client
        .describe_continuous_backups()
        .table_name(&name)
        .send()
        .await
        .unwrap()
        .continuous_backups_description
        .unwrap();
    assert_eq!(
        described.continuous_backups_status(),
        &ContinuousBackupsStatus::Enabled
    );
    let pitr = described.point_in_time_recovery_description().unwrap();
    assert_eq!(
        pitr.point_in_time_recovery_status(),
        Some(&PointInTimeRecoveryStatus::Disabled)
    );

    let spec = |enabled| {
        PointInTimeRecoverySpecification::builder()
            .point_in_time_recovery_enabled(enabled)
            .build()
            .unwrap()
    };
    let off = client
        .update_continuous_backups()
        .table_name(&name)
        .point_in_time_recovery_specification(spec(false))
        .send()
        .await
        .unwrap();
    assert!(off.continuous_backups_description.is_some());
    // Turning it on is refused: there is no history to restore from.
    let on = client
        .update_continuous_backups()
        .table_name(&name)
        .point_in_time_recovery_specification(spec(true))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&on), "ValidationException");
    let missing = client
        .describe_continuous_backups()
        .table_name("no_such_table")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&missing), "TableNotFoundException");
}
