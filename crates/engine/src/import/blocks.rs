//! The block reader behind [`import_csv`](super::import_csv): the input is read a block at a
//! time; a block ends at a line break and is cut at line breaks into one piece per core; the
//! pieces are parsed side by side, each straight into its own stretch of the final columns
//! (as many rows as it has lines), and joined in file order.
//!
//! What comes out is exactly what the csv crate's record-by-record reader
//! ([`import_sequential`]) gives: the same bars, and for bad input the same error, at the same
//! line, for the first bad row in file order. A piece checks each row against the row before
//! it in the piece; the join checks each piece's first row against the previous piece's last,
//! before anything the piece itself found wrong with that row's values, as
//! [`check_bar`](crate::bars::check_bar) orders its checks.
//!
//! Lines the block reader does not split itself (a quote, which may hide a delimiter or a line
//! break in a field, or a carriage return that does not end a line) are handed with the rest
//! of the input to [`import_sequential`], which then carries on from the rows read so far.

use std::io::{Cursor, Read};
use std::sync::atomic::{AtomicBool, Ordering};

use super::{
    import_sequential, scan_decimal, sniff, Columns, FileLayout, ImportError, ImportProgress,
    LastDate, Layout, Resume, BINANCE_COLUMNS, CANCEL_EVERY, PROGRESS_EVERY,
};
use crate::bars::{check_bar, check_time_order, values_ok, Bars};
use crate::swar;

/// A UTF-8 byte order mark (the csv crate skips one at the start of the input; so do we).
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Most rows allocated ahead from the input's announced size (134 million; more grow as read).
const MAX_RESERVE: usize = 1 << 27;

/// Where a piece puts its bars: its stretch of the final columns, filled from the start.
struct Rows<'a> {
    time: &'a mut [i64],
    values: [&'a mut [f64]; 5],
    len: usize,
}

impl Rows<'_> {
    /// The last bar's time.
    fn last_time(&self) -> Option<i64> {
        self.len.checked_sub(1).map(|i| self.time[i])
    }

    /// Adds a bar; a piece has room for one per line, so there is always room.
    #[inline]
    fn push(&mut self, t: i64, v: [f64; 5]) {
        let i = self.len;
        self.time[i] = t;
        for (col, x) in self.values.iter_mut().zip(v) {
            col[i] = x;
        }
        self.len = i + 1;
    }
}

/// The final columns, longer than the rows filled so far: the room past them is allocated
/// zeroed, which the allocator gets as untouched pages, so the pieces' threads are the first
/// to write it (side by side) and room never used costs no memory.
impl Columns {
    /// Room for at least `rows` rows in all, of which the first `filled` are kept.
    fn make_room(&mut self, filled: usize, rows: usize) {
        if self.time.len() >= rows {
            return;
        }
        let rows = rows.max(self.time.len() + self.time.len() / 2);
        let mut time = vec![0; rows];
        time[..filled].copy_from_slice(&self.time[..filled]);
        self.time = time;
        for col in &mut self.values {
            let mut grown = vec![0.0; rows];
            grown[..filled].copy_from_slice(&col[..filled]);
            *col = grown;
        }
    }

    /// Consecutive stretches of `rooms[k]` rows from row `from` on.
    fn stretches(&mut self, from: usize, rooms: &[usize]) -> Vec<Rows<'_>> {
        let mut time = &mut self.time[from..];
        let mut values = self.values.each_mut().map(|col| &mut col[from..]);
        rooms
            .iter()
            .map(|&room| {
                let (t, rest) = std::mem::take(&mut time).split_at_mut(room);
                time = rest;
                let values = values.each_mut().map(|col| {
                    let (v, rest) = std::mem::take(col).split_at_mut(room);
                    *col = rest;
                    v
                });
                Rows {
                    time: t,
                    values,
                    len: 0,
                }
            })
            .collect()
    }

    /// Moves `rows` rows at `from` down to `to` (`to` < `from`).
    fn shift(&mut self, from: usize, rows: usize, to: usize) {
        self.time.copy_within(from..from + rows, to);
        for col in &mut self.values {
            col.copy_within(from..from + rows, to);
        }
    }

    /// Only the first `rows` rows.
    fn truncate(&mut self, rows: usize) {
        self.time.truncate(rows);
        for col in &mut self.values {
            col.truncate(rows);
        }
    }
}

/// How the input is cut.
#[derive(Debug, Clone, Copy)]
pub(super) struct Cuts {
    /// Bytes read per block (the partial line at its end is carried over to the next).
    pub block: usize,
    /// Pieces a block is cut into at most (threads parsing side by side).
    pub threads: usize,
    /// Smallest piece worth a thread of its own.
    pub min_piece: usize,
}

