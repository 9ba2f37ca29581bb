//! Reading a JSON request body field by field, so that every refusal names its field
//! (serde's own messages name line and column instead).

use serde_json::{Map, Value};
use stablerail_sdk::Amount;

use crate::problem::Problem;

/// The fields of one JSON object, with a path prefix for nested objects.
#[derive(Debug)]
pub struct Fields<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
}

impl<'a> Fields<'a> {
    /// Parses `body` as a JSON object whose keys are all in `allowed`.
    pub fn parse(body: &[u8]) -> Result<Value, Problem> {
        let v: Value = serde_json::from_slice(body)
            .map_err(|e| Problem::field("body", format!("not JSON: {e}")))?;
        if !v.is_object() {
            return Err(Problem::field("body", "must be a JSON object"));
        }
        Ok(v)
    }

    /// The object `v` (named `prefix` in errors), checking that every key is allowed.
    pub fn of(v: &'a Value, prefix: &str, allowed: &[&str]) -> Result<Self, Problem> {
        let name = if prefix.is_empty() { "body" } else { prefix };
        let map = v
            .as_object()
            .ok_or_else(|| Problem::field(name, "must be a JSON object"))?;
        let fields = Self {
            map,
            prefix: prefix.to_owned(),
        };
        if let Some(k) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(Problem::field(fields.path(k), "unknown field"));
        }
        Ok(fields)
    }

    /// The full name of field `k`.
    pub fn path(&self, k: &str) -> String {
        if self.prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{}.{k}", self.prefix)
        }
    }

    fn get(&self, k: &str) -> Option<&'a Value> {
        self.map.get(k).filter(|v| !v.is_null())
    }

    /// An optional string.
    pub fn opt_str(&self, k: &str) -> Result<Option<&'a str>, Problem> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(Problem::field(self.path(k), "must be a string")),
        }
    }

    /// A required, non-empty string of at most `max` characters.
    pub fn str(&self, k: &str, max: usize) -> Result<&'a str, Problem> {
        let s = self
            .opt_str(k)?
            .ok_or_else(|| Problem::field(self.path(k), "is required"))?;
        if s.trim().is_empty() {
            return Err(Problem::field(self.path(k), "must not be empty"));
        }
        if s.chars().count() > max {
            return Err(Problem::field(
                self.path(k),
                format!("at most {max} characters"),
            ));
        }
        Ok(s)
    }

    /// An optional non-negative integer.
    pub fn opt_u64(&self, k: &str) -> Result<Option<u64>, Problem> {
        match self.get(k) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| Problem::field(self.path(k), "must be a non-negative integer")),
        }
    }

    /// An optional boolean.
    pub fn opt_bool(&self, k: &str) -> Result<Option<bool>, Problem> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(Problem::field(self.path(k), "must be true or false")),
        }
    }

    /// An optional array.
    pub fn opt_array(&self, k: &str) -> Result<Option<&'a Vec<Value>>, Problem> {
        match self.get(k) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(_) => Err(Problem::field(self.path(k), "must be an array")),
        }
    }

    /// An optional object, kept as JSON.
    pub fn opt_object(&self, k: &str) -> Result<Option<&'a Value>, Problem> {
        match self.get(k) {
            None => Ok(None),
            Some(v @ Value::Object(_)) => Ok(Some(v)),
            Some(_) => Err(Problem::field(self.path(k), "must be an object")),
        }
    }

    /// A required positive USDT amount as an exact decimal string (at most 6
    /// decimals, parsed by the SDK's `Amount`).
    pub fn amount(&self, k: &str) -> Result<Amount, Problem> {
        let s = match self.get(k) {
            Some(Value::String(s)) => s,
            Some(_) => {
                return Err(Problem::field(
                    self.path(k),
                    "must be a decimal string such as \"12.50\"",
                ));
            }
            None => return Err(Problem::field(self.path(k), "is required")),
        };
        let a: Amount = s
            .parse()
            .map_err(|e| Problem::field(self.path(k), format!("{e}")))?;
        if a.is_zero() {
            return Err(Problem::field(self.path(k), "must be greater than zero"));
        }
        Ok(a)
    }
}
