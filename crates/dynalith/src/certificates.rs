//! Reloading the TLS certificate: when its files change, and on SIGHUP.

use dynalith_server::tls::ServerCertificate;
use std::sync::Arc;
use std::time::Duration;

/// Reads the certificate and key again, logging the outcome. Reading two
/// small files is quick enough for a runtime thread.
fn reload_certificate(files: &ServerCertificate) {
    let certificate = files.certificate_file().display();
    match files.reload() {
        Ok(()) => tracing::info!(%certificate, "TLS certificate reloaded"),
        Err(e) => {
            tracing::error!("TLS certificate not reloaded, still serving the previous one: {e}")
        }
    }
}

/// Reloads the certificate whenever either file's modification time
/// changes, looking every `interval`. A rotation caught between its two
/// files fails (and is logged); the second file's change brings the next
/// try.
pub(crate) fn reload_certificate_when_changed(files: Arc<ServerCertificate>, interval: Duration) {
    tokio::spawn(async move {
        let mut seen = files.modified();
        loop {
            tokio::time::sleep(interval).await;
            let now = files.modified();
            if now != seen {
                seen = now;
                reload_certificate(&files);
            }
        }
    });
}

/// SIGHUP reads the TLS certificate and key files again (rotation without
/// a restart, as nginx and HAProxy do it). A server without TLS keeps the
/// default action, so closing the terminal it runs in still stops it.
pub(crate) fn reload_certificate_on_sighup(files: Arc<ServerCertificate>) -> Result<(), String> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hangups =
        signal(SignalKind::hangup()).map_err(|e| format!("cannot handle SIGHUP: {e}"))?;
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            reload_certificate(&files);
        }
    });
    Ok(())
}
