use crate::test_support::{create_table, open_with_s3, run};
use crate::{Database, Operation, RequestContext};
use serde_json::Value;

fn put_object(s3: &std::path::Path, bucket: &str, key: &str, bytes: &[u8]) {
    let path = s3.join(bucket).join(key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// `objects` objects of 100 items each under `many/` of bucket `input`.
fn many_objects(s3: &std::path::Path, objects: usize) {
    for object in 0..objects {
        let text: String = (0..100)
            .map(|n| format!("{{\"Item\":{{\"pk\":{{\"S\":\"{object}-{n}\"}}}}}}\n"))
            .collect();
        put_object(
            s3,
            "input",
            &format!("many/{object:03}.json"),
            text.as_bytes(),
        );
    }
}

fn start(db: &Database, table: &str, prefix: &str, format: &str, extra: &str) -> Value {
    run(
        db,
        Operation::StartBulkPutItems,
        &format!(
            r#"{{"TableName":"{table}",
                 "InputS3Configuration":{{"S3Bucket":"input","S3KeyPrefix":"{prefix}","InputFormat":"{format}"}},
                 "OutputS3Configuration":{{"S3Bucket":"reports","S3KeyPrefix":"out","OutputType":["ERROR","CONDITION_CHECK_FAILURE"]}}{extra}}}"#
        ),
    )["BulkOperationDescription"]
        .clone()
}

