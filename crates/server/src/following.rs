//! Several servers on one PostgreSQL schema (`--shared-schema`). One of
//! them leads: it holds the schema's lock (`PgEngine::follows` is false),
//! runs every write and all background work (TTL, stream retention,
//! triggers, Kinesis delivery, backfills), and has written where it can be
//! reached under `keys::leader_address`. The others follow: they answer
//! the reads `Operation::served_by_followers` names from the database
//! themselves, and send every other request to the leader as they received
//! it (headers, signature and body untouched), answering with the leader's
//! response. When the leader stops, the first follower to take the lock
//! opens the full database, announces itself and leads.
//!
//! One writer keeps every guarantee a single server gives (the order of
//! stream records, request tokens, read caches kept current by the writes
//! they see) while reads, most of a DynamoDB workload, spread over every
//! server.

use crate::database_calls;
use crate::outgoing::{self, Failure};
use crate::response::{self, HttpResponse};
use crate::CurrentDatabase;
use bytes::Bytes;
use dynalith_core::{keys, Database, Operation};
use dynalith_model::DynamoError;
use http_body_util::Full;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response, Uri};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_rustls::TlsConnector;

/// Marks a request a follower sent on: a server that receives one while
/// following too does not send it further (no loops while the leader's
/// address is being replaced).
const FORWARDED: HeaderName = HeaderName::from_static("x-dynalith-forwarded");
/// On the 503 of a follower that was sent a request as if it led: the
/// sender's idea of the leader is out of date, and nothing ran.
const NOT_LEADER: HeaderName = HeaderName::from_static("x-dynalith-not-leader");
/// How long a forwarded request may take: as long as the leader takes to
/// run it, a transaction waiting on locks included.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(60);
/// How often a follower looks for catalog changes and for the leader's
/// lock coming free.
const CHECK_EVERY: Duration = Duration::from_millis(100);
/// Hop-by-hop headers, which describe one connection, not the message.
const HOP_BY_HOP: [&str; 5] = [
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "upgrade",
];

pub struct Following {
    leads: AtomicBool,
    /// Reads go to the leader too (`--enforce-throughput`): one server's
    /// buckets then meter every request, as DynamoDB meters a table's
    /// capacity wherever the request arrives.
    forwards_reads: bool,
    /// The leader's URL as last read from storage.
    leader: Mutex<Option<Uri>>,
    /// For an https:// leader.
    tls: Option<TlsConnector>,
    connections: outgoing::KeptAlive,
    counts: ForwardCounts,
}

/// What became of the requests this server passed on, for `/metrics`.
#[derive(Default)]
struct ForwardCounts {
    /// The leader's response passed back.
    answered: AtomicU64,
    /// Sent, but no response came: answered 500, as they may have run.
    unanswered: AtomicU64,
    /// No leader reachable: answered 503, as nothing ran.
    unavailable: AtomicU64,
    /// Sent here by a server that took this one for the leader.
    refused: AtomicU64,
}

impl Following {
    pub fn new(leads: bool, forwards_reads: bool, tls: Option<TlsConnector>) -> Following {
        Following {
            leads: AtomicBool::new(leads),
            forwards_reads,
            leader: Mutex::new(None),
            tls,
            connections: outgoing::KeptAlive::default(),
            counts: ForwardCounts::default(),
        }
    }

    pub fn leads(&self) -> bool {
        self.leads.load(Ordering::Acquire)
    }

    /// Whether this server sends `operation` (with its decoded `body`) to
    /// the leader rather than run it.
    pub fn passes_on(&self, operation: Operation, body: &[u8]) -> bool {
        !self.leads() && (self.forwards_reads || !operation.served_by_followers(body))
    }

