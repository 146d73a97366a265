//! CreateTable.

use super::index_definitions::{self, IndexDefinition, IndexInput};
use super::shapes::{
    check_attribute_definition_members, AttributeDefinitionInput, KeySchemaElementInput,
    OnDemandThroughputInput, ProvisionedThroughputInput, StreamSpecificationInput, Target,
    BILLING_MODES,
};
use super::tags::{self, TagInput};
use crate::catalog::{
    BillingMode, IndexMeta, IndexStatus, KeyAttribute, KeySchema, ScalarType, StreamSettings,
    TableMeta, Throughput,
};
use crate::encryption::SseSpecificationInput;
use crate::resource_policies::{self, ResourcePolicy};
use crate::streams::StreamMeta;
use crate::validate::Violations;
use crate::warm_throughput::WarmThroughputInput;
use crate::{describe, keys, now_epoch_seconds, storage_error, Database, RequestContext};
use dynalith_model::{wire::parse_input, DynamoError, ErrorKind};
use serde::Deserialize;
use serde_json::Map;

/// Tables per account and region, as in DynamoDB's default quota.
const MAX_TABLES: usize = 2500;

#[derive(Deserialize, Debug)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateTableInput {
    attribute_definitions: Option<Vec<AttributeDefinitionInput>>,
    table_name: Option<String>,
    key_schema: Option<Vec<KeySchemaElementInput>>,
    local_secondary_indexes: Option<Vec<IndexInput>>,
    global_secondary_indexes: Option<Vec<IndexInput>>,
    vector_indexes: Option<Vec<crate::vectors::VectorIndexInput>>,
    billing_mode: Option<String>,
    provisioned_throughput: Option<ProvisionedThroughputInput>,
    on_demand_throughput: Option<OnDemandThroughputInput>,
    warm_throughput: Option<WarmThroughputInput>,
    stream_specification: Option<StreamSpecificationInput>,
    deletion_protection_enabled: Option<bool>,
    table_class: Option<String>,
    tags: Option<Vec<TagInput>>,
    #[serde(rename = "SSESpecification")]
    sse_specification: Option<SseSpecificationInput>,
    resource_policy: Option<String>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: CreateTableInput = parse_input(body)?;
    let warm_requested = input.warm_throughput.is_some();
    let meta = create(db, input, context, false)?;
    // DynamoDB answers CREATING and the table becomes ACTIVE shortly after;
    // here it is usable at once, so DescribeTable reports ACTIVE.
    let description = describe::created_table_description(db, &meta, warm_requested)?;
    let mut response = Map::new();
    response.insert("TableDescription".into(), description);
    super::respond(response)
}

