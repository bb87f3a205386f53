//! Market-data import and export: OHLCV bars from and to CSV, checked row by row.
//!
//! # Accepted input
//!
//! - Layouts ([`sniff`] tells them apart from the first line): a file with a header row;
//!   a MetaTrader 4/5 history export (header `<DATE>`, `<TIME>`, `<OPEN>`, `<HIGH>`, `<LOW>`,
//!   `<CLOSE>`, `<TICKVOL>`, `<VOL>`, `<SPREAD>`; dates `2024.01.02` and times in two columns,
//!   `<TICKVOL>` as the volume since `<VOL>` is 0 for FX and CFDs, `<SPREAD>` ignored); a
//!   Binance public kline dump (no header, 12 columns, open time in ms, or µs as in the 2025
//!   spot dumps). The delimiter is whichever of comma, semicolon and tab the first line has
//!   most of.
//! - Otherwise a header row is required. Columns are found by name, trimmed and case-insensitively, with
//!   spaces, `_` and `-` ignored: the time from `Date`, `Datetime`, `Time` or `Timestamp`
//!   (optionally suffixed `UTC`, e.g. `timestamp_utc`, `Date Time`), or, when no column has such
//!   a name, from an unnamed first column (the index `pandas.DataFrame.to_csv` writes). Prices
//!   from `Open`, `High`, `Low`, `Close`; volume from `Volume` (or `Vol`). `Adj Close` and every
//!   other column are ignored.
//! - A missing `Volume` column is accepted and every volume is 0 (FX and index data often have
//!   none). Any other missing column is a [`ImportError::Header`] error.
//! - Times, all converted to UTC milliseconds since the Unix epoch:
//!   ISO dates (`2024-01-31`, midnight UTC); ISO datetimes with `T` or a space, with or without
//!   seconds, fractional seconds (digits beyond milliseconds are dropped) and an offset
//!   (`Z`, `+02:00`, `+0200`, `+02`); without an offset a datetime is UTC. Integers are Unix
//!   epoch times: `|v| >= 1e11` is milliseconds, smaller is seconds (so millisecond times before
//!   1973-03-03 and second times after year 5138 are misread). Eight-digit integers that are
//!   valid `YYYYMMDD` dates (1900–2199) are dates; other integers from 0 to 99,999,999 (seconds
//!   before 1973-03-03) are refused as row numbers (a pandas RangeIndex). RFC 2822 and `2024/01/31`
//!   (optionally with ` HH:MM[:SS]`) are accepted through chrono. Day-first or month-first
//!   forms (`31/01/2024`) are ambiguous and rejected.
//! - UTF-8 BOM, CRLF line endings, quoted fields and blank lines are accepted. Rows with a
//!   different number of fields than the header are rejected.
//!
//! Every bad row stops the import with an error naming its 1-based line in the file (the
//! header is line 1), the column as written in the header, and what is wrong. Nothing is
//! returned on error: never half an import, never a panic.
//!
//! The input is read in blocks of 8 MB whose rows are parsed on all cores (see `blocks`);
//! the bars, and for bad input the error (the first bad row in file order), are exactly
//! what reading one record after another gives.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::bars::{check_bar, civil_from_days, BarError, Bars, Column};

mod blocks;

/// Rows between two progress reports.
const PROGRESS_EVERY: u64 = 1 << 16;
/// Rows between two looks at the cancel flag.
const CANCEL_EVERY: u64 = 1 << 12;
/// Integer times with an absolute value at or above this are milliseconds, below are seconds.
pub const UNIX_MS_THRESHOLD: i64 = 100_000_000_000;

const MS_PER_DAY: i64 = 86_400_000;

/// How far an import has got; sent every 65,536 rows and once at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImportProgress {
    /// Data rows read so far.
    pub rows: u64,
    /// Bytes of input consumed so far.
    pub bytes: u64,
    /// Size of the whole input when the caller knows it.
    pub total_bytes: Option<u64>,
}

/// Why an import failed. Display is one line.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be opened.
    #[error("cannot open {}: {source}", path.display())]
    Open {
        /// The path given.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// Reading the input failed part way.
    #[error("cannot read market data: {0}")]
    Io(#[from] std::io::Error),
    /// The header row lacks a required column or is ambiguous.
    #[error("CSV header: {reason}; header found: {header}")]
    Header {
        /// What is wrong with the header.
        reason: String,
        /// The header as found, names separated by `, `.
        header: String,
    },
    /// A data row holds a bad value.
    #[error("line {line}, column {column:?}: {reason}")]
    Row {
        /// 1-based line of the file where the row starts (the header is line 1).
        line: u64,
        /// The column's name as written in the header (`(unnamed first column)` for a pandas
        /// index without a name).
        column: String,
        /// What is wrong, in words.
        reason: String,
    },
    /// A data row has a different number of fields than the header.
    #[error("line {line}: row has {found} fields but the header has {expected}")]
    Ragged {
        /// 1-based line of the file where the row starts.
        line: u64,
        /// Fields in the row.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// The CSV itself is malformed.
    #[error("malformed CSV near line {line}: {reason}")]
    Csv {
        /// 1-based line near which the problem was found.
        line: u64,
        /// The parser's description.
        reason: String,
    },
    /// The input has no header, or a header and no data rows.
    #[error("no market data: the file has no data rows")]
    Empty,
    /// The caller set the cancel flag.
    #[error("import cancelled")]
    Cancelled,
    /// The bars broke a rule after import. Every row is checked while reading, so this is not
    /// expected; it exists so that no path panics.
    #[error("imported bars are invalid: {0}")]
    Bars(#[from] BarError),
}

impl ImportError {
    /// The same error with its line `n` lines further down: for an error found in a part of
    /// the file read on its own, whose first line is line `n + 1` of the file.
    fn after_lines(self, n: u64) -> ImportError {
        match self {
            ImportError::Row {
                line,
                column,
                reason,
            } => ImportError::Row {
                line: line + n,
                column,
                reason,
            },
            ImportError::Ragged {
                line,
                found,
                expected,
            } => ImportError::Ragged {
                line: line + n,
                found,
                expected,
            },
            ImportError::Csv { line, reason } => ImportError::Csv {
                line: line + n,
                reason,
            },
            other => other,
        }
    }
}

/// The file layouts the importer recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileLayout {
    /// A header row naming the columns (`Date`, `Open`, `High`, `Low`, `Close`, `Volume`…).
    Header,
    /// A MetaTrader 4/5 history export: `<DATE>` and `<TIME>` in two columns, `<OPEN>` …
    /// `<CLOSE>`, `<TICKVOL>`, `<VOL>`, `<SPREAD>`.
    MetaTrader,
    /// A Binance public kline dump: no header, 12 columns, open times in ms or µs.
    BinanceKlines,
}

/// What [`sniff`] found at the start of a file: its layout and its field delimiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detected {
    /// The layout.
    pub layout: FileLayout,
    /// The field delimiter: `,`, `;` or a tab.
    pub delimiter: u8,
}

impl Detected {
    /// In words, for `data inspect` and the import preview, e.g.
    /// `MetaTrader history export (<DATE> and <TIME> columns), tab-separated`.
    pub fn describe(&self) -> String {
        let layout = match self.layout {
            FileLayout::Header => "CSV with a header row",
            FileLayout::MetaTrader => "MetaTrader history export (<DATE> and <TIME> columns)",
            FileLayout::BinanceKlines => "Binance kline dump (no header, 12 columns)",
        };
        format!("{layout}, {}", delimiter_name(self.delimiter))
    }
}

/// `comma-separated`, `semicolon-separated` or `tab-separated`.
pub fn delimiter_name(d: u8) -> &'static str {
    match d {
        b';' => "semicolon-separated",
        b'\t' => "tab-separated",
        _ => "comma-separated",
    }
}

