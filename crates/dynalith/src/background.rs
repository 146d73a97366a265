//! The work only the leading server does: stream triggers and Kinesis
//! delivery.

use dynalith_core::Database;
use dynalith_server::deliveries::Deliveries;
use dynalith_server::kinesis::KinesisEndpoint;
use dynalith_server::triggers::Trigger;
use std::sync::Arc;
use tokio::task::JoinSet;

/// Work only the leading server does, started when it leads.
pub(crate) struct Background {
    pub(crate) triggers: Vec<Trigger>,
    pub(crate) outgoing_tls: Option<dynalith_server::tls::TlsConnector>,
    pub(crate) kinesis_endpoint: Option<KinesisEndpoint>,
    pub(crate) deliveries: Arc<Deliveries>,
}

impl Background {
    /// Starts stream triggers and Kinesis delivery (inside the runtime);
    /// they stop when the tasks are dropped.
    pub(crate) fn start(&self, database: &Arc<Database>) -> JoinSet<()> {
        let mut tasks = JoinSet::new();
        dynalith_server::kinesis::spawn(
            &mut tasks,
            database.clone(),
            self.kinesis_endpoint.clone(),
            self.deliveries.clone(),
        );
        dynalith_server::triggers::spawn(
            &mut tasks,
            database.clone(),
            self.triggers.clone(),
            self.outgoing_tls.clone(),
            self.deliveries.clone(),
        );
        tasks
    }
}
