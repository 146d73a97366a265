//! Transient table statuses (`--transient-status-ms`).
//!
//! DynamoDB applies CreateTable, UpdateTable and DeleteTable
//! asynchronously: a new table is CREATING for seconds, and until it is
//! ACTIVE the data plane answers ResourceNotFoundException; a table being
//! updated is UPDATING and takes no other UpdateTable or DeleteTable; a
//! deleted one is DELETING, still described and listed, and its name not
//! yet free. Code that does not wait (an SDK waiter, a DescribeTable loop)
//! fails there and nowhere else, since DynamoDB Local applies every change
//! at once. With a delay set, dynalith keeps each status that long, so that
//! such code fails locally first.
//!
//! CREATING and UPDATING are derived from when the table was created and
//! last updated (both kept in its catalog entry); a deleted table's items
//! go at once, and its description is kept in storage until its DELETING
//! is over. So the statuses survive a restart, and every server sharing a
//! catalog agrees on them.
//!
//! DynamoDB's quota of tables in these states at once holds too
//! (`check_room_for_a_transition`): with statuses that last, a test
//! creating tables by the hundred without waiting meets it here first.

use crate::catalog::TableMeta;
use crate::global_tables::ReplicaMeta;
use crate::{keys, storage_error, Database};
use dynalith_model::{DynamoError, ErrorKind};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableStatus {
    Creating,
    Updating,
    Active,
}

impl TableStatus {
    /// The TableStatus DescribeTable reports.
    pub fn as_str(self) -> &'static str {
        match self {
            TableStatus::Creating => "CREATING",
            TableStatus::Updating => "UPDATING",
            TableStatus::Active => "ACTIVE",
        }
    }
}

/// DynamoDB's quota of table operations in progress at once: tables
/// CREATING, UPDATING or DELETING, or changing their Time to Live, put
/// there by CreateTable, UpdateTable, DeleteTable, UpdateTimeToLive or a
/// restore (the API reference's LimitExceededException).
pub const MAX_TABLES_IN_TRANSITION: usize = 500;

/// Of those, tables being created with secondary indexes.
pub const MAX_INDEXED_TABLES_CREATING: usize = 250;

/// How long the statuses last.
pub struct Transitions {
    delay_seconds: f64,
}

/// A table deleted while DELETING lasts, as kept in storage
/// (`keys::deleting_table`).
#[derive(Serialize, Deserialize)]
pub struct DeletingTable {
    /// The table as it was, for the Regions it answers in.
    table: TableMeta,
    /// DescribeTable's answer meanwhile.
    pub described: Value,
    /// DeleteTable's, which a repeated DeleteTable gets again.
    pub deleted: Value,
    /// When it was deleted.
    since: f64,
}

impl Transitions {
    pub fn new(delay: Duration) -> Transitions {
        Transitions {
            delay_seconds: delay.as_secs_f64(),
        }
    }

    /// How long a status lasts; zero when changes are immediate.
    pub fn delay(&self) -> Duration {
        Duration::from_secs_f64(self.delay_seconds)
    }

    /// Whether a status entered at `since` (epoch seconds) lasts still.
    fn lasts(&self, since: f64) -> bool {
        crate::now_epoch_seconds() < since + self.delay_seconds
    }

    /// The table's status now. A table an import is still filling is
    /// CREATING however long that takes.
    pub fn status(&self, table: &TableMeta) -> TableStatus {
        if table.importing {
            return TableStatus::Creating;
        }
        if self.delay_seconds == 0.0 {
            return TableStatus::Active;
        }
        if self.lasts(table.created_at) {
            TableStatus::Creating
        } else if table.updating_since.is_some_and(|since| self.lasts(since)) {
            TableStatus::Updating
        } else {
            TableStatus::Active
        }
    }

    /// Whether the table counts toward `MAX_TABLES_IN_TRANSITION`.
    fn in_transition(&self, table: &TableMeta) -> bool {
        self.status(table) != TableStatus::Active
            || (table.time_to_live_change.as_ref()).is_some_and(|change| self.lasts(change.at))
    }