/// Recognises the layout and delimiter from the first bytes of a file (its first line is
/// enough). The delimiter is whichever of comma, semicolon and tab the first line has most
/// of (comma when it has none).
pub fn sniff(head: &[u8]) -> Detected {
    let head = head.strip_prefix("\u{feff}".as_bytes()).unwrap_or(head);
    let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    let count = |d: u8| first.iter().filter(|&&b| b == d).count();
    let delimiter = [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|&d| (count(d), d == b','))
        .filter(|&d| count(d) > 0)
        .unwrap_or(b',');
    let fields: Vec<&[u8]> = first
        .split(|&b| b == delimiter)
        .map(|f| {
            let f = f.trim_ascii();
            f.strip_prefix(b"\"")
                .and_then(|f| f.strip_suffix(b"\""))
                .unwrap_or(f)
        })
        .collect();
    let layout = if fields
        .first()
        .is_some_and(|f| f.eq_ignore_ascii_case(b"<date>"))
    {
        FileLayout::MetaTrader
    } else if fields.len() == 12
        && fields
            .first()
            .is_some_and(|f| matches!(f.len(), 13 | 16) && f.iter().all(u8::is_ascii_digit))
    {
        FileLayout::BinanceKlines
    } else {
        FileLayout::Header
    };
    Detected { layout, delimiter }
}

