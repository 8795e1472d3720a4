//! `f64` values in JSON that survive NaN and infinities (JSON has no literal for them):
//! finite values are numbers, the others the strings `"NaN"`, `"inf"`, `"-inf"`. Used by
//! [`OptimizerState`](crate::OptimizerState)'s JSON form and by anything else that saves
//! measured numbers as JSON, through `#[serde(with = "...")]` on a field.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An `f64` that survives JSON: finite values as numbers (shortest round-trip form with
/// `serde_json`'s `float_roundtrip`), `NaN` and infinities as the strings `"NaN"`, `"inf"`,
/// `"-inf"`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct JsonF64(pub f64);

impl Serialize for JsonF64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = self.0;
        if x.is_finite() {
            s.serialize_f64(x)
        } else if x.is_nan() {
            s.serialize_str("NaN")
        } else if x > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }
}

impl<'de> Deserialize<'de> for JsonF64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = JsonF64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a number or one of \"NaN\", \"inf\", \"-inf\"")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<JsonF64, E> {
                Ok(JsonF64(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<JsonF64, E> {
                Ok(JsonF64(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<JsonF64, E> {
                Ok(JsonF64(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<JsonF64, E> {
                match v {
                    "NaN" => Ok(JsonF64(f64::NAN)),
                    "inf" => Ok(JsonF64(f64::INFINITY)),
                    "-inf" => Ok(JsonF64(f64::NEG_INFINITY)),
                    _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// A slice of [`JsonF64`]s, for serializing.
struct JsonVec<'a>(&'a [f64]);

impl Serialize for JsonVec<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for &x in self.0 {
            seq.serialize_element(&JsonF64(x))?;
        }
        seq.end()
    }
}

/// A vector of [`JsonF64`]s, for deserializing.
struct OwnedJsonVec(Vec<f64>);

impl<'de> Deserialize<'de> for OwnedJsonVec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OwnedJsonVec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "an array of numbers")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<OwnedJsonVec, A::Error> {
                let mut out = Vec::with_capacity(a.size_hint().unwrap_or(0));
                while let Some(JsonF64(x)) = a.next_element()? {
                    out.push(x);
                }
                Ok(OwnedJsonVec(out))
            }
        }
        d.deserialize_seq(V)
    }
}

/// `#[serde(with = "optim::json::float_map")]` for a `BTreeMap<String, f64>`.
pub mod float_map {
    use super::JsonF64;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    /// Serializes, non-finite values as strings.
    pub fn serialize<S: Serializer>(m: &BTreeMap<String, f64>, s: S) -> Result<S::Ok, S::Error> {
        let m: BTreeMap<&str, JsonF64> = m.iter().map(|(k, v)| (k.as_str(), JsonF64(*v))).collect();
        m.serialize(s)
    }

    /// Deserializes numbers and the strings `"NaN"`, `"inf"`, `"-inf"`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, f64>, D::Error> {
        let m = BTreeMap::<String, JsonF64>::deserialize(d)?;
        Ok(m.into_iter().map(|(k, v)| (k, v.0)).collect())
    }
}

/// `#[serde(with = "optim::json::vec_map")]` for a `BTreeMap<String, Vec<f64>>`.
pub mod vec_map {
    use super::{JsonVec, OwnedJsonVec};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    /// Serializes, non-finite values as strings.
    pub fn serialize<S: Serializer>(
        m: &BTreeMap<String, Vec<f64>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let m: BTreeMap<&str, JsonVec<'_>> =
            m.iter().map(|(k, v)| (k.as_str(), JsonVec(v))).collect();
        m.serialize(s)
    }

    /// Deserializes numbers and the strings `"NaN"`, `"inf"`, `"-inf"`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Vec<f64>>, D::Error> {
        let m = BTreeMap::<String, OwnedJsonVec>::deserialize(d)?;
        Ok(m.into_iter().map(|(k, v)| (k, v.0)).collect())
    }
}

/// `#[serde(with = "optim::json::float")]` for an `f64`.
pub mod float {
    use super::JsonF64;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Serializes, a non-finite value as a string.
    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        JsonF64(*x).serialize(s)
    }

    /// Deserializes a number or one of the strings `"NaN"`, `"inf"`, `"-inf"`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(JsonF64::deserialize(d)?.0)
    }
}

/// `#[serde(with = "optim::json::float_pair")]` for an `[f64; 2]`.
pub mod float_pair {
    use super::JsonF64;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Serializes, non-finite values as strings.
    pub fn serialize<S: Serializer>(x: &[f64; 2], s: S) -> Result<S::Ok, S::Error> {
        [JsonF64(x[0]), JsonF64(x[1])].serialize(s)
    }

    /// Deserializes numbers and the strings `"NaN"`, `"inf"`, `"-inf"`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[f64; 2], D::Error> {
        let [a, b] = <[JsonF64; 2]>::deserialize(d)?;
        Ok([a.0, b.0])
    }
}
