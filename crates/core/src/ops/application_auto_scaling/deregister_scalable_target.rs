//! DeregisterScalableTarget: stops a capacity scaling; its policy goes
//! with it, and the capacity stays where it is.

use super::{change_target, unsupported, TargetName};
use crate::validate::Violations;
use crate::{Database, RequestContext};
use dynalith_model::{wire::parse_input, DynamoError};
use serde_json::Map;

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: TargetName = parse_input(body)?;
    let mut v = Violations::new();
    input.check(&mut v, true);
    v.finish()?;
    if !input.in_dynamodb() {
        return Err(input.not_registered());
    }
    let capacity = input.capacity().ok_or_else(unsupported)?;
    change_target(
        db,
        context,
        &capacity,
        || input.not_registered(),
        |_, slot| match slot.take() {
            Some(_) => Ok(((), None)),
            None => Err(input.not_registered()),
        },
    )?;
    crate::ops::respond(Map::new())
}
