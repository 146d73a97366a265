//! ExportTableToPointInTime, DescribeExport, ListExports, ImportTable,
//! DescribeImport and ListImports through the SDK, against a durable
//! server whose stand-in for S3 is the default `<data-dir>/s3`: an export
//! of a table imports back into an equal table, in both export formats.

mod common;
#[path = "power_cut/fs.rs"]
mod power_cut;

use aws_sdk_dynamodb::types::{
    AttributeValue as Av, BillingMode, CsvOptions, ExportDescription, ExportFormat, ExportStatus,
    ExportType, ExportViewType, ImportStatus, IncrementalExportSpecification, InputCompressionType,
    InputFormat, InputFormatOptions, KeyType, PointInTimeRecoverySpecification, S3BucketSource,
    S3SseAlgorithm, ScalarAttributeType, TableCreationParameters, TableStatus,
};
use aws_sdk_dynamodb::Client;
use common::{attribute_definition, error_code, error_message, key_element, Server};
use std::collections::HashMap;

const TABLE_ARN_PREFIX: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/";

/// The tables' key schema (`pk` S, `sk` N, on demand), for ImportTable.
fn table_keys(name: &str) -> TableCreationParameters {
    TableCreationParameters::builder()
        .table_name(name)
        .key_schema(key_element("pk", KeyType::Hash))
        .key_schema(key_element("sk", KeyType::Range))
        .attribute_definitions(attribute_definition("pk", ScalarAttributeType::S))
        .attribute_definitions(attribute_definition("sk", ScalarAttributeType::N))
        .billing_mode(BillingMode::PayPerRequest)
        .build()
        .unwrap()
}

/// Creates a table with the same keys as `table_keys`.
async fn create_table(client: &Client, name: &str) {
    let keys = table_keys(name);
    client
        .create_table()
        .table_name(name)
        .set_key_schema(Some(keys.key_schema))
        .set_attribute_definitions(Some(keys.attribute_definitions))
        .set_billing_mode(keys.billing_mode)
        .send()
        .await
        .unwrap();
}

