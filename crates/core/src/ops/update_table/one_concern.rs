//! The kinds of change one UpdateTable may carry together, as DynamoDB
//! allows them (answers recorded from DynamoDB: a request mixing kinds is
//! refused before the table is read, and nothing of it is applied).

use super::UpdateTableInput;
use crate::ops::shapes::OnDemandThroughputInput;
use crate::warm_throughput::WarmThroughputInput;
use dynalith_model::DynamoError;

pub(super) fn sets_warm(warm: &WarmThroughputInput) -> bool {
    warm.read_units_per_second.is_some() || warm.write_units_per_second.is_some()
}

pub(super) fn sets_on_demand(ceiling: &OnDemandThroughputInput) -> bool {
    ceiling.max_read_request_units.is_some() || ceiling.max_write_request_units.is_some()
}

/// DynamoDB applies one kind of change per UpdateTable: replicas,
/// deletion protection, encryption, table class and warm throughput each
/// come alone, an on-demand ceiling only with BillingMode, and a stream or index
/// change not beside a provisioned-throughput change (or each other).
/// Recorded answers of DynamoDB to each pair; the first rule that applies
/// names the error, in DynamoDB's order.
pub(super) fn check_one_concern(input: &UpdateTableInput) -> Result<(), DynamoError> {
    let index_updates = input.global_secondary_index_updates.as_deref();
    let creates_index =
        index_updates.is_some_and(|updates| updates.iter().any(|u| u.create.is_some()));
    let creates_or_deletes_index = index_updates.is_some_and(|updates| {
        updates
            .iter()
            .any(|u| u.create.is_some() || u.delete.is_some())
    });
    let with_others = change_kinds(input) > 1;
    let iops = input.provisioned_throughput.is_some()
        || input.billing_mode.as_deref() == Some("PROVISIONED");
    let stream = input.stream_specification.is_some();
    // A ceiling or warm throughput that sets nothing does not count.
    let on_demand = input
        .on_demand_throughput
        .as_ref()
        .is_some_and(sets_on_demand);
    let warm = input.warm_throughput.as_ref().is_some_and(sets_warm);
    let rule = if with_others && input.global_table_witness_updates.is_some() {
        "Requests that modify replicas or witnesses must not also modify other fields"
    } else if with_others && input.replica_updates.is_some() {
        "Replica modification must be the only operation in the request"
    } else if with_others && input.sse_specification.is_some() {
        "Server-Side Encryption modification must be the only operation in the request"
    } else if with_others && input.table_class.is_some() {
        "TableClass modification must be the only operation in the request"
    } else if with_others && input.deletion_protection_enabled.is_some() {
        "DeletionProtection modification must be the only operation in the request"
    } else if on_demand && (stream || warm) {
        "OnDemandThroughput can only be combined with BillingMode in an UpdateTable request"
    } else if warm && creates_index {
        "Create global secondary index cannot be specified when updating WarmThroughput"
    } else if with_others && warm {
        "WarmThroughput must be the only operation in the request"
    } else if stream && iops {
        "You cannot modify stream status while updating table IOPS"
    } else if creates_or_deletes_index && input.provisioned_throughput.is_some() {
        "You cannot create or delete index while updating table IOPS"
    } else if creates_or_deletes_index && stream {
        "You cannot create or delete index while changing stream status"
    } else {
        return Ok(());
    };
    Err(DynamoError::invalid_parameter(rule))
}

/// How many kinds of change a request asks for (AttributeDefinitions only
/// accompanies an index's creation; an empty list of index updates, and a
/// ceiling or warm throughput that sets nothing, ask for none).
pub(super) fn change_kinds(input: &UpdateTableInput) -> usize {
    [
        input.provisioned_throughput.is_some(),
        input.billing_mode.is_some(),
        input
            .on_demand_throughput
            .as_ref()
            .is_some_and(sets_on_demand),
        input.warm_throughput.as_ref().is_some_and(sets_warm),
        input.deletion_protection_enabled.is_some(),
        input.stream_specification.is_some(),
        input
            .global_secondary_index_updates
            .as_ref()
            .is_some_and(|u| !u.is_empty()),
        input.table_class.is_some(),
        input.sse_specification.is_some(),
        input.vector_index_updates.is_some(),
        input.replica_updates.is_some() || input.global_table_witness_updates.is_some(),
    ]
    .into_iter()
    .filter(|&given| given)
    .count()
}
