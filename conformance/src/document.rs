//! Decoded records of one file, kept compactly (one text buffer, field offsets) so that large files validate
//! without an allocation per field; a [`Document`] pairs them with the kind whose layout gives them meaning: the
//! whole table, or, for a file read in pieces, the runs of the few items file and set rules read ([`Retained`]).

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

/// Whether a file whose first field is `first` starts with a header row (see [`Table::first_row_is_header`]).
pub fn is_header_value(first: &str) -> bool {
    let first = first.trim();
    !first.is_empty() && !first.bytes().all(|b| b.is_ascii_digit()) && first.chars().any(char::is_alphabetic)
}

/// Whether two values are equal, compared inline: values are a few bytes long and compared for nearly every field,
/// where calling `memcmp` costs more than the comparison.
pub fn same_value(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// One piece of a file, tokenized: [`Table::parse_piece`].
#[derive(Debug)]
pub struct Piece {
    pub table: Table,
    pub issues: Vec<SyntaxIssue>,
    pub line_endings: LineEndings,
    /// bytes of the text the table's records cover (0: no record is complete yet)
    pub consumed: usize,
    /// the physical line the next piece starts on
    pub next_line: u32,
}

/// The tokenizer's state after a record that ends with a line feed.
struct Cut {
    fields: usize,
    rows: usize,
    unescaped: usize,
    issues: usize,
    line_endings: LineEndings,
    position: usize,
    line: u32,
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
        is_header_value(self.value(0, 0))
    }

    pub fn parse(text: String) -> (Table, Vec<SyntaxIssue>, LineEndings) {
        let piece = Table::parse_piece(text, 1, true);
        (piece.table, piece.issues, piece.line_endings)
    }

    /// Tokenizes one piece of a file, which starts at a record's start on physical line `first_line`. Unless it is
    /// the `last` piece, the records after the last one that ends with a line feed are left out (with the syntax
    /// issues and line endings met reading them): they may go on in the next piece. [`Piece::consumed`] says how
    /// much of the text the table covers.
    pub fn parse_piece(text: String, first_line: u32, last: bool) -> Piece {
        // Typical records have short items: one field per 6 bytes avoids regrowing.
        let mut fields: Vec<FieldMeta> = Vec::with_capacity(text.len() / 6);
        let mut rows = Vec::new();
        let mut unescaped = String::new();
        let mut records = Records::starting_at(&text, first_line);
        // Where the piece may be cut: after the last record ending in a line feed (all of it when `last`).
        let mut cut = Cut {
            fields: 0,
            rows: 0,
            unescaped: 0,
            issues: 0,
            line_endings: LineEndings::default(),
            position: 0,
            line: first_line,
        };
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
            if records.ended_at_line_feed() {
                cut = Cut {
                    fields: fields.len(),
                    rows: rows.len(),
                    unescaped: unescaped.len(),
                    issues: records.issues.len(),
                    line_endings: records.line_endings,
                    position: records.position(),
                    line: records.line(),
                };
            }
        }
        let (mut line_endings, mut consumed, mut next_line) = (records.line_endings, text.len(), records.line());
        let mut issues = records.issues;
        if !last {
            fields.truncate(cut.fields);
            rows.truncate(cut.rows);
            unescaped.truncate(cut.unescaped);
            issues.truncate(cut.issues);
            (line_endings, consumed, next_line) = (cut.line_endings, cut.position, cut.line);
        }
        Piece { table: Table { text, unescaped, fields, rows }, issues, line_endings, consumed, next_line }
    }

    /// The decoded text the values are spans of.
    pub fn text(&self) -> &str {
        &self.text
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
        self.row_metas(row).iter().map(|meta| self.field_ref(*meta))
    }

    fn row_metas(&self, row: usize) -> &[FieldMeta] {
        let (first, count) = self.rows.get(row).map_or((0, 0), |r| (r.first_field, r.fields));
        self.fields.get(first..first + count).unwrap_or(&[])
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

/// The records of one file read with the layout of its kind: every value ([`Document::whole`]), or, for a file
/// read in pieces, only the items the file and set rules read ([`Document::retained`]).
#[derive(Debug, Clone)]
pub struct Document {
    pub kind: &'static Kind,
    content: Content,
}

#[derive(Debug, Clone)]
enum Content {
    /// the whole table; `skipped` marks the rows that are not records of the kind (wrong field count, header row)
    Whole {
        table: Table,
        skipped: Vec<bool>,
    },
    Retained(Retained),
}

impl Document {
    /// Every row of a file; the `skipped` rows are no records of the kind.
    pub fn whole(kind: &'static Kind, table: Table, skipped: Vec<bool>) -> Document {
        Document { kind, content: Content::Whole { table, skipped } }
    }

    /// The retained items of every record of a file read in pieces.
    pub fn retained(kind: &'static Kind, retained: Retained) -> Document {
        Document { kind, content: Content::Retained(retained) }
    }

    /// The table with every value, when the document keeps it.
    pub fn table(&self) -> Option<&Table> {
        match &self.content {
            Content::Whole { table, .. } => Some(table),
            Content::Retained(_) => None,
        }
    }

    /// The rows that are records of the kind.
    pub fn rows(&self) -> impl Iterator<Item = usize> + '_ {
        let (len, skipped) = match &self.content {
            Content::Whole { table, skipped } => (table.len(), Some(skipped)),
            Content::Retained(retained) => (retained.records, None),
        };
        (0..len).filter(move |&row| skipped.is_none_or(|skipped| !skipped[row]))
    }

    /// The value of the item with this id in `row`.
    pub fn get(&self, row: usize, id: &str) -> &str {
        self.at(row, self.kind.index_of(id))
    }

    /// The 0-based column of an item, to resolve once before looping over rows.
    pub fn column(&self, id: &str) -> Option<usize> {
        self.kind.index_of(id)
    }

    /// `rows` grouped by their values in `columns`: the groups in the order their first rows stand, each group's rows
    /// in file order.
    pub fn group_rows(&self, rows: impl Iterator<Item = usize>, columns: &[Option<usize>]) -> Vec<Vec<usize>> {
        let mut index: std::collections::HashMap<Vec<&str>, usize> = std::collections::HashMap::new();
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for row in rows {
            let key: Vec<&str> = columns.iter().map(|&column| self.at(row, column)).collect();
            let at = *index.entry(key).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[at].push(row);
        }
        groups
    }

    /// The value in a resolved column (empty when the kind has no such item).
    pub fn at(&self, row: usize, column: Option<usize>) -> &str {
        column.map_or("", |column| self.value(row, column))
    }

    /// The value at `row`, `column` (0-based); empty when the row is shorter.
    pub fn value(&self, row: usize, column: usize) -> &str {
        match &self.content {
            Content::Whole { table, .. } => table.value(row, column),
            Content::Retained(retained) => retained.value(row, column),
        }
    }

    /// The physical line a row starts on.
    pub fn line(&self, row: usize) -> u32 {
        match &self.content {
            Content::Whole { table, .. } => table.row_line(row),
            Content::Retained(retained) => retained.line(row),
        }
    }

    /// The physical line a field starts on (a quoted value before it may span lines).
    pub fn field_line(&self, row: usize, column: usize) -> u32 {
        match &self.content {
            Content::Whole { table, .. } => table.field_line(row, column),
            Content::Retained(retained) => retained.field_line(row, column),
        }
    }

    pub fn record_count(&self) -> usize {
        self.rows().count()
    }
}

