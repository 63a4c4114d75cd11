//! What each level of rule sees.

use std::cell::{Cell, OnceCell};

use crate::billing::{annexes, Annexes};
use crate::codec::chars::{odd_characters, CharClass, OddCharacter};
use crate::codec::tokenize::LineEndings;
use crate::codec::{Decoded, SyntaxIssue};
use crate::document::Document;
use crate::filename::{FileName, NameError};
use crate::finding::Finding;
use crate::rules::Rule;
use crate::spec::{CsvVersion, Item, Kind};

/// One value of one record.
pub struct FieldCtx<'a> {
    pub kind: &'static Kind,
    pub item: &'static Item,
    pub value: &'a str,
    pub quoted: bool,
    pub line: u32,
    /// the value's characters outside JIS X 0208, classified once for the several character rules
    odd_characters: OnceCell<Vec<OddCharacter>>,
}

impl<'a> FieldCtx<'a> {
    pub fn new(kind: &'static Kind, item: &'static Item, value: &'a str, quoted: bool, line: u32) -> FieldCtx<'a> {
        FieldCtx { kind, item, value, quoted, line, odd_characters: OnceCell::new() }
    }

    /// The first character of `class` in the value, if it has one.
    pub fn odd_character(&self, class: CharClass) -> Option<OddCharacter> {
        self.odd_characters.get_or_init(|| odd_characters(self.value)).iter().find(|odd| odd.class == class).copied()
    }

    /// A finding of `rule` at this value.
    pub fn finding(&self, rule: &'static Rule) -> Finding {
        Finding::new(&rule.meta).line(self.line).item(self.kind, self.item).value(self.value)
    }
}

/// What reading the bytes found, before any record is looked at.
pub struct ReadCtx<'a> {
    /// `None` for a file of 0 bytes (nothing was decoded)
    pub decoded: Option<&'a Decoded>,
    pub syntax_issues: &'a [SyntaxIssue],
    pub line_endings: LineEndings,
    /// records the tokenizer found
    pub records: usize,
    /// the kind the file name's prefix names, if any
    pub name_kind: Option<&'static Kind>,
}

/// How the records are laid out: whether the first row is a header, which kind they are read as, and the rows
/// whose width is not that kind's.
pub struct LayoutCtx<'a> {
    /// the first row's line and first value, when that row is a header
    pub header: Option<(u32, &'a str)>,
    /// the line of the row the kind was judged on (the first after a header)
    pub first_record_line: u32,
    pub kind: KindChoice,
    /// (line, width) of every record whose field count is not the kind's
    pub wrong_width: &'a [(u32, usize)],
    /// the 対象年月 / 提供年月 of the file name, for kinds whose name carries one
    pub name_month: Option<&'a str>,
}

/// The kind a file's records are read as.
pub enum KindChoice {
    /// from `--kind`, the file name, or (when the name's kind has another width) the layout
    Chosen(&'static Kind),
    /// neither the name nor an option says which: the kinds with the first record's width (perhaps none)
    Uncertain { width: usize, candidates: Vec<&'static str> },
    /// the first record's CSVバージョン is of an edition before v4, whose layouts the model does not describe: no
    /// item is read (judging them by the v4.1 layout would report on items the file does not have)
    OtherEdition(&'static CsvVersion),
}

/// One record, with access to its items by identifier.
pub struct RecordCtx<'a> {
    pub doc: &'a Document,
    pub row: usize,
    pub(crate) columns: &'a ColumnCache,
}

/// Item id → column for one document, keyed by where the id string is: rules ask with string literals, so after
/// the first record a lookup is one slot of a small direct-mapped table picked by the literal's address, instead
/// of hashing and comparing the name on every record. A different pointer for an equal name, or two literals
/// sharing a slot, only cost a miss; the answer comes from the kind either way.
pub struct ColumnCache(Box<[Cell<CachedColumn>; COLUMN_CACHE_SLOTS]>);

/// Slots of [`ColumnCache`]: several times the ids all record rules of a kind read, so literals rarely share one.
const COLUMN_CACHE_SLOTS: usize = 256;

/// (address, length) of an id literal and its column; address 0 marks an empty slot.
#[derive(Clone, Copy, Default)]
struct CachedColumn {
    address: usize,
    len: usize,
    column: Option<usize>,
}

/// The slot of an id literal at `address`.
fn column_slot(address: usize) -> usize {
    (address ^ (address >> 8)) % COLUMN_CACHE_SLOTS
}

impl Default for ColumnCache {
    fn default() -> ColumnCache {
        ColumnCache(Box::new(std::array::from_fn(|_| Cell::new(CachedColumn::default()))))
    }
}

impl RecordCtx<'_> {
    /// Whether the item holds one of the special values the spec data allows in place of its shape (the 000000 /
    /// 00000000 a 利用者補足情報 carries for the key it is not about).
    pub fn is_placeholder(&self, id: &str) -> bool {
        let value = self.get(id);
        let item = self.doc.column(id).and_then(|column| self.doc.kind.items.get(column));
        item.is_some_and(|item| item.allow.iter().any(|allowed| allowed == value))
    }

    pub fn get(&self, id: &str) -> &str {
        self.doc.at(self.row, self.column(id))
    }

    /// Whether the record's kind has the item.
    pub fn has(&self, id: &str) -> bool {
        self.column(id).is_some()
    }

    fn column(&self, id: &str) -> Option<usize> {
        let (address, len) = (id.as_ptr() as usize, id.len());
        // Literals are laid out byte by byte: the low bits beyond alignment tell neighbours apart.
        let slot = &self.columns.0[column_slot(address)];
        let cached = slot.get();
        if cached.address == address && cached.len == len {
            return cached.column;
        }
        let column = self.doc.column(id);
        slot.set(CachedColumn { address, len, column });
        column
    }

    pub fn line(&self) -> u32 {
        self.doc.line(self.row)
    }

    /// A finding of `rule` pointing at item `id` of this record, showing its value.
    pub fn finding(&self, rule: &'static Rule, id: &str) -> Finding {
        finding_at(self.doc, self.row, rule, id)
    }
}

/// A finding of `rule` at item `id` of `row` in `doc`.
pub fn finding_at(doc: &Document, row: usize, rule: &'static Rule, id: &str) -> Finding {
    let kind = doc.kind;
    match kind.index_of(id) {
        Some(column) => Finding::new(&rule.meta)
            .line(doc.field_line(row, column))
            .item(kind, &kind.items[column])
            .value(doc.value(row, column)),
        None => Finding::new(&rule.meta).line(doc.line(row)),
    }
}

/// A whole file: its name (when it has one) and its records (when they could be read).
pub struct FileCtx<'a> {
    pub path: &'a str,
    pub name: Option<&'a Result<FileName, NameError>>,
    pub doc: Option<&'a Document>,
    /// the kind the content's layout matches, when it differs from the file name's
    pub content_kind: Option<&'static Kind>,
    /// the 第7表 grouping, computed once for the several rules that recompute the form
    annexes: OnceCell<Annexes<'a>>,
}

