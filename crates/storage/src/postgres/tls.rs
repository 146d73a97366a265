//! TLS to PostgreSQL. Managed and distributed PostgreSQL-protocol databases
//! (Amazon RDS with `rds.force_ssl`, Aurora, CockroachDB, YugabyteDB, Neon)
//! refuse or should refuse connections in the clear.
//!
//! `sslmode=require` in the URL turns TLS on, and then the server's
//! certificate is verified (chain and host name, as libpq's `verify-full`)
//! against the system's roots, or against the CA certificates of
//! `--postgres-ca-file` (libpq's `sslrootcert`, which the URL parser here
//! does not take) for a private CA such as RDS's. Without it connections
//! are plain, as they were: libpq's default `prefer` would try TLS and
//! accept any certificate, which protects nothing against an active
//! attacker, so it is not imitated.

use super::connection::describe;
use crate::{Result, StorageError};
use postgres::config::SslMode;
use postgres::{Client, Config, NoTls};
use std::path::Path;
use std::sync::Arc;
use tokio_postgres_rustls::MakeRustlsConnect;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// How connections to PostgreSQL are made.
#[derive(Clone)]
pub(super) enum Connections {
    Plain,
    Tls(MakeRustlsConnect),
}

impl Connections {
    /// TLS when `config` asks for `sslmode=require`, trusting `ca_file`'s
    /// certificates when given, the system's roots otherwise.
    pub(super) fn for_config(config: &Config, ca_file: Option<&Path>) -> Result<Connections> {
        if config.get_ssl_mode() != SslMode::Require {
            if let Some(file) = ca_file {
                return Err(StorageError::Engine(format!(
                    "a CA file for PostgreSQL ({}) needs sslmode=require in the URL",
                    file.display()
                )));
            }
            return Ok(Connections::Plain);
        }
        let roots = match ca_file {
            Some(file) => ca_roots(file)?,
            None => system_roots()?,
        };
        // The provider is named rather than taken from the process default
        // (none is installed, and test builds link two).
        let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| StorageError::Engine(format!("TLS configuration: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Connections::Tls(MakeRustlsConnect::new(config)))
    }

    /// Opens a connection as `config` describes.
    pub(super) fn connect(&self, config: &Config) -> std::result::Result<Client, postgres::Error> {
        match self {
            Connections::Plain => config.connect(NoTls),
            Connections::Tls(tls) => config.connect(tls.clone()),
        }
    }

    /// Opens a connection, its error in a message for the operator.
    pub(super) fn open(&self, config: &Config) -> Result<Client> {
        self.connect(config).map_err(|e| {
            StorageError::Engine(format!("cannot connect to PostgreSQL: {}", describe(&e)))
        })
    }
}

fn ca_roots(file: &Path) -> Result<RootCertStore> {
    let certificates = CertificateDer::pem_file_iter(file)
        .and_then(|certificates| certificates.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| {
            StorageError::Engine(format!(
                "cannot read CA certificates from {}: {e}",
                file.display()
            ))
        })?;
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(certificates);
    if added == 0 {
        return Err(StorageError::Engine(format!(
            "no usable CA certificate in {}",
            file.display()
        )));
    }
    Ok(roots)
}

fn system_roots() -> Result<RootCertStore> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        return Err(StorageError::Engine(format!(
            "sslmode=require: no CA certificates found in the system's store ({:?}); \
             name the server's CA with --postgres-ca-file",
            found.errors
        )));
    }
    Ok(roots)
}