/// Reads the first bytes of a file and tells its layout and delimiter.
///
/// # Errors
/// [`ImportError::Open`] or [`ImportError::Io`] when the file cannot be read.
pub fn sniff_path(path: &Path) -> Result<Detected, ImportError> {
    use std::io::BufRead as _;
    let file = std::fs::File::open(path).map_err(|source| ImportError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let mut input = std::io::BufReader::with_capacity(1 << 16, file);
    Ok(sniff(input.fill_buf()?))
}

/// Reads OHLCV bars from CSV (see the module docs for what is accepted).
///
/// `total_bytes` is passed back in progress reports; `progress` is called every 65,536 rows
/// and once at the end; `cancel` is looked at every 4,096 rows.
///
/// # Errors
/// [`ImportError::Header`] for a missing or ambiguous column, [`ImportError::Row`] or
/// [`ImportError::Ragged`] for the first bad row, [`ImportError::Empty`] when there are no data
/// rows, [`ImportError::Cancelled`] when `cancel` is set, [`ImportError::Io`] or
/// [`ImportError::Csv`] when reading fails.
pub fn import_csv<R: Read>(
    reader: R,
    total_bytes: Option<u64>,
    progress: &mut dyn FnMut(ImportProgress),
    cancel: &AtomicBool,
) -> Result<Bars, ImportError> {
    blocks::import(
        reader,
        total_bytes,
        progress,
        cancel,
        blocks::Cuts::for_this_machine(),
    )
}

/// The bars read so far, column by column.
#[derive(Default)]
struct Columns {
    time: Vec<i64>,
    values: [Vec<f64>; 5],
}

impl Columns {
    fn with_capacity(n: usize) -> Columns {
        Columns {
            time: Vec::with_capacity(n),
            values: std::array::from_fn(|_| Vec::with_capacity(n)),
        }
    }

    fn len(&self) -> usize {
        self.time.len()
    }

    /// The last bar's time.
    fn last_time(&self) -> Option<i64> {
        self.time.last().copied()
    }

    #[inline]
    fn push(&mut self, t: i64, v: [f64; 5]) {
        self.time.push(t);
        for (col, x) in self.values.iter_mut().zip(v) {
            col.push(x);
        }
    }

    /// The bars, every one checked with [`check_bar`] in order as it was read.
    fn into_bars(self) -> Result<Bars, ImportError> {
        if self.time.is_empty() {
            return Err(ImportError::Empty);
        }
        Ok(Bars::from_checked(self.time, self.values))
    }
}

/// Where the csv crate's reader takes over from the block reader (at a line that needs it: a
/// quoted field or a lone carriage return): what was read before that line.
struct Resume {
    layout: Layout,
    /// Fields per row.
    expected: usize,
    read: Columns,
    /// 1-based line of the file where the rest of the input starts.
    line: u64,
    /// Bytes of the input before the rest.
    bytes: u64,
    /// Whether the file's first line ends in `\r\n` (see [`Terminated`]).
    crlf: Option<bool>,
}

/// Reads CSV with the csv crate, one record after another: the whole input when `resume` is
/// `None`, else the rest of an input whose start the block reader has read.
fn import_sequential<R: Read>(
    input: R,
    detected: Detected,
    resume: Option<Resume>,
    total_bytes: Option<u64>,
    progress: &mut dyn FnMut(ImportProgress),
    cancel: &AtomicBool,
) -> Result<Bars, ImportError> {
    let has_header = resume.is_none() && detected.layout != FileLayout::BinanceKlines;
    let mut src = Terminated::new(input);
    if let Some(r) = &resume {
        src.crlf = r.crlf;
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(has_header)
        .delimiter(detected.delimiter)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(src);
    let cap = total_bytes.map_or(0, |b| (b / 48).min(1 << 24)) as usize;
    // Lines and bytes of the input before what this reader reads.
    let (layout, expected, mut read, lines_before, bytes_before) = match resume {
        Some(r) => (r.layout, r.expected, r.read, r.line - 1, r.bytes),
        None if !has_header => (
            Layout::binance(),
            BINANCE_COLUMNS.len(),
            Columns::with_capacity(cap),
            0,
            0,
        ),
        None => {
            let header = rdr.byte_headers().map_err(csv_error)?.clone();
            if header.is_empty() || (header.len() == 1 && header[0].trim_ascii().is_empty()) {
                return Err(ImportError::Empty);
            }
            let layout = Layout::from_header(&header, detected)?;
            (layout, header.len(), Columns::with_capacity(cap), 0, 0)
        }
    };
    let mut record = csv::ByteRecord::new();
    let first_line = if has_header { 2 } else { 1 };
    let mut reported = read.len() as u64;
    let at = |rdr: &csv::Reader<Terminated<R>>| bytes_before + bytes_read(rdr);

    loop {
        let rows = read.len() as u64;
        if rows % CANCEL_EVERY == 0 {
            if cancel.load(Ordering::Relaxed) {
                return Err(ImportError::Cancelled);
            }
            if rows % PROGRESS_EVERY == 0 && rows > reported {
                reported = rows;
                progress(ImportProgress {
                    rows,
                    bytes: at(&rdr),
                    total_bytes,
                });
            }
        }
        if !rdr
            .read_byte_record(&mut record)
            .map_err(|e| csv_error(e).after_lines(lines_before))?
        {
            break;
        }
        let line = || lines_before + record_line(&rdr, &record).max(first_line);
        if record.len() != expected {
            // A lone empty field is csv's view of a line holding only spaces; skip it.
            if record.len() == 1 && record[0].trim_ascii().is_empty() {
                continue;
            }
            return Err(ImportError::Ragged {
                line: line(),
                found: record.len(),
                expected,
            });
        }
        let (t, v) = layout.parse_row(|i| &record[i], line)?;
        check_bar(read.last_time(), t, v)
            .map_err(|(col, reason)| layout.row_error(line(), col, reason))?;
        read.push(t, v);
    }
    if read.len() == 0 {
        return Err(ImportError::Empty);
    }
    progress(ImportProgress {
        rows: read.len() as u64,
        bytes: at(&rdr),
        total_bytes,
    });
    read.into_bars()
}

/// Reads OHLCV bars from a CSV file, without progress or cancellation.
///
/// # Errors
/// [`ImportError::Open`] when the file cannot be opened; otherwise as [`import_csv`].
pub fn import_csv_path(path: &Path) -> Result<Bars, ImportError> {
    let file = std::fs::File::open(path).map_err(|source| ImportError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let total = file.metadata().ok().map(|m| m.len());
    import_csv(file, total, &mut |_| {}, &AtomicBool::new(false))
}

/// Reads OHLCV bars from CSV text (handy in tests).
///
/// # Errors
/// As [`import_csv`].
pub fn import_csv_str(s: &str) -> Result<Bars, ImportError> {
    import_csv(
        s.as_bytes(),
        Some(s.len() as u64),
        &mut |_| {},
        &AtomicBool::new(false),
    )
}

/// Writes bars as CSV with the header `Date,Open,High,Low,Close,Volume`.
///
/// Times are ISO 8601 UTC: plain dates (`2024-01-31`) when every time is midnight, otherwise
/// `2024-01-31T09:30:00Z` (with `.mmm` when a time has milliseconds). Times outside years
/// 0000–9999 are written as integer Unix milliseconds. Prices and volumes use Rust's shortest
/// round-trip form, so [`import_csv`] reads back exactly the same bits.
///
/// # Errors
/// Any error from `w`.
pub fn write_csv<W: Write>(bars: &Bars, w: W) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 16, w);
    w.write_all(b"Date,Open,High,Low,Close,Volume\n")?;
    let dates_only = bars.time().iter().all(|t| t.rem_euclid(MS_PER_DAY) == 0);
    let mut line = String::with_capacity(128);
    for i in 0..bars.len() {
        line.clear();
        format_time(&mut line, bars.time()[i], dates_only);
        // Writing to a String cannot fail.
        let _ = writeln!(
            line,
            ",{},{},{},{},{}",
            bars.open()[i],
            bars.high()[i],
            bars.low()[i],
            bars.close()[i],
            bars.volume()[i]
        );
        w.write_all(line.as_bytes())?;
    }
    w.flush()
}

/// The value columns in the order `check_bar` takes them.
const VALUE_COLUMNS: [Column; 5] = [
    Column::Open,
    Column::High,
    Column::Low,
    Column::Close,
    Column::Volume,
];

/// The columns of a Binance kline dump, in order (the names its documentation uses).
const BINANCE_COLUMNS: [&str; 12] = [
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_volume",
    "trades",
    "taker_buy_base_volume",
    "taker_buy_quote_volume",
    "ignore",
];

/// Binance open times at or above this are microseconds (16 digits), below milliseconds.
const BINANCE_MICROS: i64 = 1_000_000_000_000_000;

/// Where each column sits in a row, and the header names for error messages.
struct Layout {
    time: usize,
    /// The separate time-of-day column of a MetaTrader export.
    time_of_day: Option<usize>,
    /// Field index of open, high, low, close, volume; volume may be absent.
    values: [Option<usize>; 5],
    /// Header names as written (trimmed), indexed by field.
    names: Vec<String>,
    /// Times of 16 digits are microseconds (Binance's spot dumps since 2025).
    micros: bool,
}

impl Layout {
    fn binance() -> Layout {
        Layout {
            time: 0,
            time_of_day: None,
            values: [Some(1), Some(2), Some(3), Some(4), Some(5)],
            names: BINANCE_COLUMNS.iter().map(|s| (*s).to_string()).collect(),
            micros: true,
        }
    }

    fn from_header(header: &csv::ByteRecord, detected: Detected) -> Result<Layout, ImportError> {
        let mt = detected.layout == FileLayout::MetaTrader;
        let names: Vec<String> = header
            .iter()
            .map(|f| {
                let s = String::from_utf8_lossy(f);
                s.trim_start_matches('\u{feff}').trim().to_string()
            })
            .collect();
        let found = || {
            let mut s = names
                .iter()
                .map(|n| if n.is_empty() { "(empty)" } else { n.as_str() })
                .collect::<Vec<_>>()
                .join(", ");
            if s.len() > 300 {
                let cut = (0..=300)
                    .rev()
                    .find(|&i| s.is_char_boundary(i))
                    .unwrap_or(0);
                s.truncate(cut);
                s.push('…');
            }
            s
        };
        let header_error = |reason: String| ImportError::Header {
            reason,
            header: found(),
        };

        let mut time_cols = Vec::new();
        let mut time_of_day = None;
        let mut values: [Option<usize>; 5] = [None; 5];
        for (i, name) in names.iter().enumerate() {
            let norm: String = name
                .chars()
                .filter(|c| !matches!(c, ' ' | '_' | '-' | '<' | '>'))
                .flat_map(char::to_lowercase)
                .collect();
            let base = norm.strip_suffix("utc").unwrap_or(&norm);
            let slot = match norm.as_str() {
                "open" => Some(0),
                "high" => Some(1),
                "low" => Some(2),
                "close" => Some(3),
                // MetaTrader: tick volume; its <VOL> (exchange volume) is 0 for FX and CFDs.
                "tickvol" if mt => Some(4),
                "vol" | "spread" if mt => None,
                "volume" | "vol" => Some(4),
                _ => None,
            };
            if mt && norm == "time" {
                time_of_day = Some(i);
                continue;
            }
            if let Some(k) = slot {
                if let Some(first) = values[k] {
                    return Err(header_error(format!(
                        "columns {:?} and {:?} both look like {}",
                        names[first],
                        name,
                        VALUE_COLUMNS[k].name()
                    )));
                }
                values[k] = Some(i);
            } else if matches!(base, "date" | "datetime" | "time" | "timestamp") {
                time_cols.push(i);
            }
        }
        let time = match time_cols.as_slice() {
            [i] => *i,
            [] if names.first().is_some_and(|n| n.is_empty()) => 0,
            [] => {
                return Err(header_error(format!(
                    "no time column (expected Date, Datetime, Time or Timestamp, or an unnamed \
                     first column; the file must start with a header row; read as {})",
                    delimiter_name(detected.delimiter)
                )))
            }
            many => {
                let list: Vec<String> = many.iter().map(|&i| format!("{:?}", names[i])).collect();
                return Err(header_error(format!(
                    "several time columns ({}); keep exactly one",
                    list.join(", ")
                )));
            }
        };
        for k in 0..4 {
            if values[k].is_none() {
                let want = ["Open", "High", "Low", "Close"][k];
                return Err(header_error(format!("missing column {want}")));
            }
        }
        Ok(Layout {
            time,
            time_of_day,
            values,
            names,
            micros: false,
        })
    }

    /// A data row's time and values (`field(i)` is the row's field `i`), parsed but not yet
    /// checked against the bar rules; an error names `line()`.
    #[inline]
    fn parse_row<'a>(
        &self,
        field: impl Fn(usize) -> &'a [u8],
        line: impl Fn() -> u64,
    ) -> Result<(i64, [f64; 5]), ImportError> {
        let time_of_day = self.time_of_day.map(&field);
        let t = self
            .time_of(field(self.time), time_of_day)
            .map_err(|reason| self.row_error(line(), Column::Time, reason))?;
        let mut v = [0.0f64; 5];
        for (k, slot) in v.iter_mut().enumerate() {
            if let Some(idx) = self.values[k] {
                *slot = parse_number(field(idx))
                    .map_err(|reason| self.row_error(line(), VALUE_COLUMNS[k], reason))?;
            }
        }
        Ok((t, v))
    }

    /// A row's time from its time field (and time-of-day field, in a MetaTrader export).
    #[inline]
    fn time_of(&self, raw: &[u8], time_of_day: Option<&[u8]>) -> Result<i64, String> {
        let t = match time_of_day {
            Some(tod) => parse_date_and_time(raw, tod),
            None => parse_time(raw),
        }?;
        Ok(if self.micros && t >= BINANCE_MICROS {
            t / 1000
        } else {
            t
        })
    }

    fn field_index(&self, col: Column) -> usize {
        match col {
            Column::Time => self.time,
            Column::Open => self.values[0].unwrap_or(self.time),
            Column::High => self.values[1].unwrap_or(self.time),
            Column::Low => self.values[2].unwrap_or(self.time),
            Column::Close => self.values[3].unwrap_or(self.time),
            Column::Volume => self.values[4].unwrap_or(self.time),
        }
    }

    #[cold]
    fn row_error(&self, line: u64, col: Column, reason: String) -> ImportError {
        let column = if col == Column::Volume && self.values[4].is_none() {
            "Volume (missing, filled with 0)".to_string()
        } else {
            match self.names.get(self.field_index(col)) {
                Some(n) if n.is_empty() => "(unnamed first column)".to_string(),
                Some(n) => n.clone(),
                None => col.name().to_string(),
            }
        };
        ImportError::Row {
            line,
            column,
            reason,
        }
    }
}

