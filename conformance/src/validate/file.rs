//! Validation of one file.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use crate::codec::chars::has_odd_bytes;
use crate::codec::decode;
use crate::codec::tokenize::LineEndings;
use crate::document::{Document, Table};
use crate::filename::{self, base_name, FileName};
use crate::finding::Finding;
use crate::rules::ctx::{ColumnCache, FieldCtx, FileCtx, KindChoice, LayoutCtx, ReadCtx, RecordCtx};
use crate::rules::{self, Check};
use crate::spec::{spec, Kind};
use crate::validate::{FileReport, Options};

/// Validates one file. `path` `-` means standard input: no file name to check.
pub fn validate_file(path: &str, bytes: &[u8], options: &Options) -> FileReport {
    let name = (path != "-").then(|| filename::parse(base_name(path)));
    let mut report = FileReport {
        path: path.to_string(),
        name,
        encoding: None,
        document: None,
        records: 0,
        read_as: None,
        findings: Vec::new(),
        suppressed: BTreeMap::new(),
    };
    // A malformed name still names its kind by its prefix (NAM001 reports the rest).
    let name_kind = report
        .parsed_name()
        .and_then(FileName::kind)
        .or_else(|| (path != "-").then(|| filename::prefix_kind(base_name(path))).flatten());
    // A family-structure image: only its name takes part in validation (an empty one is still an empty file).
    let image = name_kind.is_some_and(|kind| !kind.is_csv());
    let content_kind = if image && !bytes.is_empty() { None } else { read_csv(&mut report, bytes, options, name_kind) };
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
    report
}

/// Reads the records, checks encoding, syntax, fields and records; returns the kind the layout matches when it
/// differs from the file name's.
fn read_csv(
    report: &mut FileReport,
    bytes: &[u8],
    options: &Options,
    name_kind: Option<&'static Kind>,
) -> Option<&'static Kind> {
    let findings = &mut report.findings;
    if bytes.is_empty() {
        let ctx = ReadCtx { decoded: None, syntax_issues: &[], line_endings: LineEndings::default(), records: 0 };
        run_read_checks(&ctx, findings);
        return None;
    }
    let mut decoded = decode(bytes, options.encoding);
    report.encoding = Some(decoded.encoding);
    let (table, issues, line_endings) = Table::parse(std::mem::take(&mut decoded.text));
    let ctx = ReadCtx { decoded: Some(&decoded), syntax_issues: &issues, line_endings, records: table.len() };
    run_read_checks(&ctx, findings);
    if table.is_empty() {
        return None;
    }

    let header = table.first_row_is_header();
    let first_record = usize::from(header && table.len() > 1);
    let width = table.row_width(first_record);
    let content_kind = detect_kind(&table, first_record);
    let (choice, mismatch) = match (options.kind, name_kind) {
        (Some(kind), _) => (KindChoice::Chosen(kind), None),
        (None, Some(named)) if named.items.len() == width => (KindChoice::Chosen(named), None),
        (None, Some(named)) => match content_kind {
            Some(detected) => (KindChoice::Chosen(detected), Some(detected)),
            None => (KindChoice::Chosen(named), None),
        },
        // Neither name nor option gives the kind: a guess from the width would describe items the file may not
        // have, so no item is checked.
        (None, None) => {
            let candidates = spec().kinds_with_columns(width).map(|kind| kind.code.as_str()).collect();
            (KindChoice::Uncertain { width, candidates }, None)
        }
    };

    let mut skipped = vec![false; table.len()];
    skipped[0] = header;
    let mut wrong_width = Vec::new();
    if let KindChoice::Chosen(kind) = choice {
        for (row, skip) in skipped.iter_mut().enumerate() {
            if !*skip && table.row_width(row) != kind.items.len() {
                *skip = true;
                wrong_width.push((table.row_line(row), table.row_width(row)));
            }
        }
    }
    let layout = LayoutCtx { table: &table, header, first_record, kind: choice, wrong_width: &wrong_width };
    for rule in rules::all() {
        if let Check::Layout(check) = rule.check {
            check(&layout, findings);
        }
    }
    let KindChoice::Chosen(kind) = layout.kind else { return None };
    let doc = Document { kind, table, skipped };
    check_fields(&doc, findings);
    check_records(&doc, findings);
    report.records = doc.record_count();
    report.read_as = Some(doc.kind);
    report.document = Some(doc);
    mismatch
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
    let kind = doc.kind;
    let checks = field_checks(kind);
    let mut clean_above: Vec<Option<(&str, bool)>> = vec![None; kind.items.len()];
    for row in doc.rows() {
        let columns = kind.items.iter().zip(checks).zip(doc.table.row_fields(row)).zip(clean_above.iter_mut());
        for (((item, checks), field), clean_above) in columns {
            if *clean_above == Some((field.value, field.quoted)) {
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