/// Validates a CreateTable request (or ImportTable's
/// TableCreationParameters, a subset of its members) and creates the
/// table; `importing`: marked as being filled by an import, and dropped at
/// the next start if a crash interrupts it.
pub(super) fn create(
    db: &Database,
    input: CreateTableInput,
    context: &RequestContext,
    importing: bool,
) -> Result<TableMeta, DynamoError> {
    check_members(&input)?;
    let (key_schema, attribute_definitions) = check_keys(&input)?;
    let billing_mode = check_billing(&input)?;
    let stream = match &input.stream_specification {
        Some(spec) => spec.settings(true)?,
        None => None,
    };
    if let Some(spec) = &input.sse_specification {
        spec.validate()?;
    }
    let indexes = check_indexes(&input, &key_schema, &attribute_definitions, billing_mode)?;
    let vector_indexes =
        check_vector_indexes(&input, &attribute_definitions, &indexes, billing_mode)?;
    check_quotas(&input, &context.region)?;
    let table_tags = tags::merged(
        Default::default(),
        input.tags.as_deref().unwrap_or_default(),
    )?;
    let name = crate::table_reference::owned(&input.table_name, context)?;
    let now = now_epoch_seconds();
    let throughput = match (billing_mode, input.provisioned_throughput) {
        (BillingMode::Provisioned, Some(t)) => Throughput {
            read_capacity_units: t.read_capacity_units.unwrap_or(0),
            write_capacity_units: t.write_capacity_units.unwrap_or(0),
            ..Throughput::default()
        },
        _ => Throughput::default(),
    };
    let on_demand = index_definitions::on_demand_at_creation(
        billing_mode,
        input.on_demand_throughput.as_ref(),
        Target::Table,
    )?;
    let warm_throughput = input
        .warm_throughput
        .map(|wanted| wanted.at_creation(billing_mode, &throughput, Target::Table))
        .transpose()?;

    let _changes = db.catalog().lock_changes();
    // A table still DELETING holds its name.
    if db.catalog().get(&name).is_some() || db.deleting_table(&name, None)?.is_some() {
        return Err(DynamoError::new(
            ErrorKind::ResourceInUse,
            format!("Table already exists: {name}"),
        ));
    }
    if db.catalog().len() >= MAX_TABLES {
        return Err(DynamoError::new(
            ErrorKind::LimitExceeded,
            format!(
                "Subscriber limit exceeded: The number of tables exceeds the limit of {MAX_TABLES}"
            ),
        ));
    }
    db.check_room_for_a_transition(None, !indexes.is_empty())?;
    let mut txn = db.engine().begin();
    let id_key = keys::next_table_id();
    let id = match txn.get_for_update(&id_key).map_err(storage_error)? {
        Some(raw) => raw
            .as_slice()
            .try_into()
            .map(u32::from_be_bytes)
            .map_err(|_| DynamoError::internal("corrupt table id counter"))?,
        None => 1,
    };
    // The table's indexes take the ids right after its own, then its
    // stream.
    let stream_id = u32::try_from(indexes.len() + 1)
        .ok()
        .and_then(|n| id.checked_add(n))
        .ok_or_else(|| DynamoError::internal("table ids exhausted"))?;
    let stream = stream.map(|settings| StreamSettings {
        id: Some(stream_id),
        ..settings
    });
    let next = stream_id
        .checked_add(u32::from(stream.is_some()))
        .ok_or_else(|| DynamoError::internal("table ids exhausted"))?;
    let counter_slots_taken =
        u16::try_from(indexes.len()).map_err(|_| DynamoError::internal("too many indexes"))?;
    let indexes = indexes
        .into_iter()
        .zip(id + 1..)
        .zip(1..)
        .map(|((definition, index_id), counter_slot)| IndexMeta {
            id: index_id,
            name: definition.name,
            kind: definition.kind,
            key_schema: definition.key_schema,
            projection: definition.projection,
            throughput: definition.throughput,
            on_demand: definition.on_demand,
            warm_throughput: definition.warm_throughput,
            status: IndexStatus::Active,
            counter_slot: Some(counter_slot),
            auto_scaling: Default::default(),
        })
        .collect();
    let mut meta = TableMeta {
        id,
        name: name.clone(),
        uuid: uuid::Uuid::new_v4().to_string(),
        region: context.region.clone(),
        key_schema,
        attribute_definitions,
        billing_mode,
        throughput,
        on_demand,
        warm_throughput,
        created_at: now,
        updating_since: None,
        pay_per_request_at: (billing_mode == BillingMode::PayPerRequest).then_some(now),
        deletion_protection: input.deletion_protection_enabled.unwrap_or(false),
        stream,
        table_class_given: input.table_class.is_some(),
        table_class: input.table_class.unwrap_or_else(|| "STANDARD".to_string()),
        table_class_changed_at: None,
        time_to_live_attribute: None,
        time_to_live_change: None,
        deleting_indexes: Vec::new(),
        deleting_replicas: Vec::new(),
        tags: table_tags,
        encryption: input
            .sse_specification
            .as_ref()
            .and_then(|spec| spec.encryption(&context.region)),
        resource_policies: Default::default(),
        contributor_insights: Default::default(),
        kinesis_destinations: Vec::new(),
        replicas: Vec::new(),
        own_region_overrides: None,
        region_bound: false,
        strong_consistency: None,
        indexes,
        vector_indexes,
        counter_slots_taken,
        restore: None,
        point_in_time_recovery: None,
        importing,
        auto_scaling: Default::default(),
    };
    if let Some(document) = input.resource_policy {
        let policy = ResourcePolicy {
            document,
            revision_id: resource_policies::next_revision(None),
        };
        meta.resource_policies.insert(meta.arn(), policy);
    }
    txn.put(&id_key, &next.to_be_bytes())
        .map_err(storage_error)?;
    crate::catalog::write_entry(&mut *txn, &meta)?;
    let stream = match &meta.stream {
        Some(settings) => {
            let first = db.streams().sequencer().peek_next();
            let stream = StreamMeta::new(stream_id, &meta, settings, first);
            stream.persist(&mut *txn)?;
            Some(stream)
        }
        None => None,
    };
    txn.commit().map_err(storage_error)?;
    if let Some(stream) = stream {
        db.streams().publish(stream);
        db.start_retention();
    }
    db.catalog().publish(meta.clone());
    Ok(meta)
}

