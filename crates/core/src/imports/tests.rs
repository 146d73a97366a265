use crate::test_support::{enable_recovery, open_with_s3, run};
use crate::{Database, Operation};
use std::io::Write as _;

fn put_object(s3: &std::path::Path, bucket: &str, key: &str, bytes: &[u8]) {
    let path = s3.join(bucket).join(key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Runs an ImportTable and waits for its end; the final description.
fn import(
    db: &Database,
    table: &str,
    source: &str,
    format: &str,
    extra: &str,
) -> serde_json::Value {
    let started = start_import(db, table, source, format, extra);
    assert_eq!(started["ImportStatus"], "IN_PROGRESS", "{started}");
    let arn = started["ImportArn"].as_str().unwrap().to_string();
    for _ in 0..1000 {
        let described = run(
            db,
            Operation::DescribeImport,
            &format!(r#"{{"ImportArn":"{arn}"}}"#),
        );
        let description = &described["ImportTableDescription"];
        if description["ImportStatus"] != "IN_PROGRESS" {
            return description.clone();
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("import {arn} did not end");
}

fn start_import(
    db: &Database,
    table: &str,
    source: &str,
    format: &str,
    extra: &str,
) -> serde_json::Value {
    run(
        db,
        Operation::ImportTable,
        &format!(
            r#"{{"S3BucketSource":{source},"InputFormat":"{format}"{extra},
                 "TableCreationParameters":{{"TableName":"{table}",
                   "KeySchema":[{{"AttributeName":"pk","KeyType":"HASH"}},{{"AttributeName":"n","KeyType":"RANGE"}}],
                   "AttributeDefinitions":[{{"AttributeName":"pk","AttributeType":"S"}},{{"AttributeName":"n","AttributeType":"N"}}],
                   "BillingMode":"PAY_PER_REQUEST"}}}}"#
        ),
    )["ImportTableDescription"]
        .clone()
}

fn scan(db: &Database, table: &str) -> Vec<String> {
    let items = run(
        db,
        Operation::Scan,
        &format!(r#"{{"TableName":"{table}"}}"#),
    );
    let mut items: Vec<String> = items["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.to_string())
        .collect();
    items.sort();
    items
}

#[test]
fn dynamodb_json_lines_are_imported_and_bad_records_counted() {
    let s3 = tempfile::tempdir().unwrap();
    let db = open_with_s3(s3.path());
    let lines = concat!(
        r#"{"Item":{"pk":{"S":"a"},"n":{"N":"1"},"x":{"SS":["p"]}}}"#,
        "\n",
        "\n",
        r#"{"Item":{"pk":{"S":"b"},"n":{"N":"2"}}}"#,
        "\n",
        // No sort key, a key of the wrong type, not an item line.
        r#"{"Item":{"pk":{"S":"c"}}}"#,
        "\n",
        r#"{"Item":{"pk":{"S":"d"},"n":{"S":"2"}}}"#,
        "\n",
        r#"{"pk":{"S":"e"},"n":{"N":"1"}}"#,
        "\n",
    );
    put_object(
        s3.path(),
        "bk",
        "in/part-1.json.gz",
        &gzip(lines.as_bytes()),
    );
    put_object(
        s3.path(),
        "bk",
        "in/part-2.json.gz",
        &gzip(br#"{"Item":{"pk":{"S":"a"},"n":{"N":"1"},"y":{"BOOL":true}}}"#),
    );
    put_object(s3.path(), "bk", "other/x.json.gz", &gzip(b"garbage"));
    let done = import(
        &db,
        "imported",
        r#"{"S3Bucket":"bk","S3KeyPrefix":"in/"}"#,
        "DYNAMODB_JSON",
        r#","InputCompressionType":"GZIP""#,
    );
    assert_eq!(done["ImportStatus"], "COMPLETED", "{done}");
    assert_eq!(done["ProcessedItemCount"], 6);
    assert_eq!(done["ErrorCount"], 3);
    assert_eq!(done["ImportedItemCount"], 3);
    // The later file's item of the same key replaced the earlier one.
    assert_eq!(
        scan(&db, "imported"),
        vec![
            r#"{"n":{"N":"1"},"pk":{"S":"a"},"y":{"BOOL":true}}"#,
            r#"{"n":{"N":"2"},"pk":{"S":"b"}}"#
        ]
    );
    let listed = run(&db, Operation::ListImports, "{}");
    assert_eq!(
        listed["ImportSummaryList"][0]["ImportArn"],
        done["ImportArn"]
    );
    let table = run(&db, Operation::DescribeTable, r#"{"TableName":"imported"}"#);
    assert_eq!(table["Table"]["ItemCount"], 2);
}

#[test]
fn csv_columns_take_the_key_types_and_the_rest_are_strings() {
    let s3 = tempfile::tempdir().unwrap();
    let db = open_with_s3(s3.path());
    put_object(
        s3.path(),
        "bk",
        "a.csv",
        b"pk,n,note\nx,10,\"hello, world\"\ny,2.5,\nz,notanumber,q\n",
    );
    let done = import(&db, "fromcsv", r#"{"S3Bucket":"bk"}"#, "CSV", "");
    assert_eq!(
        (
            done["ImportedItemCount"].clone(),
            done["ErrorCount"].clone()
        ),
        (2.into(), 1.into())
    );
    assert_eq!(
        scan(&db, "fromcsv"),
        vec![
            r#"{"n":{"N":"10"},"note":{"S":"hello, world"},"pk":{"S":"x"}}"#,
            r#"{"n":{"N":"2.5"},"pk":{"S":"y"}}"#
        ]
    );
    put_object(
        s3.path(),
        "bk2",
        "b.tsv.zst",
        &zstd::encode_all(&b"q|7|v"[..], 0).unwrap(),
    );
    let done = import(
        &db,
        "fromtsv",
        r#"{"S3Bucket":"bk2"}"#,
        "CSV",
        r#","InputCompressionType":"ZSTD","InputFormatOptions":{"Csv":{"Delimiter":"|","HeaderList":["pk","n","v"]}}"#,
    );
    assert_eq!(done["ImportedItemCount"], 1, "{done}");
    assert_eq!(
        scan(&db, "fromtsv"),
        vec![r#"{"n":{"N":"7"},"pk":{"S":"q"},"v":{"S":"v"}}"#]
    );
}

#[test]
fn an_import_without_objects_fails_and_leaves_no_table() {
    let s3 = tempfile::tempdir().unwrap();
    let db = open_with_s3(s3.path());
    let done = import(&db, "nothing", r#"{"S3Bucket":"absent"}"#, "ION", "");
    assert_eq!(done["ImportStatus"], "FAILED");
    assert_eq!(done["FailureCode"], "S3NoSuchBucket");
    assert!(db.catalog().get("nothing").is_none());
    let listed = run(&db, Operation::ListImports, "{}");
    assert_eq!(listed["ImportSummaryList"][0]["ImportStatus"], "FAILED");
}

#[test]
fn an_export_imports_back_into_an_equal_table_in_both_formats() {
    let s3 = tempfile::tempdir().unwrap();
    let db = open_with_s3(s3.path());
    run(
        &db,
        Operation::CreateTable,
        r#"{"TableName":"source","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"n","KeyType":"RANGE"}],
            "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"n","AttributeType":"N"}],
            "BillingMode":"PAY_PER_REQUEST"}"#,
    );
    enable_recovery(&db, "source");
    for i in 0..250 {
        run(
            &db,
            Operation::PutItem,
            &format!(
                r#"{{"TableName":"source","Item":{{"pk":{{"S":"p{}"}},"n":{{"N":"{i}.25"}},
                   "s":{{"S":"é\"\n{i}"}},"b":{{"B":"AAEC"}},"t":{{"BOOL":false}},"z":{{"NULL":true}},
                   "l":{{"L":[{{"M":{{"k":{{"NS":["1","-2.5e10"]}}}}}},{{"BS":["AQ=="]}}]}},
                   "ss":{{"SS":["x","y"]}}}}}}"#,
                i % 7
            ),
        );
    }
    let expected = scan(&db, "source");
    for format in ["DYNAMODB_JSON", "ION"] {
        let started = run(
            &db,
            Operation::ExportTableToPointInTime,
            &format!(
                r#"{{"TableArn":"arn:aws:dynamodb:us-east-1:000000000000:table/source","S3Bucket":"exports","S3Prefix":"{format}","ExportFormat":"{format}"}}"#
            ),
        );
        let arn = started["ExportDescription"]["ExportArn"]
            .as_str()
            .unwrap()
            .to_string();
        let mut status = String::new();
        for _ in 0..500 {
            let d = run(
                &db,
                Operation::DescribeExport,
                &format!(r#"{{"ExportArn":"{arn}"}}"#),
            );
            status = d["ExportDescription"]["ExportStatus"]
                .as_str()
                .unwrap()
                .to_string();
            if status != "IN_PROGRESS" {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(status, "COMPLETED");
        let id = arn.rsplit('/').next().unwrap();
        let table = format!("back-{}", format.to_lowercase().replace('_', "-"));
        let done = import(
            &db,
            &table,
            &format!(r#"{{"S3Bucket":"exports","S3KeyPrefix":"{format}/AWSDynamoDB/{id}/data/"}}"#),
            format,
            r#","InputCompressionType":"GZIP""#,
        );
        assert_eq!(done["ErrorCount"], 0, "{done}");
        assert_eq!(done["ImportedItemCount"], 250);
        assert_eq!(scan(&db, &table), expected, "{format}");
    }
}

#[test]
fn a_table_an_import_left_unfinished_is_dropped_at_the_next_start() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = crate::test_support::open_durable(dir.path());
        crate::test_support::create_table(&db, "half");
        // The state a crash during its import leaves.
        let key = crate::keys::table_entry("half");
        let mut entry: serde_json::Value =
            serde_json::from_slice(&db.engine().get(&key).unwrap().unwrap()).unwrap();
        entry["importing"] = true.into();
        let mut txn = db.engine().begin();
        txn.put(&key, &serde_json::to_vec(&entry).unwrap()).unwrap();
        txn.commit().unwrap();
        db.catalog().publish(serde_json::from_value(entry).unwrap());
        let described = run(&db, Operation::DescribeTable, r#"{"TableName":"half"}"#);
        assert_eq!(described["Table"]["TableStatus"], "CREATING");
        let ttl = db.execute(
            Operation::DescribeTimeToLive,
            br#"{"TableName":"half"}"#,
            &crate::RequestContext::default(),
        );
        assert_eq!(
            ttl.unwrap_err().message,
            "Cannot describe time to live while table is in CREATING state: Current table state is CREATING"
        );
        // Not there yet for the data plane.
        let put = db.execute(
            Operation::PutItem,
            br#"{"TableName":"half","Item":{"pk":{"S":"x"}}}"#,
            &crate::RequestContext::default(),
        );
        assert_eq!(
            put.unwrap_err().kind,
            dynalith_model::ErrorKind::ResourceNotFound
        );
        // Nor may the control plane change it.
        let delete = db.execute(
            Operation::DeleteTable,
            br#"{"TableName":"half"}"#,
            &crate::RequestContext::default(),
        );
        assert_eq!(
            delete.unwrap_err().kind,
            dynalith_model::ErrorKind::ResourceInUse
        );
        let import = crate::imports::ImportMeta {
            id: "00000000000001-00000000".into(),
            arn:
                "arn:aws:dynamodb:us-east-1:000000000000:table/half/import/00000000000001-00000000"
                    .into(),
            status: "IN_PROGRESS".into(),
            table_arn: "arn:aws:dynamodb:us-east-1:000000000000:table/half".into(),
            table_id: String::new(),
            client_token: "t".into(),
            s3_bucket_source: serde_json::json!({"S3Bucket": "b"}),
            input_format: "CSV".into(),
            input_format_options: None,
            input_compression_type: "NONE".into(),
            table_creation_parameters: serde_json::json!({}),
            start_time: 1.0,
            end_time: None,
            processed_size_bytes: 0,
            processed_item_count: 0,
            imported_item_count: 0,
            error_count: 0,
            failure_code: None,
            failure_message: None,
            request: None,
        };
        db.save_import(&import).unwrap();
        db.engine().flush().unwrap();
    }
    let db = crate::test_support::open_durable(dir.path());
    assert!(db.catalog().get("half").is_none());
    assert_eq!(db.imports().unwrap()[0].status, "FAILED");
}