    /// Whether the data plane finds the table: not while it is CREATING.
    pub fn serves_items(&self, table: &TableMeta) -> bool {
        self.status(table) != TableStatus::Creating
    }

    /// UpdateTable and DeleteTable take only an ACTIVE table; DynamoDB
    /// answers ResourceInUseException otherwise.
    pub fn check_changeable(&self, table: &TableMeta) -> Result<(), DynamoError> {
        match self.status(table) {
            TableStatus::Active => Ok(()),
            TableStatus::Creating => Err(in_use(table, "created")),
            TableStatus::Updating => Err(in_use(table, "updated")),
        }
    }
}

/// DynamoDB's refusal to change a table while it is being `doing`.
fn in_use(table: &TableMeta, doing: &str) -> DynamoError {
    DynamoError::new(
        ErrorKind::ResourceInUse,
        format!(
            "Attempt to change a resource which is still in use: Table is being {doing}: {}",
            table.name
        ),
    )
}

impl Database {
    /// Keeps a table just deleted DELETING for the delay, in storage, so
    /// that a restart and every server sharing it see it: `described` is
    /// what DescribeTable answers meanwhile, `deleted` DeleteTable's answer.
    /// Tables whose DELETING is over are forgotten here.
    pub(crate) fn remember_deleting(
        &self,
        table: &TableMeta,
        described: Value,
        deleted: Value,
    ) -> Result<(), DynamoError> {
        let transitions = self.catalog().transitions();
        if transitions.delay_seconds == 0.0 {
            return Ok(());
        }
        let mut txn = self.engine().begin();
        for over in self
            .deleting_tables()?
            .filter(|d| !transitions.lasts(d.since))
        {
            txn.delete(&keys::deleting_table(&over.table.name))
                .map_err(storage_error)?;
        }
        let deleting = DeletingTable {
            table: table.clone(),
            described,
            deleted,
            since: crate::now_epoch_seconds(),
        };
        let encoded =
            serde_json::to_vec(&deleting).map_err(|e| DynamoError::internal(e.to_string()))?;
        txn.put(&keys::deleting_table(&table.name), &encoded)
            .map_err(storage_error)?;
        txn.commit().map_err(storage_error)
    }

    /// Refuses a control-plane change that would put one more table in
    /// transition when DynamoDB's quota of them is taken: of `table` (None
    /// for a table to be created), which needs no more room when it is in
    /// transition already; `creating_with_indexes` when a table is to be
    /// created with secondary indexes, which have a quota of their own.
    /// Called under `Catalog::lock_changes`, so that two changes cannot
    /// both take the last room. With changes immediate (the delay 0)
    /// nothing is counted: only a table an import is filling stays in
    /// transition then, and ImportTable is not among the quota's
    /// operations.
    pub(crate) fn check_room_for_a_transition(
        &self,
        table: Option<&TableMeta>,
        creating_with_indexes: bool,
    ) -> Result<(), DynamoError> {
        let transitions = self.catalog().transitions();
        if transitions.delay_seconds == 0.0 || table.is_some_and(|t| transitions.in_transition(t)) {
            return Ok(());
        }
        let tables = self.catalog().tables();
        let changing = tables.iter().filter(|t| transitions.in_transition(t));
        let deleting = self
            .deleting_tables()?
            .filter(|d| transitions.lasts(d.since))
            .count();
        if changing.count() + deleting >= MAX_TABLES_IN_TRANSITION {
            return Err(DynamoError::new(
                ErrorKind::LimitExceeded,
                format!(
                    "Subscriber limit exceeded: Only {MAX_TABLES_IN_TRANSITION} tables can be created, updated, or deleted simultaneously"
                ),
            ));
        }
        let indexed_creating = tables
            .iter()
            .filter(|t| !t.indexes.is_empty() && transitions.status(t) == TableStatus::Creating);
        if creating_with_indexes && indexed_creating.count() >= MAX_INDEXED_TABLES_CREATING {
            return Err(DynamoError::new(
                ErrorKind::LimitExceeded,
                "Subscriber limit exceeded: You have exceeded the maximum number of indexed tables that can be created simultaneously",
            ));
        }
        Ok(())
    }

