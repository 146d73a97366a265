//! Input shapes shared by several operations. Every member is optional so
//! that a missing one is reported by validation with DynamoDB's message,
//! not by the JSON parser.

use dynalith_model::json_integer;
use serde::Deserialize;

/// The input of operations that name only a table (DescribeTable,
/// DeleteTable, DescribeTimeToLive).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TableNameInput {
    table_name: Option<String>,
}

/// The name of the table such an operation's body gives (by name or ARN),
/// checked as Coral and DynamoDB check it.
pub fn table_name_of(
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<String, dynalith_model::DynamoError> {
    let input: TableNameInput = dynalith_model::wire::parse_input(body)?;
    let mut v = crate::validate::Violations::new();
    crate::table_reference::check_member(&mut v, input.table_name.as_deref(), "tableName");
    v.finish()?;
    let given = input.table_name.as_deref();
    crate::table_reference::required(given, "tableName", context).map(str::to_string)
}

#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinitionInput {
    pub attribute_name: Option<String>,
    pub attribute_type: Option<String>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct KeySchemaElementInput {
    pub attribute_name: Option<String>,
    pub key_type: Option<String>,
}

#[derive(Deserialize, Debug, Clone, Copy)]
#[serde(rename_all = "PascalCase")]
pub struct ProvisionedThroughputInput {
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    pub read_capacity_units: Option<i64>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    pub write_capacity_units: Option<i64>,
}

#[derive(Deserialize, Debug, Clone, Copy)]
#[serde(rename_all = "PascalCase")]
pub struct OnDemandThroughputInput {
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    pub max_read_request_units: Option<i64>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    pub max_write_request_units: Option<i64>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct StreamSpecificationInput {
    pub stream_enabled: Option<bool>,
    pub stream_view_type: Option<String>,
}

/// Coral's checks on AttributeDefinitions members.
pub fn check_attribute_definition_members(
    v: &mut crate::validate::Violations,
    definitions: &[AttributeDefinitionInput],
) {
    for (i, def) in definitions.iter().enumerate() {
        let path = format!("attributeDefinitions.{}.member", i + 1);
        v.require(&def.attribute_name, &format!("{path}.attributeName"));
        if v.require(&def.attribute_type, &format!("{path}.attributeType")) {
            v.one_of(
                def.attribute_type.as_deref(),
                &format!("{path}.attributeType"),
                &["B", "N", "S"],
            );
        }
    }
}

pub const STREAM_VIEW_TYPES: &[&str] =
    &["NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"];
pub const BILLING_MODES: &[&str] = &["PROVISIONED", "PAY_PER_REQUEST"];

/// The largest provisioned value DynamoDB accepts before "out of bounds".
pub const MAX_CAPACITY_UNITS: i64 = 1_000_000_000_000;

/// DynamoDB's bound on capacity values (provisioned throughput, on-demand
/// ceilings, warm throughput), each given with its member's name.
pub fn check_capacity_bounds(
    values: [(Option<i64>, &str); 2],
) -> Result<(), dynalith_model::DynamoError> {
    for (value, name) in values {
        if let Some(units) = value.filter(|u| *u > MAX_CAPACITY_UNITS) {
            return Err(dynalith_model::DynamoError::validation(format!(
                "Given value {units} for {name} is out of bounds"
            )));
        }
    }
    Ok(())
}

impl ProvisionedThroughputInput {
    /// Coral's member checks, at `path`.
    pub fn check(&self, v: &mut crate::validate::Violations, path: &str) {
        let read_path = format!("{path}.readCapacityUnits");
        let write_path = format!("{path}.writeCapacityUnits");
        if v.require(&self.write_capacity_units, &write_path) {
            v.at_least(self.write_capacity_units, &write_path, 1);
        }
        if v.require(&self.read_capacity_units, &read_path) {
            v.at_least(self.read_capacity_units, &read_path, 1);
        }
    }

    /// DynamoDB's bound on either value.
    pub fn check_bounds(&self) -> Result<(), dynalith_model::DynamoError> {
        check_capacity_bounds([
            (self.read_capacity_units, "ReadCapacityUnits"),
            (self.write_capacity_units, "WriteCapacityUnits"),
        ])
    }
}

/// What a throughput setting applies to, as DynamoDB's messages name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target<'a> {
    Table,
    /// A global secondary index, by name.
    Index(&'a str),
}

impl OnDemandThroughputInput {
    /// `current` with the ceilings this input sets for `target`: a member
    /// left out keeps its value, -1 removes the ceiling, and anything else
    /// must be at least 1.
    pub fn applied_to(
        &self,
        current: crate::catalog::OnDemandThroughput,
        target: Target,
    ) -> Result<crate::catalog::OnDemandThroughput, dynalith_model::DynamoError> {
        let values = [
            (self.max_read_request_units, "MaxReadRequestUnits"),
            (self.max_write_request_units, "MaxWriteRequestUnits"),
        ];
        for (value, name) in values {
            if value.is_some_and(|u| u != -1 && u < 1) {
                let target = match target {
                    Target::Table => "table".to_string(),
                    Target::Index(index) => format!("index : {index}"),
                };
                return Err(dynalith_model::DynamoError::invalid_parameter(format!(
                    "Requested {name} for OnDemandThroughput for {target} is outside of valid range"
                )));
            }
        }
        check_capacity_bounds(values)?;
        Ok(crate::catalog::OnDemandThroughput {
            max_read_request_units: self
                .max_read_request_units
                .unwrap_or(current.max_read_request_units),
            max_write_request_units: self
                .max_write_request_units
                .unwrap_or(current.max_write_request_units),
        })
    }
}

impl StreamSpecificationInput {
    pub fn check(&self, v: &mut crate::validate::Violations, path: &str) {
        v.require(&self.stream_enabled, &format!("{path}.streamEnabled"));
        v.one_of(
            self.stream_view_type.as_deref(),
            &format!("{path}.streamViewType"),
            STREAM_VIEW_TYPES,
        );
    }

    /// The stream settings this specification asks for, or the error
    /// DynamoDB gives for an inconsistent one: CreateTable (`creating`) and
    /// UpdateTable word it differently.
    pub fn settings(
        &self,
        creating: bool,
    ) -> Result<Option<crate::catalog::StreamSettings>, dynalith_model::DynamoError> {
        use dynalith_model::DynamoError;
        match (self.stream_enabled, &self.stream_view_type) {
            (Some(true), Some(view_type)) => Ok(Some(crate::catalog::StreamSettings {
                enabled: true,
                view_type: view_type.clone(),
                label: stream_label(),
                id: None,
            })),
            (Some(true), None) => Err(DynamoError::invalid_parameter(if creating {
                "Table is being created with a stream enabled, UpdateViewType is required"
            } else {
                "If stream is being enabled then UpdateViewType is required"
            })),
            (_, Some(_)) => Err(DynamoError::invalid_parameter(if creating {
                "Table is being created with a stream disabled, UpdateViewType should not be specified"
            } else {
                "If stream is being disabled, then UpdateViewType must not be specified"
            })),
            _ => Ok(None),
        }
    }
}

/// A stream label is its creation time, as DynamoDB forms it.
pub(crate) fn stream_label() -> String {
    let now = time::OffsetDateTime::now_utc();
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]"
    );
    now.format(&format)
        .unwrap_or_else(|_| now.unix_timestamp().to_string())
}
