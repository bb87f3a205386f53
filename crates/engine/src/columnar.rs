//! Parquet and Arrow IPC input: the bars pandas and polars users already have, read with the
//! Apache `parquet` and `arrow` crates. Columns are found by name as in a CSV header (see
//! [`crate::import`]): a time column (`Date`, `Datetime`, `Time`, `Timestamp`, pandas'
//! `__index_level_0__`) and `Open`, `High`, `Low`, `Close`, optionally `Volume`. Times may be
//! Arrow timestamps (any unit; a time zone is honoured as UTC instants), dates, integers (read
//! as in a CSV) or text; prices and volumes any numeric type. Every row is checked like a CSV
//! row; an error names the 1-based row and the column.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, TimestampMillisecondType};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, Schema, TimeUnit};

use crate::bars::{check_bar, Bars, Column};
use crate::import::{parse_time, ImportError};

/// The columnar formats read here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Columnar {
    /// Apache Parquet (`.parquet`, `.pq`).
    Parquet,
    /// Arrow IPC, file or stream format (`.arrow`, `.feather`, `.ipc`, `.arrows`).
    ArrowIpc,
}

impl Columnar {
    /// The format a file name says, `None` for anything else (CSV).
    pub fn of_path(path: &Path) -> Option<Columnar> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "parquet" | "pq" => Some(Columnar::Parquet),
            "arrow" | "feather" | "ipc" | "arrows" => Some(Columnar::ArrowIpc),
            _ => None,
        }
    }

    /// In words, for `data inspect` and the import preview.
    pub fn describe(self) -> &'static str {
        match self {
            Columnar::Parquet => "Parquet file",
            Columnar::ArrowIpc => "Arrow IPC file",
        }
    }
}

fn open_error(path: &Path, source: std::io::Error) -> ImportError {
    ImportError::Open {
        path: path.to_path_buf(),
        source,
    }
}

fn format_error(what: Columnar, e: impl std::fmt::Display) -> ImportError {
    ImportError::Csv {
        line: 0,
        reason: format!("not a readable {}: {e}", what.describe()),
    }
}

/// Reads bars from a Parquet or Arrow IPC file, checking `cancel` between record batches.
///
/// # Errors
/// [`ImportError::Open`] when the file cannot be opened, [`ImportError::Csv`] when it is not
/// a readable file of that format, [`ImportError::Header`] for a missing column,
/// [`ImportError::Row`] for the first bad row, [`ImportError::Empty`] without rows,
/// [`ImportError::Cancelled`].
pub fn import_columnar_path(
    path: &Path,
    format: Columnar,
    cancel: &AtomicBool,
) -> Result<Bars, ImportError> {
    let file = std::fs::File::open(path).map_err(|e| open_error(path, e))?;
    let batches: Box<dyn Iterator<Item = Result<RecordBatch, String>>> = match format {
        Columnar::Parquet => {
            let reader =
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                    .and_then(|b| b.with_batch_size(1 << 16).build())
                    .map_err(|e| format_error(format, e))?;
            Box::new(reader.map(|b| b.map_err(|e| e.to_string())))
        }
        Columnar::ArrowIpc => {
            match arrow_ipc::reader::FileReader::try_new(file, None) {
                Ok(r) => Box::new(r.map(|b| b.map_err(|e| e.to_string()))),
                // Not the file format: try the stream format.
                Err(_) => {
                    let file = std::fs::File::open(path).map_err(|e| open_error(path, e))?;
                    let r = arrow_ipc::reader::StreamReader::try_new(
                        std::io::BufReader::with_capacity(1 << 20, file),
                        None,
                    )
                    .map_err(|e| format_error(format, e))?;
                    Box::new(r.map(|b| b.map_err(|e| e.to_string())))
                }
            }
        }
    };
    let mut out = Collected::default();
    for batch in batches {
        if cancel.load(Ordering::Relaxed) {
            return Err(ImportError::Cancelled);
        }
        let batch = batch.map_err(|e| format_error(format, e))?;
        out.push(&batch)?;
    }
    if out.time.is_empty() {
        return Err(ImportError::Empty);
    }
    let [open, high, low, close, volume] = out.cols;
    Ok(Bars::new(out.time, open, high, low, close, volume)?)
}

