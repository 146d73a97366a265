//! The connections this server makes: to stream triggers' functions, to a
//! Kinesis and an S3 endpoint, and to a shared schema's leader.

use crate::args::ServeArgs;
use dynalith_server::kinesis::KinesisEndpoint;
use dynalith_server::s3::S3Endpoint;
use dynalith_server::sigv4::SigningCredentials;
use dynalith_server::tls::TlsConnector;
use dynalith_server::triggers::Trigger;
use std::sync::Arc;

pub(crate) struct Outgoing {
    pub(crate) triggers: Vec<Trigger>,
    pub(crate) kinesis_endpoint: Option<KinesisEndpoint>,
    pub(crate) s3_remote: Option<Arc<dyn dynalith_core::s3::RemoteS3>>,
    /// Whether a follower reaches its leader over HTTPS.
    pub(crate) https_leader: bool,
    /// The TLS client configuration, when any of them is HTTPS.
    pub(crate) tls: Option<TlsConnector>,
}

/// Reads the flags that name them; `serving_tls` when this server serves
/// HTTPS (so a shared schema's leader does too).
pub(crate) fn outgoing(args: &ServeArgs, serving_tls: bool) -> Result<Outgoing, String> {
    let triggers = args
        .stream_triggers
        .iter()
        .map(|t| Trigger::parse(t, usize::from(args.stream_trigger_batch_size)))
        .collect::<Result<Vec<_>, _>>()?;
    let kinesis_url = args
        .kinesis_endpoint
        .as_deref()
        .map(KinesisEndpoint::parse_url)
        .transpose()?;
    let s3_url = args
        .s3_endpoint
        .as_deref()
        .map(S3Endpoint::parse_url)
        .transpose()?;
    // System roots are read only when some trigger or the Kinesis or S3
    // endpoint needs them.
    let endpoints_https = [&kinesis_url, &s3_url]
        .into_iter()
        .flatten()
        .any(|url| url.scheme_str() == Some("https"));
    // Servers sharing a schema over HTTPS reach their leader over it too.
    let https_leader = args.shared_schema && serving_tls;
    let outgoing_tls = if triggers.iter().any(Trigger::is_https) || endpoints_https || https_leader
    {
        Some(dynalith_server::tls::connector(
            args.stream_trigger_ca_file.as_deref(),
        )?)
    } else {
        None
    };
    let kinesis_endpoint = match kinesis_url {
        Some(url) => Some(KinesisEndpoint {
            url,
            credentials: signing_credentials(args.kinesis_credentials.as_deref())?,
            tls: outgoing_tls.clone(),
        }),
        None => None,
    };
    let s3_remote = match s3_url {
        Some(url) => Some(Arc::new(S3Endpoint {
            url,
            credentials: signing_credentials(args.s3_credentials.as_deref())?,
            region: args.s3_region.clone(),
            tls: outgoing_tls.clone(),
        }) as Arc<dyn dynalith_core::s3::RemoteS3>),
        None => None,
    };
    Ok(Outgoing {
        triggers,
        kinesis_endpoint,
        s3_remote,
        https_leader,
        tls: outgoing_tls,
    })
}

/// The credentials of --kinesis-credentials or --s3-credentials, else of
/// the environment, else dummy ones.
fn signing_credentials(flag: Option<&str>) -> Result<SigningCredentials, String> {
    if let Some(pair) = flag {
        return SigningCredentials::parse(pair);
    }
    match (
        std::env::var("AWS_ACCESS_KEY_ID"),
        std::env::var("AWS_SECRET_ACCESS_KEY"),
    ) {
        (Ok(access_key), Ok(secret)) if !access_key.is_empty() && !secret.is_empty() => {
            Ok(SigningCredentials { access_key, secret })
        }
        _ => SigningCredentials::parse("dynalith:dynalith"),
    }
}