async fn enable_recovery(client: &Client, table: &str) {
    client
        .update_continuous_backups()
        .table_name(table)
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

fn item(i: usize) -> HashMap<String, Av> {
    HashMap::from([
        ("pk".to_string(), Av::S(format!("user#{}", i % 10))),
        ("sk".to_string(), Av::N(i.to_string())),
        ("name".to_string(), Av::S(format!("ünï \"{i}\"\n"))),
        (
            "tags".to_string(),
            Av::Ss(vec!["a".into(), format!("t{i}")]),
        ),
        (
            "scores".to_string(),
            Av::Ns(vec!["1.5".into(), "-2".into()]),
        ),
        ("blob".to_string(), Av::B(vec![0, 1, 2, i as u8].into())),
        (
            "doc".to_string(),
            Av::M(HashMap::from([
                ("ok".to_string(), Av::Bool(i.is_multiple_of(2))),
                ("none".to_string(), Av::Null(true)),
                (
                    "list".to_string(),
                    Av::L(vec![Av::N("1e3".into()), Av::S("x".into())]),
                ),
            ])),
        ),
    ])
}

async fn all_items(client: &Client, table: &str) -> Vec<HashMap<String, Av>> {
    let mut items: Vec<_> = client
        .scan()
        .table_name(table)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    items.sort_by_key(|i| {
        (
            i["pk"].as_s().unwrap().clone(),
            i["sk"].as_n().unwrap().parse::<u64>().unwrap(),
        )
    });
    items
}

async fn finished_export(client: &Client, arn: &str) -> aws_sdk_dynamodb::types::ExportDescription {
    for _ in 0..500 {
        let described = client
            .describe_export()
            .export_arn(arn)
            .send()
            .await
            .unwrap();
        let export = described.export_description.unwrap();
        if export.export_status != Some(ExportStatus::InProgress) {
            return export;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("export {arn} did not finish");
}

async fn finished_import(
    client: &Client,
    arn: &str,
) -> aws_sdk_dynamodb::types::ImportTableDescription {
    for _ in 0..500 {
        let described = client
            .describe_import()
            .import_arn(arn)
            .send()
            .await
            .unwrap();
        let import = described.import_table_description.unwrap();
        if import.import_status != Some(ImportStatus::InProgress) {
            return import;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("import {arn} did not finish");
}

/// Table `orders`, with point-in-time recovery and 120 items: its items.
async fn orders_with_items(client: &Client) -> Vec<HashMap<String, Av>> {
    create_table(client, "orders").await;
    enable_recovery(client, "orders").await;
    for i in 0..120 {
        client
            .put_item()
            .table_name("orders")
            .set_item(Some(item(i)))
            .send()
            .await
            .unwrap();
    }
    all_items(client, "orders").await
}

/// Exports table `orders` to bucket `exports` under `nightly-<format>`,
/// and waits until the export completes.
async fn export_orders(client: &Client, format: ExportFormat) -> ExportDescription {
    let started = client
        .export_table_to_point_in_time()
        .table_arn(format!("{TABLE_ARN_PREFIX}orders"))
        .s3_bucket("exports")
        .s3_prefix(format!("nightly-{}", format.as_str()))
        .export_format(format)
        .send()
        .await
        .unwrap()
        .export_description
        .unwrap();
    assert_eq!(started.export_status, Some(ExportStatus::InProgress));
    let export = finished_export(client, started.export_arn().unwrap()).await;
    assert_eq!(
        export.export_status,
        Some(ExportStatus::Completed),
        "{export:?}"
    );
    export
}

/// Imports the data files of `export` (of `export_orders`) into a new
/// table `copy`, and waits until the import ends.
async fn import_export(
    client: &Client,
    export: &ExportDescription,
    input_format: InputFormat,
    copy: &str,
) -> aws_sdk_dynamodb::types::ImportTableDescription {
    let export_id = export.export_arn().unwrap().rsplit('/').next().unwrap();
    let prefix = export.s3_prefix().unwrap();
    let import = client
        .import_table()
        .s3_bucket_source(
            S3BucketSource::builder()
                .s3_bucket("exports")
                .s3_key_prefix(format!("{prefix}/AWSDynamoDB/{export_id}/data/"))
                .build()
                .unwrap(),
        )
        .input_format(input_format)
        .input_compression_type(InputCompressionType::Gzip)
        .table_creation_parameters(table_keys(copy))
        .send()
        .await
        .unwrap()
        .import_table_description
        .unwrap();
    assert_eq!(import.import_status, Some(ImportStatus::InProgress));
    finished_import(client, import.import_arn().unwrap()).await
}

#[tokio::test]
async fn an_export_imports_back_into_an_equal_table() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_durable(dir.path());
    let client = server.client();
    let expected = orders_with_items(&client).await;
    let table_arn = format!("{TABLE_ARN_PREFIX}orders");

    for (format, input_format) in [
        (ExportFormat::DynamodbJson, InputFormat::DynamodbJson),
        (ExportFormat::Ion, InputFormat::Ion),
    ] {
        let export = export_orders(&client, format.clone()).await;
        assert_eq!(export.item_count, Some(120));
        assert_eq!(export.table_arn(), Some(table_arn.as_str()));
        let manifest = export.export_manifest().unwrap();
        assert!(
            dir.path().join("s3/exports").join(manifest).is_file(),
            "{manifest}"
        );

        let copy = format!(
            "orders-{}",
            format.as_str().to_lowercase().replace('_', "-")
        );
        let described = import_export(&client, &export, input_format, &copy).await;
        let table = client
            .describe_table()
            .table_name(&copy)
            .send()
            .await
            .unwrap();
        assert_eq!(table.table.unwrap().table_status, Some(TableStatus::Active));
        assert_eq!(
            described.import_status,
            Some(ImportStatus::Completed),
            "{described:?}"
        );
        assert_eq!(
            (described.imported_item_count, described.error_count),
            (120, 0)
        );
        assert_eq!(all_items(&client, &copy).await, expected, "{format:?}");
    }

    // Both exports are listed, one page at a time.
    let first = client
        .list_exports()
        .table_arn(&table_arn)
        .max_results(1)
        .send()
        .await
        .unwrap();
    assert_eq!(first.export_summaries().len(), 1);
    let second = client
        .list_exports()
        .table_arn(&table_arn)
        .max_results(1)
        .next_token(first.next_token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(second.export_summaries().len(), 1);
    assert!(second.next_token().is_none());
    let imports = client.list_imports().send().await.unwrap();
    assert_eq!(imports.import_summary_list().len(), 2);

    // Exports and imports outlive a restart.
    let exports_before = client
        .list_exports()
        .send()
        .await
        .unwrap()
        .export_summaries()
        .len();
    drop(client);
    drop(server);
    let server = Server::start_durable(dir.path());
    let client = server.client();
    assert_eq!(
        client
            .list_exports()
            .send()
            .await
            .unwrap()
            .export_summaries()
            .len(),
        exports_before
    );
    assert_eq!(all_items(&client, "orders-ion").await, expected);
}

/// An export that says it completed is whole after a power cut (on the
/// FUSE file system of `crash.rs` that forgets whatever was not synced):
/// each object's file, its name and the directories on its way are synced
/// before the export completes. Mutation check: without the sync of the
/// directory after an object's rename into place, the import finds no
/// data files.
#[tokio::test]
async fn a_completed_export_survives_a_power_cut() {
    let Some(mut disk) = power_cut::PowerCutDisk::mount() else {
        return;
    };
    let dir = disk.join("db");
    let mut server = Server::start_durable(&dir);
    let client = server.client();
    let expected = orders_with_items(&client).await;
    let export = export_orders(&client, ExportFormat::DynamodbJson).await;

    disk.cut_power(|| server.kill());
    let server = Server::start_durable(&dir);
    let client = server.client();
    let described = client
        .describe_export()
        .export_arn(export.export_arn().unwrap())
        .send()
        .await
        .unwrap()
        .export_description
        .unwrap();
    assert_eq!(described.export_status, Some(ExportStatus::Completed));
    let import = import_export(&client, &export, InputFormat::DynamodbJson, "orders-back").await;
    assert_eq!(
        import.import_status,
        Some(ImportStatus::Completed),
        "{import:?}"
    );
    assert_eq!(all_items(&client, "orders-back").await, expected);
}

#[tokio::test]
async fn exports_and_imports_answer_with_dynamodb_errors() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_durable(dir.path());
    let client = server.client();
    create_table(&client, "plain").await;
    let arn = format!("{TABLE_ARN_PREFIX}plain");

    let error = client
        .export_table_to_point_in_time()
        .table_arn(&arn)
        .s3_bucket("bk")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_code(&error),
        "PointInTimeRecoveryUnavailableException"
    );
    let error = client
        .export_table_to_point_in_time()
        .table_arn(format!("{TABLE_ARN_PREFIX}absent"))
        .s3_bucket("bk")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "TableNotFoundException");

    enable_recovery(&client, "plain").await;
    let future = aws_sdk_dynamodb::primitives::DateTime::from_secs(4_000_000_000);
    let error = client
        .export_table_to_point_in_time()
        .table_arn(&arn)
        .s3_bucket("bk")
        .export_time(future)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "InvalidExportTimeException");

    // An incremental export needs a window of 15 minutes to a day, all
    // of it covered by point-in-time recovery.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let incremental = |from: f64, to: f64| {
        client
            .export_table_to_point_in_time()
            .table_arn(&arn)
            .s3_bucket("bk")
            .export_type(ExportType::IncrementalExport)
            .incremental_export_specification(
                IncrementalExportSpecification::builder()
                    .export_from_time(aws_sdk_dynamodb::primitives::DateTime::from_secs_f64(from))
                    .export_to_time(aws_sdk_dynamodb::primitives::DateTime::from_secs_f64(to))
                    .export_view_type(ExportViewType::NewImage)
                    .build(),
            )
            .send()
    };
    let error = incremental(now - 1.0, now).await.unwrap_err();
    assert_eq!(error_code(&error), "InvalidExportTimeException");
    let error = incremental(now - 7200.0, now - 3600.0).await.unwrap_err();
    assert_eq!(error_code(&error), "InvalidExportTimeException");

    // Shape rules, in DynamoDB's words.
    let without_start = client
        .export_table_to_point_in_time()
        .table_arn(&arn)
        .s3_bucket("bk")
        .export_type(ExportType::IncrementalExport)
        .incremental_export_specification(IncrementalExportSpecification::builder().build());
    let kms_key_for_aes = client
        .export_table_to_point_in_time()
        .table_arn(&arn)
        .s3_bucket("bk")
        .s3_sse_algorithm(S3SseAlgorithm::Aes256)
        .s3_sse_kms_key_id("alias/mine");
    for (error, message) in [
        (
            without_start.send().await.unwrap_err(),
            "ExportFromTime must be provided in IncrementalExportSpecification",
        ),
        (
            kms_key_for_aes.send().await.unwrap_err(),
            "KMS Key Id is not supported for this encryption type",
        ),
    ] {
        assert_eq!(error_code(&error), "ValidationException");
        assert_eq!(error_message(&error), format!("Invalid Request: {message}"));
    }
    let error = client
        .list_exports()
        .next_token("abc")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "Invalid Request: Provided nextToken is invalid: abc"
    );
    let error = client
        .list_imports()
        .next_token("abc")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "Invalid Request: Provided nextToken is invalid: abc"
    );
    let error = client
        .import_table()
        .s3_bucket_source(S3BucketSource::builder().s3_bucket("bk").build().unwrap())
        .input_format(InputFormat::DynamodbJson)
        .input_format_options(
            InputFormatOptions::builder()
                .csv(CsvOptions::builder().delimiter(";").build())
                .build(),
        )
        .table_creation_parameters(table_keys("from_json"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "Invalid Request: Unsupported InputFormatOptions for the given input format: DYNAMODB_JSON."
    );

    // A client token names one request.
    let first = client
        .export_table_to_point_in_time()
        .table_arn(&arn)
        .s3_bucket("bk")
        .client_token("token-1")
        .send()
        .await
        .unwrap();
    let again = client
        .export_table_to_point_in_time()
        .table_arn(&arn)
        .s3_bucket("bk")
        .client_token("token-1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        first.export_description.unwrap().export_arn,
        again.export_description.unwrap().export_arn
    );
    let error = client
        .export_table_to_point_in_time()
        .table_arn(&arn)
        .s3_bucket("other")
        .client_token("token-1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ExportConflictException");

    let error = client
        .describe_export()
        .export_arn(format!("{arn}/export/01234567890123-abcdef01"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ExportNotFoundException");
    let error = client
        .describe_import()
        .import_arn(format!("{arn}/import/01234567890123-abcdef01"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ImportNotFoundException");

    // Importing into a table name in use is refused as CreateTable is.
    let error = client
        .import_table()
        .s3_bucket_source(S3BucketSource::builder().s3_bucket("bk").build().unwrap())
        .input_format(InputFormat::Csv)
        .table_creation_parameters(table_keys("plain"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ResourceInUseException");
}

/// SIGKILL in the middle of an import, then a restart: the import is
/// recorded FAILED and its half-filled table is gone (or, had it finished
/// first, it is COMPLETED with every item), never a table with part of the
/// items.
#[tokio::test]
async fn an_import_cut_short_by_sigkill_leaves_no_half_table() {
    const ROWS: usize = 200_000;
    let dir = tempfile::tempdir().unwrap();
    let bucket = dir.path().join("s3").join("rows");
    std::fs::create_dir_all(&bucket).unwrap();
    let mut csv = String::from("pk,sk,v\n");
    for i in 0..ROWS {
        csv.push_str(&format!("p{},{i},value {i}\n", i % 1000));
    }
    std::fs::write(bucket.join("rows.csv"), csv).unwrap();

    let mut server = Server::start_durable(dir.path());
    let client = server.client();
    let started = client
        .import_table()
        .s3_bucket_source(S3BucketSource::builder().s3_bucket("rows").build().unwrap())
        .input_format(InputFormat::Csv)
        .table_creation_parameters(table_keys("big"))
        .send()
        .await
        .unwrap()
        .import_table_description
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    server.kill();

    let server = Server::start_durable(dir.path());
    let client = server.client();
    let import = client
        .describe_import()
        .import_arn(started.import_arn().unwrap())
        .send()
        .await
        .unwrap()
        .import_table_description
        .unwrap();
    match import.import_status {
        Some(ImportStatus::Failed) => {
            let error = client
                .describe_table()
                .table_name("big")
                .send()
                .await
                .unwrap_err();
            assert_eq!(error_code(&error), "ResourceNotFoundException");
            let names = client.list_tables().send().await.unwrap();
            assert!(!names.table_names().contains(&"big".to_string()));
        }
        Some(ImportStatus::Completed) => {
            let counted = client
                .scan()
                .table_name("big")
                .select(aws_sdk_dynamodb::types::Select::Count)
                .into_paginator()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .unwrap();
            assert_eq!(
                counted.iter().map(|p| p.count as usize).sum::<usize>(),
                ROWS
            );
        }
        other => panic!("import after a restart: {other:?}"),
    }
}
