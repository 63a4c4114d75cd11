//! Decoded records of one file, kept compactly (one text buffer, field offsets) so that large files validate
//! without an allocation per field; a [`Document`] pairs them with the kind whose layout gives them meaning.

use std::borrow::Cow;

use crate::codec::tokenize::LineEndings;
use crate::codec::{Field, Records, SyntaxIssue};
use crate::spec::Kind;

#[derive(Debug, Clone, Copy)]
struct FieldMeta {
    start: usize,
    end: usize,
    line: u32,
    quoted: bool,
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
    pub fn parse(text: String) -> (Table, Vec<SyntaxIssue>, LineEndings) {
        let mut table = Table::default();
        // Typical records have short items: reserve for one field per 8 bytes to avoid regrowing.
        table.fields.reserve(text.len() / 8);
        let (issues, endings) = {
            let base = text.as_ptr() as usize;
            let mut records = Records::new(&text);
            let mut fields = Vec::new();
            while let Some(line) = records.next_into(&mut fields) {
                table.rows.push(RowMeta { line, first_field: table.fields.len(), fields: fields.len() });
                for field in &fields {
                    let (start, end) = match &field.value {
                        Cow::Borrowed(value) => {
                            let start = value.as_ptr() as usize - base;
                            (start, start + value.len())
                        }
                        Cow::Owned(value) => table.push_unescaped(value),
                    };
                    table.fields.push(FieldMeta { start, end, line: field.line, quoted: field.quoted });
                }
            }
            (records.issues, records.line_endings)
        };
        // Moving the String keeps its heap buffer, so the spans stay valid.
        table.text = text;
        (table, issues, endings)
    }

    fn push_unescaped(&mut self, value: &str) -> (usize, usize) {
        let start = self.unescaped.len();
        self.unescaped.push_str(value);
        (start | UNESCAPED, self.unescaped.len() | UNESCAPED)
    }

    /// Appends a row of values that do not come from [`Table::parse`]'s text.
    pub fn push_row(&mut self, line: u32, fields: &[Field<'_>]) {
        self.rows.push(RowMeta { line, first_field: self.fields.len(), fields: fields.len() });
        for field in fields {
            let (start, end) = self.push_unescaped(&field.value);
            self.fields.push(FieldMeta { start, end, line: field.line, quoted: field.quoted });
        }
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
        let value = if meta.start & UNESCAPED == 0 {
            self.text.get(meta.start..meta.end)
        } else {
            self.unescaped.get(meta.start & !UNESCAPED..meta.end & !UNESCAPED)
        };
        FieldRef { value: value.unwrap_or(""), quoted: meta.quoted, line: meta.line }
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
        self.meta(row, column).map_or_else(|| self.row_line(row), |meta| meta.line)
    }

    pub fn quoted(&self, row: usize, column: usize) -> bool {
        self.meta(row, column).is_some_and(|meta| meta.quoted)
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
