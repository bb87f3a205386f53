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
use arrow_array::types::{
    ArrowTimestampType, Float64Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType,
};
use arrow_array::{Array, ArrayRef, PrimitiveArray, RecordBatch};
use arrow_schema::{DataType, Schema, TimeUnit};

use crate::bars::{all_valid, check_bar, check_time_order, Bars, Column};
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
    let (time, cols) = match format {
        Columnar::Parquet => read_parquet(path, file, cancel)?,
        Columnar::ArrowIpc => {
            let batches: Box<dyn Iterator<Item = Result<RecordBatch, String>>> =
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
                };
            let mut time = Vec::new();
            let mut cols: [Vec<f64>; 5] = Default::default();
            for batch in batches {
                if cancel.load(Ordering::Relaxed) {
                    return Err(ImportError::Cancelled);
                }
                let batch = batch.map_err(|e| format_error(format, e))?;
                let (_, read) = read_batch(&batch, time.len(), time.last().copied(), |t, v| {
                    time.extend_from_slice(t);
                    for (col, more) in cols.iter_mut().zip(v) {
                        col.extend_from_slice(more);
                    }
                });
                read?;
            }
            (time, cols)
        }
    };
    if time.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(Bars::from_checked(time, cols))
}

/// Reads a Parquet file's bars: its row groups are split into one run per core, each read on
/// its own thread straight into its part of the columns (sized from the file's metadata), and
/// the runs are joined in file order (each run's first time checked against the previous run's
/// last). Only the columns that are used are decoded.
fn read_parquet(
    path: &Path,
    file: std::fs::File,
    cancel: &AtomicBool,
) -> Result<(Vec<i64>, [Vec<f64>; 5]), ImportError> {
    use parquet::arrow::arrow_reader::{
        ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
    };
    use parquet::arrow::ProjectionMask;

    let what = Columnar::Parquet;
    let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::default())
        .map_err(|e| format_error(what, e))?;
    let found = find(meta.schema())?;
    let time_name = meta.schema().field(found.time).name().clone();
    // The columns used, when every Arrow field is a Parquet column (no nesting).
    let schema_descr = meta.metadata().file_metadata().schema_descr();
    let projection =
        if schema_descr.root_schema().get_fields().len() == meta.schema().fields().len() {
            let mut used: Vec<usize> = found.values.iter().flatten().copied().collect();
            used.push(found.time);
            ProjectionMask::roots(schema_descr, used)
        } else {
            ProjectionMask::all()
        };
    let group_rows: Vec<usize> = meta
        .metadata()
        .row_groups()
        .iter()
        .map(|g| usize::try_from(g.num_rows()).unwrap_or(0))
        .collect();
    let total: usize = group_rows.iter().sum();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(group_rows.len())
        .max(1);
    // Runs of whole row groups, one per thread, about the same number of rows each: each
    // with its row groups, its first row in the file and its row count.
    let share = total.div_ceil(threads).max(1);
    let mut runs: Vec<(Vec<usize>, usize, usize)> = Vec::new();
    let mut row = 0;
    for (g, &n) in group_rows.iter().enumerate() {
        let count = runs.len();
        match runs.last_mut() {
            Some((groups, _, rows)) if *rows < share || count == threads => {
                groups.push(g);
                *rows += n;
            }
            _ => runs.push((vec![g], row, n)),
        }
        row += n;
    }
    let mut time = vec![0i64; total];
    let mut cols: [Vec<f64>; 5] = std::array::from_fn(|_| vec![0.0; total]);

    // One run: its row groups read into `time`/`cols` (exactly its rows long). Returns the
    // time of its first row when that row could be read, and the first error.
    let read_run = |groups: Vec<usize>,
                    first_row: usize,
                    time: &mut [i64],
                    cols: [&mut [f64]; 5]|
     -> (Option<i64>, Result<(), ImportError>) {
        let mut first = None;
        let mut filled = 0usize;
        let result = (|| {
            let file = std::fs::File::open(path).map_err(|e| open_error(path, e))?;
            let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(file, meta.clone())
                .with_projection(projection.clone())
                .with_row_groups(groups)
                .with_batch_size(1 << 16)
                .build()
                .map_err(|e| format_error(what, e))?;
            let [open, high, low, close, volume] = cols;
            let mut cols = [open, high, low, close, volume];
            for batch in reader {
                if cancel.load(Ordering::Relaxed) {
                    return Err(ImportError::Cancelled);
                }
                let batch = batch.map_err(|e| format_error(what, e))?;
                let at = filled;
                if at + batch.num_rows() > time.len() {
                    return Err(format_error(what, "more rows than its metadata says"));
                }
                let prev = at.checked_sub(1).map(|i| time[i]);
                let (t0, read) = read_batch(&batch, first_row + at, prev, |t, v| {
                    time[filled..filled + t.len()].copy_from_slice(t);
                    for (col, more) in cols.iter_mut().zip(v) {
                        col[filled..filled + more.len()].copy_from_slice(more);
                    }
                    filled += t.len();
                });
                if at == 0 {
                    first = t0;
                }
                read?;
            }
            if filled != time.len() {
                return Err(format_error(what, "fewer rows than its metadata says"));
            }
            Ok(())
        })();
        (first, result)
    };

    // The columns cut into the runs' parts.
    let mut parts = Vec::with_capacity(runs.len());
    let mut rest_t: &mut [i64] = time.as_mut_slice();
    let mut rest: [&mut [f64]; 5] = cols.each_mut().map(|c| c.as_mut_slice());
    for (_, _, rows) in &runs {
        let (t, tail) = std::mem::take(&mut rest_t).split_at_mut(*rows);
        rest_t = tail;
        let mut heads: [&mut [f64]; 5] = Default::default();
        for (k, r) in std::mem::take(&mut rest).into_iter().enumerate() {
            let (head, tail) = r.split_at_mut(*rows);
            heads[k] = head;
            rest[k] = tail;
        }
        parts.push((t, heads));
    }
    let read_run = &read_run;
    let outcomes: Vec<(usize, Option<i64>, Result<(), ImportError>)> =
        std::thread::scope(|scope| {
            let mut jobs = runs.into_iter().zip(parts);
            let first = jobs.next();
            let handles: Vec<_> = jobs
                .map(|((groups, start, _), (t, c))| {
                    let job = move || read_run(groups, start, t, c);
                    (start, std::thread::Builder::new().spawn_scoped(scope, job))
                })
                .collect();
            let mut out = Vec::new();
            if let Some(((groups, start, _), (t, c))) = first {
                let (f, r) = read_run(groups, start, t, c);
                out.push((start, f, r));
            }
            for (start, handle) in handles {
                let (f, r) = match handle {
                    Ok(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
                    Err(e) => (None, Err(ImportError::Io(e))),
                };
                out.push((start, f, r));
            }
            out
        });
    for (start, first, result) in outcomes {
        if let (Some(t), Some(prev)) = (first, start.checked_sub(1).map(|i| time[i])) {
            check_time_order(prev, t).map_err(|(_, reason)| ImportError::Row {
                line: start as u64 + 1,
                column: time_name.clone(),
                reason,
            })?;
        }
        result?;
    }
    Ok((time, cols))
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

/// Reads one record batch whose first row is row `first_row` (0-based) of the file, after a
/// row at time `prev`: hands the rows that pass, in order, to `store`, and returns the first
/// row's time (when it could be read) and the first bad row's error, as a row-by-row reader
/// would find it: a time that cannot be read, then an empty value (columns in order), then
/// [`check_bar`] on the rows before.
fn read_batch(
    batch: &RecordBatch,
    first_row: usize,
    prev: Option<i64>,
    mut store: impl FnMut(&[i64], [&[f64]; 5]),
) -> (Option<i64>, Result<(), ImportError>) {
    let schema = batch.schema();
    let found = match find(&schema) {
        Ok(f) => f,
        Err(e) => return (None, Err(e)),
    };
    let name = |i: usize| schema.field(i).name().clone();
    let row_error = |row: usize, column: String, reason: String| ImportError::Row {
        line: (first_row + row + 1) as u64,
        column,
        reason,
    };
    let n = batch.num_rows();
    let times = match times_of(batch.column(found.time)) {
        Ok(t) => t,
        Err(reason) => return (None, Err(row_error(0, name(found.time), reason))),
    };
    let mut arrays: Vec<Option<arrow_array::Float64Array>> = Vec::with_capacity(5);
    for idx in found.values {
        arrays.push(match idx {
            Some(i) => match arrow_cast::cast(batch.column(i), &DataType::Float64) {
                Ok(a) => Some(a.as_primitive::<Float64Type>().clone()),
                Err(e) => {
                    let reason = format!("not a numeric column: {e}");
                    return (None, Err(row_error(0, name(i), reason)));
                }
            },
            None => None,
        });
    }
    // Times up to the first that cannot be read.
    let mut bad_time = None;
    let parsed: Vec<i64>;
    let t: &[i64] = match &times {
        Times::Ms(a) if a.null_count() == 0 => &a.values()[..],
        _ => {
            let mut v = Vec::with_capacity(n);
            for row in 0..n {
                match time_at(&times, row) {
                    Ok(x) => v.push(x),
                    Err(reason) => {
                        bad_time = Some((row, reason));
                        break;
                    }
                }
            }
            parsed = v;
            &parsed
        }
    };
    // The first empty value of each column.
    let nulls: Vec<Option<usize>> = arrays
        .iter()
        .map(|a| {
            a.as_ref()
                .filter(|a| a.null_count() > 0)
                .and_then(|a| (0..n).find(|&r| a.is_null(r)))
        })
        .collect();
    let bad_row = nulls
        .iter()
        .flatten()
        .chain(bad_time.as_ref().map(|(r, _)| r))
        .min()
        .copied();
    let good = bad_row.unwrap_or(n);
    // A missing volume column reads as zeros.
    let zeros = if arrays.iter().any(Option::is_none) {
        vec![0.0; n]
    } else {
        Vec::new()
    };
    let mut values: [&[f64]; 5] = [&[]; 5];
    for (k, a) in arrays.iter().enumerate() {
        values[k] = a.as_ref().map_or(&zeros[..], |a| &a.values()[..]);
    }
    let first = (good > 0).then(|| t[0]);
    let mut last = prev;
    // Every row checked at once; row by row only to find the first bad one.
    let rows = if all_valid(prev, &t[..good], values.map(|c| &c[..good])) {
        0
    } else {
        good
    };
    for row in 0..rows {
        let v = values.map(|c| c[row]);
        if let Err((col, reason)) = check_bar(last, t[row], v) {
            let i = match col {
                Column::Time => Some(found.time),
                Column::Open => found.values[0],
                Column::High => found.values[1],
                Column::Low => found.values[2],
                Column::Close => found.values[3],
                Column::Volume => found.values[4],
            };
            let column = i.map_or_else(|| col.name().to_string(), name);
            return (first, Err(row_error(row, column, reason)));
        }
        last = Some(t[row]);
    }
    store(&t[..good], values.map(|c| &c[..good]));
    let Some(row) = bad_row else {
        return (first, Ok(()));
    };
    let e = match bad_time {
        Some((r, reason)) if r == row => row_error(row, name(found.time), reason),
        _ => {
            let k = nulls.iter().position(|&x| x == Some(row)).unwrap_or(0);
            let i = found.values[k].unwrap_or(found.time);
            row_error(row, name(i), "empty value (missing number)".into())
        }
    };
    (first, Err(e))
}

/// Row `row` of a time column that is not plain milliseconds without gaps.
fn time_at(times: &Times<'_>, row: usize) -> Result<i64, String> {
    match times {
        Times::Ms(a) if a.is_null(row) => Err("empty date/time".into()),
        Times::Ms(a) => Ok(a.value(row)),
        Times::Ints(a) if a.is_null(row) => Err("empty date/time".into()),
        Times::Ints(a) => parse_time(a.value(row).to_string().as_bytes()),
        Times::Text(s) => parse_time(s.get(row).copied().flatten().unwrap_or_default().as_bytes()),
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

/// A timestamp column of type `T` as milliseconds by `to_ms`, its empty values kept.
fn ms_of<T: ArrowTimestampType>(
    col: &ArrayRef,
    to_ms: impl Fn(i64) -> i64,
) -> Result<Times<'_>, String> {
    let a = col
        .as_primitive_opt::<T>()
        .ok_or_else(|| format!("a time column of type {} cannot be read", col.data_type()))?;
    let values: Vec<i64> = a.values().iter().map(|&t| to_ms(t)).collect();
    Ok(Times::Ms(PrimitiveArray::new(
        values.into(),
        a.nulls().cloned(),
    )))
}

/// The time column as UTC milliseconds, or as text to parse like a CSV field.
fn times_of(col: &ArrayRef) -> Result<Times<'_>, String> {
    let ms = DataType::Timestamp(TimeUnit::Millisecond, None);
    match col.data_type() {
        // Sub-second units in one pass with the divisor a constant: the same truncating
        // division as Arrow's cast, without its copies. A zone only names the instants' offset.
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            ms_of::<TimestampMillisecondType>(col, |t| t)
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            ms_of::<TimestampMicrosecondType>(col, |t| t / 1_000)
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            ms_of::<TimestampNanosecondType>(col, |t| t / 1_000_000)
        }
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
