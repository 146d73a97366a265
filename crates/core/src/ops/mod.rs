//! One module per operation: its input type, validation and execution.

mod application_auto_scaling;
mod backup_shapes;
mod batch_common;
mod batch_execute_statement;
mod batch_get_item;
mod batch_write_item;
mod cancel_bulk_operation;
mod capacity_quotas;
mod conditional_write;
mod create_backup;
mod create_global_table;
mod create_table;
mod delete_backup;
mod delete_item;
mod delete_resource_policy;
mod delete_table;
mod describe_backup;
mod describe_bulk_operation;
mod describe_continuous_backups;
mod describe_contributor_insights;
mod describe_endpoints;
mod describe_export;
mod describe_global_table;
mod describe_global_table_settings;
mod describe_import;
mod describe_kinesis_streaming_destination;
mod describe_limits;
mod describe_stream;
mod describe_table;
mod describe_table_replica_auto_scaling;
mod describe_time_to_live;
mod disable_kinesis_streaming_destination;
mod enable_kinesis_streaming_destination;
mod execute_statement;
mod execute_transaction;
mod export_table_to_point_in_time;
pub(crate) mod expressions;
mod get_item;
mod get_records;
mod get_resource_policy;
mod get_shard_iterator;
mod import_table;
pub(crate) mod index_definitions;
mod job_pages;
mod legacy_global_tables;
mod list_backups;
mod list_bulk_operations;
mod list_contributor_insights;
mod list_exports;
mod list_global_tables;
mod list_imports;
mod list_streams;
mod list_tables;
mod list_tags_of_resource;
mod put_item;
mod put_resource_policy;
mod query;
mod read_common;
mod read_target;
mod request_checks;
mod restore_common;
mod restore_table_from_backup;
mod restore_table_to_point_in_time;
mod scan;
mod search_vectors;
pub(crate) mod shapes;
mod start_bulk_put_items;
mod statement_partitions;
mod streams_common;
mod tag_resource;
pub(crate) mod tags;
mod transact_get_items;
mod transact_write_items;
mod untag_resource;
mod update_continuous_backups;
mod update_contributor_insights;
mod update_global_table;
mod update_global_table_settings;
mod update_item;
mod update_kinesis_streaming_destination;
mod update_table;
mod update_table_replica_auto_scaling;
mod update_time_to_live;
mod write_members;

pub(crate) use describe_limits::TABLE_MAX_CAPACITY_UNITS;

use crate::{Database, RequestContext};
use dynalith_model::DynamoError;
use serde_json::{Map, Value};

macro_rules! operations {
    (
        $($name:ident),* $(,)?;
        streams: $($stream_op:ident),* $(,)?;
        application_auto_scaling: $($scaling_op:ident = $scaling_name:literal),* $(,)?
    ) => {
        /// Every operation this server knows: DynamoDB_20120810's, then
        /// DynamoDBStreams_20120810's, then Application Auto Scaling's
        /// (AnyScaleFrontendService), whose wire names may repeat
        /// DynamoDB's.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Operation { $($name,)* $($stream_op,)* $($scaling_op),* }

        impl Operation {
            /// Every operation, in declaration order.
            pub const ALL: &'static [Operation] =
                &[$(Operation::$name,)* $(Operation::$stream_op,)* $(Operation::$scaling_op),*];

            /// From the part of `X-Amz-Target` after `DynamoDB_20120810.`.
            pub fn from_name(name: &str) -> Option<Operation> {
                match name {
                    $(stringify!($name) => Some(Operation::$name),)*
                    _ => None,
                }
            }

            /// From the part of `X-Amz-Target` after
            /// `DynamoDBStreams_20120810.`.
            pub fn from_streams_name(name: &str) -> Option<Operation> {
                match name {
                    $(stringify!($stream_op) => Some(Operation::$stream_op),)*
                    _ => None,
                }
            }

            /// From the part of `X-Amz-Target` after
            /// `AnyScaleFrontendService.`.
            pub fn from_scaling_name(name: &str) -> Option<Operation> {
                match name {
                    $($scaling_name => Some(Operation::$scaling_op),)*
                    _ => None,
                }
            }

            /// From a whole `X-Amz-Target`: each API answers only its own
            /// operations.
            pub fn from_target(target: &str) -> Option<Operation> {
                if let Some(name) = target.strip_prefix("DynamoDB_20120810.") {
                    Operation::from_name(name)
                } else if let Some(name) = target.strip_prefix("DynamoDBStreams_20120810.") {
                    Operation::from_streams_name(name)
                } else {
                    target
                        .strip_prefix("AnyScaleFrontendService.")
                        .and_then(Operation::from_scaling_name)
                }
            }

            /// The operation's name in its API.
            pub fn name(self) -> &'static str {
                match self {
                    $(Operation::$name => stringify!($name),)*
                    $(Operation::$stream_op => stringify!($stream_op),)*
                    $(Operation::$scaling_op => $scaling_name),*
                }
            }

            /// A name unique among every API's operations, where wire
            /// names repeat (TagResource): for metrics.
            pub fn unique_name(self) -> &'static str {
                match self {
                    $(Operation::$name => stringify!($name),)*
                    $(Operation::$stream_op => stringify!($stream_op),)*
                    $(Operation::$scaling_op => stringify!($scaling_op)),*
                }
            }

            /// Whether it is Application Auto Scaling's, which speaks JSON
            /// 1.1.
            pub fn is_application_auto_scaling(self) -> bool {
                matches!(self, $(Operation::$scaling_op)|*)
            }
        }
    };
}