impl Cuts {
    /// 8 MB blocks, one piece per core, pieces of at least 256 KB.
    pub(super) fn for_this_machine() -> Cuts {
        Cuts {
            block: 8 << 20,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            min_piece: 256 << 10,
        }
    }
}

/// Reads into `buf` until it holds `want` bytes or the input ends; true at the end.
fn fill<R: Read>(reader: &mut R, buf: &mut Vec<u8>, want: usize) -> std::io::Result<bool> {
    let missing = want.saturating_sub(buf.len());
    if missing == 0 {
        return Ok(false);
    }
    let got = reader.by_ref().take(missing as u64).read_to_end(buf)?;
    Ok(got < missing)
}

/// Splits `line` at `delimiter` into `fields`. False when the line holds a quote or a
/// carriage return: then the csv crate must read it.
#[inline]
fn split<'a>(line: &'a [u8], delimiter: u8, fields: &mut Vec<&'a [u8]>) -> bool {
    fields.clear();
    let mut start = 0;
    for (i, &b) in line.iter().enumerate() {
        if b == delimiter {
            fields.push(&line[start..i]);
            start = i + 1;
        } else if b == b'"' || b == b'\r' {
            return false;
        }
    }
    fields.push(&line[start..]);
    true
}

/// A line of `bytes` from `at`: its text without the line break, and where the next starts
/// (`None` for a last line without a `\n`).
#[inline]
fn line_at(bytes: &[u8], at: usize) -> (&[u8], Option<usize>) {
    let (line, next) = match memchr::memchr(b'\n', &bytes[at..]) {
        Some(i) => (&bytes[at..at + i], Some(at + i + 1)),
        None => (&bytes[at..], None),
    };
    (line.strip_suffix(b"\r").unwrap_or(line), next)
}

/// Why a piece stopped before its end.
enum Stop {
    /// A bad row; its line counts from 1 at the piece's first line.
    Bad(ImportError),
    /// The line at this byte offset of the piece, `line` lines (0-based) into the piece, needs
    /// the csv crate's reader.
    Handover {
        offset: usize,
        line: u64,
    },
    Cancelled,
}

/// What parsing a piece gave (its bars are in the [`Rows`] it was given).
struct Piece {
    /// The first row's time and its line (0-based in the piece), when the row parsed; the
    /// join checks it against the previous piece's last time.
    first: Option<(i64, u64)>,
    /// Line breaks passed (the lines the piece spans when it was read to the end).
    lines: u64,
    stop: Option<Stop>,
}

/// What the rows of a block need to be read.
struct RowFormat<'a> {
    layout: &'a Layout,
    expected: usize,
    delimiter: u8,
    /// What each field of a row is, in order (`expected` of them).
    roles: Vec<Role>,
}

/// What a field of a row holds.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    Time,
    /// The separate time of day of a MetaTrader export.
    TimeOfDay,
    /// Open, high, low, close or volume (0-4).
    Value(usize),
    Other,
}

impl<'a> RowFormat<'a> {
    fn new(layout: &'a Layout, expected: usize, delimiter: u8) -> Self {
        let roles = (0..expected)
            .map(|i| {
                if i == layout.time {
                    Role::Time
                } else if layout.time_of_day == Some(i) {
                    Role::TimeOfDay
                } else if let Some(k) = layout.values.iter().position(|&v| v == Some(i)) {
                    Role::Value(k)
                } else {
                    Role::Other
                }
            })
            .collect();
        RowFormat {
            layout,
            expected,
            delimiter,
            roles,
        }
    }

    /// Reads the line at `bytes[at..]` in one pass when everything in it is plain: the right
    /// number of fields, values that [`plain_decimal`](super::plain_decimal) reads, a time
    /// that parses and a bar that passes [`check_bar`] after `prev`. Returns the bar and where
    /// the line ends (its line break, or the end of `bytes`); `None` for anything else, which
    /// the general path then reads (and names, when it is wrong).
    #[inline]
    fn plain_row(
        &self,
        bytes: &[u8],
        at: usize,
        prev: Option<i64>,
        last_date: &mut LastDate,
    ) -> Option<(i64, [f64; 5], usize)> {
        let mut i = at;
        let mut v = [0.0f64; 5];
        let (mut time, mut time_of_day) = (&bytes[..0], None);
        let last = self.roles.len().saturating_sub(1);
        for (j, &role) in self.roles.iter().enumerate() {
            let start = i;
            if let Role::Value(k) = role {
                let (x, end) = scan_decimal(bytes, i)?;
                v[k] = x;
                i = end;
            } else {
                i = swar::find2(bytes, i, self.delimiter, b'\n');
                match role {
                    Role::Time => time = &bytes[start..i],
                    Role::TimeOfDay => time_of_day = Some(&bytes[start..i]),
                    _ => {}
                }
            }
            let next = bytes.get(i).copied();
            if j < last {
                if next != Some(self.delimiter) {
                    return None;
                }
                i += 1;
            } else if !matches!(next, None | Some(b'\n')) {
                return None;
            }
        }
        // An ISO time as it stands (no spaces around it) is what parse_time reads first.
        let iso = match time_of_day {
            None if !self.layout.micros => last_date.parse_iso(time),
            _ => None,
        };
        let t = match iso {
            Some(t) => t,
            None => self.layout.time_of(time, time_of_day).ok()?,
        };
        let in_order = prev.is_none_or(|p| t > p);
        (in_order && values_ok(v)).then_some((t, v, i))
    }
}

