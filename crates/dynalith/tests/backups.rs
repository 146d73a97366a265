//! On-demand backups through the AWS SDK: CreateBackup, DescribeBackup,
//! ListBackups, DeleteBackup and RestoreTableFromBackup, with their errors;
//! a restore holds the items as they were when the backup was taken, with
//! working indexes and counts; backups survive a restart and their table.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeValue, BackupStatus, BackupTypeFilter, BillingMode, GlobalSecondaryIndex, KeyType,
    LocalSecondaryIndex, OnDemandThroughput, Projection, ProjectionType, ProvisionedThroughput,
    ScalarAttributeType, Select,
};
use aws_sdk_dynamodb::Client;
use common::{
    attribute_definition, error_code, error_message, global_index, key_element, unique_table,
    Server,
};
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
    // Overrides DynamoDB refuses (the source is on-demand), in its words.
    let throughput = || {
        ProvisionedThroughput::builder()
            .read_capacity_units(5)
            .write_capacity_units(5)
            .build()
            .unwrap()
    };
    let by_g = |throughput: Option<ProvisionedThroughput>| {
        let mut index = global_index("ByG", "g", ProjectionType::All);
        index.provisioned_throughput = throughput;
        index
    };
    let refused = || {
        client
            .restore_table_from_backup()
            .target_table_name(unique_table("refused"))
            .backup_arn(&arn)
    };
    let ceiling = |units: i64| {
        OnDemandThroughput::builder()
            .max_read_request_units(units)
            .max_write_request_units(units)
            .build()
    };
    for (request, message) in [
        (
            refused().global_secondary_index_override(global_index("Nope", "g", ProjectionType::All)),
            "Index Nope does not match a secondary index that existed in the source table and cannot be created during the restore operation",
        ),
        (
            refused()
                .billing_mode_override(BillingMode::PayPerRequest)
                .provisioned_throughput_override(throughput()),
            "Cannot override ProvisionedThroughput if BillingMode is overridden to PAY_PER_REQUEST",
        ),
        (
            refused().provisioned_throughput_override(throughput()),
            "Cannot override ProvisionedThroughput unless BillingMode is PROVISIONED",
        ),
        (
            refused().billing_mode_override(BillingMode::Provisioned),
            "Must override ProvisionedThroughput if BillingMode is overridden to PROVISIONED",
        ),
        (
            refused()
                .billing_mode_override(BillingMode::Provisioned)
                .provisioned_throughput_override(throughput())
                .global_secondary_index_override(by_g(None)),
            "Must specify provisioned throughput for index ByG",
        ),
        (
            refused()
                .billing_mode_override(BillingMode::PayPerRequest)
                .global_secondary_index_override(by_g(Some(throughput()))),
            "Cannot override ProvisionedThroughput if BillingMode is overridden to PAY_PER_REQUEST for index ByG",
        ),
        (
            refused()
                .billing_mode_override(BillingMode::Provisioned)
                .provisioned_throughput_override(throughput())
                .on_demand_throughput_override(ceiling(10)),
            "Cannot override MaxReadRequestUnits for OnDemandThroughput unless BillingModeOverride is PAY_PER_REQUEST",
        ),
        (
            refused().on_demand_throughput_override(ceiling(0)),
            "Requested MaxReadRequestUnits for OnDemandThroughput is outside of valid range",
        ),
    ] {
        let error = request.send().await.unwrap_err();
        assert_eq!(error_code(&error), "ValidationException");
        assert_eq!(error_message(&error), format!("Invalid Request: {message}"));
    }
    // What names no backup at all.
    let table_arn = arn.split("/backup/").next().unwrap().to_string();
    let errors = [
        error_message(&refused().backup_arn(&table_arn).send().await.unwrap_err()),
        error_message(
            &client
                .describe_backup()
                .backup_arn(&table_arn)
                .send()
                .await
                .unwrap_err(),
        ),
        error_message(
            &client
                .delete_backup()
                .backup_arn(&table_arn)
                .send()
                .await
                .unwrap_err(),
        ),
    ];
    assert_eq!(errors, ["Invalid Backup ARN"; 3]);
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
    let bad = client
        .list_backups()
        .time_range_lower_bound(*created)
        .time_range_upper_bound(aws_sdk_dynamodb::primitives::DateTime::from_secs(0))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&bad),
        "One or more parameter values were invalid: Time range lower bound must be less than or equal to upper bound"
    );
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

