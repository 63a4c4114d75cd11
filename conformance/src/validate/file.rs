//! Validation of one file, read in pieces: each piece is decoded, tokenized and checked field by field and record
//! by record, then let go; what the file and set rules read is kept ([`Retained`]), unless the caller keeps every
//! value ([`Options::keep_documents`]: the file is then one piece).

use std::collections::HashMap;
use std::io::Read;
use std::sync::LazyLock;

use crate::codec::chars::has_odd_bytes;
use crate::codec::decode::DETECT_BYTES;
use crate::codec::tokenize::LineEndings;
use crate::codec::{Decoded, StreamDecoder, SyntaxIssue, Undecodable};
use crate::document::{same_value, Document, Retained, Table};
use crate::filename::{self, base_name, FileName};
use crate::finding::Finding;
use crate::rules::ctx::{ColumnCache, FieldCtx, FileCtx, KindChoice, LayoutCtx, ReadCtx, RecordCtx};
use crate::rules::{self, Check};
use crate::spec::{csv_version, edition_for_month, spec, Kind, VersionStatus};
use crate::validate::{FileReport, Options};

/// Bytes decoded and checked at a time when a file is read in pieces: large enough that the work per piece
/// dwarfs its set-up, small enough that its text and table stay in the CPU's caches.
pub const PIECE_BYTES: usize = 1 << 20;

/// Past this many findings kept for a file, the ones beyond each rule's first [`super::FINDINGS_PER_RULE`] are
/// counted and let go, so a file that is wrong on every record does not hold a finding per record.
const FINDINGS_BEFORE_CAPPING: usize = 10_000;

/// Validates one file. `path` `-` means standard input: no file name to check.
pub fn validate_file(path: &str, bytes: &[u8], options: &Options) -> FileReport {
    let pieces = Pieces::new(Input::Bytes(bytes), options);
    // Reading a slice cannot fail.
    validate_pieces(path, pieces, options).unwrap_or_else(|_| FileReport::new(path))
}

/// Validates one file read from `reader` a piece at a time (all of it, so a caller hashing what it reads sees
/// every byte); an error reading it is returned as it is.
pub fn validate_reader(path: &str, reader: &mut (dyn Read + Send), options: &Options) -> std::io::Result<FileReport> {
    let pieces = Pieces::new(Input::Reader(reader), options);
    validate_pieces(path, pieces, options)
}

fn validate_pieces(path: &str, mut pieces: Pieces<'_>, options: &Options) -> std::io::Result<FileReport> {
    let mut report = FileReport::new(path);
    // A malformed name still names its kind by its prefix (NAM001 reports the rest).
    let name_kind = report
        .parsed_name()
        .and_then(FileName::kind)
        .or_else(|| (path != "-").then(|| filename::prefix_kind(base_name(path))).flatten());
    // A family-structure image: only its name takes part in validation (an empty one is still an empty file).
    let image = name_kind.is_some_and(|kind| !kind.is_csv());
    pieces.fill()?;
    let content_kind = if image && !pieces.window().is_empty() {
        pieces.skip_to_end()?;
        None
    } else {
        read_csv(&mut report, pieces, options, name_kind)?
    };
    let ctx = FileCtx::new(path, report.name.as_ref(), report.document.as_ref(), content_kind);
    let mut findings = Vec::new();
    for rule in rules::all() {
        match &rule.check {
            Check::Name { check, .. } => check(&ctx, &mut findings),
            Check::File { kinds, check, .. }
                if ctx.doc.is_some_and(|doc| kinds.is_empty() || kinds.contains(&doc.kind.code.as_str())) =>
            {
                check(&ctx, &mut findings);
            }
            _ => {}
        }
    }
    report.findings.extend(findings);
    report.cap_and_sort();
    Ok(report)
}

/// Where a file's bytes come from.
enum Input<'a> {
    Bytes(&'a [u8]),
    Reader(&'a mut (dyn Read + Send)),
}

/// A window onto a file that moves forward a piece at a time.
struct Pieces<'a> {
    input: Input<'a>,
    /// bytes per piece (`usize::MAX`: the whole file)
    piece: usize,
    /// bytes the window should hold: a piece, or more while no record is complete in it
    want: usize,
    /// offset in the file of the window's first byte
    offset: usize,
    /// a reader's bytes from `offset` on: the first `valid` were read (a slice is windowed in place)
    buffer: Vec<u8>,
    valid: usize,
    /// the reader has nothing more
    drained: bool,
}