    /// The table named `name` still DELETING for a request signed for
    /// `region` (or any Region: None), if there is one.
    pub(crate) fn deleting_table(
        &self,
        name: &str,
        region: Option<&str>,
    ) -> Result<Option<DeletingTable>, DynamoError> {
        let transitions = self.catalog().transitions();
        if transitions.delay_seconds == 0.0 {
            return Ok(None);
        }
        let Some(value) = (self.engine().snapshot())
            .get(&keys::deleting_table(name))
            .map_err(storage_error)?
        else {
            return Ok(None);
        };
        let deleting = decode(&value)?;
        Ok(Some(deleting).filter(|d| {
            transitions.lasts(d.since) && region.is_none_or(|region| d.table.answers_in(region))
        }))
    }

    /// The names of the tables still DELETING for `region`, which
    /// ListTables lists beside the others.
    pub(crate) fn deleting_table_names(&self, region: &str) -> Result<Vec<String>, DynamoError> {
        let transitions = self.catalog().transitions();
        if transitions.delay_seconds == 0.0 {
            return Ok(Vec::new());
        }
        Ok(self
            .deleting_tables()?
            .filter(|d| transitions.lasts(d.since) && d.table.answers_in(region))
            .map(|d| d.table.name)
            .collect())
    }

    /// Every DELETING record kept, over or not.
    fn deleting_tables(&self) -> Result<impl Iterator<Item = DeletingTable>, DynamoError> {
        let (start, end) = keys::deleting_tables_range();
        let snapshot = self.engine().snapshot();
        let mut kept = Vec::new();
        for entry in snapshot.scan(&start, &end, false) {
            let (_, value) = entry.map_err(storage_error)?;
            kept.push(decode(&value)?);
        }
        Ok(kept.into_iter())
    }
}

fn decode(value: &[u8]) -> Result<DeletingTable, DynamoError> {
    serde_json::from_slice(value)
        .map_err(|e| DynamoError::internal(format!("corrupt DELETING table record: {e}")))
}

/// A global index UpdateTable deleted: its description then (DELETING),
/// and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeletingIndex {
    pub description: Value,
    pub since: f64,
}

impl Transitions {
    /// Records `description` (of an index just deleted) to describe while
    /// the delay lasts, and forgets the deleted indexes whose time is over.
    pub fn index_deleted(&self, table: &mut TableMeta, description: &Value) {
        table.deleting_indexes.retain(|d| self.lasts(d.since));
        if self.delay_seconds > 0.0 {
            table.deleting_indexes.push(DeletingIndex {
                description: description.clone(),
                since: crate::now_epoch_seconds(),
            });
        }
    }

    /// The descriptions of the table's global indexes still DELETING,
    /// which DescribeTable lists after the others.
    pub fn deleting_indexes<'a>(
        &'a self,
        table: &'a TableMeta,
    ) -> impl Iterator<Item = &'a Value> + 'a {
        (table.deleting_indexes.iter())
            .filter(|d| self.lasts(d.since))
            .map(|d| &d.description)
    }
}

/// A replica UpdateTable or DeleteTable removed: as it was, and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeletingReplica {
    pub replica: ReplicaMeta,
    pub since: f64,
}

impl Transitions {
    /// Whether the table's replica in `region` (not its own Region) is
    /// still CREATING. Its Region then sees the table CREATING: not found
    /// by the data plane and not changeable, as a new table.
    pub fn replica_creating(&self, table: &TableMeta, region: &str) -> bool {
        self.delay_seconds > 0.0
            && table.region != region
            && (table.replicas.iter()).any(|r| r.region == region && self.lasts(r.created_at))
    }

    /// The table's status for a request signed for `region`.
    pub fn status_in(&self, table: &TableMeta, region: &str) -> TableStatus {
        if self.replica_creating(table, region) {
            TableStatus::Creating
        } else {
            self.status(table)
        }
    }

    /// `check_changeable` for a request signed for `region`.
    pub fn check_changeable_in(&self, table: &TableMeta, region: &str) -> Result<(), DynamoError> {
        if self.replica_creating(table, region) {
            return Err(in_use(table, "created"));
        }
        self.check_changeable(table)
    }

