//! Reading and writing record fields by name.

use crate::{Field, Record, Value};

/// Field access on [`Record`].
pub trait RecordExt {
    /// The value of field `name`.
    fn get(&self, name: &str) -> Option<&Value>;
    /// The field as text (text and timestamp values).
    fn text(&self, name: &str) -> Option<&str>;
    /// The field as a whole number (integers, and text holding one).
    fn integer(&self, name: &str) -> Option<i64>;
    /// Sets field `name`, replacing it in place or appending it.
    fn set(&mut self, name: &str, value: Value);
}

impl RecordExt for Record {
    fn get(&self, name: &str) -> Option<&Value> {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| &f.value)
    }
    fn text(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            Value::Text(s) | Value::Timestamp(s) => Some(s.as_str()),
            _ => None,
        }
    }
    fn integer(&self, name: &str) -> Option<i64> {
        match self.get(name)? {
            Value::Integer(i) => Some(*i),
            Value::Text(s) => s.trim().parse().ok(),
            Value::Number(n) if n.fract() == 0.0 && n.is_finite() => Some(*n as i64),
            _ => None,
        }
    }
    fn set(&mut self, name: &str, value: Value) {
        match self.fields.iter_mut().find(|f| f.name == name) {
            Some(f) => f.value = value,
            None => self.fields.push(Field {
                name: name.into(),
                value,
            }),
        }
    }
}