fn finished(db: &Database, arn: &str) -> Value {
    for _ in 0..1000 {
        let described = run(
            db,
            Operation::DescribeBulkOperation,
            &format!(r#"{{"BulkOperationArn":"{arn}"}}"#),
        )["BulkOperationDescription"]
            .clone();
        if !crate::bulk_operations::is_running(described["BulkOperationStatus"].as_str().unwrap()) {
            return described;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("bulk operation {arn} did not end");
}

fn get(db: &Database, table: &str, pk: &str) -> Value {
    run(
        db,
        Operation::GetItem,
        &format!(r#"{{"TableName":"{table}","Key":{{"pk":{{"S":"{pk}"}}}}}}"#),
    )["Item"]
        .clone()
}

fn report_lines(s3: &std::path::Path, description: &Value, kind: &str) -> Vec<Value> {
    let id = description["BulkOperationArn"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    let path = s3.join(format!(
        "reports/out/AWSDynamoDB/{id}/{kind}/part-00001.json"
    ));
    match std::fs::read_to_string(path) {
        Ok(text) => text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn items_are_put_under_their_conditions_and_the_rest_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_with_s3(dir.path());
    create_table(&db, "target");
    run(
        &db,
        Operation::PutItem,
        r#"{"TableName":"target","Item":{"pk":{"S":"kept"},"v":{"N":"9"}}}"#,
    );
    let lines = [
        r#"{"Item":{"pk":{"S":"a"},"v":{"N":"1"}}}"#,
        r#"{"Item":{"pk":{"S":"a"},"v":{"N":"2"}}}"#,
        // The condition sees the put just before it.
        r##"{"Item":{"pk":{"S":"a"},"v":{"N":"3"}},"ConditionExpression":"#v = :two","ExpressionAttributeNames":{"#v":"v"},"ExpressionAttributeValues":{":two":{"N":"2"}}}"##,
        r#"{"Item":{"pk":{"S":"kept"},"v":{"N":"0"}},"ConditionExpression":"attribute_not_exists(pk)"}"#,
        r#"{"Item":{"v":{"N":"1"}}}"#,
        r#"not a record"#,
        r#"{"Item":{"pk":{"S":"b"}},"ConditionExpression":"v = :missing"}"#,
    ];
    put_object(
        dir.path(),
        "input",
        "load/part-1.json",
        lines.join("\n").as_bytes(),
    );
    let started = start(&db, "target", "load/", "DYNAMODB_JSON", "");
    assert_eq!(started["BulkOperationStatus"], "IN_PROGRESS");
    assert_eq!(started["PerformanceTier"], "STANDARD");
    assert!(started.get("EndTime").is_none() && started.get("TotalInputBytes").is_none());
    let done = finished(&db, started["BulkOperationArn"].as_str().unwrap());
    assert_eq!(
        done["BulkOperationStatus"], "COMPLETED_WITH_ERRORS",
        "{done}"
    );
    assert_eq!(done["ProcessedItemCount"], 7);
    // The keyless item, the unreadable line and the unbound value; not the
    // false condition.
    assert_eq!(done["FailedItemCount"], 3);
    let bytes = lines.join("\n").len() as i64;
    assert_eq!(done["ProcessedInputBytes"], bytes);
    assert_eq!(done["TotalInputBytes"], bytes);
    assert!(done["EndTime"].is_number());

    assert_eq!(get(&db, "target", "a")["v"]["N"], "3");
    assert_eq!(get(&db, "target", "kept")["v"]["N"], "9");
    assert!(get(&db, "target", "b").is_null());

    let errors = report_lines(dir.path(), &done, "ERROR");
    let numbers: Vec<_> = errors
        .iter()
        .map(|e| e["RecordNumber"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [5, 6, 7], "{errors:?}");
    assert!(errors.iter().all(|e| e["S3Key"] == "load/part-1.json"));
    let failures = report_lines(dir.path(), &done, "CONDITION_CHECK_FAILURE");
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["RecordNumber"], 4);
    assert_eq!(failures[0]["Item"]["v"]["N"], "0");
    assert_eq!(failures[0]["ExistingItem"]["v"]["N"], "9");
}

#[test]
fn a_clean_load_completes_and_reports_usage_per_index() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_with_s3(dir.path());
    run(
        &db,
        Operation::CreateTable,
        r#"{"TableName":"indexed","BillingMode":"PAY_PER_REQUEST",
            "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"g","AttributeType":"S"}],
            "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
            "GlobalSecondaryIndexes":[{"IndexName":"by_g","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}]}"#,
    );
    let ion: String = (0..250)
        .map(|n| format!("{{Item:{{pk:\"p{n}\",g:\"g{}\",n:{n}}}}}\n", n % 3))
        .collect();
    put_object(dir.path(), "input", "ion/a.ion", ion.as_bytes());
    let started = start(
        &db,
        "indexed",
        "ion/",
        "ION",
        r#","MaxWriteRequestUnits":100000"#,
    );
    let done = finished(&db, started["BulkOperationArn"].as_str().unwrap());
    assert_eq!(done["BulkOperationStatus"], "COMPLETED", "{done}");
    assert_eq!(done["ProcessedItemCount"], 250);
    assert_eq!(done["FailedItemCount"], 0);
    assert_eq!(done["MaxWriteRequestUnits"], 100000);
    let usage = &done["BulkOperationUsage"][0];
    let table = usage["Table"]["BulkPutBytes"].as_i64().unwrap();
    let index = usage["GlobalSecondaryIndexes"]["by_g"]["BulkPutBytes"]
        .as_i64()
        .unwrap();
    assert!(table > index && index > 0, "{usage}");
    assert_eq!(usage["BulkPutBytes"].as_i64().unwrap(), table + index);
    let scanned = run(
        &db,
        Operation::Scan,
        r#"{"TableName":"indexed","Select":"COUNT"}"#,
    );
    assert_eq!(scanned["Count"], 250);
    // Nothing to report: no report is written.
    assert!(report_lines(dir.path(), &done, "ERROR").is_empty());
}

#[test]
fn a_client_token_repeats_the_operation_and_refuses_other_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_with_s3(dir.path());
    create_table(&db, "target");
    put_object(
        dir.path(),
        "input",
        "x/1.json",
        br#"{"Item":{"pk":{"S":"a"}}}"#,
    );
    let first = start(
        &db,
        "target",
        "x/",
        "DYNAMODB_JSON",
        r#","ClientToken":"tok""#,
    );
    let again = start(
        &db,
        "target",
        "x/",
        "DYNAMODB_JSON",
        r#","ClientToken":"tok""#,
    );
    assert_eq!(first["BulkOperationArn"], again["BulkOperationArn"]);
    let other = db
        .execute(
            Operation::StartBulkPutItems,
            br#"{"TableName":"target","ClientToken":"tok",
                 "InputS3Configuration":{"S3Bucket":"input","S3KeyPrefix":"y/","InputFormat":"DYNAMODB_JSON"},
                 "OutputS3Configuration":{"S3Bucket":"reports","OutputType":["ERROR"]}}"#,
            &RequestContext::default(),
        )
        .unwrap_err();
    assert_eq!(
        other.kind,
        dynalith_model::ErrorKind::IdempotentParameterMismatch
    );
    finished(&db, first["BulkOperationArn"].as_str().unwrap());
}

#[test]
fn listing_goes_newest_first_in_pages() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_with_s3(dir.path());
    create_table(&db, "target");
    put_object(
        dir.path(),
        "input",
        "x/1.json",
        br#"{"Item":{"pk":{"S":"a"}}}"#,
    );
    let arns: Vec<String> = (0..3)
        .map(|_| {
            let started = start(&db, "target", "x/", "DYNAMODB_JSON", "");
            let arn = started["BulkOperationArn"].as_str().unwrap().to_string();
            finished(&db, &arn);
            arn
        })
        .collect();
    let page = run(&db, Operation::ListBulkOperations, r#"{"MaxResults":2}"#);
    let listed: Vec<_> = page["BulkOperationsSummaryList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["BulkOperationArn"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, [arns[2].clone(), arns[1].clone()]);
    let token = page["NextToken"].as_str().unwrap();
    let rest = run(
        &db,
        Operation::ListBulkOperations,
        &format!(r#"{{"MaxResults":2,"NextToken":"{token}"}}"#),
    );
    assert_eq!(
        rest["BulkOperationsSummaryList"][0]["BulkOperationArn"],
        arns[0].as_str()
    );
    assert!(rest.get("NextToken").is_none());
}

#[test]
fn a_missing_input_fails_the_operation_and_an_unknown_one_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_with_s3(dir.path());
    create_table(&db, "target");
    let started = start(&db, "target", "nothing/", "DYNAMODB_JSON", "");
    let done = finished(&db, started["BulkOperationArn"].as_str().unwrap());
    assert_eq!(done["BulkOperationStatus"], "FAILED");
    assert!(done["FailureCode"].as_str().unwrap().starts_with("S3"));
    let arn = format!("{}0", started["BulkOperationArn"].as_str().unwrap());
    for op in [
        Operation::DescribeBulkOperation,
        Operation::CancelBulkOperation,
    ] {
        let error = db
            .execute(
                op,
                format!(r#"{{"BulkOperationArn":"{arn}"}}"#).as_bytes(),
                &RequestContext::default(),
            )
            .unwrap_err();
        assert_eq!(error.kind, dynalith_model::ErrorKind::ResourceNotFound);
    }
    let missing_table = db
        .execute(
            Operation::StartBulkPutItems,
            br#"{"TableName":"nope",
                 "InputS3Configuration":{"S3Bucket":"input","InputFormat":"DYNAMODB_JSON"},
                 "OutputS3Configuration":{"S3Bucket":"reports","OutputType":["ERROR"]}}"#,
            &RequestContext::default(),
        )
        .unwrap_err();
    assert_eq!(
        missing_table.kind,
        dynalith_model::ErrorKind::ResourceNotFound
    );
}

#[test]
fn a_cancelled_operation_stops_and_keeps_what_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_with_s3(dir.path());
    create_table(&db, "target");
    // 60 objects of 100 items, written at 1,024 units a second: ~6 s
    // unless cancelled.
    many_objects(dir.path(), 60);
    let started = start(
        &db,
        "target",
        "many/",
        "DYNAMODB_JSON",
        r#","MaxWriteRequestUnits":1024"#,
    );
    let arn = started["BulkOperationArn"].as_str().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let cancel = run(
        &db,
        Operation::CancelBulkOperation,
        &format!(r#"{{"BulkOperationArn":"{arn}"}}"#),
    );
    assert_eq!(cancel["BulkOperationStatus"], "CANCELLING");
    let done = finished(&db, arn);
    assert_eq!(done["BulkOperationStatus"], "CANCELLED", "{done}");
    assert!(done["FailureCode"].is_string());
    let written = run(
        &db,
        Operation::Scan,
        r#"{"TableName":"target","Select":"COUNT"}"#,
    )["Count"]
        .as_i64()
        .unwrap();
    assert!(written > 0 && written < 6000, "{written}");
    assert!(done.get("TotalInputBytes").is_none());
    let again = db
        .execute(
            Operation::CancelBulkOperation,
            format!(r#"{{"BulkOperationArn":"{arn}"}}"#).as_bytes(),
            &RequestContext::default(),
        )
        .unwrap_err();
    assert_eq!(again.kind, dynalith_model::ErrorKind::Validation);
}

#[test]
fn an_operation_a_crash_interrupted_is_recorded_failed() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_with_s3(dir.path());
    create_table(&db, "target");
    put_object(
        dir.path(),
        "input",
        "x/1.json",
        br#"{"Item":{"pk":{"S":"a"}}}"#,
    );
    let started = start(&db, "target", "x/", "DYNAMODB_JSON", "");
    let arn = started["BulkOperationArn"].as_str().unwrap();
    finished(&db, arn);
    // As a crash would leave it: saved while running.
    let mut op = db.bulk_operation(arn).unwrap();
    op.status = super::CANCELLING.into();
    op.end_time = None;
    db.save_bulk_operation(&op).unwrap();
    db.fail_unfinished_bulk_operations().unwrap();
    let after = db.bulk_operation(arn).unwrap();
    assert_eq!(after.status, super::FAILED);
    assert!(after.end_time.is_some() && after.failure_message.is_some());
}

#[test]
fn deleting_the_table_fails_the_operation() {
    let dir = tempfile::tempdir().unwrap();
    let db = open_with_s3(dir.path());
    create_table(&db, "target");
    many_objects(dir.path(), 30);
    let started = start(
        &db,
        "target",
        "many/",
        "DYNAMODB_JSON",
        r#","MaxWriteRequestUnits":1024"#,
    );
    std::thread::sleep(std::time::Duration::from_millis(200));
    run(&db, Operation::DeleteTable, r#"{"TableName":"target"}"#);
    let done = finished(&db, started["BulkOperationArn"].as_str().unwrap());
    assert_eq!(done["BulkOperationStatus"], "FAILED", "{done}");
    assert_eq!(done["FailureCode"], "ResourceNotFoundException");
}