    /// Records `replica` (just removed from the table) to describe
    /// DELETING in the other Regions while the delay lasts, and forgets
    /// the removed replicas whose time is over.
    pub fn replica_deleted(&self, table: &mut TableMeta, replica: ReplicaMeta) {
        table
            .deleting_replicas
            .retain(|d| self.lasts(d.since) && d.replica.region != replica.region);
        if self.delay_seconds > 0.0 {
            table.deleting_replicas.push(DeletingReplica {
                replica,
                since: crate::now_epoch_seconds(),
            });
        }
    }

    /// The removed replicas still DELETING.
    pub fn deleting_replicas<'a>(
        &'a self,
        table: &'a TableMeta,
    ) -> impl Iterator<Item = &'a ReplicaMeta> + 'a {
        (table.deleting_replicas.iter())
            .filter(|d| self.lasts(d.since))
            .map(|d| &d.replica)
    }
}

/// An UpdateTimeToLive: when, and the attribute it enabled or disabled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimeToLiveChange {
    pub at: f64,
    pub attribute_name: String,
}

impl Transitions {
    /// DescribeTimeToLive's description: ENABLING or DISABLING while the
    /// last change is within the delay, as DynamoDB's take up to an hour.
    pub fn time_to_live_description(&self, table: &TableMeta) -> Value {
        let changing = (table.time_to_live_change.as_ref()).filter(|change| self.lasts(change.at));
        match (&table.time_to_live_attribute, changing) {
            (Some(attribute), None) => {
                json!({"TimeToLiveStatus": "ENABLED", "AttributeName": attribute})
            }
            (None, None) => json!({"TimeToLiveStatus": "DISABLED"}),
            (Some(attribute), Some(_)) => {
                json!({"TimeToLiveStatus": "ENABLING", "AttributeName": attribute})
            }
            (None, Some(change)) => {
                json!({"TimeToLiveStatus": "DISABLING", "AttributeName": change.attribute_name})
            }
        }
    }

