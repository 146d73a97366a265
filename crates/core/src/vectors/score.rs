//! Vectors and their scores. A vector is a list of numbers, each a 32-bit
//! IEEE-754 float as DynamoDB takes them; a score is what SearchVectors
//! ranks by:
//!
//! - COSINE: 1 - cos θ, from 0 (same direction) to 2 (opposite), lowest
//!   first;
//! - EUCLIDEAN: the distance, lowest first;
//! - DOT_PRODUCT: the dot product, highest first.
//!
//! Sums are taken in f64 so that a score does not depend on the order of
//! the terms more than f32 rounding of the inputs already makes it.

use dynalith_model::{AttributeValue, Number};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DistanceFunction {
    #[serde(rename = "COSINE")]
    Cosine,
    #[serde(rename = "EUCLIDEAN")]
    Euclidean,
    #[serde(rename = "DOT_PRODUCT")]
    DotProduct,
}

impl DistanceFunction {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "COSINE" => Some(DistanceFunction::Cosine),
            "EUCLIDEAN" => Some(DistanceFunction::Euclidean),
            "DOT_PRODUCT" => Some(DistanceFunction::DotProduct),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DistanceFunction::Cosine => "COSINE",
            DistanceFunction::Euclidean => "EUCLIDEAN",
            DistanceFunction::DotProduct => "DOT_PRODUCT",
        }
    }

    /// The score of `b` against the search vector `a` (same lengths),
    /// within an f32's range as DynamoDB reports it. Under COSINE a vector
    /// of zeros, which has no direction, scores 1 (as DynamoDB was
    /// recorded answering).
    pub fn score(self, a: &[f32], b: &[f32]) -> f64 {
        let max = f64::from(f32::MAX);
        self.raw_score(a, b).clamp(-max, max)
    }

    fn raw_score(self, a: &[f32], b: &[f32]) -> f64 {
        let pairs = a.iter().zip(b).map(|(x, y)| (f64::from(*x), f64::from(*y)));
        match self {
            DistanceFunction::DotProduct => pairs.map(|(x, y)| x * y).sum(),
            DistanceFunction::Euclidean => {
                pairs.map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()
            }
            DistanceFunction::Cosine => {
                let (mut dot, mut aa, mut bb) = (0.0, 0.0, 0.0);
                for (x, y) in pairs {
                    dot += x * y;
                    aa += x * x;
                    bb += y * y;
                }
                if aa == 0.0 || bb == 0.0 {
                    return 1.0;
                }
                let cosine = (dot / (aa.sqrt() * bb.sqrt())).clamp(-1.0, 1.0);
                1.0 - cosine
            }
        }
    }

    /// Whether `a` ranks before `b`.
    pub fn better(self, a: f64, b: f64) -> bool {
        match self {
            DistanceFunction::DotProduct => a > b,
            DistanceFunction::Cosine | DistanceFunction::Euclidean => a < b,
        }
    }
}

/// Why a value is not a vector of the expected length.
#[derive(Debug, PartialEq)]
pub enum NotAVector {
    /// Not a list, or an element that is not a number.
    Shape,
    /// A list of numbers of another length.
    Dimensions(usize),
    /// A number outside a 32-bit float's range.
    OutOfRange,
}

/// `value` as a vector of `dimensions` 32-bit floats.
pub fn vector_of(value: &AttributeValue, dimensions: usize) -> Result<Vec<f32>, NotAVector> {
    let AttributeValue::L(elements) = value else {
        return Err(NotAVector::Shape);
    };
    let mut vector = Vec::with_capacity(elements.len());
    for element in elements {
        let AttributeValue::N(number) = element else {
            return Err(NotAVector::Shape);
        };
        vector.push(float_of(number)?);
    }
    if vector.len() != dimensions {
        return Err(NotAVector::Dimensions(vector.len()));
    }
    Ok(vector)
}