// The fuzz target table_lifecycle picks operations by their index in
// `Operation::ALL`, and its seeds name them so: add new DynamoDB
// operations last, before `streams:`, and move the seeds' stream
// selectors (and any of Application Auto Scaling's) up by as many.
operations!(
    CreateTable,
    DescribeTable,
    ListTables,
    DeleteTable,
    UpdateTable,
    PutItem,
    GetItem,
    DeleteItem,
    UpdateItem,
    Query,
    Scan,
    BatchGetItem,
    BatchWriteItem,
    TransactWriteItems,
    TransactGetItems,
    UpdateTimeToLive,
    DescribeTimeToLive,
    TagResource,
    UntagResource,
    ListTagsOfResource,
    DescribeLimits,
    ExecuteStatement,
    BatchExecuteStatement,
    ExecuteTransaction,
    CreateBackup,
    DescribeBackup,
    ListBackups,
    DeleteBackup,
    RestoreTableFromBackup,
    DescribeContinuousBackups,
    UpdateContinuousBackups,
    RestoreTableToPointInTime,
    DescribeEndpoints,
    PutResourcePolicy,
    GetResourcePolicy,
    DeleteResourcePolicy,
    DescribeContributorInsights,
    UpdateContributorInsights,
    ListContributorInsights,
    ExportTableToPointInTime,
    DescribeExport,
    ListExports,
    ImportTable,
    DescribeImport,
    ListImports,
    EnableKinesisStreamingDestination,
    DescribeKinesisStreamingDestination,
    DisableKinesisStreamingDestination,
    UpdateKinesisStreamingDestination,
    StartBulkPutItems,
    DescribeBulkOperation,
    ListBulkOperations,
    CancelBulkOperation,
    SearchVectors,
    CreateGlobalTable,
    UpdateGlobalTable,
    DescribeGlobalTable,
    ListGlobalTables,
    DescribeGlobalTableSettings,
    UpdateGlobalTableSettings,
    DescribeTableReplicaAutoScaling,
    UpdateTableReplicaAutoScaling;
    streams:
    ListStreams,
    DescribeStream,
    GetShardIterator,
    GetRecords;
    application_auto_scaling:
    RegisterScalableTarget = "RegisterScalableTarget",
    DescribeScalableTargets = "DescribeScalableTargets",
    DeregisterScalableTarget = "DeregisterScalableTarget",
    PutScalingPolicy = "PutScalingPolicy",
    DescribeScalingPolicies = "DescribeScalingPolicies",
    DeleteScalingPolicy = "DeleteScalingPolicy",
    DescribeScalingActivities = "DescribeScalingActivities",
    TagScalableTarget = "TagResource",
    UntagScalableTarget = "UntagResource",
    ListTagsForScalableTarget = "ListTagsForResource",
    PutScheduledAction = "PutScheduledAction",
    DescribeScheduledActions = "DescribeScheduledActions",
    DeleteScheduledAction = "DeleteScheduledAction",
);

impl Operation {
    /// What a server following another on a shared PostgreSQL schema
    /// answers itself, given the request's `body`: reads of items and of
    /// the catalog (PartiQL SELECTs among them), which change nothing and
    /// need no state but the database's. It sends every other request to
    /// the server it follows.
    pub fn served_by_followers(self, body: &[u8]) -> bool {
        self.reads_only() || crate::partiql::only_selects(self, body)
    }

    /// Reads of items and of the catalog, whatever the request says.
    pub fn reads_only(self) -> bool {
        matches!(
            self,
            Operation::GetItem
                | Operation::BatchGetItem
                | Operation::Query
                | Operation::Scan
                | Operation::TransactGetItems
                | Operation::DescribeTable
                | Operation::DescribeTableReplicaAutoScaling
                | Operation::ListTables
                | Operation::DescribeEndpoints
                | Operation::DescribeLimits
                | Operation::SearchVectors
                | Operation::DescribeScalableTargets
                | Operation::DescribeScalingPolicies
                | Operation::ListTagsForScalableTarget
                | Operation::DescribeScheduledActions
        )
    }
}

