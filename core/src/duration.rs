//! Durations in the JSON contract. A duration is either a number of seconds
//! (`1.5`) or a Go-style string (`"1h30m"`, `"250ms"`, `"2.5s"`); negative,
//! non-finite and absurdly large values are rejected with a message naming
//! the accepted forms.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::time::Duration;

/// Upper bound accepted anywhere: 100 years, far beyond any Temporal timeout,
/// and small enough that arithmetic on it never overflows.
const MAX_SECONDS: f64 = 100.0 * 365.0 * 24.0 * 3600.0;

/// A `std::time::Duration` that (de)serializes in the contract's forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct JsonDuration(pub Duration);

impl From<Duration> for JsonDuration {
    fn from(d: Duration) -> Self {
        JsonDuration(d)
    }
}

impl From<JsonDuration> for Duration {
    fn from(d: JsonDuration) -> Self {
        d.0
    }
}

fn from_seconds(seconds: f64) -> Result<Duration, String> {
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(format!(
            "duration must be a non-negative number of seconds, got {seconds}"
        ));
    }
    if seconds > MAX_SECONDS {
        return Err(format!("duration of {seconds} seconds is too large"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Parses `"1h30m"`, `"250ms"`, `"1.5s"`, `"2d"` (units: ns, us, ms, s, m, h, d).
pub fn parse_duration_str(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "invalid duration {text:?}: use seconds as a number or a string like \"1h30m\", \"2.5s\", \"250ms\""
        )
    };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    let mut rest = trimmed;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number_len == 0 {
            return Err(bad());
        }
        let number: f64 = rest[..number_len].parse().map_err(|_| bad())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        total += number * scale;
    }
    from_seconds(total)
}

impl<'de> Deserialize<'de> for JsonDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Through a `Value`, so that every number form the contract's JSON
        // parser keeps (exact text: `1.50`, `2e1`, ...) reads the same way.
        let expected = "a duration: seconds as a number, or a string like \"1h30m\"";
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::Number(n) => {
                let seconds = n.as_f64().ok_or_else(|| {
                    de::Error::custom(format!("duration {n} is not a number of seconds"))
                })?;
                from_seconds(seconds)
                    .map(JsonDuration)
                    .map_err(de::Error::custom)
            }
            serde_json::Value::String(s) => parse_duration_str(&s)
                .map(JsonDuration)
                .map_err(de::Error::custom),
            other => Err(de::Error::custom(format!(
                "invalid type: {}, expected {expected}",
                crate::json_text::json_type_name(&other)
            ))),
        }
    }
}

impl Serialize for JsonDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.0.as_secs_f64())
    }
}

/// What [`parse_duration_str`] reads, as a JSON Schema (ECMA 262) pattern:
/// numbers (`1`, `1.5`, `.5`, `1.`) each followed by a unit, nothing
/// between them, whitespace around.
const DURATION_PATTERN: &str =
    r"^\s*(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|ms|s|m|h|d))+\s*$";

impl schemars::JsonSchema for JsonDuration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        concat!(module_path!(), "::JsonDuration").into()
    }

    /// Read as the custom `Deserialize` above reads it; written as seconds.
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        if generator.contract().is_serialize() {
            return schemars::json_schema!({
                "description": "A duration in seconds.",
                "type": "number",
                "minimum": 0,
            });
        }
        schemars::json_schema!({
            "description": "A duration: a non-negative number of seconds (`1.5`), or a \
                Go-style string of numbers with units `ns`, `us` (or `µs`), `ms`, `s`, \
                `m`, `h`, `d` (`\"1h30m\"`, `\"2.5s\"`, `\"250ms\"`); at most 100 years.",
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": MAX_SECONDS},
                {"type": "string", "pattern": DURATION_PATTERN},
            ],
        })
    }
}

/// Converts to the protobuf duration the server expects.
pub(crate) fn to_proto(d: Duration) -> prost_wkt_types::Duration {
    prost_wkt_types::Duration {
        seconds: d.as_secs() as i64,
        nanos: d.subsec_nanos() as i32,
    }
}

/// Converts a protobuf duration to seconds (for JSON output).
pub(crate) fn proto_seconds(d: &prost_wkt_types::Duration) -> f64 {
    d.seconds as f64 + f64::from(d.nanos) / 1e9
}

/// Formats a protobuf timestamp as RFC 3339 UTC (`2026-01-02T03:04:05.123456789Z`).
pub(crate) fn format_timestamp(ts: &prost_wkt_types::Timestamp) -> String {
    let secs = ts.seconds;
    let days = secs.div_euclid(86400);
    let secs_of_day = secs.rem_euclid(86400);
    // Civil-from-days (Howard Hinnant's algorithm): proleptic Gregorian calendar.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s) = (
        secs_of_day / 3600,
        secs_of_day % 3600 / 60,
        secs_of_day % 60,
    );
    if ts.nanos > 0 {
        format!(
            "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{:09}Z",
            ts.nanos
        )
    } else {
        format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}Z")
    }
}

pub(crate) fn timestamp_json(ts: &Option<prost_wkt_types::Timestamp>) -> Value {
    ts.as_ref()
        .filter(|t| t.seconds != 0 || t.nanos != 0)
        .map(|t| Value::String(format_timestamp(t)))
        .unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_numbers_and_strings() {
        let d: JsonDuration = serde_json::from_str("1.5").unwrap();
        assert_eq!(d.0, Duration::from_millis(1500));
        let d: JsonDuration = serde_json::from_str("\"1h30m\"").unwrap();
        assert_eq!(d.0, Duration::from_secs(5400));
        let d: JsonDuration = serde_json::from_str("\"250ms\"").unwrap();
        assert_eq!(d.0, Duration::from_millis(250));
        let d: JsonDuration = serde_json::from_str("10").unwrap();
        assert_eq!(d.0, Duration::from_secs(10));
        // Numbers keep their text in the contract; every spelling reads the same.
        for text in ["1.50", "15e-1", "1.5E0"] {
            let d: JsonDuration = serde_json::from_str(text).unwrap();
            assert_eq!(d.0, Duration::from_millis(1500), "{text}");
            let d: JsonDuration =
                serde_json::from_value(serde_json::from_str(text).unwrap()).unwrap();
            assert_eq!(d.0, Duration::from_millis(1500), "{text}");
        }
    }

    #[test]
    fn rejects_bad_durations() {
        for bad in [
            "-1",
            "\"\"",
            "\"5x\"",
            "\"h\"",
            "true",
            "\"1e400s\"",
            "1e300",
            "1e400",
            "null",
            "[1]",
        ] {
            assert!(
                serde_json::from_str::<JsonDuration>(bad).is_err(),
                "{bad} should be rejected"
            );
        }
    }

    #[test]
    fn formats_timestamps() {
        let ts = prost_wkt_types::Timestamp {
            seconds: 1_700_000_000,
            nanos: 0,
        };
        assert_eq!(format_timestamp(&ts), "2023-11-14T22:13:20Z");
        let ts = prost_wkt_types::Timestamp {
            seconds: 0,
            nanos: 5,
        };
        assert_eq!(format_timestamp(&ts), "1970-01-01T00:00:00.000000005Z");
    }
}