/// A reader that ends the input with a `\n` when it does not already, so that every record
/// has a line terminator and [`record_line`] can count back from the end of a record.
///
/// It also notes whether the first line ends in `\r\n`, which decides how csv counts lines.
struct Terminated<R> {
    inner: R,
    last: Option<u8>,
    emitted: u64,
    appended: bool,
    /// Whether the first `\n` of the input follows a `\r`; `None` until one is seen.
    crlf: Option<bool>,
}

impl<R: Read> Terminated<R> {
    fn new(inner: R) -> Self {
        Terminated {
            inner,
            last: None,
            emitted: 0,
            appended: false,
            crlf: None,
        }
    }
}

impl<R: Read> Read for Terminated<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // `min` guards against a reader that misreports how much it wrote.
        let n = self.inner.read(buf)?.min(buf.len());
        if n > 0 {
            if self.crlf.is_none() {
                if let Some(i) = buf[..n].iter().position(|&b| b == b'\n') {
                    let before = if i == 0 { self.last } else { Some(buf[i - 1]) };
                    self.crlf = Some(before == Some(b'\r'));
                }
            }
            self.last = Some(buf[n - 1]);
            self.emitted += n as u64;
            return Ok(n);
        }
        if self.appended || self.last.is_none() || self.last == Some(b'\n') {
            return Ok(0);
        }
        buf[0] = b'\n';
        self.appended = true;
        self.emitted += 1;
        Ok(1)
    }
}

/// Bytes of the caller's input consumed so far (the added final `\n` not counted).
fn bytes_read<R: Read>(rdr: &csv::Reader<Terminated<R>>) -> u64 {
    let src = rdr.get_ref();
    rdr.position()
        .byte()
        .min(src.emitted - u64::from(src.appended))
}

/// Line feeds inside a record's fields (quoted multi-line values).
fn newlines_in(record: &csv::ByteRecord) -> u64 {
    record.as_slice().iter().filter(|&&b| b == b'\n').count() as u64
}

/// The 1-based line where the record just read starts.
///
/// csv's own record positions are off after blank lines and in CRLF files (the `\n` of a
/// `\r\n` is consumed with the next record), so count back from the reader's position after
/// the record: minus the line feeds inside its fields, minus its terminating `\n` when it
/// consumed one. In an LF file every record does ([`Terminated`] adds one at the end); in a
/// CRLF file a record stops at the `\r`, except a last line that [`Terminated`] ended.
#[cold]
fn record_line<R: Read>(rdr: &csv::Reader<Terminated<R>>, record: &csv::ByteRecord) -> u64 {
    let end = rdr.position();
    let src = rdr.get_ref();
    let ended_by_added_lf = src.appended && end.byte() == src.emitted;
    let lf_style = src.crlf != Some(true);
    let terminator = u64::from(lf_style || ended_by_added_lf);
    end.line()
        .saturating_sub(newlines_in(record) + terminator)
        .max(1)
}

#[cold]
fn csv_error(e: csv::Error) -> ImportError {
    let line = e.position().map_or(0, csv::Position::line);
    match e.into_kind() {
        csv::ErrorKind::Io(io) => ImportError::Io(io),
        other => ImportError::Csv {
            line,
            reason: format!("{other:?}"),
        },
    }
}