/// Parses the rows of `bytes` (whole lines) into `read` until the end or the first thing
/// that stops it. In bytes without quotes or carriage returns (what most files hold) a plain
/// line is read in one pass ([`RowFormat::plain_row`]); any other line is split into fields
/// and read by [`parse_line`], or handed over to the csv crate when it needs its reading.
fn parse_piece(bytes: &[u8], f: &RowFormat<'_>, cancel: &AtomicBool, read: &mut Rows) -> Piece {
    let mut piece = Piece {
        first: None,
        lines: 0,
        stop: None,
    };
    let mut fields: Vec<&[u8]> = Vec::with_capacity(f.expected + 1);
    let plain = memchr::memchr2(b'"', b'\r', bytes).is_none();
    let mut last_date = LastDate::default();
    let mut at = 0;
    while at < bytes.len() {
        let here = piece.lines;
        let row = if plain && bytes[at] != b'\n' {
            f.plain_row(bytes, at, read.last_time(), &mut last_date)
        } else {
            None
        };
        let (end, empty) = match row {
            Some((t, v, end)) => {
                if read.len == 0 {
                    piece.first = Some((t, here));
                }
                read.push(t, v);
                (end, false)
            }
            None => {
                let (line, next) = line_at(bytes, at);
                // An empty line is skipped, as the csv crate does.
                if !line.is_empty() {
                    if !split(line, f.delimiter, &mut fields) {
                        piece.stop = Some(Stop::Handover {
                            offset: at,
                            line: here,
                        });
                        return piece;
                    }
                    if let Some(stop) = parse_line(&fields, here + 1, f, &mut piece, read) {
                        piece.stop = Some(stop);
                        return piece;
                    }
                }
                (next.map_or(bytes.len(), |n| n - 1), line.is_empty())
            }
        };
        if !empty && read.len as u64 % CANCEL_EVERY == 0 && cancel.load(Ordering::Relaxed) {
            piece.stop = Some(Stop::Cancelled);
            return piece;
        }
        if end == bytes.len() {
            break;
        }
        at = end + 1;
        piece.lines += 1;
    }
    piece
}

/// Parses one row's fields into `piece` (`line` counts from 1 at the piece's first line).
#[inline]
fn parse_line(
    fields: &[&[u8]],
    line: u64,
    f: &RowFormat<'_>,
    piece: &mut Piece,
    read: &mut Rows,
) -> Option<Stop> {
    if fields.len() != f.expected {
        // A lone blank field is a line holding only spaces; the csv crate skips it too.
        if fields.len() == 1 && fields[0].trim_ascii().is_empty() {
            return None;
        }
        return Some(Stop::Bad(ImportError::Ragged {
            line,
            found: fields.len(),
            expected: f.expected,
        }));
    }
    let (t, v) = match f.layout.parse_row(|i| fields[i], || line) {
        Ok(row) => row,
        Err(e) => return Some(Stop::Bad(e)),
    };
    let prev = read.last_time();
    if prev.is_none() {
        piece.first = Some((t, line - 1));
    }
    if let Err((col, reason)) = check_bar(prev, t, v) {
        return Some(Stop::Bad(f.layout.row_error(line, col, reason)));
    }
    read.push(t, v);
    None
}

/// Cuts `bytes` (whole lines) at line breaks into at most `n` pieces of similar size; returns
/// where each piece starts.
fn cut(bytes: &[u8], n: usize) -> Vec<usize> {
    let mut starts = vec![0];
    for k in 1..n {
        let from = (bytes.len() * k / n).max(starts[starts.len() - 1]);
        match memchr::memchr(b'\n', &bytes[from..]) {
            Some(i) if from + i + 1 < bytes.len() => starts.push(from + i + 1),
            _ => break,
        }
    }
    starts.dedup();
    starts
}