impl<'a> Pieces<'a> {
    fn new(input: Input<'a>, options: &Options) -> Pieces<'a> {
        let piece = if options.keep_documents { usize::MAX } else { options.piece_bytes.unwrap_or(PIECE_BYTES).max(1) };
        Pieces { input, piece, want: piece, offset: 0, buffer: Vec::new(), valid: 0, drained: false }
    }

    /// Reads until `bytes` bytes from the window's start are at hand or the file ends (`usize::MAX`: to its end).
    fn ensure(&mut self, bytes: usize) -> std::io::Result<()> {
        let Input::Reader(reader) = &mut self.input else { return Ok(()) };
        if self.valid >= bytes || self.drained {
            return Ok(());
        }
        // Into the vector's spare room as the bytes come: zero-filling a whole piece first cost as much as reading
        // a file of a few kilobytes (a folder of units is mostly such files).
        self.buffer.truncate(self.valid);
        let wanted = u64::try_from(bytes - self.valid).unwrap_or(u64::MAX);
        let read = (&mut **reader).take(wanted).read_to_end(&mut self.buffer)?;
        self.valid = self.buffer.len();
        // read_to_end stops short of its limit only at the end of the file.
        self.drained = u64::try_from(read).unwrap_or(u64::MAX) < wanted;
        Ok(())
    }

    /// The bytes at hand from the window's start.
    fn at_hand(&self) -> &[u8] {
        match &self.input {
            Input::Bytes(bytes) => bytes.get(self.offset..).unwrap_or(&[]),
            Input::Reader(_) => self.buffer.get(..self.valid).unwrap_or(&[]),
        }
    }

    /// The file's first `bytes` bytes (or all of it), before any piece is taken.
    fn peek(&mut self, bytes: usize) -> std::io::Result<&[u8]> {
        self.ensure(bytes)?;
        let at_hand = self.at_hand();
        Ok(&at_hand[..bytes.min(at_hand.len())])
    }

    fn fill(&mut self) -> std::io::Result<()> {
        self.ensure(self.want)
    }

    fn window(&self) -> &[u8] {
        let at_hand = self.at_hand();
        &at_hand[..self.want.min(at_hand.len())]
    }

    /// The window holds the rest of the file.
    fn is_last(&self) -> bool {
        let reader_done = match self.input {
            Input::Bytes(_) => true,
            Input::Reader(_) => self.drained,
        };
        reader_done && self.want >= self.at_hand().len()
    }

    /// Moves past the first `consumed` bytes of the window and reads the next piece.
    fn advance(&mut self, consumed: usize) -> std::io::Result<()> {
        self.offset += consumed;
        if let Input::Reader(_) = self.input {
            let consumed = consumed.min(self.valid);
            self.buffer.copy_within(consumed..self.valid, 0);
            self.valid -= consumed;
        }
        self.want = self.piece;
        self.fill()
    }

    /// No record is complete in the window: take more before trying again.
    fn widen(&mut self) -> std::io::Result<()> {
        self.want = self.want.saturating_mul(2);
        self.fill()
    }

    /// Reads the rest of the file without looking at it.
    fn skip_to_end(&mut self) -> std::io::Result<()> {
        while !self.is_last() {
            let consumed = self.window().len();
            self.advance(consumed)?;
        }
        Ok(())
    }
}

/// What the first piece decided for the whole file.
struct Layout {
    header: Option<(u32, String)>,
    first_record_line: u32,
    kind: KindChoice,
    /// the kind the layout matches when it differs from the file name's
    mismatch: Option<&'static Kind>,
}

/// One piece read: its records, and what reading its bytes found.
struct ReadPiece {
    table: Table,
    issues: Vec<SyntaxIssue>,
    line_endings: LineEndings,
    undecodable: Vec<Undecodable>,
    first: bool,
    last: bool,
}

/// Reads, decodes and tokenizes a file a piece at a time.
struct PieceReader<'a> {
    pieces: Pieces<'a>,
    decoder: StreamDecoder,
    /// the tokenizer's line the next piece starts on
    line: u32,
    /// the next piece's line counted by line feeds alone, for undecodable bytes (a lone CR inside a quoted value is
    /// no record end, so the tokenizer's count can differ)
    feed_line: u32,
    first: bool,
}

