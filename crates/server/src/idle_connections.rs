//! Closes connections that make no request for a while: a client that opens
//! connections and sends nothing, or a header a byte at a time, would
//! otherwise hold a file descriptor each for ever, and a keep-alive
//! connection its client forgot about would too.
//!
//! hyper's own header-read timeout arms a timer for every request, which
//! cost GetItem 8% and Query 10% in alternating rounds (`bench/lib/ab.py`,
//! 2026-12-05). Here each connection has one watchdog timer for its whole
//! life: requests only bump a counter, and the watchdog, waking once a
//! period, closes the connection when no request began or ended during the
//! whole period and none is being served. A connection is so closed after
//! between one and two periods without a request.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What a connection's requests tell its watchdog.
#[derive(Default)]
pub struct Activity {
    /// Requests begun and ended, so that the watchdog sees any.
    events: AtomicU64,
    /// Requests being served: a slow operation is not idleness.
    in_flight: AtomicU32,
}

impl Activity {
    /// Marks a request begun until the guard drops.
    pub fn request(self: &Arc<Self>) -> RequestGuard {
        self.events.fetch_add(1, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        RequestGuard(self.clone())
    }

    /// Resolves once the connection has been idle for a whole `period`.
    pub async fn idle_for(&self, period: Duration) {
        let mut seen = self.events.load(Ordering::Relaxed);
        loop {
            tokio::time::sleep(period).await;
            let now = self.events.load(Ordering::Relaxed);
            if now == seen && self.in_flight.load(Ordering::Relaxed) == 0 {
                return;
            }
            seen = now;
        }
    }
}

/// A request in progress on a connection (`Activity::request`).
pub struct RequestGuard(Arc<Activity>);

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.events.fetch_add(1, Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_connection_is_idle_after_a_whole_period_without_requests() {
        let activity = Arc::new(Activity::default());
        let period = Duration::from_secs(60);
        let started = tokio::time::Instant::now();
        activity.idle_for(period).await;
        assert_eq!(started.elapsed(), period);

        // A request in the first period puts idleness off by one.
        let started = tokio::time::Instant::now();
        let watched = activity.clone();
        let watchdog = tokio::spawn(async move { watched.idle_for(period).await });
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(activity.request());
        watchdog.await.unwrap();
        assert_eq!(started.elapsed(), 2 * period);

        // A request being served is not idleness, however long it takes.
        let started = tokio::time::Instant::now();
        let serving = activity.request();
        let watched = activity.clone();
        let watchdog = tokio::spawn(async move { watched.idle_for(period).await });
        tokio::time::sleep(5 * period + Duration::from_secs(1)).await;
        assert!(!watchdog.is_finished());
        drop(serving);
        watchdog.await.unwrap();
        assert_eq!(started.elapsed(), 7 * period);
    }
}