/// A vector straight from its DynamoDB JSON (`{"L":[{"N":"0.5"},...]}`),
/// without making `Number`s of its elements: what `vector_of` gives, or
/// None where it gives an error. A search reads every item's vector, and
/// parsing each element as a decimal first was most of its time.
pub fn vector_of_json(json: &str, dimensions: usize) -> Option<Vec<f32>> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct List<'a> {
        #[serde(rename = "L", borrow)]
        elements: Vec<Element<'a>>,
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Element<'a> {
        #[serde(rename = "N")]
        number: &'a str,
    }
    let list: List<'_> = serde_json::from_str(json).ok()?;
    if list.elements.len() != dimensions {
        return None;
    }
    list.elements
        .iter()
        .map(|e| {
            let float = e.number.parse::<f64>().ok()? as f32;
            float.is_finite().then_some(float)
        })
        .collect()
}

fn float_of(number: &Number) -> Result<f32, NotAVector> {
    let parsed: f64 = number.to_string().parse().map_err(|_| NotAVector::Shape)?;
    let float = parsed as f32;
    if float.is_finite() {
        Ok(float)
    } else {
        Err(NotAVector::OutOfRange)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn scores_follow_the_documented_definitions() {
        let a = [1.0, 0.0];
        assert_eq!(DistanceFunction::Cosine.score(&a, &[2.0, 0.0]), 0.0);
        assert_eq!(DistanceFunction::Cosine.score(&a, &[0.0, 3.0]), 1.0);
        assert_eq!(DistanceFunction::Cosine.score(&a, &[-1.0, 0.0]), 2.0);
        assert_eq!(DistanceFunction::Cosine.score(&a, &[0.0, 0.0]), 1.0);
        assert_eq!(DistanceFunction::Euclidean.score(&a, &[4.0, 4.0]), 5.0);
        assert_eq!(
            DistanceFunction::DotProduct.score(&[1.0, 2.0], &[3.0, 4.0]),
            11.0
        );
        let huge = [f32::MAX, f32::MAX];
        assert_eq!(
            DistanceFunction::DotProduct.score(&huge, &huge),
            f64::from(f32::MAX)
        );
        assert!(DistanceFunction::DotProduct.better(11.0, 3.0));
        assert!(DistanceFunction::Euclidean.better(3.0, 11.0));
    }

    #[test]
    fn a_vector_is_a_list_of_numbers_of_the_index_length() {
        let list = |items: Vec<AttributeValue>| AttributeValue::L(items);
        let n = |s: &str| AttributeValue::N(s.parse().unwrap());
        assert_eq!(
            vector_of(&list(vec![n("1.5"), n("-2")]), 2),
            Ok(vec![1.5, -2.0])
        );
        assert_eq!(
            vector_of(&list(vec![n("1")]), 2),
            Err(NotAVector::Dimensions(1))
        );
        assert_eq!(
            vector_of(&list(vec![n("1"), AttributeValue::S("x".into())]), 2),
            Err(NotAVector::Shape)
        );
        assert_eq!(vector_of(&n("1"), 1), Err(NotAVector::Shape));
        assert_eq!(
            vector_of(&list(vec![n("1E+39")]), 1),
            Err(NotAVector::OutOfRange)
        );
    }

    proptest! {
        #[test]
        fn vectors_read_from_json_are_the_vectors_of_their_values(
            mantissas in prop::collection::vec(-99999i64..99999, 1..6),
            exponents in prop::collection::vec(-45i32..40, 1..6),
        ) {
            let elements: Vec<AttributeValue> = mantissas
                .iter()
                .zip(exponents.iter().cycle())
                .map(|(m, e)| AttributeValue::N(format!("{m}E{e}").parse().unwrap()))
                .collect();
            let value = AttributeValue::L(elements.clone());
            let json = serde_json::to_string(&value).unwrap();
            prop_assert_eq!(
                vector_of_json(&json, elements.len()),
                vector_of(&value, elements.len()).ok()
            );
            prop_assert_eq!(vector_of_json(&json, elements.len() + 1), None);
        }

        #[test]
        fn cosine_stays_within_zero_and_two(
            a in prop::collection::vec(-1e3f32..1e3, 1..8),
            b in prop::collection::vec(-1e3f32..1e3, 1..8),
        ) {
            let n = a.len().min(b.len());
            let score = DistanceFunction::Cosine.score(&a[..n], &b[..n]);
            prop_assert!((0.0..=2.0).contains(&score));
            let same = DistanceFunction::Euclidean.score(&a, &a);
            prop_assert_eq!(same, 0.0);
        }
    }
}
