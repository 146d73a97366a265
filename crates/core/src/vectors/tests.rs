use crate::test_support::run;
use crate::{Database, Operation, RequestContext};
use dynalith_model::{DynamoError, ErrorKind};
use dynalith_storage::MemoryEngine;
use serde_json::{json, Value};
use std::sync::Arc;

fn open() -> Arc<Database> {
    Database::open(Arc::new(MemoryEngine::default())).unwrap()
}

fn call(db: &Database, operation: Operation, body: &Value) -> Result<Value, DynamoError> {
    db.execute(
        operation,
        body.to_string().as_bytes(),
        &RequestContext::default(),
    )
    .map(|bytes| serde_json::from_slice(&bytes).unwrap())
}

/// A table keyed by `pk`, with a vector index `by_meaning` on `v` (3
/// dimensions, `function`) whose search schema has `tenant` as HASH and
/// `kind` as INLINE_FILTER.
fn table(db: &Database, function: &str) {
    call(
        db,
        Operation::CreateTable,
        &json!({
            "TableName": "docs", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "tenant", "AttributeType": "S"},
                {"AttributeName": "kind", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "VectorIndexes": [{
                "IndexName": "by_meaning",
                "VectorAttribute": {"AttributeName": "v"},
                "Dimensions": 3, "DistanceFunction": function,
                "SearchSchema": [
                    {"AttributeName": "tenant", "SearchSchemaElementType": "HASH"},
                    {"AttributeName": "kind", "SearchSchemaElementType": "INLINE_FILTER"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["title"]}}],
        }),
    )
    .unwrap();
}

fn vector(values: &[f64]) -> Value {
    json!({"L": values.iter().map(|v| json!({"N": v.to_string()})).collect::<Vec<_>>()})
}

fn put(db: &Database, pk: &str, tenant: &str, kind: &str, v: &[f64]) {
    let item = json!({
        "pk": {"S": pk}, "tenant": {"S": tenant}, "kind": {"S": kind},
        "title": {"S": format!("title {pk}")}, "body": {"S": "not projected"}, "v": vector(v),
    });
    call(
        db,
        Operation::PutItem,
        &json!({"TableName": "docs", "Item": item}),
    )
    .unwrap();
}

fn search(db: &Database, v: &[f64], condition: &str, top_k: i64) -> Result<Value, DynamoError> {
    let mut values = serde_json::Map::new();
    for (placeholder, value) in [(":t", "acme"), (":k", "faq")] {
        if condition.contains(placeholder) {
            values.insert(placeholder.into(), json!({"S": value}));
        }
    }
    call(
        db,
        Operation::SearchVectors,
        &json!({
            "TableName": "docs", "IndexName": "by_meaning",
            "SearchVector": v.iter().map(|x| json!({"N": x.to_string()})).collect::<Vec<_>>(),
            "SearchConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "TopK": top_k,
        }),
    )
}

fn found(answer: &Value) -> Vec<(String, f64)> {
    answer["SearchResults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["Item"]["pk"]["S"].as_str().unwrap().to_string(),
                r["Score"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn load(db: &Database) {
    put(db, "a", "acme", "faq", &[1.0, 0.0, 0.0]);
    put(db, "b", "acme", "faq", &[0.9, 0.1, 0.0]);
    put(db, "c", "acme", "blog", &[0.0, 1.0, 0.0]);
    put(db, "d", "acme", "faq", &[-1.0, 0.0, 0.0]);
    put(db, "e", "other", "faq", &[1.0, 0.0, 0.0]);
}

#[test]
fn cosine_search_ranks_the_tenants_items_nearest_first() {
    let db = open();
    table(&db, "COSINE");
    load(&db);
    let answer = search(&db, &[1.0, 0.0, 0.0], "tenant = :t", 3).unwrap();
    let results = found(&answer);
    let names: Vec<_> = results.iter().map(|(pk, _)| pk.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(results[0].1, 0.0);
    assert_eq!(results[2].1, 1.0);
    // The index's projection, without the vector.
    let item = &answer["SearchResults"][0]["Item"];
    let mut attributes: Vec<_> = item.as_object().unwrap().keys().cloned().collect();
    attributes.sort();
    assert_eq!(attributes, ["kind", "pk", "tenant", "title"]);

    let filtered = search(&db, &[1.0, 0.0, 0.0], "tenant = :t AND kind = :k", 10).unwrap();
    let names: Vec<_> = found(&filtered).into_iter().map(|(pk, _)| pk).collect();
    assert_eq!(names, ["a", "b", "d"]);
    assert_eq!(found(&filtered)[2].1, 2.0);
}

#[test]
fn euclidean_and_dot_product_rank_as_documented() {
    for (function, expected) in [
        ("EUCLIDEAN", ["a", "b", "c", "d"]),
        ("DOT_PRODUCT", ["a", "b", "c", "d"]),
    ] {
        let db = open();
        table(&db, function);
        load(&db);
        let results = found(&search(&db, &[2.0, 0.0, 0.0], "tenant = :t", 10).unwrap());
        let names: Vec<_> = results.iter().map(|(pk, _)| pk.as_str()).collect();
        assert_eq!(names, expected, "{function}");
        match function {
            "EUCLIDEAN" => assert_eq!(results[0].1, 1.0),
            _ => assert_eq!(results[0].1, 2.0),
        }
    }
}

#[test]
fn a_projection_expression_can_ask_for_the_vector() {
    let db = open();
    table(&db, "COSINE");
    load(&db);
    let answer = call(
        &db,
        Operation::SearchVectors,
        &json!({"TableName": "docs", "IndexName": "by_meaning", "TopK": 1,
                "SearchVector": [{"N": "1"}, {"N": "0"}, {"N": "0"}],
                "SearchConditionExpression": "#t = :t", "ProjectionExpression": "pk, v",
                "ExpressionAttributeNames": {"#t": "tenant"},
                "ExpressionAttributeValues": {":t": {"S": "acme"}}}),
    )
    .unwrap();
    let item = &answer["SearchResults"][0]["Item"];
    assert_eq!(item["v"]["L"].as_array().unwrap().len(), 3);
    assert!(item.get("title").is_none());
}

#[test]
fn writes_with_a_malformed_vector_are_refused_with_dynamodbs_messages() {
    let db = open();
    table(&db, "COSINE");
    let attempt = |v: Value| {
        call(
            &db,
            Operation::PutItem,
            &json!({"TableName": "docs", "Item": {"pk": {"S": "x"}, "v": v}}),
        )
        .unwrap_err()
        .message
    };
    assert_eq!(
        attempt(json!({"S": "no"})),
        "One or more parameter values were invalid. Invalid type for parameter v, Expected: 32-bit floating point number list IndexName: by_meaning"
    );
    assert_eq!(
        attempt(vector(&[1.0, 2.0])),
        "One or more parameter values were invalid. Invalid size for parameter v, Expected: 3, Actual: 2 IndexName: by_meaning"
    );
    assert_eq!(
        attempt(json!({"L": [{"N": "1"}, {"S": "2"}, {"N": "3"}]})),
        "One or more parameter values were invalid. Invalid type for parameter v[1], Expected: 32-bit floating point number, Actual: S. IndexName: by_meaning"
    );
    assert!(
        attempt(json!({"L": [{"N": "1"}, {"N": "1E+39"}, {"N": "3"}]}))
            .contains("Invalid value for parameter v[1]")
    );
    let wrong_type = call(
        &db,
        Operation::PutItem,
        &json!({"TableName": "docs", "Item": {"pk": {"S": "x"}, "tenant": {"N": "1"}}}),
    )
    .unwrap_err();
    assert!(wrong_type
        .message
        .contains("Attribute 'tenant' type mismatch"));
    // Without a vector the item is written, and not searched.
    call(
        &db,
        Operation::PutItem,
        &json!({"TableName": "docs", "Item": {"pk": {"S": "plain"}, "tenant": {"S": "acme"}}}),
    )
    .unwrap();
    assert!(found(&search(&db, &[1.0, 0.0, 0.0], "tenant = :t", 5).unwrap()).is_empty());
}

#[test]
fn searches_are_validated_as_dynamodb_validates_them() {
    let db = open();
    table(&db, "COSINE");
    let message = |answer: Result<Value, DynamoError>| answer.unwrap_err().message;
    assert_eq!(
        message(search(&db, &[1.0, 0.0, 0.0], "tenant = :t", 101)),
        "Provided TopK value '101' is out of valid range. The value must be between 1 and 100 inclusive"
    );
    assert_eq!(
        message(search(&db, &[1.0, 0.0], "tenant = :t", 1)),
        "Input search vector dimension 2 does not match vector index dimension 3"
    );
    assert_eq!(
        message(search(&db, &[1.0, 0.0, 0.0], "kind = :k", 1)),
        "SearchConditionExpression must be provided when SearchSchema has a HASH key"
    );
    assert_eq!(
        message(search(&db, &[1.0, 0.0, 0.0], "tenant = :t OR kind = :k", 1)),
        "Invalid SearchConditionExpression: Invalid comparator used in SearchConditionExpression"
    );
    assert_eq!(
        message(search(&db, &[1.0, 0.0, 0.0], "tenant = :t AND tenant = :k", 1)),
        "Invalid SearchConditionExpression: SearchConditionExpression must only contain one condition per attribute"
    );
    let other_index = call(
        &db,
        Operation::SearchVectors,
        &json!({"TableName": "docs", "IndexName": "nope", "TopK": 1,
                "SearchVector": [{"N": "1"}, {"N": "0"}, {"N": "0"}]}),
    )
    .unwrap_err();
    assert_eq!(other_index.kind, ErrorKind::Validation);
    assert_eq!(
        other_index.message,
        "The table does not have the specified index: nope"
    );
}

#[test]
fn definitions_follow_dynamodbs_rules() {
    let db = open();
    let create = |extra: Value| {
        let mut body = json!({
            "TableName": "tbl", "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "VectorIndexes": [{"IndexName": "vix", "VectorAttribute": {"AttributeName": "v"},
                "Dimensions": 4, "DistanceFunction": "COSINE", "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        });
        for (key, value) in extra.as_object().unwrap() {
            body[key] = value.clone();
        }
        call(&db, Operation::CreateTable, &body).map_err(|e| e.message)
    };
    let provisioned = json!({"BillingMode": "PROVISIONED",
        "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}});
    assert_eq!(
        create(provisioned).unwrap_err(),
        "One or more parameter values were invalid: Vector indexes are only supported for PAY_PER_REQUEST tables"
    );
    let defined_vector = json!({"AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "v", "AttributeType": "S"}]});
    assert!(create(defined_vector)
        .unwrap_err()
        .contains("Conflicting attribute definition for 'v'"));
    let too_big = json!({"VectorIndexes": [{"IndexName": "vix", "VectorAttribute": {"AttributeName": "v"},
        "Dimensions": 4097, "DistanceFunction": "COSINE", "Projection": {"ProjectionType": "ALL"}}]});
    assert_eq!(
        create(too_big).unwrap_err(),
        "One or more parameter values were invalid: Number of dimensions must be between 1 and 4096 inclusive."
    );
    let undefined_filter = json!({"VectorIndexes": [{"IndexName": "vix", "VectorAttribute": {"AttributeName": "v"},
        "Dimensions": 4, "DistanceFunction": "COSINE", "Projection": {"ProjectionType": "ALL"},
        "SearchSchema": [{"AttributeName": "g", "SearchSchemaElementType": "INLINE_FILTER"}]}]});
    assert_eq!(
        create(undefined_filter).unwrap_err(),
        "One or more parameter values were invalid: One element in SearchSchema is not defined in attribute definitions"
    );
    // Found by fuzzing: an unknown projection type is Coral's enum error.
    let bad_projection = json!({"VectorIndexes": [{"IndexName": "vix", "VectorAttribute": {"AttributeName": "v"},
        "Dimensions": 4, "DistanceFunction": "COSINE", "Projection": {"ProjectionType": "ALL/"}}]});
    assert!(create(bad_projection).unwrap_err().contains(
        "Value 'ALL/' at 'vectorIndexes.1.member.projection.projectionType' failed to satisfy constraint"
    ));
    let described = create(json!({})).unwrap()["TableDescription"]["VectorIndexes"][0].clone();
    assert_eq!(described["IndexStatus"], "ACTIVE");
    assert_eq!(described["Dimensions"], 4);
    assert_eq!(described["DistanceFunction"], "COSINE");
    assert!(described["IndexArn"]
        .as_str()
        .unwrap()
        .ends_with("table/tbl/index/vix"));
}

#[test]
fn update_table_adds_and_removes_a_vector_index() {
    let db = open();
    run(
        &db,
        Operation::CreateTable,
        r#"{"TableName":"tbl","BillingMode":"PAY_PER_REQUEST",
            "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
            "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}]}"#,
    );
    run(
        &db,
        Operation::PutItem,
        r#"{"TableName":"tbl","Item":{"pk":{"S":"old"},"g":{"S":"x"},"v":{"L":[{"N":"1"},{"N":"1"}]}}}"#,
    );
    let added = run(
        &db,
        Operation::UpdateTable,
        r#"{"TableName":"tbl","AttributeDefinitions":[{"AttributeName":"g","AttributeType":"S"}],
            "VectorIndexUpdates":[{"Create":{"IndexName":"later","VectorAttribute":{"AttributeName":"v"},
              "Dimensions":2,"DistanceFunction":"EUCLIDEAN","Projection":{"ProjectionType":"ALL"},
              "SearchSchema":[{"AttributeName":"g","SearchSchemaElementType":"HASH"}]}}]}"#,
    );
    let definitions = added["TableDescription"]["AttributeDefinitions"].to_string();
    assert!(definitions.contains("\"g\""), "{definitions}");
    // Items written before the index are searched too.
    let results = run(
        &db,
        Operation::SearchVectors,
        r#"{"TableName":"tbl","IndexName":"later","TopK":5,"SearchVector":[{"N":"1"},{"N":"1"}],
            "SearchConditionExpression":"g = :g","ExpressionAttributeValues":{":g":{"S":"x"}}}"#,
    );
    assert_eq!(results["SearchResults"][0]["Item"]["pk"]["S"], "old");
    assert_eq!(results["SearchResults"][0]["Score"], 0.0);
    let removed = run(
        &db,
        Operation::UpdateTable,
        r#"{"TableName":"tbl","VectorIndexUpdates":[{"Delete":{"IndexName":"later"}}]}"#,
    );
    assert!(removed["TableDescription"].get("VectorIndexes").is_none());
    assert!(!removed["TableDescription"]["AttributeDefinitions"]
        .to_string()
        .contains("\"g\""));
}

#[test]
fn a_restore_keeps_the_vector_indexes_the_override_names() {
    let db = open();
    table(&db, "COSINE");
    load(&db);
    let backup = call(
        &db,
        Operation::CreateBackup,
        &json!({"TableName": "docs", "BackupName": "before"}),
    )
    .unwrap()["BackupDetails"]["BackupArn"]
        .as_str()
        .unwrap()
        .to_string();
    let described = call(
        &db,
        Operation::DescribeBackup,
        &json!({"BackupArn": backup}),
    )
    .unwrap();
    let features = &described["BackupDescription"]["SourceTableFeatureDetails"];
    assert_eq!(features["VectorIndexes"][0]["IndexName"], "by_meaning");
    assert!(features["VectorIndexes"][0].get("IndexStatus").is_none());

    let restore = |target: &str, extra: Value| {
        let mut body = json!({"BackupArn": backup, "TargetTableName": target});
        for (key, value) in extra.as_object().unwrap() {
            body[key] = value.clone();
        }
        call(&db, Operation::RestoreTableFromBackup, &body)
    };
    let kept = restore("kept", json!({})).unwrap();
    assert_eq!(
        kept["TableDescription"]["VectorIndexes"][0]["IndexName"],
        "by_meaning"
    );
    let dropped = restore("dropped", json!({"VectorIndexOverride": []})).unwrap();
    assert!(dropped["TableDescription"].get("VectorIndexes").is_none());
    let unknown = restore(
        "unknown",
        json!({"VectorIndexOverride": [{"IndexName": "nope", "VectorAttribute": {"AttributeName": "v"},
            "Dimensions": 3, "DistanceFunction": "COSINE", "Projection": {"ProjectionType": "ALL"}}]}),
    )
    .unwrap_err();
    assert!(unknown
        .message
        .contains("Index nope does not match a vector index"));
    let provisioned = restore(
        "provisioned",
        json!({"BillingModeOverride": "PROVISIONED",
               "ProvisionedThroughputOverride": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}),
    )
    .unwrap_err();
    assert!(provisioned
        .message
        .contains("only supported for PAY_PER_REQUEST"));
}

/// A write's capacity on a table with a vector index (`vectors::capacity`):
/// the item billed with its vector at four bytes per dimension, and, under
/// INDEXES, VectorWriteRequestBytes for the index whose entry changed.
#[test]
fn writes_report_vector_write_bytes_and_bill_vectors_by_dimension() {
    let db = open();
    table(&db, "COSINE");
    let wide = "12345678901234567890123456789012345678";
    let write = |item: Value, mode: &str| {
        call(
            &db,
            Operation::PutItem,
            &json!({"TableName": "docs", "Item": item, "ReturnConsumedCapacity": mode}),
        )
        .unwrap()["ConsumedCapacity"]
            .clone()
    };
    // 1,024 bytes billed: "pk" "a1" (4), "v" and 3 x 4 bytes (13), "pad"
    // and its string (3 + 1,004). Its numbers would make it 1,073 bytes.
    let billed = |key: &str, pad: usize| {
        json!({"pk": {"S": key}, "v": {"L": [{"N": wide}, {"N": wide}, {"N": wide}]},
               "pad": {"S": "p".repeat(pad)}})
    };
    assert_eq!(write(billed("a1", 1004), "TOTAL")["CapacityUnits"], 1.0);
    assert_eq!(write(billed("a2", 1005), "TOTAL")["CapacityUnits"], 2.0);
    // The index holds keys, vector, search schema and `title`: an entry
    // under 1,024 bytes reports the floor, TOTAL reports none.
    let item = json!({"pk": {"S": "w"}, "tenant": {"S": "t"}, "v": vector(&[1.0, 0.0, 0.0]),
                      "title": {"S": "x"}, "body": {"S": "b"}});
    let total = write(item.clone(), "TOTAL");
    assert!(total.get("VectorIndexes").is_none());
    let mut changed = item.clone();
    changed["title"] = json!({"S": "x".repeat(2000)});
    let indexes = write(changed.clone(), "INDEXES");
    // pk 2 + 1, tenant 6 + 1, v 1 + 12, title 5 + 2,000.
    assert_eq!(
        indexes["VectorIndexes"]["by_meaning"]["VectorWriteRequestBytes"],
        2028
    );
    assert_eq!(indexes["CapacityUnits"], 2.0);
    // Nothing the index holds changed (body is not projected): no report.
    changed["body"] = json!({"S": "other"});
    assert!(write(changed, "INDEXES").get("VectorIndexes").is_none());
    let small = json!({"pk": {"S": "s"}, "v": vector(&[0.0, 1.0, 0.0])});
    assert_eq!(
        write(small, "INDEXES")["VectorIndexes"]["by_meaning"]["VectorWriteRequestBytes"],
        1024
    );
    // TableSizeBytes counts items at their billed size.
    let described = call(&db, Operation::DescribeTable, &json!({"TableName": "docs"})).unwrap();
    let size = described["Table"]["TableSizeBytes"].as_i64().unwrap();
    // a1, a2; w as last written (its entry and `body`, 4 + 5); s.
    let expected = [1024, 1025, 2028 + 9, 3 + 13].iter().sum::<i64>();
    assert_eq!(size, expected);
}