/// The column names of a Parquet or Arrow IPC file and its first `rows` rows as text.
///
/// # Errors
/// As [`import_columnar_path`] for an unreadable file.
pub fn preview_columnar_path(
    path: &Path,
    format: Columnar,
    rows: usize,
) -> Result<(Vec<String>, Vec<Vec<String>>), ImportError> {
    let file = std::fs::File::open(path).map_err(|e| open_error(path, e))?;
    let batch = match format {
        Columnar::Parquet => {
            parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                .and_then(|b| b.with_batch_size(rows.max(1)).build())
                .map_err(|e| format_error(format, e))?
                .next()
                .transpose()
                .map_err(|e| format_error(format, e))?
        }
        Columnar::ArrowIpc => match arrow_ipc::reader::FileReader::try_new(file, None) {
            Ok(mut r) => r.next().transpose().map_err(|e| format_error(format, e))?,
            Err(_) => {
                let file = std::fs::File::open(path).map_err(|e| open_error(path, e))?;
                arrow_ipc::reader::StreamReader::try_new(file, None)
                    .map_err(|e| format_error(format, e))?
                    .next()
                    .transpose()
                    .map_err(|e| format_error(format, e))?
            }
        },
    };
    let Some(batch) = batch else {
        return Ok((Vec::new(), Vec::new()));
    };
    let names = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let options = arrow_cast::display::FormatOptions::default();
    let formatters: Vec<_> = batch
        .columns()
        .iter()
        .filter_map(|c| arrow_cast::display::ArrayFormatter::try_new(c.as_ref(), &options).ok())
        .collect();
    let text = (0..batch.num_rows().min(rows))
        .map(|i| formatters.iter().map(|f| f.value(i).to_string()).collect())
        .collect();
    Ok((names, text))
}

#[derive(Default)]
struct Collected {
    time: Vec<i64>,
    cols: [Vec<f64>; 5],
}

/// Where the time and value columns are in a schema.
struct Found {
    time: usize,
    values: [Option<usize>; 5],
}