/// A parsed piece: where it starts in its region, the row its stretch of the columns starts
/// at, and what parsing it gave with the rows it filled.
struct Parsed {
    start: usize,
    slot: usize,
    piece: Piece,
    rows: usize,
}

/// Parses a region of whole lines on up to `cuts.threads` threads, each piece into its own
/// stretch of `out` from row `filled` on (as many rows as it has lines; `out` grows to hold
/// them, `estimate` rows at once the first time); the pieces in file order.
fn parse_region(
    region: &[u8],
    f: &RowFormat<'_>,
    cuts: Cuts,
    cancel: &AtomicBool,
    out: &mut Columns,
    filled: usize,
    estimate: impl Fn(usize) -> usize,
) -> std::io::Result<Vec<Parsed>> {
    let n = cuts
        .threads
        .min(region.len() / cuts.min_piece.max(1))
        .max(1);
    let starts = cut(region, n);
    let bounds: Vec<(usize, usize)> = starts
        .iter()
        .enumerate()
        .map(|(k, &s)| (s, starts.get(k + 1).copied().unwrap_or(region.len())))
        .collect();
    // A row per line: the line breaks, and a last line without one.
    let rooms: Vec<usize> = bounds
        .iter()
        .map(|&(s, e)| {
            let bytes = &region[s..e];
            let unended = !bytes.is_empty() && bytes.last() != Some(&b'\n');
            memchr::memchr_iter(b'\n', bytes).count() + usize::from(unended)
        })
        .collect();
    let needed = filled + rooms.iter().sum::<usize>();
    out.make_room(filled, needed.max(estimate(needed - filled)));
    let mut slots = Vec::with_capacity(rooms.len());
    let mut slot = filled;
    for room in &rooms {
        slots.push(slot);
        slot += room;
    }
    let mut stretches = out.stretches(filled, &rooms);
    let parsed = |start: usize, slot: usize, piece: Piece, read: &Rows| Parsed {
        start,
        slot,
        piece,
        rows: read.len,
    };
    if bounds.len() == 1 {
        let read = &mut stretches[0];
        let piece = parse_piece(region, f, cancel, read);
        return Ok(vec![parsed(0, filled, piece, read)]);
    }
    let done = std::thread::scope(|scope| {
        let (own, others) = stretches.split_at_mut(1);
        let handles: Vec<_> = bounds[1..]
            .iter()
            .zip(others.iter_mut())
            .map(|(&(s, e), read)| {
                let bytes = &region[s..e];
                std::thread::Builder::new()
                    .name("csv-piece".into())
                    .spawn_scoped(scope, move || parse_piece(bytes, f, cancel, read))
            })
            .collect();
        let (s0, e0) = bounds[0];
        let first = parse_piece(&region[s0..e0], f, cancel, &mut own[0]);
        let mut done = vec![(s0, first)];
        for (&(s, _), handle) in bounds[1..].iter().zip(handles) {
            // A thread that could not be started is an error like a failed read.
            let piece = handle?
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            done.push((s, piece));
        }
        Ok::<_, std::io::Error>(done)
    })?;
    Ok(done
        .into_iter()
        .zip(slots)
        .zip(&stretches)
        .map(|(((start, piece), slot), read)| parsed(start, slot, piece, read))
        .collect())
}

/// Progress reports made so far.
struct Marks {
    /// Rows of the last report.
    reported: u64,
    total_bytes: Option<u64>,
}

/// Reports progress at each multiple of 65,536 rows up to `rows` not reported yet, `bytes`
/// read; stops with [`ImportError::Cancelled`] when the caller set `cancel` meanwhile.
fn report(
    marks: &mut Marks,
    rows: usize,
    bytes: u64,
    progress: &mut dyn FnMut(ImportProgress),
    cancel: &AtomicBool,
) -> Result<(), ImportError> {
    let rows = rows as u64;
    while marks.reported + PROGRESS_EVERY <= rows {
        marks.reported += PROGRESS_EVERY;
        progress(ImportProgress {
            rows: marks.reported,
            bytes,
            total_bytes: marks.total_bytes,
        });
        if cancel.load(Ordering::Relaxed) {
            return Err(ImportError::Cancelled);
        }
    }
    Ok(())
}