/// A client's request: [`execute`], with the errors of the operations that
/// run DynamoDB's current validation layer worded as that layer words them
/// (`request_checks`). PartiQL's plans run [`execute`] itself, as their
/// errors are PartiQL's.
pub(crate) fn execute_request(
    db: &Database,
    operation: Operation,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let result = execute(db, operation, body, context);
    match operation {
        Operation::PutItem | Operation::UpdateItem | Operation::DeleteItem => {
            result.map_err(|e| request_checks::in_current_layer(e, body))
        }
        _ => result,
    }
}

pub(crate) fn execute(
    db: &Database,
    operation: Operation,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    // JSON is UTF-8, but serde_json checks only the strings it keeps: an
    // unknown member with invalid UTF-8 would pass the operation's parse and
    // then fail a later full parse (a request token's fingerprint).
    if std::str::from_utf8(body).is_err() {
        return Err(DynamoError::serialization(
            "The request body is not valid UTF-8",
        ));
    }
    match operation {
        Operation::CreateTable => create_table::execute(db, body, context),
        Operation::DescribeTable => describe_table::execute(db, body, context),
        Operation::ListTables => list_tables::execute(db, body, context),
        Operation::DeleteTable => delete_table::execute(db, body, context),
        Operation::UpdateTable => update_table::execute(db, body, context),
        Operation::PutItem => put_item::execute(db, body, context),
        Operation::GetItem => get_item::execute(db, body, context),
        Operation::DeleteItem => delete_item::execute(db, body, context),
        Operation::UpdateItem => update_item::execute(db, body, context),
        Operation::Query => query::execute(db, body, context),
        Operation::Scan => scan::execute(db, body, context),
        Operation::BatchGetItem => batch_get_item::execute(db, body, context),
        Operation::BatchWriteItem => batch_write_item::execute(db, body, context),
        Operation::TransactWriteItems => transact_write_items::execute(db, body, context),
        Operation::TransactGetItems => transact_get_items::execute(db, body, context),
        Operation::UpdateTimeToLive => update_time_to_live::execute(db, body, context),
        Operation::DescribeTimeToLive => describe_time_to_live::execute(db, body, context),
        Operation::TagResource => tag_resource::execute(db, body),
        Operation::UntagResource => untag_resource::execute(db, body),
        Operation::ListTagsOfResource => list_tags_of_resource::execute(db, body),
        Operation::DescribeLimits => describe_limits::execute(db, body),
        Operation::DescribeEndpoints => describe_endpoints::execute(body, context),
        Operation::PutResourcePolicy => put_resource_policy::execute(db, body),
        Operation::GetResourcePolicy => get_resource_policy::execute(db, body),
        Operation::DeleteResourcePolicy => delete_resource_policy::execute(db, body),
        Operation::DescribeContributorInsights => {
            describe_contributor_insights::execute(db, body, context)
        }
        Operation::UpdateContributorInsights => {
            update_contributor_insights::execute(db, body, context)
        }
        Operation::ListContributorInsights => list_contributor_insights::execute(db, body, context),
        Operation::ExecuteStatement => execute_statement::execute(db, body, context),
        Operation::BatchExecuteStatement => batch_execute_statement::execute(db, body, context),
        Operation::ExecuteTransaction => execute_transaction::execute(db, body, context),
        Operation::CreateBackup => create_backup::execute(db, body, context),
        Operation::DescribeBackup => describe_backup::execute(db, body, context),
        Operation::ListBackups => list_backups::execute(db, body, context),
        Operation::DeleteBackup => delete_backup::execute(db, body, context),
        Operation::RestoreTableFromBackup => restore_table_from_backup::execute(db, body, context),
        Operation::DescribeContinuousBackups => {
            describe_continuous_backups::execute(db, body, context)
        }
        Operation::UpdateContinuousBackups => update_continuous_backups::execute(db, body, context),
        Operation::RestoreTableToPointInTime => {
            restore_table_to_point_in_time::execute(db, body, context)
        }
        Operation::ExportTableToPointInTime => export_table_to_point_in_time::execute(db, body),
        Operation::DescribeExport => describe_export::execute(db, body),
        Operation::ListExports => list_exports::execute(db, body),
        Operation::ImportTable => import_table::execute(db, body, context),
        Operation::DescribeImport => describe_import::execute(db, body),
        Operation::ListImports => list_imports::execute(db, body),
        Operation::EnableKinesisStreamingDestination => {
            enable_kinesis_streaming_destination::execute(db, body, context)
        }
        Operation::DescribeKinesisStreamingDestination => {
            describe_kinesis_streaming_destination::execute(db, body, context)
        }
        Operation::DisableKinesisStreamingDestination => {
            disable_kinesis_streaming_destination::execute(db, body, context)
        }
        Operation::UpdateKinesisStreamingDestination => {
            update_kinesis_streaming_destination::execute(db, body, context)
        }
        Operation::StartBulkPutItems => start_bulk_put_items::execute(db, body, context),
        Operation::DescribeBulkOperation => describe_bulk_operation::execute(db, body),
        Operation::ListBulkOperations => list_bulk_operations::execute(db, body),
        Operation::CancelBulkOperation => cancel_bulk_operation::execute(db, body),
        Operation::SearchVectors => search_vectors::execute(db, body, context),
        Operation::CreateGlobalTable => create_global_table::execute(body),
        Operation::UpdateGlobalTable => update_global_table::execute(body),
        Operation::DescribeGlobalTable => describe_global_table::execute(body),
        Operation::ListGlobalTables => list_global_tables::execute(body),
        Operation::DescribeGlobalTableSettings => describe_global_table_settings::execute(body),
        Operation::UpdateGlobalTableSettings => update_global_table_settings::execute(body),
        Operation::DescribeTableReplicaAutoScaling => {
            describe_table_replica_auto_scaling::execute(db, body, context)
        }
        Operation::UpdateTableReplicaAutoScaling => {
            update_table_replica_auto_scaling::execute(db, body, context)
        }
        Operation::ListStreams => list_streams::execute(db, body, context),
        Operation::DescribeStream => describe_stream::execute(db, body),
        Operation::GetShardIterator => get_shard_iterator::execute(db, body),
        Operation::GetRecords => get_records::execute(db, body),
        Operation::RegisterScalableTarget => {
            application_auto_scaling::register_scalable_target::execute(db, body, context)
        }
        Operation::DescribeScalableTargets => {
            application_auto_scaling::describe_scalable_targets::execute(db, body, context)
        }
        Operation::DeregisterScalableTarget => {
            application_auto_scaling::deregister_scalable_target::execute(db, body, context)
        }
        Operation::PutScalingPolicy => {
            application_auto_scaling::put_scaling_policy::execute(db, body, context)
        }
        Operation::DescribeScalingPolicies => {
            application_auto_scaling::describe_scaling_policies::execute(db, body, context)
        }
        Operation::DeleteScalingPolicy => {
            application_auto_scaling::delete_scaling_policy::execute(db, body, context)
        }
        Operation::DescribeScalingActivities => {
            application_auto_scaling::describe_scaling_activities::execute(db, body, context)
        }
        Operation::TagScalableTarget => {
            application_auto_scaling::tag_resource::execute(db, body, context)
        }
        Operation::UntagScalableTarget => {
            application_auto_scaling::untag_resource::execute(db, body, context)
        }
        Operation::ListTagsForScalableTarget => {
            application_auto_scaling::list_tags_for_resource::execute(db, body, context)
        }
        Operation::PutScheduledAction => {
            application_auto_scaling::put_scheduled_action::execute(db, body, context)
        }
        Operation::DescribeScheduledActions => {
            application_auto_scaling::describe_scheduled_actions::execute(db, body, context)
        }
        Operation::DeleteScheduledAction => {
            application_auto_scaling::delete_scheduled_action::execute(db, body, context)
        }
    }
}

/// Serializes a response object.
pub(crate) fn respond(body: Map<String, Value>) -> Result<Vec<u8>, DynamoError> {
    serde_json::to_vec(&Value::Object(body))
        .map_err(|e| DynamoError::internal(format!("response encoding failed: {e}")))
}

/// `ItemCollectionMetrics` of a single-item write, when asked for and the
/// table has item collections.
pub(crate) fn attach_item_collection_metrics(
    response: &mut Map<String, Value>,
    outcome: &crate::write::WriteOutcome,
    return_item_collection_metrics: Option<&str>,
) {
    if return_item_collection_metrics != Some("SIZE") {
        return;
    }
    if let Some(metrics) = outcome.item_collection_metrics() {
        response.insert("ItemCollectionMetrics".into(), metrics);
    }
}

/// The `Attributes` member of a write's response, from an item.
pub(crate) fn attributes_value(item: &dynalith_model::Item) -> Result<Value, DynamoError> {
    serde_json::to_value(item).map_err(|e| DynamoError::internal(format!("encoding failed: {e}")))
}