impl<'a> FileCtx<'a> {
    pub fn new(
        path: &'a str,
        name: Option<&'a Result<FileName, NameError>>,
        doc: Option<&'a Document>,
        content_kind: Option<&'static Kind>,
    ) -> FileCtx<'a> {
        FileCtx { path, name, doc, content_kind, annexes: OnceCell::new() }
    }

    /// Every user's 第7表 rows, grouped: for the rules that declare the 第7表 as their kind (the engine runs them on
    /// nothing else), computed once for all of them.
    pub(crate) fn annexes(&self) -> &Annexes<'a> {
        self.annexes.get_or_init(|| self.doc.map(annexes).unwrap_or_default())
    }

    pub fn parsed_name(&self) -> Option<&FileName> {
        self.name.and_then(|name| name.as_ref().ok())
    }
}

/// One file of a send unit as the set rules see it: its path, its name and its records, when they could be read.
#[derive(Clone, Copy)]
pub struct UnitFile<'a> {
    pub path: &'a str,
    /// `None` when the file was given without a name (standard input)
    pub name: Option<&'a Result<FileName, NameError>>,
    pub document: Option<&'a Document>,
}

impl<'a> UnitFile<'a> {
    /// The kind its records were read as, else the kind its name declares.
    pub fn kind(&self) -> Option<&'static Kind> {
        self.document.map(|doc| doc.kind).or_else(|| self.parsed_name().and_then(FileName::kind))
    }

    pub fn kind_code(&self) -> Option<&'static str> {
        self.kind().map(|kind| kind.code.as_str())
    }

    pub fn parsed_name(&self) -> Option<&'a FileName> {
        self.name.and_then(|name| name.as_ref().ok())
    }

    /// The kind the file name declares.
    pub fn name_kind(&self) -> Option<&'a str> {
        self.parsed_name().map(|name| name.kind.as_str())
    }
}

/// The files of one send unit (same ファイル連番 and parties).
pub struct SetCtx<'a> {
    pub serial: &'a str,
    /// the parties (`office_kind → office_kind`) of the other units that were given the same ファイル連番
    pub serial_shared_with: &'a [String],
    pub files: Vec<UnitFile<'a>>,
}

impl<'a> SetCtx<'a> {
    pub fn file_of_kind(&self, kind: &str) -> Option<UnitFile<'a>> {
        self.files.iter().copied().find(|file| file.kind_code() == Some(kind))
    }

    /// The kinds present, from the file names.
    pub fn kinds(&self) -> Vec<&'a str> {
        self.files.iter().filter_map(|file| file.name_kind()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Table;

    /// Two ids whose literals share a slot take turns in it: each lookup must still answer its own id's column.
    #[test]
    fn ids_sharing_a_cache_slot_each_find_their_own_column() {
        let kind = crate::spec::spec().kinds.iter().find(|kind| kind.code == "UPPLAN");
        let Some(kind) = kind else { panic!("the spec has 第6表") };
        let (first, second) = (kind.items[1].id.as_str(), kind.items[5].id.as_str());
        // One buffer holding both ids, the second placed where its address falls into the first one's slot.
        let mut buffer = String::with_capacity(4096 + second.len());
        buffer.push_str(first);
        let base = buffer.as_ptr() as usize;
        let gap = (first.len()..4096).find(|&at| column_slot(base + at) == column_slot(base)).unwrap_or(0);
        buffer.extend(std::iter::repeat_n(' ', gap - first.len()));
        buffer.push_str(second);
        let (a, b) = (&buffer[..first.len()], &buffer[gap..]);
        assert_eq!(column_slot(a.as_ptr() as usize), column_slot(b.as_ptr() as usize), "the two ids share a slot");
        let line = vec!["x"; kind.items.len()].join(",");
        let doc = Document::whole(kind, Table::parse(line).0, vec![false]);
        let columns = ColumnCache::default();
        let ctx = RecordCtx { doc: &doc, row: 0, columns: &columns };
        for _ in 0..3 {
            assert_eq!(ctx.column(a), Some(1));
            assert_eq!(ctx.column(b), Some(5));
        }
    }
}