fn check_members(input: &CreateTableInput) -> Result<(), DynamoError> {
    let mut v = Violations::new();
    if v.require(&input.attribute_definitions, "attributeDefinitions") {
        check_attribute_definition_members(
            &mut v,
            input.attribute_definitions.as_deref().unwrap_or_default(),
        );
    }
    crate::table_reference::check_member(&mut v, input.table_name.as_deref(), "tableName");
    // Warm throughput has no member check here: CreateTable refuses a 0
    // as below the initial throughput (`WarmThroughputInput::at_creation`).
    // DynamoDB lists the global indexes' errors ahead of the local ones',
    // whichever the request lists first (recorded in eu-west-2 and
    // us-east-1, 2026-10-09, by the paritysuite conformance suite).
    if let Some(indexes) = &input.global_secondary_indexes {
        index_definitions::check_index_members(&mut v, indexes, "globalSecondaryIndexes");
    }
    if let Some(indexes) = &input.local_secondary_indexes {
        index_definitions::check_index_members(&mut v, indexes, "localSecondaryIndexes");
    }
    for (i, index) in input.vector_indexes.iter().flatten().enumerate() {
        crate::vectors::check_members(&mut v, index, &format!("vectorIndexes.{}.member", i + 1));
    }
    if v.require(&input.key_schema, "keySchema") {
        let schema = input.key_schema.as_deref().unwrap_or_default();
        v.length_between(
            index_definitions::shown_list(schema.len()),
            schema.len(),
            "keySchema",
            1,
            2,
        );
        for (i, element) in schema.iter().enumerate() {
            let path = format!("keySchema.{}.member", i + 1);
            if let Some(name) = &element.attribute_name {
                v.length_between(
                    format_args!("'{name}'"),
                    name.len(),
                    &format!("{path}.attributeName"),
                    1,
                    255,
                );
            }
            v.require(&element.attribute_name, &format!("{path}.attributeName"));
            if v.require(&element.key_type, &format!("{path}.keyType")) {
                v.one_of(
                    element.key_type.as_deref(),
                    &format!("{path}.keyType"),
                    &["HASH", "RANGE"],
                );
            }
        }
    }
    if let Some(given) = &input.tags {
        tags::check_tag_members(&mut v, given, "tags");
    }
    if let Some(throughput) = &input.provisioned_throughput {
        throughput.check(&mut v, "provisionedThroughput");
    }
    v.one_of(input.billing_mode.as_deref(), "billingMode", BILLING_MODES);
    if let Some(spec) = &input.stream_specification {
        spec.check(&mut v, "streamSpecification");
    }
    if let Some(spec) = &input.sse_specification {
        spec.check(&mut v, "sSESpecification");
    }
    resource_policies::check_document(&mut v, input.resource_policy.as_deref(), "resourcePolicy");
    v.finish()?;
    // DynamoDB checks the table class itself, not as an enum member.
    check_table_class(input.table_class.as_deref())
}

/// The table classes DynamoDB offers.
pub const TABLE_CLASSES: &[&str] = &["STANDARD", "STANDARD_INFREQUENT_ACCESS"];

/// A TableClass (of CreateTable or UpdateTable) must be one DynamoDB
/// offers; refused in DynamoDB's words.
pub(crate) fn check_table_class(class: Option<&str>) -> Result<(), DynamoError> {
    match class {
        Some(class) if !TABLE_CLASSES.contains(&class) => Err(DynamoError::validation(format!(
            "Invalid table-class parameter provided. Please try again with a valid table-class value: [{}].",
            TABLE_CLASSES.join(", ")
        ))),
        _ => Ok(()),
    }
}

/// The per-table capacity quotas, for the table and each global index.
fn check_quotas(input: &CreateTableInput, region: &str) -> Result<(), DynamoError> {
    use super::capacity_quotas::{check_capacity_quota, check_on_demand_quota};
    let targets = std::iter::once((
        Target::Table,
        input.provisioned_throughput.as_ref(),
        input.on_demand_throughput.as_ref(),
    ))
    .chain(
        input
            .global_secondary_indexes
            .iter()
            .flatten()
            .map(|index| {
                (
                    Target::Index(index.index_name.as_deref().unwrap_or_default()),
                    index.provisioned_throughput.as_ref(),
                    index.on_demand_throughput.as_ref(),
                )
            }),
    );
    for (target, provisioned, ceiling) in targets {
        if let Some(t) = provisioned {
            check_capacity_quota(
                t.read_capacity_units,
                t.write_capacity_units,
                target,
                region,
            )?;
        }
        if let Some(ceiling) = ceiling {
            check_on_demand_quota(ceiling, target, region)?;
        }
    }
    Ok(())
}