    /// Requests passed on so far by what became of them (`answered`,
    /// `unanswered`, `unavailable`, `refused`), for `/metrics`.
    pub fn forwarded(&self) -> [(&'static str, u64); 4] {
        let c = &self.counts;
        [
            ("answered", &c.answered),
            ("unanswered", &c.unanswered),
            ("unavailable", &c.unavailable),
            ("refused", &c.refused),
        ]
        .map(|(outcome, count)| (outcome, count.load(Ordering::Relaxed)))
    }

    fn count(&self, outcome: &AtomicU64) {
        outcome.fetch_add(1, Ordering::Relaxed);
    }

    /// Sends a request this follower does not answer itself to the leader
    /// and returns the leader's response.
    pub(crate) async fn forward(
        &self,
        database: &Arc<Database>,
        operation: Operation,
        parts: &hyper::http::request::Parts,
        raw_body: Bytes,
        request_id: &str,
    ) -> HttpResponse {
        if parts.headers.contains_key(&FORWARDED) {
            tracing::debug!("a request forwarded to this server, which follows another too");
            self.count(&self.counts.refused);
            let mut refused = response::unavailable(request_id);
            refused
                .headers_mut()
                .insert(NOT_LEADER, HeaderValue::from_static("1"));
            return refused;
        }
        let mut known = self.leader.lock().clone();
        for _ in 0..2 {
            let leader = match known.take() {
                Some(leader) => leader,
                None => match self.read_leader(database).await {
                    Some(leader) => leader,
                    None => break,
                },
            };
            let make = || copy(parts, &raw_body);
            match self
                .connections
                .send(&leader, self.tls.as_ref(), make, FORWARD_TIMEOUT)
                .await
            {
                // A server that followed when it was announced, or
                // restarted at a leader's address: ask storage again.
                Ok(answer) if answer.headers.contains_key(&NOT_LEADER) => {
                    tracing::debug!(%leader, "the server taken for the leader follows");
                    *self.leader.lock() = None;
                }
                Ok(answer) => {
                    // Reads sent here next see what this request changed
                    // in the catalog (a table just created, say).
                    if !leaves_catalog(operation) {
                        let _ = database_calls::run(database, |db| db.refresh_catalog()).await;
                    }
                    self.count(&self.counts.answered);
                    return pass_on(answer);
                }
                // Never sent: safe to send again, to the address storage
                // has now (a new leader may have announced itself).
                Err(Failure::NotSent(e)) => {
                    tracing::warn!(%leader, error = %e, "cannot reach the leading server");
                    *self.leader.lock() = None;
                }
                // Sent, perhaps run: sending it again could run it twice.
                Err(Failure::MaybeSent(e)) => {
                    tracing::warn!(%leader, error = %e, "forwarded request failed");
                    *self.leader.lock() = None;
                    self.count(&self.counts.unanswered);
                    let error = DynamoError::internal(
                        "The server this request was forwarded to did not answer",
                    );
                    return response::error(&error, request_id);
                }
            }
        }
        self.count(&self.counts.unavailable);
        response::unavailable(request_id)
    }

    /// The leader's URL from storage, remembered for the next requests.
    async fn read_leader(&self, database: &Arc<Database>) -> Option<Uri> {
        let value = database_calls::run(database, |db| db.engine().get(&keys::leader_address()))
            .await?
            .map_err(|e| tracing::warn!(error = %e, "cannot read the leading server's address"))
            .ok()??;
        let leader: Uri = String::from_utf8(value).ok()?.parse().ok()?;
        *self.leader.lock() = Some(leader.clone());
        Some(leader)
    }
}

/// Records where this server can be reached, as the leader.
pub fn announce(database: &Database, url: &str) -> Result<(), String> {
    let mut txn = database.engine().begin();
    txn.put(&keys::leader_address(), url.as_bytes())
        .and_then(|()| txn.commit())
        .map_err(|e| format!("cannot record this server's address: {e}"))
}

/// While this server follows: reads the catalog again whenever the leader
/// changed it, and once the leader's lock comes free and `follows` says
/// so, opens the full database with `lead` and serves it from then on.
pub async fn follow<L>(
    following: Arc<Following>,
    current: CurrentDatabase,
    follows: impl Fn() -> bool,
    lead: L,
) where
    L: FnOnce() -> Result<Arc<Database>, String> + Send + 'static,
{
    loop {
        tokio::time::sleep(CHECK_EVERY).await;
        let Some(database) = current.load_full() else {
            continue;
        };
        if follows() {
            if let Some(Err(e)) = database_calls::run(&database, |db| db.refresh_catalog()).await {
                tracing::debug!(error = %e.message, "cannot read the catalog");
            }
            continue;
        }
        match tokio::task::spawn_blocking(lead).await {
            Ok(Ok(full)) => {
                current.store(Some(full));
                following.leads.store(true, Ordering::Release);
                tracing::info!("this server now leads");
            }
            Ok(Err(e)) => {
                // It holds the lock, so no other server can lead while it
                // lives: stop, and let whatever restarts it try again.
                tracing::error!("cannot take over as the leading server: {e}");
                std::process::exit(1);
            }
            Err(_) => {
                tracing::error!("taking over as the leading server panicked");
                std::process::exit(1);
            }
        }
        return;
    }
}

/// Stops this server once another took the schema from it (while its
/// connection to PostgreSQL was down: see `PgEngine::lost_schema`). From
/// then on it could only fail every request; whatever restarts it starts a
/// follower of the server that leads now.
pub async fn stop_when_superseded(lost: impl Fn() -> Option<String>) {
    loop {
        tokio::time::sleep(CHECK_EVERY).await;
        if let Some(why) = lost() {
            tracing::error!("{why}");
            std::process::exit(1);
        }
    }
}

/// Reads and data-plane writes, which leave the catalog as it is: a
/// follower need not read it again after passing one on (which costs a
/// round trip to PostgreSQL).
fn leaves_catalog(operation: Operation) -> bool {
    operation.reads_only()
        || matches!(
            operation,
            Operation::PutItem
                | Operation::UpdateItem
                | Operation::DeleteItem
                | Operation::BatchWriteItem
                | Operation::TransactWriteItems
                | Operation::ExecuteStatement
                | Operation::BatchExecuteStatement
                | Operation::ExecuteTransaction
                | Operation::ListStreams
                | Operation::DescribeStream
                | Operation::GetShardIterator
                | Operation::GetRecords
        )
}

fn copy(parts: &hyper::http::request::Parts, body: &Bytes) -> Request<Full<Bytes>> {
    let mut request = Request::new(Full::new(body.clone()));
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = Uri::from_static("/");
    let headers = request.headers_mut();
    for (name, value) in &parts.headers {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            headers.append(name, value.clone());
        }
    }
    headers.insert(FORWARDED, HeaderValue::from_static("1"));
    request
}

fn pass_on(answer: outgoing::Answer) -> HttpResponse {
    let mut response = Response::new(Full::new(answer.body));
    *response.status_mut() = answer.status;
    let headers = response.headers_mut();
    for (name, value) in &answer.headers {
        if !HOP_BY_HOP.contains(&name.as_str()) {
            headers.append(name, value.clone());
        }
    }
    response
}