/// Seconds since the epoch, as the SDK's timestamps take them.
#[tokio::test]
async fn a_global_tables_backups_are_of_the_region_they_were_made_in() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("regional_backups");
    create_indexed_table(&client, &table).await;
    put(&client, &table, "a", 1).await;
    common::add_replica(&client, &table, "eu-west-1").await;
    let in_replica = common::signed_client(&server.endpoint, "eu-west-1", "AKIDTEST", "secret");
    let made = in_replica
        .create_backup()
        .table_name(&table)
        .backup_name("in-eu-west-1")
        .send()
        .await
        .unwrap();
    let arn = made.backup_details().unwrap().backup_arn().to_string();
    assert!(arn.contains(":eu-west-1:"), "{arn}");

    let listed = |client: Client| {
        let table = table.clone();
        async move {
            let list = client
                .list_backups()
                .table_name(table)
                .send()
                .await
                .unwrap();
            (list.backup_summaries().iter())
                .filter_map(|b| b.backup_arn().map(str::to_string))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(in_replica.clone()).await, [arn.as_str()]);
    assert!(listed(client.clone()).await.is_empty());
    let e = client
        .describe_backup()
        .backup_arn(&arn)
        .send()
        .await
        .expect_err("another Region's backup");
    assert_eq!(error_code(&e), "BackupNotFoundException");
    let e = client
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name(format!("{table}_copy"))
        .send()
        .await
        .expect_err("another Region's backup");
    assert_eq!(error_code(&e), "BackupNotFoundException");

    // Restored in its Region, it holds the item.
    let copy = format!("{table}_copy");
    in_replica
        .restore_table_from_backup()
        .backup_arn(&arn)
        .target_table_name(&copy)
        .send()
        .await
        .unwrap();
    assert_eq!(keys(&in_replica, &copy).await.len(), 1);
    in_replica
        .delete_backup()
        .backup_arn(&arn)
        .send()
        .await
        .unwrap();
    assert!(listed(in_replica).await.is_empty());
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

async fn set_recovery(
    client: &Client,
    table: &str,
    enabled: bool,
) -> aws_sdk_dynamodb::types::ContinuousBackupsDescription {
    client
        .update_continuous_backups()
        .table_name(table)
        .point_in_time_recovery_specification(
            aws_sdk_dynamodb::types::PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(enabled)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .continuous_backups_description
        .unwrap()
}

async fn restore_at(client: &Client, source: &str, at: Option<f64>) -> Result<String, String> {
    let target = unique_table("pitr_restored");
    let request = client
        .restore_table_to_point_in_time()
        .source_table_name(source)
        .target_table_name(&target);
    let request = match at {
        Some(at) => {
            request.restore_date_time(aws_sdk_dynamodb::primitives::DateTime::from_secs_f64(at))
        }
        None => request.use_latest_restorable_time(true),
    };
    match request.send().await {
        Ok(_) => Ok(target),
        Err(e) => Err(error_code(&e)),
    }
}

async fn value_of(client: &Client, table: &str, pk: &str, sk: i64) -> Option<String> {
    let got = client
        .get_item()
        .table_name(table)
        .key("pk", AttributeValue::S(pk.into()))
        .key("sk", AttributeValue::N(sk.to_string()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    got.item().map(|i| i["g"].as_s().unwrap().clone())
}

#[tokio::test]
async fn point_in_time_recovery_restores_any_moment_since_it_was_enabled() {
    use aws_sdk_dynamodb::types::{ContinuousBackupsStatus, PointInTimeRecoveryStatus};
    let server = Server::start();
    let client = server.client();
    let name = unique_table("pitr");
    create_indexed_table(&client, &name).await;
    for sk in 0..10 {
        put(&client, &name, "p", sk).await;
    }
    let off = client
        .describe_continuous_backups()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    let off = off.continuous_backups_description.unwrap();
    assert_eq!(
        off.continuous_backups_status(),
        &ContinuousBackupsStatus::Enabled
    );
    assert_eq!(
        off.point_in_time_recovery_description()
            .unwrap()
            .point_in_time_recovery_status(),
        Some(&PointInTimeRecoveryStatus::Disabled)
    );
    assert_eq!(
        restore_at(&client, &name, None).await.unwrap_err(),
        "PointInTimeRecoveryUnavailableException"
    );

    let before_enabling = now();
    let on = set_recovery(&client, &name, true).await;
    let recovery = on.point_in_time_recovery_description().unwrap();
    assert_eq!(
        recovery.point_in_time_recovery_status(),
        Some(&PointInTimeRecoveryStatus::Enabled)
    );
    assert_eq!(recovery.recovery_period_in_days(), Some(35));
    let earliest = recovery
        .earliest_restorable_date_time()
        .unwrap()
        .as_secs_f64();

    // Changes after enabling: new items, an update, a delete.
    for sk in 10..15 {
        put(&client, &name, "p", sk).await;
    }
    let set_g = |sk: i64, g: &'static str| {
        client
            .update_item()
            .table_name(&name)
            .key("pk", AttributeValue::S("p".into()))
            .key("sk", AttributeValue::N(sk.to_string()))
            .update_expression("SET g = :g")
            .expression_attribute_values(":g", AttributeValue::S(g.into()))
            .send()
    };
    set_g(0, "first").await.unwrap();
    let delete = |sk: i64| {
        client
            .delete_item()
            .table_name(&name)
            .key("pk", AttributeValue::S("p".into()))
            .key("sk", AttributeValue::N(sk.to_string()))
            .send()
    };
    delete(1).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let moment = now();
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    for sk in 15..20 {
        put(&client, &name, "p", sk).await;
    }
    set_g(0, "second").await.unwrap();
    delete(2).await.unwrap();

    let at_moment = restore_at(&client, &name, Some(moment)).await.unwrap();
    // The restored table does not inherit the source's recovery.
    let restored_recovery = client
        .describe_continuous_backups()
        .table_name(&at_moment)
        .send()
        .await
        .unwrap()
        .continuous_backups_description
        .unwrap();
    assert_eq!(
        restored_recovery
            .point_in_time_recovery_description()
            .unwrap()
            .point_in_time_recovery_status(),
        Some(&PointInTimeRecoveryStatus::Disabled)
    );
    let expected: BTreeSet<_> = (0..15)
        .filter(|&sk| sk != 1)
        .map(|sk| ("p".to_string(), sk.to_string()))
        .collect();
    assert_eq!(keys(&client, &at_moment).await, expected);
    assert_eq!(
        value_of(&client, &at_moment, "p", 0).await.as_deref(),
        Some("first")
    );
    let table = client
        .describe_table()
        .table_name(&at_moment)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(table.item_count(), Some(14));
    assert_eq!(table.restore_summary().unwrap().source_backup_arn(), None);
    assert_eq!(table.global_secondary_indexes()[0].item_count(), Some(14));

    let latest = restore_at(&client, &name, None).await.unwrap();
    let expected: BTreeSet<_> = (0..20)
        .filter(|&sk| sk != 1 && sk != 2)
        .map(|sk| ("p".to_string(), sk.to_string()))
        .collect();
    assert_eq!(keys(&client, &latest).await, expected);
    assert_eq!(
        value_of(&client, &latest, "p", 0).await.as_deref(),
        Some("second")
    );
    // What was there before recovery was enabled comes from its copy.
    let at_start = restore_at(&client, &name, Some(earliest)).await.unwrap();
    assert_eq!(keys(&client, &at_start).await.len(), 10);

    assert_eq!(
        restore_at(&client, &name, Some(before_enabling - 60.0))
            .await
            .unwrap_err(),
        "InvalidRestoreTimeException"
    );
    assert_eq!(
        restore_at(&client, &name, Some(now() + 3600.0))
            .await
            .unwrap_err(),
        "InvalidRestoreTimeException"
    );
    assert_eq!(
        restore_at(&client, "no_such_table", None)
            .await
            .unwrap_err(),
        "SourceTableNotFoundException"
    );
    let taken = client
        .restore_table_to_point_in_time()
        .source_table_name(&name)
        .target_table_name(&latest)
        .use_latest_restorable_time(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&taken), "TableAlreadyExistsException");
    // Requests of the wrong shape, in DynamoDB's words.
    let request = || {
        client
            .restore_table_to_point_in_time()
            .target_table_name(unique_table("pitr_refused"))
    };
    let at = aws_sdk_dynamodb::primitives::DateTime::from_secs_f64(now());
    for (request, message) in [
        (
            request()
                .source_table_name(&name)
                .use_latest_restorable_time(true)
                .restore_date_time(at),
            "Both RestoreDateTime and UseLatestRestorableTime cannot be set".to_string(),
        ),
        (
            request().source_table_name(&name),
            "Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be specified, but not both".to_string(),
        ),
        (
            request()
                .source_table_name(&name)
                .use_latest_restorable_time(false),
            "Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be specified, but not both".to_string(),
        ),
        (
            request()
                .source_table_name(&name)
                .source_table_arn(format!("arn:aws:dynamodb:us-east-1:000000000000:table/{name}"))
                .use_latest_restorable_time(true),
            "Must provide exactly one of: sourceTableArn, sourceTableName".to_string(),
        ),
        (
            request().use_latest_restorable_time(true),
            "The parameter 'TableName' is required but was not present in the request".to_string(),
        ),
        (
            request()
                .source_table_arn(&name)
                .use_latest_restorable_time(true),
            format!("One or more parameter values were invalid: ARNs must start with 'arn:': {name}"),
        ),
    ] {
        let error = request.send().await.unwrap_err();
        assert_eq!(error_code(&error), "ValidationException");
        assert_eq!(error_message(&error), message);
    }

    let off = set_recovery(&client, &name, false).await;
    assert_eq!(
        off.point_in_time_recovery_description()
            .unwrap()
            .point_in_time_recovery_status(),
        Some(&PointInTimeRecoveryStatus::Disabled)
    );
    assert_eq!(
        restore_at(&client, &name, None).await.unwrap_err(),
        "PointInTimeRecoveryUnavailableException"
    );
    let error = client
        .update_continuous_backups()
        .table_name(&name)
        .point_in_time_recovery_specification(
            aws_sdk_dynamodb::types::PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(false)
                .recovery_period_in_days(7)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery."
    );
    let missing = client
        .describe_continuous_backups()
        .table_name("no_such_table")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&missing), "TableNotFoundException");
}