impl PieceReader<'_> {
    fn next_piece(&mut self) -> std::io::Result<ReadPiece> {
        loop {
            let pieces = &mut self.pieces;
            let window = pieces.window();
            let last = pieces.is_last();
            let (text, found) = self.decoder.decode_piece(window, pieces.offset, self.feed_line);
            let piece = Table::parse_piece(text, self.line, last);
            // The layout is judged on the first record after a header: the first piece must hold both.
            let too_short = self.first && piece.table.len() < 2;
            let consumed =
                if last { window.len() } else { bytes_before_tail(window, &piece.table.text()[piece.consumed..]) };
            // No complete record yet (nothing to move past): take more, never the same window again.
            if !last && (consumed == 0 || too_short) {
                pieces.widen()?;
                continue;
            }
            let file_end = pieces.offset + consumed;
            self.line = piece.next_line;
            self.feed_line = self.feed_line.saturating_add(line_feeds(&window[..consumed]));
            let read = ReadPiece {
                table: piece.table,
                issues: piece.issues,
                line_endings: piece.line_endings,
                undecodable: found.into_iter().filter(|run| run.offset < file_end).collect(),
                first: std::mem::replace(&mut self.first, false),
                last,
            };
            if !last {
                pieces.advance(consumed)?;
            }
            return Ok(read);
        }
    }
}

/// What checking the pieces in order gathers for the whole file.
#[derive(Default)]
struct Gathered {
    undecodable: Vec<Undecodable>,
    issues: Vec<SyntaxIssue>,
    line_endings: LineEndings,
    rows: usize,
    layout: Option<Layout>,
    wrong_width: Vec<(u32, usize)>,
    whole: Option<Document>,
    retained: Option<Retained>,
}

impl Gathered {
    /// Checks one piece's fields and records, and keeps what the file and set rules will read.
    fn check(
        &mut self,
        piece: ReadPiece,
        report: &mut FileReport,
        options: &Options,
        name_kind: Option<&'static Kind>,
    ) {
        self.undecodable.extend(piece.undecodable);
        self.issues.extend(piece.issues);
        self.line_endings.add(piece.line_endings);
        let table = piece.table;
        self.rows += table.len();
        let layout = self.layout.get_or_insert_with(|| {
            let name_month = report.parsed_name().and_then(|name| name.month.as_deref());
            judge_layout(&table, options, name_kind, name_month)
        });
        if let KindChoice::Chosen(kind) = layout.kind {
            let mut skipped = vec![false; table.len()];
            for (row, skip) in skipped.iter_mut().enumerate() {
                if piece.first && row == 0 && layout.header.is_some() {
                    *skip = true;
                } else if table.row_width(row) != kind.items.len() {
                    *skip = true;
                    self.wrong_width.push((table.row_line(row), table.row_width(row)));
                }
            }
            let doc = Document::whole(kind, table, skipped);
            check_fields(&doc, &mut report.findings);
            check_records(&doc, &mut report.findings);
            // A file of one piece is kept as it is: no larger than a piece, and its rules read it directly.
            if options.keep_documents || (piece.first && piece.last) {
                self.whole = Some(doc);
            } else {
                self.retained.get_or_insert_with(|| Retained::new(retained_columns(kind))).extend(&doc);
            }
        }
        if report.findings.len() > FINDINGS_BEFORE_CAPPING {
            report.cap_and_sort();
        }
    }
}

