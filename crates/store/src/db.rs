//! Encoding helpers shared by the repositories: time text, ids, JSON and row decoding.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use uuid::Uuid;

use crate::error::{Result, StoreError};

/// The one text format of every stored time: fixed width, UTC, microseconds.
pub(crate) const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// Formats a time the way the schema stores it.
pub(crate) fn fmt_time(t: DateTime<Utc>) -> String {
    t.format(TIME_FORMAT).to_string()
}

/// Parses a stored time; accepts the fixed format and any RFC 3339 text.
pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.fZ")
        .map(|n| n.and_utc())
        .ok()
        .or_else(|| {
            DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        })
}

/// Formats an id the way the schema stores it.
pub(crate) fn id_text(id: Uuid) -> String {
    id.hyphenated().to_string()
}

/// An enum stored as one of a fixed set of text values.
pub(crate) trait DbEnum: Sized + Copy {
    /// The Rust type name, for error messages.
    const NAME: &'static str;
    /// The value stored as `s`, if any.
    fn from_db(s: &str) -> Option<Self>;
}

/// Decodes a value of column `col` stored as one of `E`'s text values.
pub(crate) fn stored_enum<E: DbEnum>(col: &str, s: &str) -> Result<E> {
    E::from_db(s).ok_or_else(|| {
        StoreError::invalid(
            col,
            format!("unknown {} value {s:?} in the database", E::NAME),
        )
    })
}

/// Typed, panic-free access to the columns of a row.
pub(crate) trait RowExt {
    fn text(&self, col: &str) -> Result<String>;
    fn opt_text(&self, col: &str) -> Result<Option<String>>;
    fn int(&self, col: &str) -> Result<i64>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>>;
    fn real(&self, col: &str) -> Result<f64>;
    fn id(&self, col: &str) -> Result<Uuid>;
    fn opt_id(&self, col: &str) -> Result<Option<Uuid>>;
    fn time(&self, col: &str) -> Result<DateTime<Utc>>;
    fn opt_time(&self, col: &str) -> Result<Option<DateTime<Utc>>>;
    fn json(&self, col: &str) -> Result<Value>;
    fn opt_json(&self, col: &str) -> Result<Option<Value>>;
    fn enum_value<E: DbEnum>(&self, col: &str) -> Result<E>;
    fn string_list(&self, col: &str) -> Result<Vec<String>>;
}

fn decode_err(col: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::invalid(col, format!("unreadable stored value: {err}"))
}

/// Decodes an id stored in column `col`.
fn decode_id(col: &str, s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|e| decode_err(col, e))
}

/// Decodes a time stored in column `col`.
fn decode_time(col: &str, s: &str) -> Result<DateTime<Utc>> {
    parse_time(s).ok_or_else(|| decode_err(col, format!("not a time: {s:?}")))
}

/// Decodes JSON stored in column `col`.
fn decode_json<T: serde::de::DeserializeOwned>(col: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| decode_err(col, e))
}

impl RowExt for SqliteRow {
    fn text(&self, col: &str) -> Result<String> {
        self.try_get::<String, _>(col)
            .map_err(|e| decode_err(col, e))
    }

    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        self.try_get::<Option<String>, _>(col)
            .map_err(|e| decode_err(col, e))
    }

    fn int(&self, col: &str) -> Result<i64> {
        self.try_get::<i64, _>(col).map_err(|e| decode_err(col, e))
    }

    fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        self.try_get::<Option<i64>, _>(col)
            .map_err(|e| decode_err(col, e))
    }

    fn real(&self, col: &str) -> Result<f64> {
        self.try_get::<f64, _>(col).map_err(|e| decode_err(col, e))
    }

    fn id(&self, col: &str) -> Result<Uuid> {
        decode_id(col, &self.text(col)?)
    }

    fn opt_id(&self, col: &str) -> Result<Option<Uuid>> {
        self.opt_text(col)?.map(|s| decode_id(col, &s)).transpose()
    }

    fn time(&self, col: &str) -> Result<DateTime<Utc>> {
        decode_time(col, &self.text(col)?)
    }

    fn opt_time(&self, col: &str) -> Result<Option<DateTime<Utc>>> {
        self.opt_text(col)?
            .map(|s| decode_time(col, &s))
            .transpose()
    }

    fn json(&self, col: &str) -> Result<Value> {
        decode_json(col, &self.text(col)?)
    }

    fn opt_json(&self, col: &str) -> Result<Option<Value>> {
        self.opt_text(col)?
            .map(|s| decode_json(col, &s))
            .transpose()
    }

    fn enum_value<E: DbEnum>(&self, col: &str) -> Result<E> {
        stored_enum(col, &self.text(col)?)
    }

    fn string_list(&self, col: &str) -> Result<Vec<String>> {
        decode_json(col, &self.text(col)?)
    }
}

/// Serializes a JSON value for a `TEXT` column, enforcing a size limit.
pub(crate) fn json_text(field: &str, value: &Value, max_bytes: usize) -> Result<String> {
    let text =
        serde_json::to_string(value).map_err(|e| StoreError::invalid(field, e.to_string()))?;
    check_size(field, &text, max_bytes)?;
    Ok(text)
}

/// Rejects text longer than `max_bytes`.
pub(crate) fn check_size(field: &str, text: &str, max_bytes: usize) -> Result<()> {
    if text.len() > max_bytes {
        return Err(StoreError::invalid(
            field,
            format!(
                "{} bytes is more than the limit of {max_bytes} bytes",
                text.len()
            ),
        ));
    }
    Ok(())
}

/// Requires a JSON object.
pub(crate) fn require_object(field: &str, value: &Value) -> Result<()> {
    if value.is_object() {
        Ok(())
    } else {
        Err(StoreError::invalid(field, "must be a JSON object"))
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Size limit of ordinary JSON columns (parameters, metrics, payloads, metadata).
pub(crate) const MAX_JSON_BYTES: usize = 5 * 1024 * 1024;