/// The items the file and set rules read, of every record of a file read in pieces, in memory that grows with
/// how often they change rather than with the records: a user's records repeat their keys, the month, the office
/// and mostly the service, so each kept column is stored as runs of equal values. Other columns read as empty.
#[derive(Debug, Clone, Default)]
pub struct Retained {
    records: usize,
    /// per column of the kind: its runs, or `None` when no rule reads it
    columns: Vec<Option<Runs>>,
    /// the columns that have runs, in order: what a record's fields are looked up for
    kept: Vec<usize>,
    /// (first row, its line) of each stretch of rows on consecutive lines
    lines: Vec<(u32, u32)>,
    /// (row, column, line) of kept fields that start on a later line than their row (after a quoted line break)
    field_lines: Vec<(u32, u32, u32)>,
}

/// One column as runs: run `i` starts at row `starts[i]` and its value is `text[ends[i - 1]..ends[i]]`.
#[derive(Debug, Clone, Default)]
struct Runs {
    starts: Vec<u32>,
    ends: Vec<u32>,
    text: String,
}

impl Runs {
    fn last(&self) -> Option<&str> {
        let end = *self.ends.last()? as usize;
        let start = self.ends.len().checked_sub(2).map_or(0, |i| self.ends[i] as usize);
        self.text.get(start..end)
    }

