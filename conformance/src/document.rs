//! Decoded records of one file, kept compactly (one text buffer, field offsets) so that large files validate
//! without an allocation per field; a [`Document`] pairs them with the kind whose layout gives them meaning.

use crate::codec::Field;
use crate::spec::Kind;

#[derive(Debug, Clone, Copy)]
struct FieldMeta {
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

/// All records of a file, each with its physical line; rows may have different field counts.
#[derive(Debug, Default, Clone)]
pub struct Table {
    text: String,
    fields: Vec<FieldMeta>,
    rows: Vec<RowMeta>,
}

impl Table {
    pub fn push_row(&mut self, line: u32, fields: &[Field<'_>]) {
        self.rows.push(RowMeta {
            line,
            first_field: self.fields.len(),
            fields: fields.len(),
        });
        for field in fields {
            self.text.push_str(&field.value);
            self.fields.push(FieldMeta {
                end: self.text.len(),
                line: field.line,
                quoted: field.quoted,
            });
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn row_line(&self, row: usize) -> u32 {
        self.rows[row].line
    }

    pub fn row_width(&self, row: usize) -> usize {
        self.rows[row].fields
    }

    fn meta(&self, row: usize, column: usize) -> Option<(usize, FieldMeta)> {
        let r = self.rows.get(row)?;
        if column >= r.fields {
            return None;
        }
        let index = r.first_field + column;
        let start = if index == 0 {
            0
        } else {
            self.fields[index - 1].end
        };
        Some((start, self.fields[index]))
    }

    /// The value at `row`, `column` (0-based); empty when the row is shorter.
    pub fn value(&self, row: usize, column: usize) -> &str {
        self.meta(row, column)
            .map_or("", |(start, meta)| &self.text[start..meta.end])
    }

    pub fn field_line(&self, row: usize, column: usize) -> u32 {
        self.meta(row, column)
            .map_or_else(|| self.row_line(row), |(_, meta)| meta.line)
    }

    pub fn quoted(&self, row: usize, column: usize) -> bool {
        self.meta(row, column).is_some_and(|(_, meta)| meta.quoted)
    }

    /// The values of one row.
    pub fn row_values(&self, row: usize) -> Vec<&str> {
        (0..self.row_width(row))
            .map(|column| self.value(row, column))
            .collect()
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
        self.kind
            .index_of(id)
            .map_or("", |column| self.table.value(row, column))
    }

    pub fn record_count(&self) -> usize {
        self.skipped.iter().filter(|skipped| !**skipped).count()
    }
}