/// Reads the records piece by piece, checks encoding, syntax, fields and records; returns the kind the layout
/// matches when it differs from the file name's. A file of several pieces is read on a second thread while the
/// pieces before are checked, unless the caller asked for one thread; the pieces are checked in order either way.
fn read_csv(
    report: &mut FileReport,
    mut pieces: Pieces<'_>,
    options: &Options,
    name_kind: Option<&'static Kind>,
) -> std::io::Result<Option<&'static Kind>> {
    if pieces.window().is_empty() {
        let ctx =
            ReadCtx { decoded: None, syntax_issues: &[], line_endings: LineEndings::default(), records: 0, name_kind };
        run_read_checks(&ctx, &mut report.findings);
        return Ok(None);
    }
    let mut decoder = StreamDecoder::new(options.encoding);
    decoder.sniff(pieces.peek(DETECT_BYTES)?);
    let several_pieces = !pieces.is_last();
    let mut reader = PieceReader { pieces, decoder, line: 1, feed_line: 1, first: true };
    let mut gathered = Gathered::default();
    let decoder = if several_pieces && options.threads != Some(1) {
        std::thread::scope(|scope| {
            // One piece read ahead: memory holds at most three (being checked, queued, being read).
            let (sender, queue) = std::sync::mpsc::sync_channel(1);
            let read_ahead = scope.spawn(move || {
                loop {
                    let piece = reader.next_piece();
                    let done = piece.as_ref().map_or(true, |piece| piece.last);
                    if sender.send(piece).is_err() || done {
                        break;
                    }
                }
                reader.decoder
            });
            for piece in queue {
                gathered.check(piece?, report, options, name_kind);
            }
            // The reading thread only panics if decoding does: re-raise it here.
            Ok::<_, std::io::Error>(read_ahead.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
        })?
    } else {
        loop {
            let piece = reader.next_piece()?;
            let last = piece.last;
            gathered.check(piece, report, options, name_kind);
            if last {
                break reader.decoder;
            }
        }
    };
    report.encoding = Some(decoder.encoding());
    let decoded = Decoded {
        encoding: decoder.encoding(),
        text: String::new(),
        undecodable: gathered.undecodable,
        looks_like_utf8: decoder.looks_like_utf8,
    };
    let ctx = ReadCtx {
        decoded: Some(&decoded),
        syntax_issues: &gathered.issues,
        line_endings: gathered.line_endings,
        records: gathered.rows,
        name_kind,
    };
    run_read_checks(&ctx, &mut report.findings);
    let Some(layout) = gathered.layout.filter(|_| gathered.rows > 0) else { return Ok(None) };
    let name_month = report.parsed_name().and_then(|name| name.month.clone());
    let ctx = LayoutCtx {
        header: layout.header.as_ref().map(|(line, value)| (*line, value.as_str())),
        first_record_line: layout.first_record_line,
        kind: layout.kind,
        wrong_width: &gathered.wrong_width,
        name_month: name_month.as_deref(),
    };
    for rule in rules::all() {
        if let Check::Layout(check) = rule.check {
            check(&ctx, &mut report.findings);
        }
    }
    let KindChoice::Chosen(kind) = ctx.kind else { return Ok(None) };
    let doc = gathered.whole.or_else(|| gathered.retained.map(|retained| Document::retained(kind, retained)));
    report.records = doc.as_ref().map_or(0, Document::record_count);
    report.read_as = Some(kind);
    report.document = doc;
    Ok(layout.mismatch)
}

/// The bytes of `window` before the text `tail` it decoded to: the tail starts after a line feed, and line feeds
/// are one byte in every encoding read, so the tail holds as many as the window's end after that one.
fn bytes_before_tail(window: &[u8], tail: &str) -> usize {
    let feeds_in_tail = memchr::memchr_iter(b'\n', tail.as_bytes()).count();
    memchr::memrchr_iter(b'\n', window).nth(feeds_in_tail).map_or(0, |feed| feed + 1)
}

fn line_feeds(bytes: &[u8]) -> u32 {
    u32::try_from(memchr::memchr_iter(b'\n', bytes).count()).unwrap_or(u32::MAX)
}