#[tokio::test]
async fn point_in_time_recovery_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let name = unique_table("pitr_durable");
    let moment = {
        let server = Server::start_durable(dir.path());
        let client = server.client();
        create_indexed_table(&client, &name).await;
        put(&client, &name, "d", 0).await;
        set_recovery(&client, &name, true).await;
        put(&client, &name, "d", 1).await;
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        let moment = now();
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        put(&client, &name, "d", 2).await;
        moment
        // SIGKILL on drop.
    };
    let server = Server::start_durable(dir.path());
    let client = server.client();
    let restored = restore_at(&client, &name, Some(moment)).await.unwrap();
    let expected: BTreeSet<_> = [0, 1]
        .iter()
        .map(|sk| ("d".to_string(), sk.to_string()))
        .collect();
    assert_eq!(keys(&client, &restored).await, expected);

    // History written after the restart follows, and does not replace,
    // what was written before it.
    client
        .delete_item()
        .table_name(&name)
        .key("pk", AttributeValue::S("d".into()))
        .key("sk", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    put(&client, &name, "d", 3).await;
    let latest = restore_at(&client, &name, None).await.unwrap();
    let expected: BTreeSet<_> = [0, 2, 3]
        .iter()
        .map(|sk| ("d".to_string(), sk.to_string()))
        .collect();
    assert_eq!(keys(&client, &latest).await, expected);
    let again = restore_at(&client, &name, Some(moment)).await.unwrap();
    assert_eq!(
        keys(&client, &again).await.len(),
        2,
        "the moment before the restart is still restorable"
    );
}

