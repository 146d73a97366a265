//! UpdateTimeToLive: turns a table's Time to Live on (naming the attribute
//! that holds each item's expiry) or off. Expired items are deleted in the
//! background (`ttl.rs`).
//!
//! DynamoDB lets a table's TTL setting change once an hour; dynalith, like
//! DynamoDB Local, lets it change at once, so that test suites can set up
//! and tear down tables freely, unless a transient status is set: then
//! once in that time, as DynamoDB does in its hour (`table_status`). The
//! messages for a setting that does not change are DynamoDB's.

use crate::table_status::TimeToLiveChange;
use crate::validate::Violations;
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::{json, Map};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateTimeToLiveInput {
    table_name: Option<String>,
    time_to_live_specification: Option<SpecificationInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SpecificationInput {
    attribute_name: Option<String>,
    enabled: Option<bool>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: UpdateTimeToLiveInput = parse_input(body)?;
    let mut v = Violations::new();
    crate::table_reference::check_member(&mut v, input.table_name.as_deref(), "tableName");
    if v.require(&input.time_to_live_specification, "timeToLiveSpecification") {
        if let Some(spec) = &input.time_to_live_specification {
            v.require(&spec.enabled, "timeToLiveSpecification.enabled");
            if v.require(
                &spec.attribute_name,
                "timeToLiveSpecification.attributeName",
            ) {
                let name = spec.attribute_name.as_deref().unwrap_or_default();
                v.length_between(
                    format_args!("'{name}'"),
                    name.len(),
                    "timeToLiveSpecification.attributeName",
                    1,
                    255,
                );
            }
        }
    }
    v.finish()?;
    let name = crate::table_reference::required(input.table_name.as_deref(), "tableName", context)?
        .to_string();
    let (attribute, enable) = input
        .time_to_live_specification
        .and_then(|s| Some((s.attribute_name?, s.enabled?)))
        .ok_or_else(|| DynamoError::internal("specification checked above"))?;

    let _changes = db.catalog().lock_changes();
    let current = db
        .catalog()
        .get_in(&name, &context.region)
        .ok_or_else(|| DynamoError::table_not_found(&name))?;
    let mut table = (*current).clone();
    match (&table.time_to_live_attribute, enable) {
        (Some(active), _) if *active != attribute => {
            let current = format!("current AttributeName is {active}");
            return Err(DynamoError::validation(format!(
                "TimeToLive is active on a different AttributeName: {current}"
            )));
        }
        (Some(_), true) => return Err(DynamoError::validation("TimeToLive is already enabled")),
        (None, false) => return Err(DynamoError::validation("TimeToLive is already disabled")),
        (Some(_), false) => table.time_to_live_attribute = None,
        (None, true) => table.time_to_live_attribute = Some(attribute.clone()),
    }
    db.catalog()
        .transitions()
        .check_time_to_live_change(&current)?;
    db.check_room_for_a_transition(Some(&*current), false)?;
    table.time_to_live_change = Some(TimeToLiveChange {
        at: crate::now_epoch_seconds(),
        attribute_name: attribute.clone(),
    });
    db.save_table(&table)?;
    db.catalog().publish(table);
    if enable {
        db.start_ttl_sweeper();
    }
    let mut response = Map::new();
    response.insert(
        "TimeToLiveSpecification".into(),
        json!({"AttributeName": attribute, "Enabled": enable}),
    );
    super::respond(response)
}