/// Whether the first row is a header and which kind the records are read as, from the first piece.
fn judge_layout(
    table: &Table,
    options: &Options,
    name_kind: Option<&'static Kind>,
    name_month: Option<&str>,
) -> Layout {
    let header = table.first_row_is_header();
    let first_record = usize::from(header && table.len() > 1);
    let width = table.row_width(first_record);
    let content_kind = detect_kind(table, first_record);
    let edition = csv_version(table.value(first_record, 0))
        .filter(|version| version.status == VersionStatus::Superseded)
        .filter(|version| {
            // Read as an earlier edition when the records do not have the v4.1 layout the name (or --kind) gives,
            // or the name's month is one the edition applies to; otherwise the file is v4.1 with a wrong value
            // (FLD022).
            let kind = options.kind.or(name_kind);
            kind.is_none_or(|kind| kind.items.len() != width)
                || name_month.is_some_and(|month| {
                    month != "000000"
                        && edition_for_month(month).is_none_or(|applying| applying.applies_from <= version.applies_from)
                })
        });
    let (kind, mismatch) = match (edition, options.kind, name_kind) {
        // An edition before v4 has other layouts (S2 【CSVバージョン履歴】): no v4.1 kind describes its items.
        (Some(version), ..) => (KindChoice::OtherEdition(version), None),
        (None, Some(kind), _) => (KindChoice::Chosen(kind), None),
        (None, None, Some(named)) if named.items.len() == width => (KindChoice::Chosen(named), None),
        (None, None, Some(named)) => match content_kind {
            Some(detected) => (KindChoice::Chosen(detected), Some(detected)),
            None => (KindChoice::Chosen(named), None),
        },
        // Neither name nor option gives the kind: a guess from the width would describe items the file may not
        // have, so no item is checked.
        (None, None, None) => {
            let candidates = spec().kinds_with_columns(width).map(|kind| kind.code.as_str()).collect();
            (KindChoice::Uncertain { width, candidates }, None)
        }
    };
    Layout {
        header: header.then(|| (table.row_line(0), table.value(0, 0).to_string())),
        first_record_line: table.row_line(first_record),
        kind,
        mismatch,
    }
}

/// The columns of `kind` that file, name and set rules read (and the 第7表 arithmetic they share): what a file read
/// in pieces keeps of each record.
fn retained_columns(kind: &Kind) -> &'static [bool] {
    static TABLE: LazyLock<HashMap<&'static str, Vec<bool>>> = LazyLock::new(|| {
        spec()
            .kinds
            .iter()
            .map(|kind| {
                let code = kind.code.as_str();
                let mut ids: Vec<&str> = crate::billing::ANNEX_ITEMS.to_vec();
                ids.extend(crate::billing::GRAND_TOTAL_SUMS);
                ids.extend(kind.record_key.iter().map(String::as_str));
                ids.extend(kind.service_month.as_deref());
                for rule in rules::all() {
                    match &rule.check {
                        Check::Name { reads, .. } => ids.extend(*reads),
                        Check::File { kinds, reads, .. } if kinds.is_empty() || kinds.contains(&code) => {
                            ids.extend(*reads);
                        }
                        Check::Set { reads, unit_keys, .. } => {
                            ids.extend(reads.iter().filter(|(of, _)| *of == code).map(|(_, id)| *id));
                            if *unit_keys {
                                for link in spec().units.iter().flat_map(|unit| &unit.links) {
                                    if link.child == code {
                                        ids.extend(link.child_key.iter().map(String::as_str));
                                    }
                                    if link.parent == code {
                                        ids.extend(link.parent_key.iter().map(String::as_str));
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
                (code, kind.items.iter().map(|item| ids.contains(&item.id.as_str())).collect())
            })
            .collect()
    });
    TABLE.get(kind.code.as_str()).map_or(&[], Vec::as_slice)
}

fn run_read_checks(ctx: &ReadCtx<'_>, findings: &mut Vec<Finding>) {
    for rule in rules::all() {
        if let Check::Read(check) = rule.check {
            check(ctx, findings);
        }
    }
}

/// The kind whose layout the content has: the spec's kind that the first record's values fit.
fn detect_kind(table: &Table, row: usize) -> Option<&'static Kind> {
    let values: Vec<&str> = (0..table.row_width(row)).map(|column| table.value(row, column)).collect();
    spec().kind_of_record(&values)
}

type FieldCheck = fn(&FieldCtx<'_>, &mut Vec<Finding>);

/// For each kind, the field checks that apply to each of its items: computed once from the rules' `applies`.
fn field_checks(kind: &Kind) -> &'static [Vec<FieldCheck>] {
    static TABLE: LazyLock<HashMap<&'static str, Vec<Vec<FieldCheck>>>> = LazyLock::new(|| {
        spec()
            .kinds
            .iter()
            .map(|kind| {
                let per_item = kind
                    .items
                    .iter()
                    .map(|item| {
                        rules::all()
                            .iter()
                            .filter_map(|rule| match rule.check {
                                Check::Field { applies, check, .. } if applies(item) => Some(check),
                                _ => None,
                            })
                            .collect()
                    })
                    .collect();
                (kind.code.as_str(), per_item)
            })
            .collect()
    });
    TABLE.get(kind.code.as_str()).map_or(&[], Vec::as_slice)
}

