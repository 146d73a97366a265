use crate::test_support::{create_table, open_durable, run};
use crate::{Database, Operation, RequestContext, Settings};
use dynalith_model::{DynamoError, ErrorKind};
use dynalith_storage::MemoryEngine;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

fn open() -> Arc<Database> {
    Database::open(Arc::new(MemoryEngine::default())).expect("database opens")
}

/// Runs `operation` signed for `region`.
fn run_in(
    db: &Database,
    region: &str,
    operation: Operation,
    body: Value,
) -> Result<Value, DynamoError> {
    let context = RequestContext {
        region: region.to_string(),
        host: None,
    };
    let response = db.execute(operation, body.to_string().as_bytes(), &context)?;
    Ok(serde_json::from_slice(&response).expect("JSON response"))
}

fn describe_in(db: &Database, region: &str, table: &str) -> Result<Value, DynamoError> {
    Ok(run_in(
        db,
        region,
        Operation::DescribeTable,
        json!({"TableName": table}),
    )?["Table"]
        .take())
}

fn replica_updates(
    db: &Database,
    region: &str,
    table: &str,
    updates: Value,
) -> Result<Value, DynamoError> {
    let body = json!({"TableName": table, "ReplicaUpdates": updates});
    Ok(run_in(db, region, Operation::UpdateTable, body)?["TableDescription"].take())
}

fn regions(description: &Value) -> Vec<String> {
    (description["Replicas"].as_array().into_iter().flatten())
        .map(|r| r["RegionName"].as_str().unwrap().to_string())
        .collect()
}

fn validation(result: Result<Value, DynamoError>) -> String {
    let error = result.expect_err("refused");
    assert_eq!(error.kind, ErrorKind::Validation, "{error:?}");
    error.message
}

