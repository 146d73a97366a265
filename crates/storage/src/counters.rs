//! The value format of counters: i64s, little-endian, concatenated.

pub fn encode_counters(values: &[i64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

pub fn decode_counters(bytes: &[u8]) -> Vec<i64> {
    bytes
        .chunks_exact(8)
        .map(|chunk| {
            let mut raw = [0u8; 8];
            raw.copy_from_slice(chunk);
            i64::from_le_bytes(raw)
        })
        .collect()
}

/// Element-wise sum; the shorter operand counts as zeros.
pub(crate) fn add_into(total: &mut Vec<i64>, delta: &[i64]) {
    if total.len() < delta.len() {
        total.resize(delta.len(), 0);
    }
    for (t, d) in total.iter_mut().zip(delta) {
        *t = t.wrapping_add(*d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_sum() {
        let mut total = decode_counters(&encode_counters(&[1, -2]));
        add_into(&mut total, &[3, 4, 5]);
        assert_eq!(total, vec![4, 2, 5]);
    }
}
