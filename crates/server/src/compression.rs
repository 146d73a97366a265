//! Compressed responses. A client that sends `Accept-Encoding` naming gzip
//! or deflate gets a response of 4 KB or more compressed with the one it
//! prefers, as DynamoDB answers (the Go SDK asks for gzip by default, and
//! browsers always do). `x-amz-crc32` then covers the compressed bytes, the
//! ones on the wire, which is what the SDKs check.
//!
//! The choice follows RFC 9110's quality values as DynamoDB reads them: an
//! encoding's `q` is its first `q` parameter (above 1 counts as 1, one that
//! is no number as 1, a negative one as 0), a coding listed twice counts
//! with its best `q`, `*` stands for the codings not named, `identity` is
//! ignored, and malformed elements (quoted, containing spaces or a `:`) are
//! skipped. Among equal qualities a named coding beats one `*` stands for,
//! the first named beats the later, and gzip beats deflate.

use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;
use std::io::Write;

/// The smallest response DynamoDB compresses.
pub const THRESHOLD: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Gzip,
    Deflate,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Deflate => "deflate",
        }
    }

    /// `body` compressed; `None` if the encoder failed (the body then goes
    /// out as it is).
    pub fn compress(self, body: &[u8]) -> Option<Vec<u8>> {
        // Fast compression: the CPU is the request thread's, and the bytes
        // saved beyond it are few for JSON.
        let output = Vec::with_capacity(body.len() / 4);
        match self {
            Encoding::Gzip => {
                let mut encoder = GzEncoder::new(output, Compression::fast());
                encoder.write_all(body).ok()?;
                encoder.finish().ok()
            }
            Encoding::Deflate => {
                let mut encoder = ZlibEncoder::new(output, Compression::fast());
                encoder.write_all(body).ok()?;
                encoder.finish().ok()
            }
        }
    }
}

/// How a coding was offered: its quality and where it was named.
#[derive(Clone, Copy)]
struct Offer {
    quality: f64,
    /// Position in the header; `None` when only `*` offers it.
    named_at: Option<usize>,
}

/// The encoding to answer with, from an `Accept-Encoding` value.
pub fn negotiate(accept_encoding: &str) -> Option<Encoding> {
    let mut gzip: Option<(f64, usize)> = None;
    let mut deflate: Option<(f64, usize)> = None;
    let mut wildcard: Option<f64> = None;
    for (position, element) in accept_encoding.split(',').enumerate() {
        let mut parts = element.split(';');
        let coding = parts.next().unwrap_or_default().trim();
        if coding.is_empty() || !coding.bytes().all(is_token_byte) {
            continue;
        }
        let quality = parts.find_map(quality_parameter).unwrap_or(1.0);
        let best = |seen: Option<(f64, usize)>| match seen {
            Some((q, at)) if q >= quality => Some((q, at)),
            Some((_, at)) => Some((quality, at)),
            None => Some((quality, position)),
        };
        match coding.to_ascii_lowercase().as_str() {
            "gzip" => gzip = best(gzip),
            "deflate" => deflate = best(deflate),
            "*" => wildcard = Some(wildcard.map_or(quality, |q: f64| q.max(quality))),
            _ => {}
        }
    }
    let offer = |named: Option<(f64, usize)>| match named {
        Some((quality, at)) => Offer {
            quality,
            named_at: Some(at),
        },
        None => Offer {
            quality: wildcard.unwrap_or(0.0),
            named_at: None,
        },
    };
    let candidates = [
        (Encoding::Gzip, offer(gzip)),
        (Encoding::Deflate, offer(deflate)),
    ];
    candidates
        .into_iter()
        .filter(|(_, offer)| offer.quality > 0.0)
        // The best quality; then named before `*`, earlier before later;
        // then the list's order (gzip first).
        .min_by(|(_, a), (_, b)| {
            b.quality
                .total_cmp(&a.quality)
                .then_with(|| match (a.named_at, b.named_at) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                })
        })
        .map(|(encoding, _)| encoding)
}

/// The quality a `q=...` parameter gives (`None` for other parameters).
fn quality_parameter(parameter: &str) -> Option<f64> {
    let (name, value) = parameter.split_once('=')?;
    if !name.trim().eq_ignore_ascii_case("q") {
        return None;
    }
    Some(match value.trim().parse::<f64>() {
        Ok(q) if q.is_nan() => 1.0,
        Ok(q) => q.clamp(0.0, 1.0),
        Err(_) => 1.0,
    })
}

/// RFC 9110's token characters (a coding name, or `*`).
fn is_token_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn chooses_as_dynamodb_chooses() {
        let gzip = Some(Encoding::Gzip);
        let deflate = Some(Encoding::Deflate);
        // The answers DynamoDB gives to these headers (as recorded by
        // ScyllaDB's Alternator tests, which run against DynamoDB too).
        let cases: &[(&str, Option<Encoding>)] = &[
            ("gzip", gzip),
            ("deflate", deflate),
            ("identity", None),
            ("", None),
            ("br", None),
            ("zstd", None),
            ("x-gzip", None),
            ("gzip, deflate", gzip),
            ("br, identity, deflate, gzip", deflate),
            ("GZIP, identity", gzip),
            ("dog, gzip ,, cat", gzip),
            ("gzip;q=0.8, deflate;q=0.5", gzip),
            ("br, gzip;q=0, deflate; q = 0.5 , identity;q=0", deflate),
            ("*", gzip),
            ("*, deflate;q=0.5", gzip),
            ("*, deflate", deflate),
            ("*, identity", gzip),
            ("*, gzip;q=0.5", deflate),
            ("gzip ;q=0", None),
            ("identity;q=0", None),
            ("*;q=0", None),
            ("*;q=0.5,identity", gzip),
            ("gzip;q=0.5,identity;q=0.8", gzip),
            ("br;q=0.8,identity;q=0.5,*;q=0", None),
            ("\"gzip\"", None),
            ("gzip br", None),
            ("gzip:q=1", None),
            ("deflate;q=0.5, gzip;q=31", gzip),
            ("gzip;q=31,deflate;q=51", gzip),
            ("deflate;q=0.5, gzip;q=0.2", deflate),
            ("deflate;q=0.5, gzip;q=1;q=0.2", gzip),
            ("deflate;q=0.5,gzip;q=0.", deflate),
            ("deflate;q=0.5,gzip;q=0.x", gzip),
            ("deflate;q=-0.5,gzip;q=0.2", gzip),
            ("gzip;nq=1;q=0 ", None),
            ("gzip;q=0, gzip;q=1, gzip;q=0", gzip),
            ("br,identity;q=0.5,gzip;q=0.0001", gzip),
        ];
        for (header, expected) in cases {
            assert_eq!(negotiate(header), *expected, "{header:?}");
        }
    }

    #[test]
    fn compressed_bodies_decompress_to_the_body() {
        let body =
            br#"{"Item":{"x":{"S":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}}"#.repeat(100);
        let mut out = Vec::new();
        let gzipped = Encoding::Gzip.compress(&body).unwrap();
        flate2::read::GzDecoder::new(&gzipped[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, body);
        out.clear();
        let deflated = Encoding::Deflate.compress(&body).unwrap();
        flate2::read::ZlibDecoder::new(&deflated[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, body);
        assert!(deflated.len() * 30 < body.len());
    }
}