fn check_billing(input: &CreateTableInput) -> Result<BillingMode, DynamoError> {
    let mode = match input.billing_mode.as_deref() {
        Some("PAY_PER_REQUEST") => BillingMode::PayPerRequest,
        _ => BillingMode::Provisioned,
    };
    match (mode, &input.provisioned_throughput) {
        (BillingMode::Provisioned, None) => Err(DynamoError::invalid_parameter(
            "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
        )),
        (BillingMode::PayPerRequest, Some(_)) => Err(DynamoError::invalid_parameter(
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
        )),
        (_, Some(throughput)) => throughput.check_bounds().map(|()| mode),
        (_, None) => Ok(mode),
    }
}

fn first_name<'a>(names: &[&'a str]) -> &'a str {
    names.first().copied().unwrap_or_default()
}

fn check_keys(input: &CreateTableInput) -> Result<(KeySchema, Vec<KeyAttribute>), DynamoError> {
    let definitions: Vec<KeyAttribute> = input
        .attribute_definitions
        .iter()
        .flatten()
        .map(|d| KeyAttribute {
            name: d.attribute_name.clone().unwrap_or_default(),
            scalar_type: d
                .attribute_type
                .as_deref()
                .and_then(ScalarType::parse)
                .unwrap_or(ScalarType::S),
        })
        .collect();
    let schema = input.key_schema.as_deref().unwrap_or_default();
    let names: Vec<&str> = schema
        .iter()
        .map(|k| k.attribute_name.as_deref().unwrap_or_default())
        .collect();
    if definitions.is_empty() {
        return Err(DynamoError::validation(
            "Invalid KeySchema: Some index key attribute have no definition",
        ));
    }
    let defined = |name: &str| definitions.iter().any(|d| d.name == name);
    let defined_names = || {
        definitions
            .iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };

    if names.len() == 2
        && (names.iter().any(|n| !defined(n)) || (names[0] == names[1] && definitions.len() == 1))
    {
        return Err(DynamoError::validation(
            "Invalid KeySchema: Some index key attribute have no definition",
        ));
    }
    if names.len() == 1 && !defined(first_name(&names)) {
        return Err(DynamoError::invalid_parameter(format!(
            "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
            names.join(", "),
            defined_names()
        )));
    }
    if names.len() == 2 && names[0] == names[1] {
        return Err(DynamoError::validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ));
    }
    if schema.first().and_then(|k| k.key_type.as_deref()) != Some("HASH") {
        return Err(DynamoError::validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    if schema
        .get(1)
        .is_some_and(|k| k.key_type.as_deref() != Some("RANGE"))
    {
        return Err(DynamoError::validation(
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = definitions.iter().find(|d| !seen.insert(d.name.as_str())) {
        return Err(DynamoError::validation(format!(
            "Attribute Name is duplicated: {}",
            dup.name
        )));
    }
    let has_indexes = input.local_secondary_indexes.is_some()
        || input.global_secondary_indexes.is_some()
        || input.vector_indexes.is_some();
    if !has_indexes && schema.len() != definitions.len() {
        return Err(DynamoError::invalid_parameter(
            "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
        ));
    }
    let attribute = |name: &str| {
        definitions
            .iter()
            .find(|d| d.name == name)
            .cloned()
            .ok_or_else(|| {
                DynamoError::validation(
                    "Invalid KeySchema: Some index key attribute have no definition",
                )
            })
    };
    let first = names
        .first()
        .ok_or_else(|| DynamoError::validation("Invalid KeySchema: empty"))?;
    let key_schema = KeySchema::single(
        attribute(first)?,
        names.get(1).map(|n| attribute(n)).transpose()?,
    );
    Ok((key_schema, definitions))
}

/// The table's index definitions, with DynamoDB's rules on each and on
/// all of them together.
fn check_indexes(
    input: &CreateTableInput,
    key_schema: &KeySchema,
    definitions: &[KeyAttribute],
    billing: BillingMode,
) -> Result<Vec<IndexDefinition>, DynamoError> {
    check_definitions_used(input, definitions)?;
    let mut indexes = Vec::new();
    if let Some(local) = &input.local_secondary_indexes {
        if local.is_empty() {
            return Err(DynamoError::invalid_parameter(
                "List of LocalSecondaryIndexes is empty",
            ));
        }
        if local.len() > index_definitions::MAX_LOCAL_INDEXES {
            return Err(DynamoError::invalid_parameter(format!(
                "Number of LocalSecondaryIndexes exceeds per-table limit of {}",
                index_definitions::MAX_LOCAL_INDEXES
            )));
        }
        for index in local {
            indexes.push(index_definitions::local_index(
                index,
                key_schema,
                definitions,
            )?);
        }
    }
    if let Some(global) = &input.global_secondary_indexes {
        if global.is_empty() {
            return Err(DynamoError::invalid_parameter(
                "List of GlobalSecondaryIndexes is empty",
            ));
        }
        if global.len() > index_definitions::MAX_GLOBAL_INDEXES {
            return Err(DynamoError::invalid_parameter(format!(
                "GlobalSecondaryIndex count exceeds the per-table limit of {}",
                index_definitions::MAX_GLOBAL_INDEXES
            )));
        }
        for index in global {
            indexes.push(index_definitions::global_index(
                index,
                definitions,
                billing,
            )?);
        }
    }
    index_definitions::check_all(&indexes)?;
    Ok(indexes)
}

/// The request's vector indexes (`vectors`), named apart from its
/// secondary indexes.
fn check_vector_indexes(
    input: &CreateTableInput,
    definitions: &[KeyAttribute],
    indexes: &[IndexDefinition],
    billing: BillingMode,
) -> Result<Vec<crate::vectors::VectorIndexMeta>, DynamoError> {
    let Some(vector) = &input.vector_indexes else {
        return Ok(Vec::new());
    };
    if vector.is_empty() {
        return Err(DynamoError::invalid_parameter(
            "List of VectorIndexes is empty",
        ));
    }
    let names: Vec<&str> = indexes.iter().map(|i| i.name.as_str()).collect();
    crate::vectors::definitions(vector, &[], definitions, &names, billing)
}

/// With indexes, every attribute defined must be some key's (without, the
/// count check of `check_keys` answers). DynamoDB checks this before any
/// index's own rules (projection, throughput, names), over the key schemas
/// as given: the table's, then each local and global index's.
fn check_definitions_used(
    input: &CreateTableInput,
    definitions: &[KeyAttribute],
) -> Result<(), DynamoError> {
    if input.local_secondary_indexes.is_none()
        && input.global_secondary_indexes.is_none()
        && input.vector_indexes.is_none()
    {
        return Ok(());
    }
    let local = input.local_secondary_indexes.as_deref().unwrap_or_default();
    let global = input
        .global_secondary_indexes
        .as_deref()
        .unwrap_or_default();
    let schemas = std::iter::once(input.key_schema.as_deref().unwrap_or_default()).chain(
        local
            .iter()
            .chain(global)
            .map(|index| index.key_schema.as_deref().unwrap_or_default()),
    );
    let mut used: Vec<&str> = Vec::new();
    let vector = crate::vectors::defined_attributes_used(
        input.vector_indexes.as_deref().unwrap_or_default(),
    );
    let names = schemas
        .flatten()
        .map(|element| element.attribute_name.as_deref().unwrap_or_default())
        .chain(vector);
    for name in names {
        if !used.contains(&name) {
            used.push(name);
        }
    }
    if definitions.iter().all(|d| used.contains(&d.name.as_str())) {
        return Ok(());
    }
    let defined: Vec<&str> = definitions.iter().map(|d| d.name.as_str()).collect();
    Err(DynamoError::invalid_parameter(format!(
        "Some AttributeDefinitions are not used. AttributeDefinitions: [{}], keys used: [{}]",
        defined.join(", "),
        java_hash_set_order(&used).join(", ")
    )))
}

/// `names` (distinct, in insertion order) in the order a Java `HashSet`
/// of them iterates, as DynamoDB's message lists the keys used ("keys
/// used: [a, sk, pk]" for pk, sk, a): by bucket of the spread
/// `String.hashCode`, in a table of 16 buckets doubled past 3/4 full.
fn java_hash_set_order<'a>(names: &[&'a str]) -> Vec<&'a str> {
    let hash = |name: &str| {
        let h = name.encode_utf16().fold(0i32, |h, unit| {
            h.wrapping_mul(31).wrapping_add(i32::from(unit))
        });
        let h = h as u32;
        h ^ (h >> 16)
    };
    let mut buckets = 16usize;
    while names.len() * 4 > buckets * 3 {
        buckets *= 2;
    }
    let mut ordered = names.to_vec();
    // A stable sort keeps the insertion order within a bucket.
    ordered.sort_by_key(|name| hash(name) as usize & (buckets - 1));
    ordered
}

#[cfg(test)]
mod tests {
    use super::java_hash_set_order;

    #[test]
    fn keys_used_are_listed_in_java_hash_set_order() {
        assert_eq!(java_hash_set_order(&["pk", "sk", "a"]), ["a", "sk", "pk"]);
        assert_eq!(java_hash_set_order(&["pk", "sk", "g"]), ["g", "sk", "pk"]);
    }
}
