//! HTTPS: the listener's TLS, from a PEM certificate chain and key.
//!
//! DynamoDB's endpoints are HTTPS, and a server reached over a network
//! (CI runners, a shared development box, production) must not carry
//! signed requests and items in the clear. TLS 1.2 and 1.3 with rustls'
//! safe defaults; ALPN offers HTTP/1.1 only, the protocol DynamoDB's JSON
//! API is served on, so a client that would prefer HTTP/2 falls back to it.

use parking_lot::RwLock;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::ServerConfig;
pub use tokio_rustls::{TlsAcceptor, TlsConnector};

/// The listener's certificate chain and key, read from their PEM files at
/// start-up and again on `reload` (the server calls it on SIGHUP):
/// certificates are rotated (ACME, cert-manager, a private CA's short-lived
/// ones) and a restart would drop every connection. Each handshake takes
/// the pair current when it starts; connections already up keep theirs.
#[derive(Debug)]
pub struct ServerCertificate {
    certificate_file: PathBuf,
    key_file: PathBuf,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
}

impl ServerCertificate {
    /// Reads the files again. On any error the pair in use stays, so a
    /// rotation caught half-written (the new certificate beside the old
    /// key) costs nothing: the next SIGHUP, once both are in place, takes
    /// them.
    pub fn reload(&self) -> Result<(), String> {
        let pair = certified_key(&self.certificate_file, &self.key_file, &self.provider)?;
        *self.current.write() = Arc::new(pair);
        Ok(())
    }

    /// The certificate file, for log lines.
    pub fn certificate_file(&self) -> &Path {
        &self.certificate_file
    }

    /// When the two files were last modified (after following symlinks, as
    /// Kubernetes swaps a secret volume's files), None for one that cannot
    /// be read: a change means a rotation to take.
    pub fn modified(&self) -> [Option<std::time::SystemTime>; 2] {
        [&self.certificate_file, &self.key_file]
            .map(|file| std::fs::metadata(file).and_then(|m| m.modified()).ok())
    }
}

impl ResolvesServerCert for ServerCertificate {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().clone())
    }
}

/// An acceptor serving `certificate_file` (the server's certificate first,
/// then any intermediates) with the private key in `key_file` (PKCS#8,
/// PKCS#1 or SEC1), and the handle that reloads them. Errors name the file
/// and what is wrong with it.
pub fn acceptor(
    certificate_file: &Path,
    key_file: &Path,
) -> Result<(TlsAcceptor, Arc<ServerCertificate>), String> {
    // The provider is named rather than taken from the process default:
    // a build that links two (as the test builds do, through the SDK) has
    // no default.
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let pair = certified_key(certificate_file, key_file, &provider)?;
    let certificate = Arc::new(ServerCertificate {
        certificate_file: certificate_file.to_path_buf(),
        key_file: key_file.to_path_buf(),
        provider: provider.clone(),
        current: RwLock::new(Arc::new(pair)),
    });
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS configuration: {e}"))?
        .with_no_client_auth()
        .with_cert_resolver(certificate.clone());
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((TlsAcceptor::from(Arc::new(config)), certificate))
}

/// The chain and key in the two files, checked to belong together.
fn certified_key(
    certificate_file: &Path,
    key_file: &Path,
    provider: &CryptoProvider,
) -> Result<CertifiedKey, String> {
    let chain = certificates(certificate_file, "TLS certificates")?;
    if chain.is_empty() {
        return Err(format!(
            "no certificate (PEM \"BEGIN CERTIFICATE\") in {}",
            certificate_file.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key_file).map_err(|e| {
        format!(
            "cannot read a TLS private key from {}: {e}",
            key_file.display()
        )
    })?;
    let mismatch = |e| {
        format!(
            "TLS certificate {} and key {} cannot be used together: {e}",
            certificate_file.display(),
            key_file.display()
        )
    };
    CertifiedKey::from_der(chain, key, provider).map_err(mismatch)
}

/// A client connector for outgoing HTTPS (stream triggers): the system's
/// roots, plus the CA certificates in `extra_ca_file` (a private CA, or a
/// test's self-signed receiver).
pub fn connector(extra_ca_file: Option<&Path>) -> Result<tokio_rustls::TlsConnector, String> {
    let mut roots = tokio_rustls::rustls::RootCertStore::empty();
    // A store that cannot be read (a minimal container) leaves only the
    // extra CAs; none at all is an error below.
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(file) = extra_ca_file {
        let (added, _) = roots.add_parsable_certificates(certificates(file, "CA certificates")?);
        if added == 0 {
            return Err(format!("no usable CA certificate in {}", file.display()));
        }
    }
    if roots.is_empty() {
        return Err(
            "no CA certificates in the system's store to verify https:// URLs with; \
             name one with --stream-trigger-ca-file"
                .to_string(),
        );
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = tokio_rustls::rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS configuration: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// The PEM certificates in `file`; errors say it held `what`.
fn certificates(file: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    CertificateDer::pem_file_iter(file)
        .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read {what} from {}: {e}", file.display()))
}