/// The character rules' checks, run on every value that has a character outside printable ASCII.
fn character_checks() -> &'static [FieldCheck] {
    static CHECKS: LazyLock<Vec<FieldCheck>> = LazyLock::new(|| {
        rules::all()
            .iter()
            .filter_map(|rule| match rule.check {
                Check::Characters(check) => Some(check),
                _ => None,
            })
            .collect()
    });
    &CHECKS
}

/// Field checks are pure functions of (item, value, quoted): a value equal to the one above it in the same column
/// that was clean there is clean here too. Files repeat most items on every record (CSVバージョン, 保険者番号,
/// 対象年月, 事業所番号 …), so most fields are settled by one comparison.
fn check_fields(doc: &Document, findings: &mut Vec<Finding>) {
    let Some(table) = doc.table() else { return };
    let kind = doc.kind;
    let checks = field_checks(kind);
    let mut clean_above: Vec<Option<(&str, bool)>> = vec![None; kind.items.len()];
    for row in doc.rows() {
        let columns = kind.items.iter().zip(checks).zip(table.row_fields(row)).zip(clean_above.iter_mut());
        for (((item, checks), field), clean_above) in columns {
            if clean_above.is_some_and(|(value, quoted)| quoted == field.quoted && same_value(value, field.value)) {
                continue;
            }
            let before = findings.len();
            let ctx = FieldCtx::new(kind, item, field.value, field.quoted, field.line);
            if has_odd_bytes(field.value) {
                for check in character_checks() {
                    check(&ctx, findings);
                }
            }
            for check in checks {
                check(&ctx, findings);
            }
            *clean_above = (findings.len() == before).then_some((field.value, field.quoted));
        }
    }
}

fn check_records(doc: &Document, findings: &mut Vec<Finding>) {
    let code = doc.kind.code.as_str();
    let checks: Vec<_> = rules::all()
        .iter()
        .filter_map(|rule| match rule.check {
            Check::Record { kinds, check, .. } if kinds.contains(&code) => Some(check),
            _ => None,
        })
        .collect();
    if checks.is_empty() {
        return;
    }
    let columns = ColumnCache::default();
    for row in doc.rows() {
        let ctx = RecordCtx { doc, row, columns: &columns };
        for check in &checks {
            check(&ctx, findings);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Skipping a value equal to the clean one above it must not hide a bad value that repeats: only clean values
    /// are remembered.
    #[test]
    fn a_bad_value_repeated_on_every_record_is_reported_on_every_record() {
        let name = "UPPLAN_202505_1370001002_43_1370002058_11_20250425090500.CSV";
        let path = format!("{}/../fixtures/valid/kaigo2-new-plan/{name}", env!("CARGO_MANIFEST_DIR"));
        let good = std::fs::read(path).unwrap_or_default();
        let records = good.split(|&b| b == b'\n').filter(|line| !line.is_empty()).count();
        assert!(records > 3, "the fixture has several records");
        // 作成年月日 (item 4) is 20250425 on every record; make it 30 February everywhere.
        let bad: Vec<u8> = good
            .split(|&b| b == b'\n')
            .flat_map(|line| {
                let mut line = line.to_vec();
                if let Some(at) = line.windows(10).position(|w| w == b",20250425,") {
                    line[at + 1..at + 9].copy_from_slice(b"20250230");
                }
                line.push(b'\n');
                line
            })
            .collect();
        let report = validate_file(name, &bad[..bad.len() - 1], &Options::default());
        let lines: Vec<u32> =
            report.findings.iter().filter(|f| f.rule.code == "FLD006").filter_map(|f| f.line).collect();
        assert_eq!(lines, (1..=u32::try_from(records).unwrap_or(0)).collect::<Vec<_>>());
    }
}
