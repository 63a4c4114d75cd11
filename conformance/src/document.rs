//! Decoded records of one file, kept compactly (one text buffer, field offsets) so that large files validate
//! without an allocation per field; a [`Document`] pairs them with the kind whose layout gives them meaning.

use crate::codec::tokenize::LineEndings;
use crate::codec::{Records, SyntaxIssue};
use crate::spec::Kind;

/// A value's span and place in 16 bytes (the table holds one per field of the file, so its size is the
/// validator's memory traffic): `start` in `text` (or, with [`UNESCAPED`], in `unescaped`), the length, and the
/// physical line with the quoted flag in its top bit.
#[derive(Debug, Clone, Copy)]
struct FieldMeta {
    start: usize,
    len: u32,
    line_and_quoted: u32,
}

const QUOTED: u32 = 1 << 31;

impl FieldMeta {
    /// Lengths past 4 GiB and lines past 2^31 saturate: no file of the spec comes near either.
    fn new(start: usize, len: usize, line: u32, quoted: bool) -> FieldMeta {
        let line = line.min(QUOTED - 1) | if quoted { QUOTED } else { 0 };
        FieldMeta { start, len: u32::try_from(len).unwrap_or(u32::MAX), line_and_quoted: line }
    }

    fn line(self) -> u32 {
        self.line_and_quoted & !QUOTED
    }

    fn quoted(self) -> bool {
        self.line_and_quoted & QUOTED != 0
    }
}

#[derive(Debug, Clone, Copy)]
struct RowMeta {
    line: u32,
    first_field: usize,
    fields: usize,
}

/// One value with where it stands.
#[derive(Debug, Clone, Copy)]
pub struct FieldRef<'a> {
    pub value: &'a str,
    pub quoted: bool,
    pub line: u32,
}

/// All records of a file, each with its physical line; rows may have different field counts. Values are spans
/// of the decoded text itself; only values with `""` escapes are kept unescaped in a side buffer.
#[derive(Debug, Default, Clone)]
pub struct Table {
    text: String,
    unescaped: String,
    fields: Vec<FieldMeta>,
    rows: Vec<RowMeta>,
}

/// Marks spans that point into `unescaped` rather than `text`.
const UNESCAPED: usize = 1 << (usize::BITS - 1);

impl Table {
    /// Tokenizes decoded text into a table that keeps the text itself: values are spans of it, so a file is not
    /// copied a second time. Returns the syntax issues and line endings met on the way.
    /// Whether the first row is a header rather than a record (assumption A-NO-HEADER: records start at the first
    /// line): a first field that is not numeric and contains letters or kana/kanji, e.g. `CSVバージョン`.
    pub fn first_row_is_header(&self) -> bool {
        let first = self.value(0, 0).trim();
        !first.is_empty() && !first.bytes().all(|b| b.is_ascii_digit()) && first.chars().any(char::is_alphabetic)
    }

    pub fn parse(text: String) -> (Table, Vec<SyntaxIssue>, LineEndings) {
        // Typical records have short items: one field per 6 bytes avoids regrowing.
        let mut fields: Vec<FieldMeta> = Vec::with_capacity(text.len() / 6);
        let mut rows = Vec::new();
        let mut unescaped = String::new();
        let mut records = Records::new(&text);
        loop {
            let first_field = fields.len();
            let next = records.next_record(|field| {
                let meta = if field.escaped {
                    let start = unescaped.len();
                    unescaped.push_str(&field.value(&text));
                    FieldMeta::new(start | UNESCAPED, unescaped.len() - start, field.line, field.quoted)
                } else {
                    FieldMeta::new(field.start, field.end - field.start, field.line, field.quoted)
                };
                fields.push(meta);
            });
            let Some(line) = next else { break };
            rows.push(RowMeta { line, first_field, fields: fields.len() - first_field });
        }
        let (issues, endings) = (records.issues, records.line_endings);
        (Table { text, unescaped, fields, rows }, issues, endings)
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn row_line(&self, row: usize) -> u32 {
        self.rows.get(row).map_or(0, |r| r.line)
    }

    pub fn row_width(&self, row: usize) -> usize {
        self.rows.get(row).map_or(0, |r| r.fields)
    }

    fn meta(&self, row: usize, column: usize) -> Option<FieldMeta> {
        let r = self.rows.get(row)?;
        if column >= r.fields {
            return None;
        }
        self.fields.get(r.first_field + column).copied()
    }

    fn field_ref(&self, meta: FieldMeta) -> FieldRef<'_> {
        let (source, start) = match meta.start & UNESCAPED {
            0 => (&self.text, meta.start),
            _ => (&self.unescaped, meta.start & !UNESCAPED),
        };
        let value = source.get(start..start.saturating_add(meta.len as usize)).unwrap_or("");
        FieldRef { value, quoted: meta.quoted(), line: meta.line() }
    }

    /// Value, quoting and line of the field at `row`, `column` (0-based).
    pub fn field(&self, row: usize, column: usize) -> Option<FieldRef<'_>> {
        self.meta(row, column).map(|meta| self.field_ref(meta))
    }

    /// Every field of a row, in order.
    pub fn row_fields(&self, row: usize) -> impl Iterator<Item = FieldRef<'_>> {
        let (first, count) = self.rows.get(row).map_or((0, 0), |r| (r.first_field, r.fields));
        self.fields.get(first..first + count).unwrap_or(&[]).iter().map(|meta| self.field_ref(*meta))
    }

    /// The value at `row`, `column` (0-based); empty when the row is shorter.
    pub fn value(&self, row: usize, column: usize) -> &str {
        self.field(row, column).map_or("", |field| field.value)
    }

    pub fn field_line(&self, row: usize, column: usize) -> u32 {
        self.meta(row, column).map_or_else(|| self.row_line(row), FieldMeta::line)
    }

    pub fn quoted(&self, row: usize, column: usize) -> bool {
        self.meta(row, column).is_some_and(FieldMeta::quoted)
    }

    /// The values of one row.
    pub fn row_values(&self, row: usize) -> Vec<&str> {
        (0..self.row_width(row)).map(|column| self.value(row, column)).collect()
    }
}

/// The records of one file read with the layout of its kind. Rows whose width differs from the layout are
/// listed in `malformed_rows` and skipped by every check that needs the layout.
#[derive(Debug, Clone)]
pub struct Document {
    pub kind: &'static Kind,
    pub table: Table,
    /// rows that are not records of the kind (wrong field count, header row)
    pub skipped: Vec<bool>,
}

impl Document {
    pub fn rows(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.table.len()).filter(|&row| !self.skipped[row])
    }

    /// The value of the item with this id in `row`.
    pub fn get(&self, row: usize, id: &str) -> &str {
        self.at(row, self.kind.index_of(id))
    }

    /// The 0-based column of an item, to resolve once before looping over rows.
    pub fn column(&self, id: &str) -> Option<usize> {
        self.kind.index_of(id)
    }

    /// The value in a resolved column (empty when the kind has no such item).
    pub fn at(&self, row: usize, column: Option<usize>) -> &str {
        column.map_or("", |column| self.table.value(row, column))
    }

    pub fn record_count(&self) -> usize {
        self.skipped.iter().filter(|skipped| !**skipped).count()
    }
}