#[test]
fn a_replica_is_the_table_in_another_region() {
    let db = open();
    create_table(&db, "orders");
    let before = describe_in(&db, "us-east-1", "orders").unwrap();
    assert!(before.get("GlobalTableVersion").is_none());
    assert!(before.get("Replicas").is_none());
    assert!(before.get("StreamSpecification").is_none());

    // DynamoDB's answer: UPDATING, the version, no replica listed yet, and
    // the stream it turned on.
    let answer = replica_updates(
        &db,
        "us-east-1",
        "orders",
        json!([{"Create": {"RegionName": "eu-west-1"}}]),
    )
    .unwrap();
    assert_eq!(answer["TableStatus"], "UPDATING");
    assert_eq!(answer["GlobalTableVersion"], "2019.11.21");
    assert_eq!(answer["Replicas"], json!([]));
    assert_eq!(
        answer["StreamSpecification"],
        json!({"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    );

    // Each Region lists the others, and names the table by its own ARN.
    let home = describe_in(&db, "us-east-1", "orders").unwrap();
    assert_eq!(home["TableStatus"], "ACTIVE");
    assert_eq!(regions(&home), ["eu-west-1"]);
    assert_eq!(home["Replicas"][0]["ReplicaStatus"], "ACTIVE");
    assert_eq!(
        home["TableArn"],
        "arn:aws:dynamodb:us-east-1:000000000000:table/orders"
    );
    let replica = describe_in(&db, "eu-west-1", "orders").unwrap();
    assert_eq!(regions(&replica), ["us-east-1"]);
    assert_eq!(
        replica["TableArn"],
        "arn:aws:dynamodb:eu-west-1:000000000000:table/orders"
    );
    assert_eq!(replica["GlobalTableVersion"], "2019.11.21");
    // Each replica is a table of its own Region, with its own TableId.
    assert_eq!(home["TableId"], before["TableId"]);
    assert_ne!(replica["TableId"], home["TableId"]);
    assert_eq!(replica["TableId"].as_str().unwrap().len(), 36);
    // One stream serves every replica, under the ARN it was made with.
    assert_eq!(replica["LatestStreamArn"], home["LatestStreamArn"]);
    // A Region without a replica does not have the table.
    let error = describe_in(&db, "ap-south-1", "orders").unwrap_err();
    assert_eq!(error.kind, ErrorKind::ResourceNotFound);

    // A write in one Region is read in the other.
    let put = json!({"TableName": "orders", "Item": {"pk": {"S": "o1"}, "total": {"N": "7"}}});
    run_in(&db, "eu-west-1", Operation::PutItem, put).unwrap();
    let get = json!({"TableName": "arn:aws:dynamodb:us-east-1:000000000000:table/orders", "Key": {"pk": {"S": "o1"}}});
    let read = run_in(&db, "us-east-1", Operation::GetItem, get).unwrap();
    assert_eq!(read["Item"]["total"], json!({"N": "7"}));

    // The stream cannot be turned off while the table is global.
    let off = json!({"TableName": "orders", "StreamSpecification": {"StreamEnabled": false}});
    assert_eq!(
        validation(run_in(&db, "us-east-1", Operation::UpdateTable, off)),
        "One or more parameter values were invalid: Disabling Stream is not allowed for a Global Table replica."
    );
}

#[test]
fn a_table_with_a_stream_keeps_it() {
    let db = open();
    run(
        &db,
        Operation::CreateTable,
        r#"{"TableName":"keys","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
            "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
            "BillingMode":"PAY_PER_REQUEST","StreamSpecification":{"StreamEnabled":true,"StreamViewType":"KEYS_ONLY"}}"#,
    );
    let arn = describe_in(&db, "us-east-1", "keys").unwrap()["LatestStreamArn"].clone();
    replica_updates(
        &db,
        "us-east-1",
        "keys",
        json!([{"Create": {"RegionName": "us-west-2"}}]),
    )
    .unwrap();
    let described = describe_in(&db, "us-west-2", "keys").unwrap();
    assert_eq!(
        described["StreamSpecification"]["StreamViewType"],
        "KEYS_ONLY"
    );
    assert_eq!(described["LatestStreamArn"], arn);
}

#[test]
fn replica_updates_are_checked_as_dynamodb_checks_them() {
    let db = open();
    create_table(&db, "tt1");
    let local = "Cannot add or delete the local region through ReplicaUpdates. Use CreateTable, DeleteTable, or UpdateTable as required.";
    for (updates, message) in [
        (json!([{"Create": {"RegionName": "us-east-1"}}]), local.to_string()),
        (json!([{"Delete": {"RegionName": "us-east-1"}}]), local.to_string()),
        (
            json!([{"Create": {"RegionName": "us-fake-1"}}]),
            format!(
                "Region us-fake-1 is not supported. The latest version of global tables are only supported in the following regions: [{}].",
                super::REGIONS.join(", ")
            ),
        ),
        (
            json!([{"Delete": {"RegionName": "eu-west-1"}}]),
            "Update global table operation failed because one or more replicas were not part of the global table. Please retry the request without these replicas: [eu-west-1].".into(),
        ),
        (
            json!([{"Create": {"RegionName": "eu-west-1"}}, {"Create": {"RegionName": "eu-west-2"}}]),
            "Update table operation with more than one create or delete replica actions not allowed".into(),
        ),
        (
            json!([{"Create": {"RegionName": "eu-west-1"}, "Delete": {"RegionName": "eu-west-2"}}]),
            "Update table operation with more than one type of replica actions not allowed.".into(),
        ),
        (
            json!([{"Create": {"RegionName": "eu-west-1"}}, {"Delete": {"RegionName": "eu-west-2"}}]),
            "Update table operation with more than one type of replica actions not allowed.".into(),
        ),
        (json!([{}]), "There are no actions specified in the Replica Update Action of the request.".into()),
        (
            json!([{"Update": {"RegionName": "eu-west-1"}}]),
            "There are no actions specified in the Replica Update Action of the request.".into(),
        ),
        (
            json!([]),
            "1 validation error detected: Value '[]' at 'replicaUpdates' failed to satisfy constraint: Member must have length greater than or equal to 1".into(),
        ),
    ] {
        assert_eq!(validation(replica_updates(&db, "us-east-1", "tt1", updates.clone())), message, "{updates}");
    }
    // Nothing of it was applied.
    assert!(describe_in(&db, "us-east-1", "tt1")
        .unwrap()
        .get("Replicas")
        .is_none());

    // Only alone.
    let mixed = json!({"TableName": "tt1", "DeletionProtectionEnabled": true,
                       "ReplicaUpdates": [{"Create": {"RegionName": "eu-west-1"}}]});
    assert_eq!(
        validation(run_in(&db, "us-east-1", Operation::UpdateTable, mixed)),
        "One or more parameter values were invalid: Replica modification must be the only operation in the request"
    );

    // The same Create twice is one.
    let twice =
        json!([{"Create": {"RegionName": "eu-west-1"}}, {"Create": {"RegionName": "eu-west-1"}}]);
    replica_updates(&db, "us-east-1", "tt1", twice).unwrap();
    assert_eq!(
        regions(&describe_in(&db, "us-east-1", "tt1").unwrap()),
        ["eu-west-1"]
    );
    assert_eq!(
        validation(replica_updates(&db, "us-east-1", "tt1", json!([{"Create": {"RegionName": "eu-west-1"}}]))),
        "Failed to create a the new replica of table with name: \u{2018}tt1\u{2019} because one or more replicas already existed as tables."
    );
    // From the replica's side, its own Region is the local one.
    assert_eq!(
        validation(replica_updates(
            &db,
            "eu-west-1",
            "tt1",
            json!([{"Delete": {"RegionName": "eu-west-1"}}])
        )),
        local
    );

    // Writes must be on demand: there is no auto scaling here.
    run(
        &db,
        Operation::CreateTable,
        r#"{"TableName":"prov","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
            "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
            "ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":5}}"#,
    );
    assert_eq!(
        validation(replica_updates(
            &db,
            "us-east-1",
            "prov",
            json!([{"Create": {"RegionName": "eu-west-1"}}])
        )),
        "Table write capacity should either be Pay-Per-Request or AutoScaled."
    );
    let to_provisioned = json!({"TableName": "tt1", "BillingMode": "PROVISIONED",
                                "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}});
    assert_eq!(
        validation(run_in(
            &db,
            "us-east-1",
            Operation::UpdateTable,
            to_provisioned
        )),
        "Table write capacity should either be Pay-Per-Request or AutoScaled."
    );
    // A table's replicas are changed only where the table is.
    let error = replica_updates(
        &db,
        "ap-south-1",
        "tt1",
        json!([{"Create": {"RegionName": "eu-west-2"}}]),
    )
    .unwrap_err();
    assert_eq!(error.kind, ErrorKind::ResourceNotFound);
}

#[test]
fn replica_overrides_are_described() {
    let db = open();
    create_table(&db, "tt2");
    let create = json!([{"Create": {"RegionName": "eu-west-1", "KMSMasterKeyId": "alias/replica-key",
                                     "OnDemandThroughputOverride": {"MaxReadRequestUnits": 100},
                                     "TableClassOverride": "STANDARD_INFREQUENT_ACCESS"}}]);
    replica_updates(&db, "us-east-1", "tt2", create).unwrap();
    let replica = &describe_in(&db, "us-east-1", "tt2").unwrap()["Replicas"][0];
    assert_eq!(replica["KMSMasterKeyId"], "alias/replica-key");
    assert_eq!(
        replica["OnDemandThroughputOverride"],
        json!({"MaxReadRequestUnits": 100})
    );
    assert_eq!(
        replica["ReplicaTableClassSummary"]["TableClass"],
        "STANDARD_INFREQUENT_ACCESS"
    );
    // The replica's Region describes its own read ceiling; the table's
    // Region has none.
    let ceiling = |region| describe_in(&db, region, "tt2").unwrap()["OnDemandThroughput"].take();
    assert_eq!(ceiling("eu-west-1"), json!({"MaxReadRequestUnits": 100}));
    assert_eq!(ceiling("us-east-1"), Value::Null);

    let update = json!([{"Update": {"RegionName": "eu-west-1", "TableClassOverride": "STANDARD",
                                     "OnDemandThroughputOverride": {"MaxReadRequestUnits": 200}}}]);
    replica_updates(&db, "us-east-1", "tt2", update).unwrap();
    let replica = &describe_in(&db, "us-east-1", "tt2").unwrap()["Replicas"][0];
    assert_eq!(
        replica["OnDemandThroughputOverride"],
        json!({"MaxReadRequestUnits": 200})
    );
    // A class equal to the table's is no override.
    assert!(replica.get("ReplicaTableClassSummary").is_none());

    // The table's own Region, updated from the replica's, as the replica
    // sees it; and a replica that becomes the table's own keeps its
    // overrides for the others to see.
    let own = json!([{"Update": {"RegionName": "us-east-1",
                                  "OnDemandThroughputOverride": {"MaxReadRequestUnits": 50}}}]);
    replica_updates(&db, "eu-west-1", "tt2", own).unwrap();
    let from_replica = describe_in(&db, "eu-west-1", "tt2").unwrap();
    assert_eq!(from_replica["Replicas"][0]["RegionName"], "us-east-1");
    assert_eq!(
        from_replica["Replicas"][0]["OnDemandThroughputOverride"],
        json!({"MaxReadRequestUnits": 50})
    );
    assert_eq!(ceiling("us-east-1"), json!({"MaxReadRequestUnits": 50}));
    assert_eq!(ceiling("eu-west-1"), json!({"MaxReadRequestUnits": 200}));
    replica_updates(
        &db,
        "us-east-1",
        "tt2",
        json!([{"Create": {"RegionName": "ap-south-1"}}]),
    )
    .unwrap();
    run_in(
        &db,
        "us-east-1",
        Operation::DeleteTable,
        json!({"TableName": "tt2"}),
    )
    .unwrap();
    let from_third = describe_in(&db, "ap-south-1", "tt2").unwrap();
    assert_eq!(regions(&from_third), ["eu-west-1"]);
    assert_eq!(
        from_third["Replicas"][0]["OnDemandThroughputOverride"],
        json!({"MaxReadRequestUnits": 200})
    );

    let capacity = json!([{"Update": {"RegionName": "eu-west-1", "ProvisionedThroughputOverride": {"ReadCapacityUnits": 5}}}]);
    assert_eq!(
        validation(replica_updates(&db, "ap-south-1", "tt2", capacity)),
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
    );
    let unknown_index = json!([{"Update": {"RegionName": "eu-west-1",
        "GlobalSecondaryIndexes": [{"IndexName": "nope", "OnDemandThroughputOverride": {"MaxReadRequestUnits": 5}}]}}]);
    validation(replica_updates(&db, "ap-south-1", "tt2", unknown_index));
}

#[test]
fn delete_table_in_a_region_deletes_that_replica() {
    let db = open();
    create_table(&db, "tt3");
    replica_updates(
        &db,
        "us-east-1",
        "tt3",
        json!([{"Create": {"RegionName": "eu-west-1"}}]),
    )
    .unwrap();
    replica_updates(
        &db,
        "us-east-1",
        "tt3",
        json!([{"Create": {"RegionName": "ap-south-1"}}]),
    )
    .unwrap();
    run_in(
        &db,
        "us-east-1",
        Operation::PutItem,
        json!({"TableName": "tt3", "Item": {"pk": {"S": "a"}}}),
    )
    .unwrap();
    let eu_west_id = describe_in(&db, "eu-west-1", "tt3").unwrap()["TableId"].take();

    // The table's own Region goes; the first replica takes its place.
    let answer = run_in(
        &db,
        "us-east-1",
        Operation::DeleteTable,
        json!({"TableName": "tt3"}),
    )
    .unwrap();
    assert_eq!(answer["TableDescription"]["TableStatus"], "DELETING");
    assert_eq!(
        describe_in(&db, "us-east-1", "tt3").unwrap_err().kind,
        ErrorKind::ResourceNotFound
    );
    let left = describe_in(&db, "eu-west-1", "tt3").unwrap();
    assert_eq!(
        left["TableArn"],
        "arn:aws:dynamodb:eu-west-1:000000000000:table/tt3"
    );
    assert_eq!(regions(&left), ["ap-south-1"]);
    assert_eq!(left["ItemCount"], 1);
    assert_eq!(left["TableId"], eu_west_id);

    // A protected table's replicas are protected too.
    let protect = |on: bool| json!({"TableName": "tt3", "DeletionProtectionEnabled": on});
    run_in(&db, "eu-west-1", Operation::UpdateTable, protect(true)).unwrap();
    assert_eq!(
        validation(replica_updates(&db, "eu-west-1", "tt3", json!([{"Delete": {"RegionName": "ap-south-1"}}]))),
        "Cannot delete table tt3 in region ap-south-1 because it has deletion protection enabled. Disable deletion protection first."
    );
    run_in(&db, "eu-west-1", Operation::UpdateTable, protect(false)).unwrap();

    // Removing the last replica leaves a regional table, stream and all.
    let removed = replica_updates(
        &db,
        "eu-west-1",
        "tt3",
        json!([{"Delete": {"RegionName": "ap-south-1"}}]),
    )
    .unwrap();
    // The answer still lists the replica being deleted.
    assert_eq!(regions(&removed), ["ap-south-1"]);
    let regional = describe_in(&db, "eu-west-1", "tt3").unwrap();
    assert!(regional.get("GlobalTableVersion").is_none());
    assert!(regional.get("Replicas").is_none());
    assert_eq!(regional["StreamSpecification"]["StreamEnabled"], true);
    assert_eq!(regional["TableId"], eu_west_id);

    // DeleteTable of a regional table deletes it.
    run_in(
        &db,
        "eu-west-1",
        Operation::DeleteTable,
        json!({"TableName": "tt3"}),
    )
    .unwrap();
    assert!(db.catalog().get("tt3").is_none());
}

#[test]
fn strong_consistency_takes_three_regions_at_once() {
    let db = open();
    create_table(&db, "ss1");
    let body = |updates: Value, extra: Value| {
        let mut body = json!({"TableName": "ss1", "ReplicaUpdates": updates, "MultiRegionConsistency": "STRONG"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let one = body(json!([{"Create": {"RegionName": "us-east-2"}}]), json!({}));
    assert_eq!(
        validation(run_in(&db, "us-east-1", Operation::UpdateTable, one)),
        "Unsupported replica count for global tables with MultiRegionConsistency set to STRONG."
    );
    let far = body(
        json!([{"Create": {"RegionName": "us-east-2"}}, {"Create": {"RegionName": "us-west-1"}}]),
        json!({}),
    );
    assert_eq!(
        validation(run_in(&db, "us-east-1", Operation::UpdateTable, far)),
        "Unsupported Region(s) specified for global tables with MultiRegionConsistency set to STRONG: [us-west-1]."
    );
    let witness_alone = json!({"TableName": "ss1", "ReplicaUpdates": [{"Create": {"RegionName": "us-east-2"}}],
                               "GlobalTableWitnessUpdates": [{"Create": {"RegionName": "us-west-2"}}]});
    assert_eq!(
        validation(run_in(&db, "us-east-1", Operation::UpdateTable, witness_alone)),
        "MultiRegionConsistency must be set as STRONG when GlobalTableWitnessUpdates parameter is present."
    );

    let no_witness = json!({"TableName": "ss1", "ReplicaUpdates": [{"Delete": {"RegionName": "us-east-2"}}],
                            "GlobalTableWitnessUpdates": [{"Delete": {"RegionName": "us-west-2"}}]});
    assert_eq!(
        validation(run_in(&db, "us-east-1", Operation::UpdateTable, no_witness)),
        "Update global table operation failed because one or more witnesses were not part of the global table. Please retry the request without these witnesses: [us-west-2]."
    );

    let with_witness = body(
        json!([{"Create": {"RegionName": "us-east-2"}}]),
        json!({"GlobalTableWitnessUpdates": [{"Create": {"RegionName": "us-west-2"}}]}),
    );
    run_in(&db, "us-east-1", Operation::UpdateTable, with_witness).unwrap();
    let described = describe_in(&db, "us-east-2", "ss1").unwrap();
    assert_eq!(described["MultiRegionConsistency"], "STRONG");
    assert_eq!(
        described["GlobalTableWitnesses"],
        json!([{"RegionName": "us-west-2", "WitnessStatus": "ACTIVE"}])
    );
    assert_eq!(regions(&described), ["us-east-1"]);

    assert_eq!(
        validation(run_in(&db, "us-east-1", Operation::DeleteTable, json!({"TableName": "ss1"}))),
        "Deletion of only one table replica is not supported for global tables with MultiRegionConsistency set to STRONG."
    );
    assert_eq!(
        validation(replica_updates(
            &db,
            "us-east-1",
            "ss1",
            json!([{"Create": {"RegionName": "us-west-2"}}])
        )),
        "Cannot add replicas to a global table with strong MultiRegionConsistency"
    );
    assert_eq!(
        validation(replica_updates(
            &db,
            "us-east-1",
            "ss1",
            json!([{"Delete": {"RegionName": "us-east-2"}}])
        )),
        "Update table delete operation does not include all witnesses."
    );
    // Taken apart whole: the replica and the witness together.
    let teardown = json!({"TableName": "ss1", "ReplicaUpdates": [{"Delete": {"RegionName": "us-east-2"}}],
                          "GlobalTableWitnessUpdates": [{"Delete": {"RegionName": "us-west-2"}}]});
    run_in(&db, "us-east-1", Operation::UpdateTable, teardown).unwrap();
    let regional = describe_in(&db, "us-east-1", "ss1").unwrap();
    assert!(regional.get("MultiRegionConsistency").is_none());
    assert!(regional.get("Replicas").is_none());
}

#[test]
fn replicas_survive_a_restart_and_not_a_restore() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = open_durable(dir.path());
        create_table(&db, "kept");
        replica_updates(
            &db,
            "us-east-1",
            "kept",
            json!([{"Create": {"RegionName": "eu-west-1"}}]),
        )
        .unwrap();
    }
    let db = open_durable(dir.path());
    assert_eq!(
        regions(&describe_in(&db, "eu-west-1", "kept").unwrap()),
        ["us-east-1"]
    );

    let backup = run(
        &db,
        Operation::CreateBackup,
        r#"{"TableName":"kept","BackupName":"bk1"}"#,
    );
    let arn = backup["BackupDetails"]["BackupArn"].as_str().unwrap();
    run(
        &db,
        Operation::RestoreTableFromBackup,
        &format!(r#"{{"TargetTableName":"restored","BackupArn":"{arn}"}}"#),
    );
    let restored = describe_in(&db, "us-east-1", "restored").unwrap();
    assert!(restored.get("Replicas").is_none());
    assert!(restored.get("GlobalTableVersion").is_none());
}

#[test]
fn a_global_table_answers_only_in_its_regions() {
    let db = crate::test_support::open_cached();
    create_table(&db, "bound");
    create_table(&db, "everywhere");
    let put = json!({"TableName": "bound", "Item": {"pk": {"S": "a"}}});
    // Until it is global, a table answers in every Region.
    run_in(&db, "ap-south-1", Operation::PutItem, put.clone()).unwrap();
    replica_updates(
        &db,
        "us-east-1",
        "bound",
        json!([{"Create": {"RegionName": "eu-west-1"}}]),
    )
    .unwrap();

    let query = json!({"TableName": "bound", "KeyConditionExpression": "pk = :a",
                       "ExpressionAttributeValues": {":a": {"S": "a"}}});
    // Read once in a Region it is in, so that the query cache holds the page.
    assert_eq!(
        run_in(&db, "eu-west-1", Operation::Query, query.clone()).unwrap()["Count"],
        1
    );
    let not_found = |result: Result<Value, DynamoError>| {
        assert_eq!(
            result.expect_err("not in this Region").kind,
            ErrorKind::ResourceNotFound
        );
    };
    for (operation, body) in [
        (Operation::PutItem, put.clone()),
        (
            Operation::GetItem,
            json!({"TableName": "bound", "Key": {"pk": {"S": "a"}}}),
        ),
        (Operation::Query, query.clone()),
        (Operation::Scan, json!({"TableName": "bound"})),
        (
            Operation::BatchGetItem,
            json!({"RequestItems": {"bound": {"Keys": [{"pk": {"S": "a"}}]}}}),
        ),
        (
            Operation::ExecuteStatement,
            json!({"Statement": "SELECT * FROM \"bound\" WHERE pk = 'a'"}),
        ),
        (Operation::DescribeTimeToLive, json!({"TableName": "bound"})),
        (
            Operation::DescribeContinuousBackups,
            json!({"TableName": "bound"}),
        ),
        (Operation::DescribeTable, json!({"TableName": "bound"})),
    ] {
        let result = run_in(&db, "ap-south-1", operation, body);
        let error = result.as_ref().expect_err("not in this Region");
        assert!(
            matches!(
                error.kind,
                ErrorKind::ResourceNotFound | ErrorKind::TableNotFound
            ),
            "{}: {error:?}",
            operation.name()
        );
    }
    not_found(run_in(
        &db,
        "ap-south-1",
        Operation::DeleteTable,
        json!({"TableName": "bound"}),
    ));
    let listed = run_in(&db, "ap-south-1", Operation::ListTables, json!({})).unwrap();
    assert_eq!(listed["TableNames"], json!(["everywhere"]));
    let listed = run_in(&db, "eu-west-1", Operation::ListTables, json!({})).unwrap();
    assert_eq!(listed["TableNames"], json!(["bound", "everywhere"]));
    let streams = |region: &str| {
        let listed = run_in(&db, region, Operation::ListStreams, json!({})).unwrap();
        listed["Streams"].as_array().unwrap().len()
    };
    assert_eq!((streams("eu-west-1"), streams("ap-south-1")), (1, 0));

    // The table's ARN in a replica's Region names it there.
    let arn = "arn:aws:dynamodb:eu-west-1:000000000000:table/bound";
    let tag = json!({"ResourceArn": arn, "Tags": [{"Key": "team", "Value": "orders"}]});
    run_in(&db, "eu-west-1", Operation::TagResource, tag).unwrap();
    let tags = run_in(
        &db,
        "eu-west-1",
        Operation::ListTagsOfResource,
        json!({"ResourceArn": arn}),
    )
    .unwrap();
    assert_eq!(tags["Tags"], json!([{"Key": "team", "Value": "orders"}]));

    // Once its replica there is deleted, the table is gone from that
    // Region too, and stays where it is.
    run_in(
        &db,
        "eu-west-1",
        Operation::DeleteTable,
        json!({"TableName": "bound"}),
    )
    .unwrap();
    not_found(run_in(&db, "eu-west-1", Operation::Query, query.clone()));
    not_found(run_in(
        &db,
        "eu-west-1",
        Operation::DescribeTable,
        json!({"TableName": "bound"}),
    ));
    assert_eq!(
        run_in(&db, "us-east-1", Operation::Query, query).unwrap()["Count"],
        1
    );
}

#[test]
fn a_replicas_arn_names_the_table_for_point_in_time_restores() {
    let db = open();
    create_table(&db, "pitr_src");
    replica_updates(
        &db,
        "us-east-1",
        "pitr_src",
        json!([{"Create": {"RegionName": "eu-west-1"}}]),
    )
    .unwrap();
    crate::test_support::enable_recovery(&db, "pitr_src");
    let restore = json!({"SourceTableArn": "arn:aws:dynamodb:eu-west-1:000000000000:table/pitr_src",
                         "TargetTableName": "pitr_copy", "UseLatestRestorableTime": true});
    run_in(
        &db,
        "eu-west-1",
        Operation::RestoreTableToPointInTime,
        restore,
    )
    .unwrap();
    assert!(db.catalog().get("pitr_copy").is_some());
    // Not in a Region the table has no replica in.
    let elsewhere = json!({"SourceTableArn": "arn:aws:dynamodb:ap-south-1:000000000000:table/pitr_src",
                           "TargetTableName": "pitr_other", "UseLatestRestorableTime": true});
    let error = run_in(
        &db,
        "ap-south-1",
        Operation::RestoreTableToPointInTime,
        elsewhere,
    )
    .unwrap_err();
    assert_eq!(error.kind, ErrorKind::SourceTableNotFound);
}

#[test]
fn backups_and_exports_made_in_a_replicas_region_are_that_replicas() {
    let s3 = tempfile::tempdir().unwrap();
    let db = crate::test_support::open_with_s3(s3.path());
    create_table(&db, "bk_src");
    replica_updates(
        &db,
        "us-east-1",
        "bk_src",
        json!([{"Create": {"RegionName": "eu-west-1"}}]),
    )
    .unwrap();
    let replica_id = describe_in(&db, "eu-west-1", "bk_src").unwrap()["TableId"].take();
    let arn_in = |region: &str| format!("arn:aws:dynamodb:{region}:000000000000:table/bk_src");

    let backup = |region: &str| {
        let body = json!({"TableName": "bk_src", "BackupName": format!("b-{region}")});
        let made = run_in(&db, region, Operation::CreateBackup, body).unwrap();
        let arn = made["BackupDetails"]["BackupArn"]
            .as_str()
            .unwrap()
            .to_string();
        let body = json!({"BackupArn": arn});
        let described = run_in(&db, region, Operation::DescribeBackup, body).unwrap();
        let source = &described["BackupDescription"]["SourceTableDetails"];
        (arn, source["TableArn"].clone(), source["TableId"].clone())
    };
    let (arn, source_arn, source_id) = backup("eu-west-1");
    assert!(
        arn.starts_with(&format!("{}/backup/", arn_in("eu-west-1"))),
        "{arn}"
    );
    assert_eq!(source_arn, arn_in("eu-west-1"));
    assert_eq!(source_id, replica_id);
    let replica_backup = arn;
    let (arn, source_arn, source_id) = backup("us-east-1");
    assert!(arn.starts_with(&arn_in("us-east-1")), "{arn}");
    assert_eq!(source_arn, arn_in("us-east-1"));
    assert_ne!(source_id, replica_id);

    // Each is a backup of its Region: listed and found there alone.
    let listed = |region: &str| {
        let body = json!({"TableName": "bk_src"});
        let list = run_in(&db, region, Operation::ListBackups, body).unwrap();
        (list["BackupSummaries"].as_array().unwrap().iter())
            .map(|b| b["BackupArn"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(listed("eu-west-1"), [replica_backup.as_str()]);
    assert_eq!(listed("us-east-1"), [arn.as_str()]);
    for operation in [Operation::DescribeBackup, Operation::DeleteBackup] {
        let body = json!({"BackupArn": replica_backup});
        let error = run_in(&db, "us-east-1", operation, body).unwrap_err();
        assert_eq!(error.kind, ErrorKind::BackupNotFound, "{error:?}");
    }
    let body = json!({"BackupArn": replica_backup, "TargetTableName": "bk_copy"});
    let error = run_in(&db, "us-east-1", Operation::RestoreTableFromBackup, body).unwrap_err();
    assert_eq!(error.kind, ErrorKind::BackupNotFound, "{error:?}");
    // A backup of a table not yet global is found in every Region, as
    // the table is.
    create_table(&db, "bk_regional");
    let body = json!({"TableName": "bk_regional", "BackupName": "regional"});
    run_in(&db, "us-east-1", Operation::CreateBackup, body).unwrap();
    let body = json!({"TableName": "bk_regional"});
    let list = run_in(&db, "eu-west-1", Operation::ListBackups, body).unwrap();
    assert_eq!(list["BackupSummaries"].as_array().unwrap().len(), 1);

    crate::test_support::enable_recovery(&db, "bk_src");
    let body = json!({"TableArn": arn_in("eu-west-1"), "S3Bucket": "bk"});
    let export = run_in(&db, "eu-west-1", Operation::ExportTableToPointInTime, body).unwrap()
        ["ExportDescription"]
        .take();
    assert_eq!(export["TableArn"], arn_in("eu-west-1"));
    assert_eq!(export["TableId"], replica_id);
    let export_arn = export["ExportArn"].as_str().unwrap();
    assert!(export_arn.starts_with(&format!("{}/export/", arn_in("eu-west-1"))));
}

/// Moves the table's creation and last update, and its replicas' creations
/// and removals, `seconds` into the past.
fn age(db: &Database, name: &str, seconds: f64) {
    let mut table = (*db.catalog().get(name).unwrap()).clone();
    table.created_at -= seconds;
    table.updating_since = table.updating_since.map(|t| t - seconds);
    for replica in &mut table.replicas {
        replica.created_at -= seconds;
    }
    for deleting in &mut table.deleting_replicas {
        deleting.since -= seconds;
    }
    db.catalog().publish(table);
}

/// The Regions `description` lists as Replicas, with their statuses.
fn replica_statuses(description: &Value) -> Vec<(String, String)> {
    (description["Replicas"].as_array().into_iter().flatten())
        .map(|r| {
            let text = |member: &str| r[member].as_str().unwrap().to_string();
            (text("RegionName"), text("ReplicaStatus"))
        })
        .collect()
}

#[test]
fn replicas_are_creating_and_deleting_while_the_transient_status_lasts() {
    let settings = Settings {
        transient_status: Duration::from_secs(60),
        ..Default::default()
    };
    let db = Database::open_with(Arc::new(MemoryEngine::default()), settings).unwrap();
    create_table(&db, "orders");
    age(&db, "orders", 60.0);
    let pair = |region: &str, status: &str| vec![(region.to_string(), status.to_string())];
    let add_replica = || {
        let create = json!([{"Create": {"RegionName": "eu-west-1"}}]);
        replica_updates(&db, "us-east-1", "orders", create).unwrap();
    };

    // A new replica is CREATING, and in its Region the table is a table
    // being created: not found by the data plane, not changeable.
    add_replica();
    let home = describe_in(&db, "us-east-1", "orders").unwrap();
    assert_eq!(home["TableStatus"], "UPDATING");
    assert_eq!(replica_statuses(&home), pair("eu-west-1", "CREATING"));
    let there = describe_in(&db, "eu-west-1", "orders").unwrap();
    assert_eq!(there["TableStatus"], "CREATING");
    assert_eq!(replica_statuses(&there), pair("us-east-1", "ACTIVE"));
    let put = json!({"TableName": "orders", "Item": {"pk": {"S": "a"}}});
    let error = run_in(&db, "eu-west-1", Operation::PutItem, put.clone()).unwrap_err();
    assert_eq!(
        (error.kind, error.message.as_str()),
        (ErrorKind::ResourceNotFound, "Requested resource not found")
    );
    run_in(&db, "us-east-1", Operation::PutItem, put).unwrap();
    let table = json!({"TableName": "orders"});
    let scaling = run_in(
        &db,
        "us-east-1",
        Operation::DescribeTableReplicaAutoScaling,
        table.clone(),
    )
    .unwrap();
    let mut scaling = replica_statuses(&scaling["TableAutoScalingDescription"]);
    scaling.sort();
    let expected = [("eu-west-1", "CREATING"), ("us-east-1", "UPDATING")];
    assert_eq!(
        scaling,
        expected.map(|(r, s)| (r.to_string(), s.to_string()))
    );
    let error = run_in(&db, "eu-west-1", Operation::DeleteTable, table.clone()).unwrap_err();
    assert_eq!(
        (error.kind, error.message.as_str()),
        (
            ErrorKind::ResourceInUse,
            "Attempt to change a resource which is still in use: Table is being created: orders"
        )
    );

    age(&db, "orders", 60.0);
    let home = describe_in(&db, "us-east-1", "orders").unwrap();
    assert_eq!(home["TableStatus"], "ACTIVE");
    assert_eq!(replica_statuses(&home), pair("eu-west-1", "ACTIVE"));
    assert_eq!(
        describe_in(&db, "eu-west-1", "orders").unwrap()["TableStatus"],
        "ACTIVE"
    );
    let get = json!({"TableName": "orders", "Key": {"pk": {"S": "a"}}});
    let got = run_in(&db, "eu-west-1", Operation::GetItem, get).unwrap();
    assert_eq!(got["Item"]["pk"]["S"], "a");

    // A replica removed (by UpdateTable, or by DeleteTable in its Region)
    // is listed DELETING in the other Regions for as long, then not at all.
    let delete = json!([{"Delete": {"RegionName": "eu-west-1"}}]);
    replica_updates(&db, "us-east-1", "orders", delete).unwrap();
    let home = describe_in(&db, "us-east-1", "orders").unwrap();
    assert_eq!(replica_statuses(&home), pair("eu-west-1", "DELETING"));
    age(&db, "orders", 60.0);
    let home = describe_in(&db, "us-east-1", "orders").unwrap();
    assert!(home.get("Replicas").is_none(), "{home}");

    add_replica();
    age(&db, "orders", 60.0);
    run_in(&db, "eu-west-1", Operation::DeleteTable, table).unwrap();
    let home = describe_in(&db, "us-east-1", "orders").unwrap();
    assert_eq!(replica_statuses(&home), pair("eu-west-1", "DELETING"));
    // A replica created again takes the DELETING one's place.
    add_replica();
    let home = describe_in(&db, "us-east-1", "orders").unwrap();
    assert_eq!(replica_statuses(&home), pair("eu-west-1", "CREATING"));
}
