//! Derived structs read only from JSON objects.
//!
//! A `#[derive(Deserialize)]` struct also accepts a JSON array of its
//! fields in order, which a reader of the JSON tree (`value.get("key")`)
//! never sees as the struct. A fast path that reads an upstream's answer
//! into structs must refuse what the general tree path would read
//! differently, so its structs are read through [`Object`] or the
//! `deserialize_with` helpers here.

use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// A `T` read only from a JSON object.
#[derive(Debug)]
pub struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(ObjectVisitor(PhantomData))
            .map(Object)
    }
}

/// A list of `T`, each read only from a JSON object.
#[derive(Debug)]
pub struct List<T>(pub Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let items = Vec::<Object<T>>::deserialize(deserializer)?;
        Ok(List(items.into_iter().map(|o| o.0).collect()))
    }
}

/// For `#[serde(deserialize_with = "…")]` on an `Option<T>` field: `null`
/// or an object.
pub fn optional<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    Ok(Option::<Object<T>>::deserialize(deserializer)?.map(|o| o.0))
}

/// For `#[serde(deserialize_with = "…")]` on a `Vec<T>` field: an array
/// of objects.
pub fn list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Vec<T>, D::Error> {
    Ok(List::deserialize(deserializer)?.0)
}

/// For `#[serde(deserialize_with = "…")]` on an `Option<Vec<T>>` field:
/// `null` or an array of objects.
pub fn optional_list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Vec<T>>, D::Error> {
    Ok(Option::<List<T>>::deserialize(deserializer)?.map(|list| list.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Point {
        #[serde(default)]
        x: Option<u32>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Shape {
        #[serde(default, deserialize_with = "optional")]
        at: Option<Point>,
        #[serde(default, deserialize_with = "list")]
        all: Vec<Point>,
        #[serde(default, deserialize_with = "optional_list")]
        some: Option<Vec<Point>>,
    }

    #[test]
    fn objects_are_read_and_arrays_are_refused() {
        let read = |text: &str| serde_json::from_str::<Object<Shape>>(text).map(|o| o.0);
        let shape = read(r#"{"at":{"x":1},"all":[{"x":2},{}],"some":null}"#);
        assert_eq!(
            shape.ok(),
            Some(Shape {
                at: Some(Point { x: Some(1) }),
                all: vec![Point { x: Some(2) }, Point { x: None }],
                some: None,
            })
        );
        assert_eq!(read("{}").map(|s| s.all.len()).ok(), Some(0));
        // The plain derive takes an array of fields; these do not.
        assert!(serde_json::from_str::<Point>("[1]").is_ok());
        for odd in [
            "[null, [], null]",
            r#"{"at":[1]}"#,
            r#"{"all":[[2]]}"#,
            r#"{"some":[[2]]}"#,
            r#"{"all":null}"#,
        ] {
            assert!(read(odd).is_err(), "{odd}");
        }
    }
}
