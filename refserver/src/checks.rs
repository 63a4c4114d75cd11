//! The validator's report as the API gives it (`POST /v1/validate` and a send's `validation_failed`): findings for
//! a set of files in both languages with the item named as the spec names it; and whose unit the files are.

use conformance::codec::{EncodingChoice, TextEncoding};
use conformance::document::{Document, Table};
use conformance::finding::Finding;
use conformance::i18n::Lang;
use conformance::validate::{FileReport, Report};
use protocol::{ReportFile, ReportFinding, Subject, ValidationReport};

fn finding(finding: &Finding) -> ReportFinding {
    ReportFinding {
        rule: finding.rule.code.to_string(),
        title: finding.rule.title.ja.to_string(),
        severity: finding.severity().label(Lang::En).to_string(),
        file: finding.file.clone(),
        line: finding.line,
        column: finding.column,
        item: finding.item.map(|item| item.label(Lang::Ja)),
        value: finding.value.clone(),
        message: finding.message(Lang::Ja),
        message_en: finding.message(Lang::En),
        fix: finding.rule.fix.ja.to_string(),
        fix_en: finding.rule.fix.en.to_string(),
    }
}

/// Whose unit the files are (利用者氏名, 被保険者番号) and for which month (the kind's service-month item, unless it
/// is 000000 as in a plan unit's 補足): each from the first record of the first file that has the item. `files`
/// are the bytes `report` was made from, in its order; only each file's first record is read again.
pub fn subject_of(report: &Report, files: &[(String, Vec<u8>)]) -> Subject {
    let documents: Vec<Document> =
        report.files.iter().zip(files).filter_map(|(file, (_, bytes))| first_record(file, bytes)).collect();
    let first = |id: &dyn Fn(&Document) -> Option<&str>| {
        documents.iter().find_map(|doc| {
            let id = id(doc)?;
            let row = doc.rows().next()?;
            let value = doc.get(row, id);
            (doc.column(id).is_some() && !value.is_empty() && !value.bytes().all(|b| b == b'0'))
                .then(|| value.to_string())
        })
    };
    Subject {
        user_name: first(&|_| Some("user_name")),
        insured_number: first(&|_| Some("insured_number")),
        target_month: first(&|doc| doc.kind.service_month.as_deref()),
    }
}

/// A record is far shorter than this: the first record is read from at most this many bytes.
const FIRST_RECORD_BYTES: usize = 64 * 1024;

/// The first record of a file the validator read as its kind, in the encoding it read it in.
fn first_record(file: &FileReport, bytes: &[u8]) -> Option<Document> {
    let kind = file.read_as?;
    let choice = match file.encoding? {
        TextEncoding::Utf8 | TextEncoding::Utf8Bom => EncodingChoice::Utf8,
        TextEncoding::ShiftJis | TextEncoding::Ascii => EncodingChoice::ShiftJis,
    };
    let start = bytes.get(..FIRST_RECORD_BYTES).unwrap_or(bytes);
    let text = conformance::codec::decode(start, choice).text;
    let table = Table::parse_piece(text, 1, start.len() == bytes.len()).table;
    let record = !table.is_empty() && !table.first_row_is_header() && table.row_width(0) == kind.items.len();
    // Only the first row is looked at.
    let skipped = (0..table.len()).map(|row| row > 0).collect();
    record.then(|| Document::whole(kind, table, skipped))
}

/// The validator's report as the API answers it (dry run and `validation_failed` alike).
pub fn build(report: &Report) -> ValidationReport {
    ValidationReport {
        files: report
            .files
            .iter()
            .map(|file| {
                let kind = file.kind();
                ReportFile {
                    name: file.path.clone(),
                    kind: kind.map(|k| k.code.clone()),
                    table: kind.map(|k| k.table.ja.clone()),
                    title: kind.map(|k| k.title.ja.clone()),
                    encoding: file.encoding.map(|e| e.name().to_string()),
                    records: file.records(),
                    findings: file.findings.iter().map(finding).collect(),
                    suppressed: file.suppressed.values().sum(),
                }
            })
            .collect(),
        set_findings: report.set_findings.iter().map(finding).collect(),
        errors: report.errors(),
        warnings: report.warnings(),
    }
}

/// Outside text (file and office names, paths, reasons, zip entry names) as the relay stores and prints it: every
/// character that could hide or disguise what is there is written out as `\u{…}` — control, bidi and zero-width
/// characters (`conformance::report::printable`), and any other format, private-use, unassigned, surrogate or
/// separator character and the fillers that show as blank (U+115F, U+1160, U+3164, U+FFA0, U+2800, U+034F, …).
/// The one escaping function for names the relay shows; a file name it would change is refused at upload.
pub fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            out.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Whether `c` is invisible or deceptive where a name is shown (see [`shown`]).
fn hidden(c: char) -> bool {
    use unicode_properties::{GeneralCategory as G, UnicodeGeneralCategory as _};
    const FILLERS: &[char] =
        &['\u{034F}', '\u{115F}', '\u{1160}', '\u{17B4}', '\u{17B5}', '\u{2800}', '\u{3164}', '\u{FFA0}'];
    matches!(
        c.general_category(),
        G::Control
            | G::Format
            | G::PrivateUse
            | G::Unassigned
            | G::Surrogate
            | G::LineSeparator
            | G::ParagraphSeparator
    ) || FILLERS.contains(&c)
        || ('\u{180B}'..='\u{180F}').contains(&c)
        || matches!(conformance::report::printable(c.encode_utf8(&mut [0; 4])), std::borrow::Cow::Owned(_))
}