    fn push(&mut self, row: u32, value: &str) {
        if !self.last().is_some_and(|last| same_value(last, value)) {
            self.starts.push(row);
            self.text.push_str(value);
            self.ends.push(u32::try_from(self.text.len()).unwrap_or(u32::MAX));
        }
    }

    fn value(&self, row: u32) -> &str {
        let Some(run) = self.starts.partition_point(|&start| start <= row).checked_sub(1) else { return "" };
        let start = run.checked_sub(1).map_or(0, |i| self.ends[i] as usize);
        self.text.get(start..self.ends[run] as usize).unwrap_or("")
    }
}

impl Retained {
    /// Nothing yet, keeping the columns of a kind marked in `kept`.
    pub fn new(kept: &[bool]) -> Retained {
        Retained {
            columns: kept.iter().map(|&kept| kept.then(Runs::default)).collect(),
            kept: kept.iter().enumerate().filter(|(_, &kept)| kept).map(|(column, _)| column).collect(),
            ..Retained::default()
        }
    }

    /// Appends the records of one piece (a [`Document::whole`] of it).
    pub fn extend(&mut self, piece: &Document) {
        let Content::Whole { table, .. } = &piece.content else { return };
        for row in piece.rows() {
            let index = u32::try_from(self.records).unwrap_or(u32::MAX);
            let line = table.row_line(row);
            if self.lines.last().is_none_or(|&(first, first_line)| first_line.saturating_add(index - first) != line) {
                self.lines.push((index, line));
            }
            let metas = table.row_metas(row);
            for &column in &self.kept {
                let Some(Some(runs)) = self.columns.get_mut(column) else { continue };
                let field = metas.get(column).map(|meta| table.field_ref(*meta));
                runs.push(index, field.map_or("", |field| field.value));
                if let Some(field) = field.filter(|field| field.line != line) {
                    self.field_lines.push((index, u32::try_from(column).unwrap_or(u32::MAX), field.line));
                }
            }
            self.records += 1;
        }
    }

    fn value(&self, row: usize, column: usize) -> &str {
        let runs = self.columns.get(column).and_then(Option::as_ref);
        debug_assert!(runs.is_some(), "column {column} is read by a rule but not kept: add it to the rule's reads");
        runs.map_or("", |runs| runs.value(u32::try_from(row).unwrap_or(u32::MAX)))
    }

    fn line(&self, row: usize) -> u32 {
        let row = u32::try_from(row).unwrap_or(u32::MAX);
        let stretch = self.lines.partition_point(|&(first, _)| first <= row);
        stretch.checked_sub(1).map_or(0, |i| {
            let (first, line) = self.lines[i];
            line.saturating_add(row - first)
        })
    }

    fn field_line(&self, row: usize, column: usize) -> u32 {
        let key = (u32::try_from(row).unwrap_or(u32::MAX), u32::try_from(column).unwrap_or(u32::MAX));
        match self.field_lines.binary_search_by_key(&key, |&(row, column, _)| (row, column)) {
            Ok(found) => self.field_lines[found].2,
            Err(_) => self.line(row),
        }
    }
}