/// Shows a raw field in an error message: lossy UTF-8, at most 40 characters, quoted.
fn show(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    let mut t: String = s.chars().take(40).collect();
    if s.chars().nth(40).is_some() {
        t.push('…');
    }
    format!("{t:?}")
}

/// Parses a price or volume. Empty fields are missing values; `NaN` parses and is rejected
/// by `check_bar` as not finite.
#[inline]
fn parse_number(raw: &[u8]) -> Result<f64, String> {
    match plain_decimal(raw) {
        Some(v) => Ok(v),
        None => parse_number_std(raw),
    }
}

/// `f64::from_str` on the trimmed field: every form Rust accepts (exponents, `inf`, `NaN`…).
#[cold]
fn parse_number_std(raw: &[u8]) -> Result<f64, String> {
    let t = raw.trim_ascii();
    if t.is_empty() {
        return Err("empty value (missing number)".into());
    }
    std::str::from_utf8(t)
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .ok_or_else(|| format!("not a number: {}", show(raw)))
}

/// Powers of ten exactly representable as `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The fast path of [`parse_number`]: `[-]digits[.digits]` with at most 2^53 as the digits'
/// integer and at most 22 decimals, else `None`. Both the integer and the power of ten are
/// then exact doubles, so their quotient is the correctly rounded value: the same bits as
/// `f64::from_str` (Clinger's fast path, which the standard library takes for these too).
#[inline]
fn plain_decimal(raw: &[u8]) -> Option<f64> {
    scan_decimal(raw, 0).and_then(|(v, end)| (end == raw.len()).then_some(v))
}

/// [`plain_decimal`] of the number at `b[at..]`, which ends at the first byte that cannot
/// continue it: the value and where that byte is (`b.len()` at the end).
#[inline]
fn scan_decimal(b: &[u8], at: usize) -> Option<(f64, usize)> {
    let negative = b.get(at) == Some(&b'-');
    let mut i = at + usize::from(negative);
    let mut mantissa: u64 = 0;
    let mut digits = 0usize;
    let mut decimals = 0usize;
    let mut point = false;
    while let Some(&c) = b.get(i) {
        let d = c.wrapping_sub(b'0');
        if d < 10 {
            // 19 digits cannot overflow a u64; the 2^53 bound is checked below.
            if digits == 19 {
                return None;
            }
            mantissa = mantissa * 10 + u64::from(d);
            digits += 1;
            decimals += usize::from(point);
        } else if c == b'.' && !point {
            point = true;
        } else {
            break;
        }
        i += 1;
    }
    if digits == 0 || mantissa > 1 << 53 || decimals >= POW10.len() {
        return None;
    }
    let v = mantissa as f64 / POW10[decimals];
    Some((if negative { -v } else { v }, i))
}

/// Parses a time field into UTC milliseconds since the Unix epoch.
pub(crate) fn parse_time(raw: &[u8]) -> Result<i64, String> {
    let t = raw.trim_ascii();
    if t.is_empty() {
        return Err("empty date/time".into());
    }
    if let Some(ms) = parse_iso_fast(t) {
        return Ok(ms);
    }
    let digits = t.strip_prefix(b"-").unwrap_or(t);
    if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) {
        let out_of_range = || format!("timestamp out of range: {}", show(raw));
        let v = std::str::from_utf8(t)
            .ok()
            .and_then(|s| s.parse::<i64>().ok())
            .ok_or_else(out_of_range)?;
        if let Some(ms) = yyyymmdd(t) {
            return Ok(ms);
        }
        if (0..ROW_NUMBER_LIMIT).contains(&v) {
            return Err(format!(
                "{v} is not a time: as Unix seconds it would fall before 1973-03-03; a column \
                 of row numbers 0, 1, 2… is a pandas RangeIndex (write the file with \
                 index=False, or with the dates as the index)"
            ));
        }
        return if v.unsigned_abs() >= UNIX_MS_THRESHOLD as u64 {
            Ok(v)
        } else {
            v.checked_mul(1000).ok_or_else(out_of_range)
        };
    }
    std::str::from_utf8(t)
        .ok()
        .and_then(parse_time_chrono)
        .ok_or_else(|| format!("unparseable date/time: {}", show(raw)))
}

/// Non-negative integer times below this (Unix seconds before 1973-03-03) are refused as row
/// numbers, unless they read as `YYYYMMDD` dates.
const ROW_NUMBER_LIMIT: i64 = 100_000_000;

/// An eight-digit integer that is a valid `YYYYMMDD` date in 1900–2199, as midnight UTC.
fn yyyymmdd(t: &[u8]) -> Option<i64> {
    if t.len() != 8 {
        return None;
    }
    let (y, m, d) = (digits(t, 0, 4)?, digits(t, 4, 2)?, digits(t, 6, 2)?);
    if !(1900..2200).contains(&y) || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(i64::from(y), m, d) * MS_PER_DAY)
}

/// A date and a time of day in two fields (MetaTrader's `<DATE>` and `<TIME>`).
fn parse_date_and_time(date: &[u8], time: &[u8]) -> Result<i64, String> {
    let (d, t) = (date.trim_ascii(), time.trim_ascii());
    let mut joined = Vec::with_capacity(d.len() + t.len() + 1);
    joined.extend_from_slice(d);
    joined.push(b' ');
    joined.extend_from_slice(t);
    parse_iso_fast(&joined).ok_or_else(|| {
        format!(
            "unparseable date and time: {} {} (expected 2024.01.31 and 09:30[:00])",
            show(date),
            show(time)
        )
    })
}

/// Slow path for shapes the fast path does not take.
#[cold]
fn parse_time_chrono(s: &str) -> Option<i64> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.timestamp_millis());
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.timestamp_millis());
    }
    for fmt in [
        "%Y/%m/%d %H:%M:%S%.f",
        "%Y/%m/%d %H:%M",
        "%Y/%m/%dT%H:%M:%S%.f",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(d.and_utc().timestamp_millis());
        }
    }
    let d = NaiveDate::parse_from_str(s, "%Y/%m/%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// Reads `n` ASCII digits at `b[at..]` as a number.
#[inline]
fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in s {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u32::from(d);
    }
    Some(v)
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Fast path for `YYYY-MM-DD` optionally followed by `[T ]HH:MM[:SS[.f+]]` and an offset
/// (`Z`, `±HH:MM`, `±HHMM`, `±HH`). `None` when the shape or a value does not fit.
fn parse_iso_fast(b: &[u8]) -> Option<i64> {
    iso_time_of_day(b, iso_date(b)?)
}

/// The date at the start of `b` (`2024-01-31`, or MetaTrader's `2024.01.31`) as milliseconds
/// at its midnight, for [`parse_iso_fast`].
#[inline]
fn iso_date(b: &[u8]) -> Option<i64> {
    if b.len() < 10 || !matches!(b[4], b'-' | b'.') || b[7] != b[4] {
        return None;
    }
    let (y, m, d) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(i64::from(y), m, d) * MS_PER_DAY)
}