/// A cell of a CSV the relay writes, as text a spreadsheet will not run: a value starting with `=`, `+`, `-`, `@`,
/// a tab or a carriage return gets a leading `'` (OWASP, CSV injection).
pub fn spreadsheet_text(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use conformance::validate::{validate_files, Options};

    #[test]
    fn a_bad_date_is_reported_with_its_item_in_both_languages() {
        let name = "UP2KYO_1370001002_43_1370002058_11_20250425090000.CSV";
        let good = std::fs::read(format!("{}/../fixtures/valid/kaigo2-new-plan/{name}", env!("CARGO_MANIFEST_DIR")))
            .expect("fixture");
        // Item 4 (居宅計画書作成年月日) of the first record becomes 30 February; the bytes around it are ASCII.
        let at = good.windows(10).position(|w| w == b",20250425,").expect("a date");
        let bad = [&good[..at], b",20250230,", &good[at + 10..]].concat();
        let report = build(&validate_files([(name, &bad[..])], &Options::default()));
        assert_eq!(report.files[0].kind.as_deref(), Some("UP2KYO"));
        assert_eq!(report.files[0].table.as_deref(), Some("第2表"));
        let finding = report.files[0].findings.iter().find(|f| f.value.as_deref() == Some("20250230")).expect("found");
        assert_eq!(finding.line, Some(1));
        assert!(finding.item.as_deref().is_some_and(|item| item.starts_with("第2表 No.")), "{:?}", finding.item);
        assert_ne!(finding.message, finding.message_en);
        assert!(!finding.fix.is_empty() && !finding.fix_en.is_empty(), "every finding says how to fix it");
        assert!(report.errors >= 1);
    }

    fn subject_of_unit(dir: &str, prefixes: &[&str]) -> Subject {
        let dir = format!("{}/../fixtures/valid/{dir}", env!("CARGO_MANIFEST_DIR"));
        let files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
            .expect("fixture unit")
            .filter_map(|entry| {
                let name = entry.ok()?.file_name().into_string().ok()?;
                prefixes.iter().any(|p| name.starts_with(p)).then(|| {
                    let bytes = std::fs::read(format!("{dir}/{name}")).expect("readable");
                    (name, bytes)
                })
            })
            .collect();
        assert_eq!(files.len(), prefixes.len(), "{dir}: {prefixes:?}");
        let report = validate_files(files.iter().map(|(n, b)| (n.as_str(), b.as_slice())), &Options::default());
        subject_of(&report, &files)
    }

    #[test]
    fn the_subject_is_read_from_the_unit() {
        // a ticket unit: the name from 補足, the month from 第6表/第7表 (補足's own is the same month)
        let tickets = subject_of_unit("kaigo2-new-plan", &["UPPLAN_", "UPSIKYU_", "UPHOSOKU_202505_"]);
        assert_eq!(tickets.user_name.as_deref(), Some("加藤　和子"));
        assert_eq!(tickets.insured_number.as_deref(), Some("0241149189"));
        assert_eq!(tickets.target_month.as_deref(), Some("202505"));
        // a plan unit has no month (its 補足 carries 000000); without 補足 there is only the insured number
        let plan = subject_of_unit("kaigo2-new-plan", &["UP1KYO_", "UP2KYO_"]);
        assert_eq!(plan.user_name, None);
        assert_eq!(plan.insured_number.as_deref(), Some("0241149189"));
        assert_eq!(plan.target_month, None);
    }

    #[test]
    fn invisible_and_deceptive_characters_are_written_out_and_names_are_kept() {
        let plain = "UP1KYO_1370001002_43_1370002058_11_20250425090000.CSV ケアプランセンターさくら 葛󠄀";
        assert!(matches!(shown(plain), std::borrow::Cow::Borrowed(_)));
        for (invisible, code) in [
            ('\u{2060}', "2060"),
            ('\u{00AD}', "00AD"),
            ('\u{3164}', "3164"),
            ('\u{E0041}', "E0041"),
            ('\u{180E}', "180E"),
            ('\u{2064}', "2064"),
            ('\u{E000}', "E000"),
            ('\u{202E}', "202E"),
            ('\u{1B}', "001B"),
        ] {
            assert_eq!(shown(&format!("a{invisible}b")), format!("a\\u{{{code}}}b"));
        }
    }

    #[test]
    fn cells_a_spreadsheet_would_run_become_text() {
        for formula in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(spreadsheet_text(formula), format!("'{formula}"));
        }
        assert_eq!(spreadsheet_text("2025-05-01T09:00:00+09:00"), "2025-05-01T09:00:00+09:00");
    }
}