/// A backup's creation time, as a client reads it and sends it back as a
/// ListBackups bound, may differ from the server's in the last bits of the
/// float (the SDKs carry times through seconds and nanoseconds, and a
/// decimal-to-float parse may round either way): the bound still names
/// that backup's millisecond.
#[tokio::test]
async fn a_time_range_bound_read_from_a_backup_names_its_millisecond() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("bound");
    common::create_table(&client, &table, None).await;
    client
        .create_backup()
        .table_name(&table)
        .backup_name("only")
        .send()
        .await
        .unwrap();
    let listed = common::call(
        &server.address(),
        "ListBackups",
        &format!(r#"{{"TableName":"{table}"}}"#),
    )
    .json();
    let created = listed["BackupSummaries"][0]["BackupCreationDateTime"]
        .as_f64()
        .unwrap();
    // A microsecond either way: a few units in the last place at today's
    // epoch seconds, clear of any rounding in parsing the number.
    for sent in [created + 1e-6, created - 1e-6] {
        let listed = common::call(
            &server.address(),
            "ListBackups",
            &format!(r#"{{"TableName":"{table}","TimeRangeLowerBound":{sent}}}"#),
        )
        .json();
        let found = listed["BackupSummaries"].as_array().unwrap().len();
        assert_eq!(
            found, 1,
            "lower bound {sent} for a backup made at {created}"
        );
    }
    // The upper bound is exclusive, a hair off or not.
    let sent = created - 1e-6;
    let listed = common::call(
        &server.address(),
        "ListBackups",
        &format!(r#"{{"TableName":"{table}","TimeRangeUpperBound":{sent}}}"#),
    )
    .json();
    assert_eq!(listed["BackupSummaries"].as_array().unwrap().len(), 0);
}