/// The last date [`iso_date`] read, kept for the rows after it on the same day.
#[derive(Default)]
struct LastDate {
    text: [u8; 10],
    ms: Option<i64>,
}

impl LastDate {
    /// [`parse_iso_fast`] of `b`, the date read only when it differs from the last one.
    #[inline]
    fn parse_iso(&mut self, b: &[u8]) -> Option<i64> {
        let text = b.get(..10)?;
        let ms = match self.ms {
            Some(ms) if text == self.text => ms,
            _ => {
                let ms = iso_date(b)?;
                self.text.copy_from_slice(text);
                self.ms = Some(ms);
                ms
            }
        };
        iso_time_of_day(b, ms)
    }
}

/// [`parse_iso_fast`] after the date: `ms` is the date's midnight.
#[inline]
fn iso_time_of_day(b: &[u8], mut ms: i64) -> Option<i64> {
    if b.len() == 10 {
        return Some(ms);
    }
    if !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (hh, mm) = (digits(b, 11, 2)?, digits(b, 14, 2)?);
    if b.get(13) != Some(&b':') || hh > 23 || mm > 59 {
        return None;
    }
    let mut secs = hh * 3600 + mm * 60;
    let mut i = 16;
    if b.get(i) == Some(&b':') {
        let ss = digits(b, i + 1, 2)?;
        if ss > 59 {
            return None;
        }
        secs += ss;
        i += 3;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            let mut frac = 0u32;
            while let Some(c) = b.get(i).filter(|c| c.is_ascii_digit()) {
                if i - start < 3 {
                    frac = frac * 10 + u32::from(c - b'0');
                }
                i += 1;
            }
            if i == start {
                return None;
            }
            for _ in (i - start)..3 {
                frac *= 10;
            }
            ms += i64::from(frac);
        }
    }
    ms += i64::from(secs) * 1000;
    match b.get(i) {
        None => Some(ms),
        Some(b'Z' | b'z') if i + 1 == b.len() => Some(ms),
        Some(&sign @ (b'+' | b'-')) => {
            let oh = digits(b, i + 1, 2)?;
            let om = match b.len() - (i + 3) {
                0 => 0,
                2 => digits(b, i + 3, 2)?,
                3 if b[i + 3] == b':' => digits(b, i + 4, 2)?,
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let off = i64::from(oh * 3600 + om * 60) * 1000;
            Some(if sign == b'+' { ms - off } else { ms + off })
        }
        _ => None,
    }
}