    /// DynamoDB takes one Time to Live change per table in its interval (an
    /// hour; here the delay).
    pub fn check_time_to_live_change(&self, table: &TableMeta) -> Result<(), DynamoError> {
        match &table.time_to_live_change {
            Some(change) if self.lasts(change.at) => Err(DynamoError::validation(
                "Time to live has been modified multiple times within a fixed interval",
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::{create_table, run};
    use crate::{Database, Operation, RequestContext, Settings};
    use dynalith_model::{DynamoError, ErrorKind};
    use dynalith_storage::MemoryEngine;
    use std::sync::Arc;
    use std::time::Duration;

    fn open(delay: Duration) -> Arc<Database> {
        let settings = Settings {
            transient_status: delay,
            ..Default::default()
        };
        Database::open_with(Arc::new(MemoryEngine::default()), settings).expect("database opens")
    }

    fn attempt(
        db: &Database,
        operation: Operation,
        body: &str,
    ) -> Result<serde_json::Value, DynamoError> {
        db.execute(operation, body.as_bytes(), &RequestContext::default())
            .map(|r| serde_json::from_slice(&r).expect("JSON response"))
    }

    fn status(db: &Database, name: &str) -> String {
        let described = run(
            db,
            Operation::DescribeTable,
            &format!(r#"{{"TableName":"{name}"}}"#),
        );
        described["Table"]["TableStatus"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Moves the table's creation and last update `seconds` into the past,
    /// as if that much time had gone by.
    fn age(db: &Database, name: &str, seconds: f64) {
        let mut table = (*db.catalog().get(name).unwrap()).clone();
        table.created_at -= seconds;
        table.updating_since = table.updating_since.map(|t| t - seconds);
        if let Some(change) = &mut table.time_to_live_change {
            change.at -= seconds;
        }
        db.catalog().publish(table);
    }

    /// UpdateTimeToLive's request turning `exp` on or off for `tbl`.
    fn ttl_update(enabled: bool) -> String {
        format!(
            r#"{{"TableName":"tbl","TimeToLiveSpecification":{{"AttributeName":"exp","Enabled":{enabled}}}}}"#
        )
    }

    const PUT: &str = r#"{"TableName":"tbl","Item":{"pk":{"S":"a"}}}"#;
    const TABLE: &str = r#"{"TableName":"tbl"}"#;

    #[test]
    fn a_new_table_is_creating_then_active() {
        let db = open(Duration::from_secs(60));
        run(
            &db,
            Operation::CreateTable,
            r#"{"TableName":"tbl","BillingMode":"PAY_PER_REQUEST",
                "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
                "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"g","AttributeType":"S"}],
                "GlobalSecondaryIndexes":[{"IndexName":"by_g","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],
                    "Projection":{"ProjectionType":"ALL"}}]}"#,
        );
        let described = run(&db, Operation::DescribeTable, TABLE);
        assert_eq!(described["Table"]["TableStatus"], "CREATING");
        assert_eq!(
            described["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"],
            "CREATING"
        );
        let error = attempt(&db, Operation::PutItem, PUT).unwrap_err();
        assert_eq!(
            (error.kind, error.message.as_str()),
            (ErrorKind::ResourceNotFound, "Requested resource not found")
        );
        let error = attempt(&db, Operation::DeleteTable, TABLE).unwrap_err();
        assert_eq!(error.kind, ErrorKind::ResourceInUse);
        assert_eq!(
            error.message,
            "Attempt to change a resource which is still in use: Table is being created: tbl"
        );
        let error = attempt(&db, Operation::DescribeTimeToLive, TABLE).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Validation);

        age(&db, "tbl", 60.0);
        let described = run(&db, Operation::DescribeTable, TABLE);
        assert_eq!(described["Table"]["TableStatus"], "ACTIVE");
        assert_eq!(
            described["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"],
            "ACTIVE"
        );
        run(&db, Operation::PutItem, PUT);
    }

    #[test]
    fn an_updated_table_is_updating_and_takes_no_other_change() {
        let db = open(Duration::from_secs(60));
        create_table(&db, "tbl");
        age(&db, "tbl", 60.0);
        // Deletion protection changes at once: no UPDATING.
        run(
            &db,
            Operation::UpdateTable,
            r#"{"TableName":"tbl","DeletionProtectionEnabled":false}"#,
        );
        assert_eq!(status(&db, "tbl"), "ACTIVE");

        let answer = run(
            &db,
            Operation::UpdateTable,
            r#"{"TableName":"tbl","TableClass":"STANDARD_INFREQUENT_ACCESS"}"#,
        );
        assert_eq!(answer["TableDescription"]["TableStatus"], "UPDATING");
        assert_eq!(status(&db, "tbl"), "UPDATING");
        // Items are served meanwhile; the control plane waits.
        run(&db, Operation::PutItem, PUT);
        for (operation, body) in [
            (
                Operation::UpdateTable,
                r#"{"TableName":"tbl","TableClass":"STANDARD"}"#,
            ),
            (Operation::DeleteTable, TABLE),
        ] {
            let error = attempt(&db, operation, body).unwrap_err();
            assert_eq!(error.kind, ErrorKind::ResourceInUse);
            assert_eq!(
                error.message,
                "Attempt to change a resource which is still in use: Table is being updated: tbl"
            );
        }

        age(&db, "tbl", 60.0);
        assert_eq!(status(&db, "tbl"), "ACTIVE");
        run(
            &db,
            Operation::UpdateTable,
            r#"{"TableName":"tbl","TableClass":"STANDARD"}"#,
        );
    }

    #[test]
    fn a_deleted_table_is_deleting_and_holds_its_name() {
        let db = open(Duration::from_secs(60));
        create_table(&db, "tbl");
        age(&db, "tbl", 60.0);
        run(&db, Operation::PutItem, PUT);
        let deleted = run(&db, Operation::DeleteTable, TABLE);
        assert_eq!(deleted["TableDescription"]["TableStatus"], "DELETING");

        let described = run(&db, Operation::DescribeTable, TABLE);
        assert_eq!(described["Table"]["TableStatus"], "DELETING");
        assert_eq!(described["Table"]["KeySchema"][0]["AttributeName"], "pk");
        assert_eq!(described["Table"]["ItemCount"], 1);
        // Deleting it again is no error, and answers the same.
        assert_eq!(run(&db, Operation::DeleteTable, TABLE), deleted);
        let listed = run(&db, Operation::ListTables, "{}");
        assert_eq!(listed["TableNames"], serde_json::json!(["tbl"]));
        let error = attempt(
            &db,
            Operation::GetItem,
            r#"{"TableName":"tbl","Key":{"pk":{"S":"a"}}}"#,
        )
        .unwrap_err();
        assert_eq!(error.kind, ErrorKind::ResourceNotFound);
        let body = r#"{"TableName":"tbl","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
            "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#;
        let error = attempt(&db, Operation::CreateTable, body).unwrap_err();
        assert_eq!(
            (error.kind, error.message.as_str()),
            (ErrorKind::ResourceInUse, "Table already exists: tbl")
        );
    }

    #[test]
    fn a_deleted_table_is_gone_once_its_deleting_ends() {
        let db = open(Duration::from_millis(100));
        create_table(&db, "tbl");
        age(&db, "tbl", 1.0);
        run(&db, Operation::DeleteTable, TABLE);
        std::thread::sleep(Duration::from_millis(150));
        let error = attempt(&db, Operation::DescribeTable, TABLE).unwrap_err();
        assert_eq!(
            error.message,
            "Requested resource not found: Table: tbl not found"
        );
        let error = attempt(&db, Operation::DeleteTable, TABLE).unwrap_err();
        assert_eq!(error.kind, ErrorKind::ResourceNotFound);
        assert_eq!(
            run(&db, Operation::ListTables, "{}")["TableNames"],
            serde_json::json!([])
        );
        create_table(&db, "tbl");
    }

    #[test]
    fn time_to_live_is_enabling_and_disabling_and_changes_once_meanwhile() {
        let db = open(Duration::from_secs(60));
        create_table(&db, "tbl");
        age(&db, "tbl", 60.0);
        let described =
            || run(&db, Operation::DescribeTimeToLive, TABLE)["TimeToLiveDescription"].clone();
        run(&db, Operation::UpdateTimeToLive, &ttl_update(true));
        assert_eq!(
            described(),
            serde_json::json!({"TimeToLiveStatus": "ENABLING", "AttributeName": "exp"})
        );
        let error = attempt(&db, Operation::UpdateTimeToLive, &ttl_update(false)).unwrap_err();
        assert_eq!(error.kind, ErrorKind::Validation);
        assert_eq!(
            error.message,
            "Time to live has been modified multiple times within a fixed interval"
        );

        age(&db, "tbl", 60.0);
        assert_eq!(
            described(),
            serde_json::json!({"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"})
        );
        run(&db, Operation::UpdateTimeToLive, &ttl_update(false));
        assert_eq!(
            described(),
            serde_json::json!({"TimeToLiveStatus": "DISABLING", "AttributeName": "exp"})
        );
        age(&db, "tbl", 60.0);
        assert_eq!(
            described(),
            serde_json::json!({"TimeToLiveStatus": "DISABLED"})
        );
    }

    /// CreateTable's request for a table `name`, with a global index when
    /// `indexed`.
    fn create_request(name: &str, indexed: bool) -> String {
        let index = r#","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"g","AttributeType":"S"}],
            "GlobalSecondaryIndexes":[{"IndexName":"by_g","KeySchema":[{"AttributeName":"g","KeyType":"HASH"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}]"#;
        let plain = r#","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}]"#;
        format!(
            r#"{{"TableName":"{name}","BillingMode":"PAY_PER_REQUEST","KeySchema":[{{"AttributeName":"pk","KeyType":"HASH"}}]{}}}"#,
            if indexed { index } else { plain }
        )
    }

    #[test]
    fn tables_in_transition_have_dynamodb_s_quota() {
        use super::{MAX_INDEXED_TABLES_CREATING, MAX_TABLES_IN_TRANSITION};
        let db = open(Duration::from_secs(60));
        let refused = |operation, body: &str, message: &str| {
            let error = attempt(&db, operation, body).unwrap_err();
            assert_eq!(
                (error.kind, error.message.as_str()),
                (ErrorKind::LimitExceeded, message)
            );
        };
        let all_taken = "Subscriber limit exceeded: Only 500 tables can be created, updated, or deleted simultaneously";
        let class = |name: &str| {
            format!(r#"{{"TableName":"{name}","TableClass":"STANDARD_INFREQUENT_ACCESS"}}"#)
        };
        let table = |name: &str| format!(r#"{{"TableName":"{name}"}}"#);

        // Tables created with indexes have a quota of their own, within
        // the quota of all.
        for n in 0..MAX_INDEXED_TABLES_CREATING {
            run(
                &db,
                Operation::CreateTable,
                &create_request(&format!("indexed{n}"), true),
            );
        }
        refused(
            Operation::CreateTable,
            &create_request("more", true),
            "Subscriber limit exceeded: You have exceeded the maximum number of indexed tables that can be created simultaneously",
        );
        for n in MAX_INDEXED_TABLES_CREATING..MAX_TABLES_IN_TRANSITION {
            create_table(&db, &format!("plain{n}"));
        }
        refused(
            Operation::CreateTable,
            &create_request("more", false),
            all_taken,
        );

        // A table that went ACTIVE makes room for one more change; with
        // that taken, no ACTIVE table can change.
        age(&db, "plain300", 60.0);
        create_table(&db, "more");
        refused(Operation::UpdateTable, &class("plain300"), all_taken);
        refused(
            Operation::UpdateTimeToLive,
            &ttl_update(true).replace("tbl", "plain300"),
            all_taken,
        );
        refused(Operation::DeleteTable, &table("plain300"), all_taken);
        // A DELETING table takes its room too.
        age(&db, "more", 60.0);
        run(&db, Operation::DeleteTable, &table("plain300"));
        refused(Operation::DeleteTable, &table("more"), all_taken);
        // A table in transition already needs no more room: one whose Time
        // to Live is changing can still be updated.
        age(&db, "indexed0", 60.0);
        run(
            &db,
            Operation::UpdateTimeToLive,
            &ttl_update(true).replace("tbl", "more"),
        );
        run(&db, Operation::UpdateTable, &class("more"));
        refused(Operation::DeleteTable, &table("indexed0"), all_taken);
        refused(
            Operation::CreateTable,
            &create_request("last", false),
            all_taken,
        );
        // So does a restore, which a DELETING table's name refuses first.
        let backup = run(
            &db,
            Operation::CreateBackup,
            r#"{"TableName":"more","BackupName":"backup"}"#,
        )["BackupDetails"]["BackupArn"]
            .clone();
        let restore = |target: &str| {
            serde_json::json!({"TargetTableName": target, "BackupArn": backup}).to_string()
        };
        refused(
            Operation::RestoreTableFromBackup,
            &restore("restored"),
            all_taken,
        );
        let error =
            attempt(&db, Operation::RestoreTableFromBackup, &restore("plain300")).unwrap_err();
        assert_eq!(
            (error.kind, error.message.as_str()),
            (
                ErrorKind::TableAlreadyExists,
                "Table already exists: plain300"
            )
        );
    }

    #[test]
    fn without_a_delay_every_change_is_immediate() {
        let db = open(Duration::ZERO);
        create_table(&db, "tbl");
        assert_eq!(status(&db, "tbl"), "ACTIVE");
        run(&db, Operation::PutItem, PUT);
        run(
            &db,
            Operation::UpdateTable,
            r#"{"TableName":"tbl","TableClass":"STANDARD_INFREQUENT_ACCESS"}"#,
        );
        assert_eq!(status(&db, "tbl"), "ACTIVE");
        run(&db, Operation::UpdateTimeToLive, &ttl_update(true));
        run(&db, Operation::UpdateTimeToLive, &ttl_update(false));
        run(&db, Operation::DeleteTable, TABLE);
        assert!(attempt(&db, Operation::DescribeTable, TABLE).is_err());
        create_table(&db, "tbl");
    }
}