fn norm(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn find(schema: &Schema) -> Result<Found, ImportError> {
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    let header_error = |reason: String| ImportError::Header {
        reason,
        header: names.join(", "),
    };
    let mut time = None;
    let mut index = None;
    let mut values = [None; 5];
    for (i, name) in names.iter().enumerate() {
        let n = norm(name);
        let base = n.strip_suffix("utc").unwrap_or(&n);
        match n.as_str() {
            "open" => values[0] = values[0].or(Some(i)),
            "high" => values[1] = values[1].or(Some(i)),
            "low" => values[2] = values[2].or(Some(i)),
            "close" => values[3] = values[3].or(Some(i)),
            "volume" | "vol" => values[4] = values[4].or(Some(i)),
            "indexlevel0" => index = Some(i),
            _ if matches!(base, "date" | "datetime" | "time" | "timestamp") => {
                time = time.or(Some(i));
            }
            _ => {}
        }
    }
    let time = time.or(index).ok_or_else(|| {
        header_error("no time column (expected Date, Datetime, Time or Timestamp)".into())
    })?;
    for (k, want) in ["Open", "High", "Low", "Close"].iter().enumerate() {
        if values[k].is_none() {
            return Err(header_error(format!("missing column {want}")));
        }
    }
    Ok(Found { time, values })
}

impl Collected {
    fn push(&mut self, batch: &RecordBatch) -> Result<(), ImportError> {
        let schema = batch.schema();
        let found = find(&schema)?;
        let name = |i: usize| schema.field(i).name().clone();
        let first_row = self.time.len();
        let row_error = |row: usize, column: String, reason: String| ImportError::Row {
            line: (first_row + row + 1) as u64,
            column,
            reason,
        };
        let times = times_of(batch.column(found.time))
            .map_err(|reason| row_error(0, name(found.time), reason))?;
        let mut cols: Vec<Option<ArrayRef>> = Vec::with_capacity(5);
        for idx in found.values {
            cols.push(match idx {
                Some(i) => Some(
                    arrow_cast::cast(batch.column(i), &DataType::Float64)
                        .map_err(|e| row_error(0, name(i), format!("not a numeric column: {e}")))?,
                ),
                None => None,
            });
        }
        let mut prev = self.time.last().copied();
        for row in 0..batch.num_rows() {
            let t = match &times {
                Times::Ms(a) => {
                    if a.is_null(row) {
                        return Err(row_error(row, name(found.time), "empty date/time".into()));
                    }
                    a.value(row)
                }
                Times::Ints(a) => {
                    if a.is_null(row) {
                        return Err(row_error(row, name(found.time), "empty date/time".into()));
                    }
                    parse_time(a.value(row).to_string().as_bytes())
                        .map_err(|reason| row_error(row, name(found.time), reason))?
                }
                Times::Text(s) => {
                    let raw = s.get(row).copied().flatten().unwrap_or_default();
                    parse_time(raw.as_bytes())
                        .map_err(|reason| row_error(row, name(found.time), reason))?
                }
            };
            let mut v = [0.0; 5];
            for (k, col) in cols.iter().enumerate() {
                if let Some(col) = col {
                    let a = col.as_primitive::<Float64Type>();
                    if a.is_null(row) {
                        let i = found.values[k].unwrap_or(found.time);
                        return Err(row_error(
                            row,
                            name(i),
                            "empty value (missing number)".into(),
                        ));
                    }
                    v[k] = a.value(row);
                }
            }
            check_bar(prev, t, v).map_err(|(col, reason)| {
                let i = match col {
                    Column::Time => Some(found.time),
                    Column::Open => found.values[0],
                    Column::High => found.values[1],
                    Column::Low => found.values[2],
                    Column::Close => found.values[3],
                    Column::Volume => found.values[4],
                };
                row_error(row, i.map_or_else(|| col.name().to_string(), name), reason)
            })?;
            prev = Some(t);
            self.time.push(t);
            for (c, x) in self.cols.iter_mut().zip(v) {
                c.push(x);
            }
        }
        Ok(())
    }
}

enum Times<'a> {
    /// UTC milliseconds.
    Ms(arrow_array::PrimitiveArray<TimestampMillisecondType>),
    /// Integers, read like an integer CSV field.
    Ints(arrow_array::PrimitiveArray<Int64Type>),
    /// Text, parsed like a CSV field.
    Text(Vec<Option<&'a str>>),
}

/// The time column as UTC milliseconds, or as text to parse like a CSV field.
fn times_of(col: &ArrayRef) -> Result<Times<'_>, String> {
    let ms = DataType::Timestamp(TimeUnit::Millisecond, None);
    match col.data_type() {
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64 => {
            // A zoned timestamp holds UTC instants; drop the zone, keep the instant.
            let plain = match col.data_type() {
                DataType::Timestamp(unit, Some(_)) => arrow_cast::cast(
                    &arrow_cast::cast(col, &DataType::Int64).map_err(|e| e.to_string())?,
                    &DataType::Timestamp(*unit, None),
                )
                .map_err(|e| e.to_string())?,
                _ => col.clone(),
            };
            let a = arrow_cast::cast(&plain, &ms).map_err(|e| e.to_string())?;
            Ok(Times::Ms(
                a.as_primitive::<TimestampMillisecondType>().clone(),
            ))
        }
        DataType::Utf8 => Ok(Times::Text(col.as_string::<i32>().iter().collect())),
        DataType::LargeUtf8 => Ok(Times::Text(col.as_string::<i64>().iter().collect())),
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => {
            // Integers follow the CSV rules (seconds, milliseconds, YYYYMMDD, row numbers).
            let ints = arrow_cast::cast(col, &DataType::Int64).map_err(|e| e.to_string())?;
            Ok(Times::Ints(ints.as_primitive::<Int64Type>().clone()))
        }
        other => Err(format!("a time column of type {other} cannot be read")),
    }
}
