//! DescribeEndpoints, which SDKs with endpoint discovery on (the Java SDKs'
//! `endpointDiscoveryEnabled`, Go v1's `EnableEndpointDiscovery`) call
//! before anything else. DynamoDB names its regional endpoint; a server of
//! our own is reached where the client reached it, so the answer is the
//! authority the request was sent to. DynamoDB Local does not have it.

use crate::RequestContext;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::{json, Map};

/// How long a client may keep using the address: DynamoDB's answer.
const CACHE_PERIOD_MINUTES: i64 = 1440;

/// DescribeEndpoints has no members; the body must still be a JSON object.
#[derive(Deserialize)]
struct DescribeEndpointsInput {}

pub fn execute(body: &[u8], context: &RequestContext) -> Result<Vec<u8>, DynamoError> {
    let _: DescribeEndpointsInput = parse_input(body)?;
    // The server always knows the address; only an embedded database
    // called directly may not, and is then DynamoDB Local's default.
    let address = context.host.as_deref().unwrap_or("localhost:8000");
    let mut response = Map::new();
    response.insert(
        "Endpoints".into(),
        json!([{ "Address": address, "CachePeriodInMinutes": CACHE_PERIOD_MINUTES }]),
    );
    super::respond(response)
}
