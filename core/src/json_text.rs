//! JSON text as the contract reads it: one value, and no object that names a
//! key twice. Parsers commonly let the last duplicate win, which would let a
//! request say two things and have one silently dropped; requests are strict,
//! so a duplicate is an error naming the key.

use crate::error::{Error, Result};
use serde::de::{Deserialize, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::collections::HashSet;
use std::fmt;

/// Parses `text` into a value; `what` names it in errors ("start_workflow
/// request", "connect options").
pub(crate) fn parse_json_text(text: &str, what: impl fmt::Display) -> Result<Value> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Error::invalid_argument(format!("{what} is not valid JSON: {e}")))?;
    if matches!(value, Value::Object(_) | Value::Array(_)) {
        serde_json::from_str::<NoDuplicateKeys>(text)
            .map_err(|e| Error::invalid_argument(format!("{what} is not valid: {e}")))?;
    }
    Ok(value)
}

/// Parses a JSON object strictly into `T`, naming the offending field.
pub fn parse_strict<T: DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    parse_value(parse_json_text(text, what)?, what)
}

pub(crate) fn parse_value<T: DeserializeOwned>(
    value: Value,
    what: impl std::fmt::Display,
) -> Result<T> {
    if !value.is_object() {
        return Err(Error::invalid_argument(format!(
            "{what} must be a JSON object, got {}",
            json_type_name(&value)
        )));
    }
    // The usual request is valid: read without tracking where the reader
    // is (which costs an allocation per field). Only one that fails is read
    // again, tracked, to name the field at fault.
    if let Ok(parsed) = T::deserialize(&value) {
        return Ok(parsed);
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = if path == "." || path.is_empty() {
            format!("invalid {what}: {inner}")
        } else {
            format!("invalid {what}: field `{path}`: {inner}")
        };
        let mut error = Error::invalid_argument(message);
        if path != "." && !path.is_empty() {
            error = error.with_detail("field", path);
        }
        error
    })
}

pub(crate) fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Implements `Deserialize` for a contract enum from its names, read in any
/// case (`"use_existing"`, `"USE_EXISTING"`, `"Use_Existing"`): the names are
/// the contract's, the spelling is the caller's. An unknown name is an error
/// listing the accepted ones. `Serialize` stays derived (snake_case).
macro_rules! names_in_any_case {
    ($ty:ident { $($variant:ident = $name:literal),+ $(,)? }) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(
                deserializer: D,
            ) -> std::result::Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                $(
                    if text.eq_ignore_ascii_case($name) {
                        return Ok($ty::$variant);
                    }
                )+
                Err(serde::de::Error::unknown_variant(&text, &[$($name),+]))
            }
        }
    };
}
pub(crate) use names_in_any_case;

/// The JSON Schema of an enum [`names_in_any_case!`] reads, from the one
/// schemars derives (`#[schemars(transform = names_in_any_case_schema)]`):
/// the names stay listed, each with its documentation, and any other
/// spelling of one of them in another case is accepted too, as the parser
/// accepts it.
pub(crate) fn names_in_any_case_schema(schema: &mut schemars::Schema) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    // Documented variants come as `oneOf` of `const`s, others as one `enum`.
    let branches: Vec<Value> = match (object.remove("oneOf"), object.remove("enum")) {
        (Some(Value::Array(branches)), _) => branches,
        (_, Some(Value::Array(names))) => names
            .into_iter()
            .map(|name| serde_json::json!({"type": "string", "const": name}))
            .collect(),
        _ => return,
    };
    let names: Vec<&str> = branches
        .iter()
        .filter_map(|branch| branch.get("const").and_then(Value::as_str))
        .collect();
    let any_case: Vec<String> = names
        .iter()
        .map(|name| {
            name.chars()
                .map(|c| {
                    if c.is_ascii_alphabetic() {
                        format!("[{}{}]", c.to_ascii_uppercase(), c.to_ascii_lowercase())
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        })
        .collect();
    let example = names
        .first()
        .map(|n| n.to_ascii_uppercase())
        .unwrap_or_default();
    let note = format!("Names are read in any case (`\"{example}\"` too), and written as listed.");
    let description = match object.get("description").and_then(Value::as_str) {
        Some(text) => format!("{text}\n\n{note}"),
        None => note,
    };
    let mut branches = branches;
    branches.push(serde_json::json!({
        "type": "string",
        "pattern": format!("^(?:{})$", any_case.join("|")),
        "description": "One of the names above, in another case.",
    }));
    object.insert("description".into(), description.into());
    object.insert("type".into(), "string".into());
    object.insert("anyOf".into(), branches.into());
}

/// A JSON value read only to check that no object repeats a key.
struct NoDuplicateKeys;

impl<'de> Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NoDuplicateKeys)
    }
}

impl<'de> Visitor<'de> for NoDuplicateKeys {
    type Value = NoDuplicateKeys;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                let shown: String = key.chars().take(64).collect();
                return Err(serde::de::Error::custom(format!(
                    "the key {shown:?} appears twice in one object"
                )));
            }
            map.next_value::<NoDuplicateKeys>()?;
        }
        Ok(NoDuplicateKeys)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<NoDuplicateKeys>()?.is_some() {}
        Ok(NoDuplicateKeys)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(NoDuplicateKeys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_named_at_any_depth() {
        let err = parse_json_text(r#"{"a": 1, "a": 2}"#, "req").unwrap_err();
        assert!(err.message().contains("\"a\" appears twice"), "{err}");
        let err = parse_json_text(r#"{"x": [{"b": {"c": 1, "c": 1}}]}"#, "req").unwrap_err();
        assert!(err.message().contains("\"c\""), "{err}");
        let value = parse_json_text(
            r#"{"a": 1, "b": {"a": 123456789012345678901234567890, "n": null}, "c": [1.5, "s", true]}"#,
            "req",
        )
        .unwrap();
        assert_eq!(
            value["b"]["a"].to_string(),
            "123456789012345678901234567890"
        );
        assert!(parse_json_text("{", "req")
            .unwrap_err()
            .message()
            .contains("not valid JSON"));
    }
}
