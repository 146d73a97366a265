//! HTTPS: the listener's TLS, from a PEM certificate chain and key.
//!
//! DynamoDB's endpoints are HTTPS, and a server reached over a network
//! (CI runners, a shared development box, production) must not carry
//! signed requests and items in the clear. TLS 1.2 and 1.3 with rustls'
//! safe defaults; ALPN offers HTTP/1.1 only, the protocol DynamoDB's JSON
//! API is served on, so a client that would prefer HTTP/2 falls back to it.

use std::path::Path;
use std::sync::Arc;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::ServerConfig;
pub use tokio_rustls::TlsAcceptor;

/// An acceptor serving `certificate_file` (the server's certificate first,
/// then any intermediates) with the private key in `key_file` (PKCS#8,
/// PKCS#1 or SEC1). Errors name the file and what is wrong with it.
pub fn acceptor(certificate_file: &Path, key_file: &Path) -> Result<TlsAcceptor, String> {
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
    // The provider is named rather than taken from the process default:
    // a build that links two (as the test builds do, through the SDK) has
    // no default.
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS configuration: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| {
            format!(
                "TLS certificate {} and key {} cannot be used together: {e}",
                certificate_file.display(),
                key_file.display()
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
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