/// Appends `t` as ISO 8601 UTC; a plain date when `date_only`.
fn format_time(out: &mut String, t: i64, date_only: bool) {
    let days = t.div_euclid(MS_PER_DAY);
    let in_day = t.rem_euclid(MS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    if !(0..=9999).contains(&y) {
        let _ = write!(out, "{t}");
        return;
    }
    let _ = write!(out, "{y:04}-{m:02}-{d:02}");
    if date_only {
        return;
    }
    let (hh, mm, ss, ms) = (
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    );
    let _ = write!(out, "T{hh:02}:{mm:02}:{ss:02}");
    if ms != 0 {
        let _ = write!(out, ".{ms:03}");
    }
    out.push('Z');
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};

    fn ms(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
            .unwrap()
            .timestamp_millis()
    }

    fn row_err(csv: &str) -> (u64, String, String) {
        match import_csv_str(csv) {
            Err(ImportError::Row {
                line,
                column,
                reason,
            }) => (line, column, reason),
            other => panic!("expected a row error, got {other:?}"),
        }
    }

    /// Decimals of every length up to 22 digits on each side of the point, with and without
    /// a sign, followed by what ends a field or by what the fast path leaves to the standard
    /// library: the same number, read to the same byte, as `f64::from_str` reads the text of
    /// `-?[0-9]*(\.[0-9]*)?` there, whenever it has 1 to 19 digits whose integer is at most
    /// 2^53; nothing otherwise.
    #[test]
    fn scan_decimal_reads_what_the_standard_library_reads() {
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        for case in 0..50_000 {
            let mut text = String::new();
            let at = next(3) as usize;
            text.push_str(&"9,"[..at.min(2)]);
            text.push_str(&",".repeat(at.saturating_sub(2)));
            if next(4) == 0 {
                text.push('-');
            }
            let digits = |next: &mut dyn FnMut(u64) -> u64| -> String {
                // Short runs are what prices are; long ones cross the 8-byte words.
                let len = if next(3) == 0 { next(23) } else { next(5) };
                (0..len)
                    .map(|_| char::from(b'0' + next(10) as u8))
                    .collect()
            };
            let whole = digits(&mut next);
            text.push_str(&whole);
            let point = next(3) > 0;
            let fraction = if point {
                text.push('.');
                digits(&mut next)
            } else {
                String::new()
            };
            text.push_str(&fraction);
            let end = text.len();
            // A second point ends the number too.
            let after = [",", "\n", "e3", "x", "", ".5"];
            text.push_str(after[next(if point { 6 } else { 5 }) as usize]);
            let all = format!("{whole}{fraction}");
            let mantissa = all.parse::<u128>().ok();
            let want = match mantissa {
                Some(m) if all.len() <= 19 && m <= 1 << 53 => {
                    let v = text[at..end].parse::<f64>().unwrap();
                    Some((v.to_bits(), end))
                }
                _ => None,
            };
            let got = scan_decimal(text.as_bytes(), at).map(|(v, e)| (v.to_bits(), e));
            assert_eq!(got, want, "case {case}: {text:?} from {at}");
        }
    }

    const HEAD: &str = "Date,Open,High,Low,Close,Volume\n";

    #[test]
    fn every_time_format_parses_to_utc_ms() {
        let day = ms(2024, 1, 31, 0, 0, 0);
        let t930 = ms(2024, 1, 31, 9, 30, 0);
        let cases: &[(&str, i64)] = &[
            ("2024-01-31", day),
            ("2024-01-31T09:30:00", t930),
            ("2024-01-31 09:30:00", t930),
            ("2024-01-31T09:30", t930),
            ("2024-01-31T09:30:00Z", t930),
            ("2024-01-31t09:30:00z", t930),
            ("2024-01-31T11:30:00+02:00", t930),
            ("2024-01-31T11:30:00+0200", t930),
            ("2024-01-31T11:30:00+02", t930),
            ("2024-01-31 04:30:00-05:00", t930),
            ("2024-01-31T09:30:00.5", t930 + 500),
            ("2024-01-31T09:30:00.123Z", t930 + 123),
            ("2024-01-31 09:30:00.123456789", t930 + 123),
            ("2024-01-31T09:30:00.12+00:00", t930 + 120),
            ("1706693400", t930),
            ("1706693400000", t930),
            ("  2024-01-31  ", day),
            ("2024/01/31", day),
            ("2024/01/31 09:30:00", t930),
            ("Wed, 31 Jan 2024 09:30:00 +0000", t930),
            ("1960-02-29", ms(1960, 2, 29, 0, 0, 0)),
            ("-86400", -86_400_000),
        ];
        for (text, want) in cases {
            assert_eq!(parse_time(text.as_bytes()), Ok(*want), "{text}");
        }
        for bad in [
            "2024-02-30",
            "2023-02-29",
            "2024-13-01",
            "2024-01-31T24:00:00",
            "2024-01-31T09:60",
            "2024-01-31T09:30:00+",
            "2024-01-31T09:30:00.",
            "31/01/2024",
            "yesterday",
            "",
            "99999999999999999999",
        ] {
            assert!(parse_time(bad.as_bytes()).is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn fast_path_agrees_with_chrono_over_many_days() {
        use chrono::Datelike;
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        for days in (-800_000..800_000).step_by(97) {
            let date = epoch + chrono::TimeDelta::days(days);
            let want = (i64::from(date.year()), date.month(), date.day());
            assert_eq!(civil_from_days(days), want, "{date}");
            if (0..=9999).contains(&date.year()) {
                let text = date.format("%Y-%m-%d").to_string();
                assert_eq!(
                    parse_iso_fast(text.as_bytes()),
                    Some(days * MS_PER_DAY),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn accepts_bom_crlf_quotes_case_and_extra_columns() {
        let csv = "\u{feff}\"date\", OPEN ,High,low,Close,Adj Close,volume,Dividends\r\n\
                   \"2024-01-02\",10,\"11\",9,10.5,10.4,\"1000\",0\r\n\
                   2024-01-03,10.5,12,10,11,10.9,2000,0\r\n";
        let bars = import_csv_str(csv).unwrap();
        assert_eq!(bars.len(), 2);
        assert_eq!(bars.time()[0], ms(2024, 1, 2, 0, 0, 0));
        assert_eq!(bars.close(), &[10.5, 11.0]);
        assert_eq!(bars.volume(), &[1000.0, 2000.0]);
    }

    #[test]
    fn unnamed_first_column_is_the_pandas_index() {
        let csv = ",Open,High,Low,Close,Volume\n\
                   2024-01-02 00:00:00-05:00,10,11,9,10,5\n\
                   2024-01-03 00:00:00-05:00,10,11,9,10,5\n";
        let bars = import_csv_str(csv).unwrap();
        assert_eq!(
            bars.time(),
            &[ms(2024, 1, 2, 5, 0, 0), ms(2024, 1, 3, 5, 0, 0)]
        );
        let (line, column, _) = row_err(",Open,High,Low,Close,Volume\nnope,10,11,9,10,5\n");
        assert_eq!((line, column.as_str()), (2, "(unnamed first column)"));
    }

    #[test]
    fn named_time_column_wins_over_an_unnamed_index() {
        let csv = ",Timestamp_UTC,Open,High,Low,Close,Volume\n0,1706693400,10,11,9,10,5\n";
        let bars = import_csv_str(csv).unwrap();
        assert_eq!(bars.time(), &[ms(2024, 1, 31, 9, 30, 0)]);
    }

    #[test]
    fn missing_volume_is_filled_with_zero() {
        let bars = import_csv_str("Datetime,Open,High,Low,Close\n2024-01-02,1,2,1,2\n").unwrap();
        assert_eq!(bars.volume(), &[0.0]);
    }

    #[test]
    fn header_errors_name_the_column_and_list_the_header() {
        let e = import_csv_str("Date,Open,High,Low,Adj Close,Volume\n2024-01-02,1,1,1,1,1\n")
            .unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, ImportError::Header { .. }), "{text}");
        assert!(text.contains("missing column Close"), "{text}");
        assert!(
            text.contains("Date, Open, High, Low, Adj Close, Volume"),
            "{text}"
        );
        assert!(!text.contains('\n'));
        let e = import_csv_str("Date,Time,Open,High,Low,Close\n").unwrap_err();
        assert!(e.to_string().contains("several time columns"), "{e}");
        let e = import_csv_str("Open,High,Low,Close\n1,1,1,1\n").unwrap_err();
        assert!(e.to_string().contains("no time column"), "{e}");
        let e = import_csv_str("Date,Open,High,Low,Close,Close\n").unwrap_err();
        assert!(e.to_string().contains("both look like close"), "{e}");
    }

    #[test]
    fn each_bad_row_kind_names_line_and_column() {
        let ok = "2024-01-02,10,11,9,10,100\n";
        let cases: &[(&str, &str, &str)] = &[
            ("2024-01-03,abc,11,9,10,100\n", "Open", "not a number"),
            ("2024-01-03,10,11,9,,100\n", "Close", "empty value"),
            (
                "2024-01-03,10,11,9,NaN,100\n",
                "Close",
                "not a finite number",
            ),
            ("2024-01-03,10,11,0,10,100\n", "Low", "must be positive"),
            ("2024-01-03,-1,11,9,10,100\n", "Open", "must be positive"),
            ("2024-01-03,10,8,9,10,100\n", "High", "below low"),
            ("2024-01-03,12,11,9,10,100\n", "High", "below open"),
            ("2024-01-03,10,11,10.5,10.6,100\n", "Low", "above open"),
            ("2024-01-03,10,11,9,10,-5\n", "Volume", "volume"),
            ("2024-01-02,10,11,9,10,100\n", "Date", "duplicate"),
            ("2024-01-01,10,11,9,10,100\n", "Date", "earlier"),
            ("2024-01-32,10,11,9,10,100\n", "Date", "unparseable date"),
        ];
        for (bad, column, reason) in cases {
            let csv = format!("{HEAD}{ok}{bad}");
            let (l, c, r) = row_err(&csv);
            assert_eq!((l, c.as_str()), (3, *column), "{bad}: {r}");
            assert!(r.contains(reason), "{bad}: {r}");
        }
        let csv = format!("{HEAD}{ok}2024-01-03,10,11,9,10,100\n2024-01-04,10,11,9,10,1,7\n");
        match import_csv_str(&csv) {
            Err(
                e @ ImportError::Ragged {
                    line: 4,
                    found: 7,
                    expected: 6,
                },
            ) => {
                assert_eq!(
                    e.to_string(),
                    "line 4: row has 7 fields but the header has 6"
                );
            }
            other => panic!("{other:?}"),
        }
        let csv = format!("{HEAD}{ok}2024-01-03,10,11\n");
        assert!(matches!(
            import_csv_str(&csv),
            Err(ImportError::Ragged { line: 3, .. })
        ));
    }

    #[test]
    fn line_numbers_follow_the_file_through_blank_lines_crlf_and_multiline_quotes() {
        let rows = [
            "Date,Open,High,Low,Close,Volume,Note",
            "2024-01-02,10,11,9,10,100,\"two",
            "lines\"",
            "",
            "2024-01-03,10,11,9,10,100,x",
            "",
            "",
            "2024-01-04,10,11,9,10,100,x",
            "2024-01-05,10,11,9,10,100,\"3",
            "",
            "lines\"",
            "2024-01-06,10,11,9,10,100,x",
        ];
        for eol in ["\n", "\r\n"] {
            for bad_at in [1usize, 4, 7, 8, 11] {
                for trailing in [true, false] {
                    let mut lines: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
                    lines[bad_at] = lines[bad_at].replacen(",9,10,", ",9,0,", 1);
                    let mut csv = lines.join(eol);
                    if trailing {
                        csv.push_str(eol);
                    }
                    let (line, column, _) = row_err(&csv);
                    let want = (bad_at as u64 + 1, "Close");
                    assert_eq!((line, column.as_str()), want, "{eol:?} {bad_at} {trailing}");
                }
            }
        }
        let csv = "\r\n\r\nDate,Open,High,Low,Close,Volume\r\n2024-01-02,10,11,9,10,1\r\n\
                   2024-01-03,10,11,9,0,100\r\n";
        assert_eq!(row_err(csv).0, 5);
        let csv = "Date,Open,High,Low,Close,Volume\r\n2024-01-02,10,11,9,0,100\r\n";
        let e = import_csv_str(csv).unwrap_err().to_string();
        assert_eq!(e, "line 2, column \"Close\": price must be positive, got 0");
        let csv = "Date,Open,High,Low,Close\r\n2024-01-02,1,1,1,1\r\n\r\n2024-01-03,1,1\r\n";
        assert!(matches!(
            import_csv_str(csv),
            Err(ImportError::Ragged { line: 4, .. })
        ));
    }

    #[test]
    fn empty_inputs_are_clear_errors() {
        for s in [
            "",
            "\n\n",
            "\u{feff}",
            HEAD,
            "Date,Open,High,Low,Close\r\n\r\n",
        ] {
            assert!(
                matches!(import_csv_str(s), Err(ImportError::Empty)),
                "{s:?}"
            );
        }
    }

    #[test]
    fn cancellation_stops_the_import_and_progress_is_reported() {
        let mut csv = String::from(HEAD);
        for i in 0..70_000i64 {
            let _ = writeln!(csv, "{},10,11,9,10,1", 1_700_000_000 + i * 60);
        }
        let cancel = AtomicBool::new(true);
        let r = import_csv(csv.as_bytes(), None, &mut |_| {}, &cancel);
        assert!(matches!(r, Err(ImportError::Cancelled)));

        let cancel = AtomicBool::new(false);
        let mut seen = Vec::new();
        let r = import_csv(
            csv.as_bytes(),
            None,
            &mut |p| {
                seen.push(p);
                cancel.store(true, Ordering::Relaxed);
            },
            &cancel,
        );
        assert!(matches!(r, Err(ImportError::Cancelled)));
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].rows, 65_536);

        let cancel = AtomicBool::new(false);
        let mut seen = Vec::new();
        let total = Some(csv.len() as u64);
        let bars = import_csv(csv.as_bytes(), total, &mut |p| seen.push(p), &cancel).unwrap();
        assert_eq!(bars.len(), 70_000);
        let last = seen.last().copied().unwrap();
        assert_eq!(
            last,
            ImportProgress {
                rows: 70_000,
                bytes: csv.len() as u64,
                total_bytes: total
            }
        );
    }

    #[test]
    fn write_then_import_is_bit_exact() {
        let cfg = crate::synth::SynthConfig {
            bars: 3000,
            ..Default::default()
        };
        let bars = crate::synth::random_walk(&cfg).unwrap();
        let mut out = Vec::new();
        write_csv(&bars, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("Date,Open,High,Low,Close,Volume\n2015-01-02,"),
            "{text:.80}"
        );
        let back = import_csv_str(&text).unwrap();
        assert_eq!(back, bars);
        assert_eq!(back.hash(), bars.hash());

        let minute = crate::synth::SynthConfig {
            step_ms: 60_000,
            bars: 3000,
            ..cfg
        };
        let bars = crate::synth::random_walk(&minute).unwrap();
        let mut out = Vec::new();
        write_csv(&bars, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("\n2015-01-02T00:01:00Z,"), "{text:.200}");
        assert_eq!(import_csv_str(&text).unwrap(), bars);
    }

    #[test]
    fn odd_values_round_trip_too() {
        let t = vec![
            -5_000_000_000_000_000,
            -1,
            1_706_693_400_123,
            400_000_000_000_000,
        ];
        let p = vec![
            1e-7,
            0.1 + 0.2,
            123_456_789.123_456_78,
            999_999_999.999_999_9,
        ];
        let v = vec![0.0, 1.5, 1e300, 7.0];
        let bars = Bars::new(t, p.clone(), p.clone(), p.clone(), p, v).unwrap();
        let mut out = Vec::new();
        write_csv(&bars, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(import_csv_str(&text).unwrap(), bars, "{text}");
    }

    #[test]
    fn garbage_never_panics() {
        let inputs = [
            "\u{0}\u{1}\u{2}",
            "Date,Open,High,Low,Close\n\"unterminated,1,2,3,4\n",
            "Date,Open,High,Low,Close\n2024-01-02,1e999,1e999,1e999,1e999\n",
            "Date,Open,High,Low,Close\n2024-01-02,inf,inf,1,1\n",
            "Date,Open,High,Low,Close\n\u{fffd}\u{fffd},1,1,1,1\n",
            "Date,Open,High,Low,Close\n9223372036854775807,1,1,1,1\n",
            "Date,Open,High,Low,Close\n-9223372036854775808,1,1,1,1\n",
            "Date,Open,High,Low,Close\n9999-12-31T23:59:59.999-23:59,1,1,1,1\n",
        ];
        for s in inputs {
            let _ = import_csv_str(s);
        }
        let bytes: &[u8] = b"Date,Open,High,Low,Close\n\xff\xfe,1,1,1,1\n";
        let r = import_csv(bytes, None, &mut |_| {}, &AtomicBool::new(false));
        assert!(matches!(r, Err(ImportError::Row { line: 2, .. })), "{r:?}");
    }

    #[test]
    fn path_import_reports_open_errors() {
        let e = import_csv_path(Path::new("/definitely/not/here.csv")).unwrap_err();
        assert!(matches!(e, ImportError::Open { .. }));
        assert!(e.to_string().contains("/definitely/not/here.csv"));
    }
}
