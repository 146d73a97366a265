//! Why an engine stopped making writes durable, as `Engine::failure`
//! reports it: the server reopens the storage and counts the reopen by
//! cause, so an operator can tell a log that could not be written from a
//! flush or compaction that could not write its file.

use std::fmt;

/// What failed; the label of `dynalith_storage_reopens_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureCause {
    /// The write-ahead log could not be written or synced.
    LogSync,
    /// The engine refused a write with an I/O error of its own: RocksDB does
    /// so from the moment a flush or compaction could not write its file.
    Write,
}

impl FailureCause {
    pub const ALL: [FailureCause; 2] = [FailureCause::LogSync, FailureCause::Write];

    pub fn label(self) -> &'static str {
        match self {
            FailureCause::LogSync => "log_sync",
            FailureCause::Write => "write",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageFailure {
    pub cause: FailureCause,
    /// The engine's own words (the file, the system error).
    pub why: String,
}

impl fmt::Display for StorageFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cause {
            FailureCause::LogSync => write!(f, "the write-ahead log could not be synced: "),
            FailureCause::Write => write!(f, "a write failed: "),
        }?;
        f.write_str(&self.why)
    }
}