/// Reads bars from CSV: the header (or none, for a Binance dump) from the first block, then
/// block after block of rows; see the module docs.
pub(super) fn import<R: Read>(
    mut reader: R,
    total_bytes: Option<u64>,
    progress: &mut dyn FnMut(ImportProgress),
    cancel: &AtomicBool,
    cuts: Cuts,
) -> Result<Bars, ImportError> {
    if cancel.load(Ordering::Relaxed) {
        return Err(ImportError::Cancelled);
    }
    let mut buf: Vec<u8> = Vec::with_capacity(cuts.block);
    let mut eof = fill(&mut reader, &mut buf, cuts.block)?;
    // The layout and delimiter are told from the first line: read it whole.
    while !eof && memchr::memchr(b'\n', &buf).is_none() {
        let want = buf.len() + cuts.block;
        eof = fill(&mut reader, &mut buf, want)?;
    }
    let detected = sniff(&buf);
    let crlf = memchr::memchr(b'\n', &buf).map(|i| i > 0 && buf[i - 1] == b'\r');
    let mut at = if buf.starts_with(BOM) { BOM.len() } else { 0 };
    // The 1-based line of the file at `buf[at]`.
    let mut line = 1u64;

    let (layout, expected) = if detected.layout == FileLayout::BinanceKlines {
        (Layout::binance(), BINANCE_COLUMNS.len())
    } else {
        // The header: the first line that is not empty.
        loop {
            let (text, next) = line_at(&buf, at);
            if next.is_none() && !eof {
                // The line goes on beyond what was read.
                let want = buf.len() + cuts.block;
                eof = fill(&mut reader, &mut buf, want)?;
                continue;
            }
            if text.is_empty() {
                match next {
                    Some(n) => {
                        at = n;
                        line += 1;
                        continue;
                    }
                    None => return Err(ImportError::Empty),
                }
            }
            let mut fields = Vec::new();
            if !split(text, detected.delimiter, &mut fields) {
                // A quoted header: the csv crate reads the whole file.
                let input = Cursor::new(buf).chain(reader);
                return import_sequential(input, detected, None, total_bytes, progress, cancel);
            }
            if fields.len() == 1 && fields[0].trim_ascii().is_empty() {
                return Err(ImportError::Empty);
            }
            let header = csv::ByteRecord::from(fields);
            let layout = Layout::from_header(&header, detected)?;
            match next {
                Some(n) => {
                    at = n;
                    line += 1;
                }
                None => at = buf.len(),
            }
            break (layout, header.len());
        }
    };

    let format = RowFormat::new(&layout, expected, detected.delimiter);
    // The bars: the first `filled` rows of `read`.
    let mut read = Columns::default();
    let mut filled = 0;
    // Bytes of the input before `buf[0]`.
    let mut before: u64 = 0;
    let mut marks = Marks {
        reported: 0,
        total_bytes,
    };
    loop {
        let end = if eof {
            buf.len()
        } else {
            match memchr::memrchr(b'\n', &buf[at..]) {
                Some(i) => at + i + 1,
                None => {
                    // Not one whole line yet.
                    let want = buf.len() + cuts.block;
                    eof = fill(&mut reader, &mut buf, want)?;
                    continue;
                }
            }
        };
        let region = &buf[at..end];
        // Room for the whole input at this region's bytes per line, the first time.
        let estimate = |lines: usize| match (filled, total_bytes) {
            (0, Some(total)) if lines > 0 && !region.is_empty() => {
                let per_line = region.len() as f64 / lines as f64;
                ((total as f64 / per_line * 1.02) as usize).min(MAX_RESERVE) + 1024
            }
            _ => 0,
        };
        let pieces = parse_region(region, &format, cuts, cancel, &mut read, filled, estimate)?;
        // Bytes read so far, for progress reports.
        let bytes = before + end as u64;
        for p in pieces {
            let last = filled.checked_sub(1).map(|i| read.time[i]);
            if let (Some(prev), Some((t, l))) = (last, p.piece.first) {
                if let Err((col, reason)) = check_time_order(prev, t) {
                    report(&mut marks, filled, bytes, progress, cancel)?;
                    return Err(layout.row_error(line + l, col, reason));
                }
            }
            // A piece with blank lines left room unused: close the gap.
            if p.slot > filled {
                read.shift(p.slot, p.rows, filled);
            }
            filled += p.rows;
            // Progress at each multiple of 65,536 rows passed, also before a bad row.
            report(&mut marks, filled, bytes, progress, cancel)?;
            match p.piece.stop {
                None => line += p.piece.lines,
                Some(Stop::Bad(e)) => return Err(e.after_lines(line - 1)),
                Some(Stop::Cancelled) => return Err(ImportError::Cancelled),
                Some(Stop::Handover { offset, line: l }) => {
                    let from = at + p.start + offset;
                    read.truncate(filled);
                    let resume = Resume {
                        layout,
                        expected,
                        read,
                        line: line + l,
                        bytes: before + from as u64,
                        crlf,
                    };
                    let mut rest = Cursor::new(buf);
                    rest.set_position(from as u64);
                    let input = rest.chain(reader);
                    return import_sequential(
                        input,
                        detected,
                        Some(resume),
                        total_bytes,
                        progress,
                        cancel,
                    );
                }
            }
        }
        if eof {
            break;
        }
        buf.drain(..end);
        before += end as u64;
        at = 0;
        eof = fill(&mut reader, &mut buf, cuts.block)?;
    }
    if filled == 0 {
        return Err(ImportError::Empty);
    }
    progress(ImportProgress {
        rows: filled as u64,
        bytes: before + buf.len() as u64,
        total_bytes,
    });
    read.truncate(filled);
    read.into_bars()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    /// The csv crate's record-by-record reading of the whole input: the reference.
    fn sequential(csv: &[u8]) -> Result<Bars, String> {
        let never = AtomicBool::new(false);
        let total = Some(csv.len() as u64);
        import_sequential(csv, sniff(csv), None, total, &mut |_| {}, &never)
            .map_err(|e| format!("{e:?}"))
    }

    /// The block reader's result, the same whether the input's size is known beforehand,
    /// unknown (the columns grow block by block) or understated.
    fn blocks(csv: &[u8], cuts: Cuts) -> Result<Bars, String> {
        let never = AtomicBool::new(false);
        let read = |total| import(csv, total, &mut |_| {}, &never, cuts);
        let got = read(Some(csv.len() as u64)).map_err(|e| format!("{e:?}"));
        for total in [None, Some(csv.len() as u64 / 3)] {
            let other = read(total).map_err(|e| format!("{e:?}"));
            assert_eq!(other, got, "{cuts:?}, size given as {total:?}");
        }
        got
    }

    /// Cuts that put block and piece boundaries everywhere: tiny blocks, any piece size.
    fn odd_cuts() -> Vec<Cuts> {
        let mut out = Vec::new();
        for block in [1, 2, 7, 33, 64, 100, 257, 1000, 4096, 1 << 20] {
            for threads in [1, 2, 3, 5] {
                out.push(Cuts {
                    block,
                    threads,
                    min_piece: 1,
                });
            }
        }
        out
    }

    /// Both readers agree on `csv`, for every cut; returns their result.
    fn agree(csv: &str) -> Result<Bars, String> {
        let want = sequential(csv.as_bytes());
        for cuts in odd_cuts() {
            let got = blocks(csv.as_bytes(), cuts);
            assert_eq!(got, want, "{cuts:?} on {csv:?}");
        }
        want
    }

    /// A small deterministic generator (xorshift).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// `rows` minute bars as CSV lines (no header), prices with up to 4 decimals.
    fn rows(rng: &mut Rng, rows: usize) -> Vec<String> {
        let mut price = 100.0f64;
        (0..rows)
            .map(|i| {
                price = (price + (rng.below(201) as f64 - 100.0) / 100.0).max(1.0);
                let o = (price * 1e4).round() / 1e4;
                let c = o + rng.below(50) as f64 / 100.0;
                let h = c + rng.below(30) as f64 / 1000.0;
                let l = o - rng.below(30) as f64 / 1000.0;
                let t = 1_704_067_200 + i as i64 * 60;
                format!("{t},{o},{h},{l},{c},{}", rng.below(10_000))
            })
            .collect()
    }

    /// Joins lines with `eol`, sprinkling blank and blank-looking lines in between.
    fn join(rng: &mut Rng, lines: &[String], eol: &str, blanks: bool) -> String {
        let mut out = String::new();
        for l in lines {
            out.push_str(l);
            out.push_str(eol);
            if blanks && rng.below(7) == 0 {
                out.push_str(["", "   ", "\t"][rng.below(3) as usize]);
                out.push_str(eol);
            }
        }
        out
    }

    #[test]
    fn blocks_read_what_the_csv_crate_reads_at_any_cut() {
        let mut rng = Rng(7);
        for (eol, blanks, bom, trailing) in [
            ("\n", false, false, true),
            ("\r\n", false, false, true),
            ("\n", true, true, false),
            ("\r\n", true, false, false),
            ("\r\n", true, true, true),
        ] {
            let body = rows(&mut rng, 60);
            let mut csv = String::new();
            if bom {
                csv.push('\u{feff}');
            }
            if blanks {
                csv.push_str(eol);
            }
            csv.push_str("Date,Open,High,Low,Close,Volume");
            csv.push_str(eol);
            csv.push_str(&join(&mut rng, &body, eol, blanks));
            if !trailing {
                csv.truncate(csv.len() - eol.len());
            }
            let bars = agree(&csv).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(bars.len(), 60);
        }
    }

    #[test]
    fn iso_times_read_the_same_across_days_in_every_form() {
        let mut rng = Rng(13);
        let body = rows(&mut rng, 400);
        let start = chrono::DateTime::from_timestamp(1_709_164_800, 0).unwrap(); // 2024-02-29
        for (form, step_minutes) in [
            ("%Y-%m-%dT%H:%M:%SZ", 7),
            ("%Y-%m-%d %H:%M", 11),
            ("%Y-%m-%dT%H:%M:%S%.3f+02:00", 13),
            ("%Y.%m.%d %H:%M:%S", 17),
            ("%Y-%m-%d", 1440),
        ] {
            let mut csv = String::from("Date,Open,High,Low,Close,Volume\n");
            let mut want = Vec::new();
            for (i, l) in body.iter().enumerate() {
                let at = start + chrono::Duration::minutes(step_minutes * i as i64);
                let rest = l.split_once(',').unwrap().1;
                let _ = writeln!(csv, "{},{rest}", at.format(form));
                let offset = if form.ends_with("+02:00") {
                    7_200_000
                } else {
                    0
                };
                want.push(at.timestamp_millis() - offset);
            }
            let bars = agree(&csv).unwrap_or_else(|e| panic!("{form}: {e}"));
            assert_eq!(bars.time(), &want[..], "{form}");
            // A day that does not exist, after rows of the same date and of another.
            for bad in [150, 151, 206] {
                let mut broken: Vec<String> = csv.lines().map(String::from).collect();
                broken[bad].replace_range(8..10, "99");
                let e = agree(&(broken.join("\n") + "\n")).unwrap_err();
                assert!(
                    e.contains(&format!("line: {},", bad + 1)) && e.contains("unparseable"),
                    "{form}: {e}"
                );
            }
        }
    }

    #[test]
    fn other_layouts_and_delimiters_read_the_same() {
        let mut rng = Rng(11);
        let body = rows(&mut rng, 40);
        // Semicolons and tabs.
        for d in [";", "\t"] {
            let lines: Vec<String> = body.iter().map(|l| l.replace(',', d)).collect();
            let csv = format!(
                "Date{d}Open{d}High{d}Low{d}Close{d}Volume\n{}",
                lines.join("\n")
            );
            assert_eq!(agree(&csv).map(|b| b.len()), Ok(40), "{d:?}");
        }
        // MetaTrader: date and time in two columns, tab-separated.
        let mut mt = String::from(
            "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\r\n",
        );
        for (i, l) in body.iter().enumerate() {
            let f: Vec<&str> = l.split(',').collect();
            let (h, m) = (i / 60, i % 60);
            let _ = write!(
                mt,
                "2024.01.02\t{h:02}:{m:02}:00\t{}\t{}\t{}\t{}\t{}\t0\t3\r\n",
                f[1], f[2], f[3], f[4], f[5]
            );
        }
        assert_eq!(agree(&mt).map(|b| b.len()), Ok(40));
        // Binance: no header, 12 columns, milliseconds then microseconds.
        let mut bn = String::new();
        for (i, l) in body.iter().enumerate() {
            let f: Vec<&str> = l.split(',').collect();
            let t = 1_704_067_200_000i64 + i as i64 * 60_000;
            let t = if i >= 20 { t * 1000 } else { t };
            let _ = writeln!(
                bn,
                "{t},{},{},{},{},{},{},1.0,3,0.5,0.5,0",
                f[1],
                f[2],
                f[3],
                f[4],
                f[5],
                t + 59_999
            );
        }
        assert_eq!(agree(&bn).map(|b| b.len()), Ok(40));
    }

    #[test]
    fn quoted_fields_anywhere_hand_over_to_the_csv_crate() {
        let mut rng = Rng(3);
        let body = rows(&mut rng, 50);
        for at in [0, 1, 17, 49] {
            for eol in ["\n", "\r\n"] {
                let mut lines = body.clone();
                // A quoted price, and one spanning two lines in a note column.
                let mut f: Vec<String> = lines[at].split(',').map(String::from).collect();
                f[1] = format!("\"{}\"", f[1]);
                lines[at] = f.join(",");
                let head = "Date,Open,High,Low,Close,Volume,Note";
                let mut with_note: Vec<String> = lines.iter().map(|l| format!("{l},x")).collect();
                with_note[at] = format!("{},\"two{eol}lines\"", lines[at]);
                let csv = format!("{head}{eol}{}", with_note.join(eol));
                assert_eq!(agree(&csv).map(|b| b.len()), Ok(50), "{at} {eol:?}");
                // A bad row after the quoted one is still named at its line.
                if at + 5 < 50 {
                    let mut bad = with_note.clone();
                    bad[at + 5] = bad[at + 5].replacen(",x", ",x,extra", 1);
                    let csv = format!("{head}{eol}{}", bad.join(eol));
                    let e = agree(&csv).unwrap_err();
                    // The header is line 1, the multi-line note adds one.
                    let line = at + 5 + 3;
                    assert!(e.contains(&format!("line: {line},")), "{e}");
                }
            }
        }
        // A quoted header: the whole file goes to the csv crate.
        let csv = format!("\"Date\",Open,High,Low,Close,Volume\n{}", body.join("\n"));
        assert_eq!(agree(&csv).map(|b| b.len()), Ok(50));
        // A carriage return alone: the csv crate ends a line there.
        let csv = format!(
            "Date,Open,High,Low,Close,Volume\n{}\r{}",
            body[0],
            body[1..].join("\n")
        );
        assert_eq!(agree(&csv).map(|b| b.len()), Ok(50));
    }

    #[test]
    fn the_first_bad_row_in_file_order_is_named_wherever_the_cuts_fall() {
        let mut rng = Rng(5);
        let body = rows(&mut rng, 80);
        let head = "Date,Open,High,Low,Close,Volume";
        type Breaker = fn(&str) -> String;
        let breakers: [(&str, Breaker); 6] = [
            ("not a number", |l| l.replacen(',', ",abc", 1)),
            ("ragged", |l| format!("{l},1")),
            ("negative close", |l| {
                let f: Vec<&str> = l.split(',').collect();
                format!("{},{},{},{},-1,{}", f[0], f[1], f[2], f[3], f[5])
            }),
            ("bad time", |l| l.replacen("17", "x7", 1)),
            ("empty", |l| {
                let mut f: Vec<&str> = l.split(',').collect();
                f[1] = "";
                f.join(",")
            }),
            ("time", |_| String::from("1704067200,10,11,9,10,1")),
        ];
        for (what, breaker) in breakers {
            for at in [1usize, 2, 39, 40, 41, 79] {
                for eol in ["\n", "\r\n"] {
                    let mut lines = body.clone();
                    lines[at] = breaker(&lines[at]);
                    let csv = format!("{head}{eol}{}{eol}", lines.join(eol));
                    let e = agree(&csv).unwrap_err();
                    assert!(
                        e.contains(&format!("line: {},", at + 2)),
                        "{what} at {at}: {e}"
                    );
                    // A second bad row later on changes nothing.
                    let later = (at + 1 + (79 - at) / 2).min(79);
                    if later > at {
                        lines[later] = "junk".into();
                        let csv2 = format!("{head}{eol}{}{eol}", lines.join(eol));
                        assert_eq!(agree(&csv2).unwrap_err(), e, "{what} at {at}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_row_out_of_order_with_a_bad_value_is_reported_as_out_of_order() {
        // Row 3 repeats row 2's time and has high below low: check_bar names the time first,
        // also when row 3 starts a piece and the time is checked at the join.
        let csv = "Date,Open,High,Low,Close\n\
                   2024-01-01,10,11,9,10\n\
                   2024-01-02,10,11,9,10\n\
                   2024-01-02,10,8,9,10\n\
                   2024-01-03,10,11,9,10\n";
        let e = agree(csv).unwrap_err();
        assert!(
            e.contains("duplicate timestamp") && e.contains("line: 4,"),
            "{e}"
        );
    }

    #[test]
    fn progress_counts_rows_and_bytes_and_cancel_stops_between_blocks() {
        let mut rng = Rng(9);
        let body = rows(&mut rng, 70_000);
        let csv = format!("Date,Open,High,Low,Close,Volume\n{}\n", body.join("\n"));
        let cuts = Cuts {
            block: 1 << 16,
            threads: 2,
            min_piece: 1 << 12,
        };
        let never = AtomicBool::new(false);
        let mut seen = Vec::new();
        let total = Some(csv.len() as u64);
        let bars = import(csv.as_bytes(), total, &mut |p| seen.push(p), &never, cuts).unwrap();
        assert_eq!(bars.len(), 70_000);
        let rows: Vec<u64> = seen.iter().map(|p| p.rows).collect();
        assert_eq!(rows, [65_536, 70_000]);
        assert!(seen[0].bytes < csv.len() as u64);
        assert_eq!(seen[1].bytes, csv.len() as u64);

        let cancel = AtomicBool::new(false);
        let r = import(
            csv.as_bytes(),
            total,
            &mut |_| cancel.store(true, Ordering::Relaxed),
            &cancel,
            cuts,
        );
        assert!(matches!(r, Err(ImportError::Cancelled)), "{r:?}");
    }
}
