//! The stored form of an item: its DynamoDB size (4 bytes, little-endian)
//! followed by its canonical wire JSON.
//!
//! Keeping the wire JSON lets GetItem (and later Query and Scan) copy the
//! bytes straight into a response without re-encoding; keeping the size
//! lets capacity accounting skip parsing.

use dynalith_model::{size::item_size, DynamoError, Item};

pub fn encode(item: &Item) -> Result<(Vec<u8>, usize), DynamoError> {
    let size = item_size(item);
    let mut out = Vec::with_capacity(64 + size * 2);
    out.extend_from_slice(&(size as u32).to_le_bytes());
    serde_json::to_writer(&mut out, item)
        .map_err(|e| DynamoError::internal(format!("item encoding failed: {e}")))?;
    Ok((out, size))
}

fn split(bytes: &[u8]) -> Result<(usize, &[u8]), DynamoError> {
    match bytes.split_first_chunk::<4>() {
        Some((size, json)) => Ok((u32::from_le_bytes(*size) as usize, json)),
        None => Err(DynamoError::internal("corrupt stored item: too short")),
    }
}

pub fn size(bytes: &[u8]) -> Result<usize, DynamoError> {
    split(bytes).map(|(size, _)| size)
}

/// The item's wire JSON, ready to embed in a response.
pub fn json(bytes: &[u8]) -> Result<&[u8], DynamoError> {
    split(bytes).map(|(_, json)| json)
}

/// The item's attributes, each still its JSON text: a read that needs a
/// few attributes of many items (a vector search) parses only those, not
/// every number of every item.
pub fn raw_attributes(
    bytes: &[u8],
) -> Result<std::collections::HashMap<String, &serde_json::value::RawValue>, DynamoError> {
    let (_, json) = split(bytes)?;
    serde_json::from_slice(json)
        .map_err(|e| DynamoError::internal(format!("corrupt stored item: {e}")))
}

pub fn decode(bytes: &[u8]) -> Result<Item, DynamoError> {
    let (_, json) = split(bytes)?;
    serde_json::from_slice(json)
        .map_err(|e| DynamoError::internal(format!("corrupt stored item: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let item: Item = serde_json::from_str(r#"{"pk":{"S":"a"},"n":{"N":"1.5"}}"#).unwrap();
        let (bytes, size) = encode(&item).unwrap();
        assert_eq!(size, item_size(&item));
        assert_eq!(self::size(&bytes).unwrap(), size);
        assert_eq!(decode(&bytes).unwrap(), item);
        assert_eq!(json(&bytes).unwrap(), serde_json::to_vec(&item).unwrap());
        assert!(decode(b"ab").is_err());
    }
}
