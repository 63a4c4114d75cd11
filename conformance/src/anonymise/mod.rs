//! Files a vendor can share without the 利用者's personal data, that still show the same findings.
//!
//! Which items are personal is the spec data's (`personal` on every text-bearing item, see
//! [`crate::spec::Personal`]). Each file is first read the way the validator reads it — its encoding, whether it
//! starts with a header row, the kind whose layout its records have — and then its bytes are copied with the values
//! of personal items replaced in place ([`replace`]): nothing else moves, so every code, date, amount, quote,
//! line ending and stray byte is still there for the rules to find. A row whose width does not match the layout
//! (and every row of a file whose layout is unknown) cannot say which field is which: all its fields are replaced.
//! A family-structure image becomes the corpus's fictional one.

mod keyed;
mod replace;

use std::collections::{BTreeMap, BTreeSet, HashMap};

pub use keyed::Key;

use crate::codec::{Records, TextEncoding};
use crate::document::is_header_value;
use crate::filename::{self, base_name, FileName};
use crate::spec::{csv_version, current_csv_version, Kind, Personal};
use crate::validate::{validate_file, validate_files, Options, Report};
use replace::{replace_value, Bytes, Replaced};

/// One file as it can be shared.
#[derive(Debug, Clone)]
pub struct Anonymised {
    pub path: String,
    pub bytes: Vec<u8>,
    pub summary: Summary,
}

/// What was replaced in one file, for the report that goes with the files.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// the kind whose layout said which items are personal (`None`: no layout, every field was replaced)
    pub kind: Option<&'static Kind>,
    /// values replaced, by class
    pub values: BTreeMap<Personal, usize>,
    /// free-text items (No., 項目名) whose text was replaced with neutral characters
    pub free_text: BTreeSet<(u16, String)>,
    /// rows whose fields could not be told apart, so every field was replaced
    pub whole_rows: usize,
    /// the family-structure image was replaced with a fictional one
    pub image_replaced: bool,
}

/// Anonymises the files of one or more send units under one key: equal personal values are replaced alike in
/// every file, so the joins between a unit's files hold.
pub fn anonymise_files<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    key: &Key,
    options: &Options,
) -> Vec<Anonymised> {
    let mut anonymiser = Anonymiser::new(key, options);
    files.into_iter().map(|(path, bytes)| anonymiser.file(path, bytes)).collect()
}

/// Anonymises file after file under one key, remembering what each value became: a user's 被保険者番号 and name
/// recur on every record, and are replaced once.
pub struct Anonymiser<'k> {
    key: &'k Key,
    options: Options,
    replaced: HashMap<(Personal, Bytes, Vec<u8>), Replaced>,
}

impl<'k> Anonymiser<'k> {
    pub fn new(key: &'k Key, options: &Options) -> Anonymiser<'k> {
        Anonymiser { key, options: Options { keep_documents: false, ..options.clone() }, replaced: HashMap::new() }
    }

    pub fn file(&mut self, path: &str, bytes: &[u8]) -> Anonymised {
        let report = validate_file(path, bytes, &self.options);
        let name_kind = report
            .parsed_name()
            .and_then(FileName::kind)
            .or_else(|| (path != "-").then(|| filename::prefix_kind(base_name(path))).flatten());
        let mut summary = Summary { kind: report.read_as, ..Summary::default() };
        if name_kind.is_some_and(|kind| !kind.is_csv()) {
            summary.image_replaced = !bytes.is_empty();
            let image = if bytes.is_empty() { Vec::new() } else { crate::synth::corpus::FAMILY_IMAGE.to_vec() };
            return Anonymised { path: path.to_string(), bytes: image, summary };
        }
        let encoding = match report.encoding {
            Some(TextEncoding::ShiftJis) => Bytes::ShiftJis,
            _ => Bytes::Utf8,
        };
        let bytes = self.replace_personal_values(bytes, encoding, report.read_as, &mut summary);
        Anonymised { path: path.to_string(), bytes, summary }
    }

    /// The file's bytes with each personal value replaced in place.
    fn replace_personal_values(
        &mut self,
        bytes: &[u8],
        encoding: Bytes,
        kind: Option<&'static Kind>,
        summary: &mut Summary,
    ) -> Vec<u8> {
        // The tokenizer looks only at ASCII delimiters, which are never part of a multi-byte character in Shift_JIS or
        // UTF-8: a stand-in of the same length with every other byte made `x` has the same fields at the same offsets.
        let stand_in: String = bytes.iter().map(|&b| if b.is_ascii() { char::from(b) } else { 'x' }).collect();
        let mut records = Records::new(&stand_in);
        let mut out = Vec::with_capacity(bytes.len());
        let mut copied = 0;
        let mut fields = Vec::new();
        let mut first = true;
        while records.next_record(|field| fields.push(field)).is_some() {
            let header = std::mem::replace(&mut first, false)
                && fields
                    .first()
                    .is_some_and(|field| is_header_value(&text_of(&bytes[field.start..field.end], encoding)));
            let layout = kind.filter(|kind| kind.items.len() == fields.len());
            if !header && layout.is_none() {
                summary.whole_rows += 1;
            }
            for (column, field) in fields.iter().enumerate().filter(|_| !header) {
                let item = layout.and_then(|kind| kind.items.get(column));
                let class = match item {
                    Some(item) => match item.personal {
                        Some(class) if class.is_personal() => class,
                        _ => continue,
                    },
                    // A row no layout reads has every field replaced, but its CSVバージョン, which says the
                    // edition (one this model has no layout for), is no one's data: kept, the copy reads alike.
                    None if column == 0
                        && csv_version(&text_of(&bytes[field.start..field.end], encoding)).is_some() =>
                    {
                        continue
                    }
                    None => Personal::FreeText,
                };
                let value = &bytes[field.start..field.end];
                let replaced = self
                    .replaced
                    .entry((class, encoding, value.to_vec()))
                    .or_insert_with(|| replace_value(value, encoding, class, self.key));
                out.extend_from_slice(&bytes[copied..field.start]);
                out.extend_from_slice(&replaced.bytes);
                copied = field.end;
                if let (true, Some(item)) = (replaced.changed, item) {
                    *summary.values.entry(class).or_default() += 1;
                    if class == Personal::FreeText {
                        summary.free_text.insert((item.no, item.name.clone()));
                    }
                }
            }
            fields.clear();
        }
        out.extend_from_slice(&bytes[copied..]);
        out
    }
}

/// Where each finding of a report points (rule, file, line, column, item No.), per file in order.
type Places = Vec<(String, Vec<(&'static str, Option<String>, Option<u32>, Option<u32>, Option<u16>)>)>;

fn places(report: &Report) -> Places {
    report
        .files
        .iter()
        .map(|file| {
            let mut places: Vec<_> = file
                .findings
                .iter()
                .map(|f| (f.rule.code, f.file.clone(), f.line, f.column, f.item.as_ref().map(|i| i.item.no)))
                .collect();
            places.sort_unstable();
            (base_name(&file.path).to_string(), places)
        })
        .collect()
}

/// The first finding one report has and the other has not (rule, file, line, column, item), if any: what the
/// anonymiser promises never to produce between the originals and their anonymised files.
pub fn first_difference(originals: &Report, anonymised: &Report) -> Option<String> {
    let (before, after) = (places(originals), places(anonymised));
    if before.len() != after.len() {
        return Some(format!("{} files against {}", before.len(), after.len()));
    }
    before.iter().zip(&after).find(|(a, b)| a != b).map(|((file, a), (_, b))| {
        let missing = a.iter().find(|place| !b.contains(place));
        let added = b.iter().find(|place| !a.contains(place));
        format!("{file}: only in the original {missing:?}; only in the anonymised file {added:?}")
    })
}

/// Validates the originals and their anonymised copies and compares the findings: the number of findings when they
/// agree, else the first difference ([`first_difference`]). What the CLI and the relay run before handing copies out.
pub fn check_copies<'a>(
    originals: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    copies: &[Anonymised],
    options: &Options,
) -> Result<usize, String> {
    let before = validate_files(originals, options);
    let after = validate_files(copies.iter().map(|copy| (copy.path.as_str(), copy.bytes.as_slice())), options);
    match first_difference(&before, &after) {
        Some(difference) => Err(difference),
        None => Ok(before.all_findings().count()),
    }
}

fn text_of(bytes: &[u8], encoding: Bytes) -> String {
    match encoding {
        Bytes::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
        Bytes::ShiftJis => encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes).0.into_owned(),
    }
}

/// The report that goes with anonymised files, in both languages: what was replaced in each file and how.
pub fn report_text(files: &[Anonymised], key_given: bool) -> String {
    let mut out = format!(
        "匿名化レポート / Anonymisation report\n\
         careplan-conformance {} ・ 標準仕様 第4.1版 (CSVバージョン {})\n\n\
         個人情報の項目（仕様データで personal と印された項目）の値を、同じ文字種・同じ長さの架空の値に置き換えました。\
         同じ値はどのファイルでも同じ値に置き換わるため、ファイル間の突き合わせ（被保険者番号など）は保たれます。\
         コード・日付・金額・区切り・改行・読めないバイトは元のままで、検証結果（規則・行・列・項目）は元のファイルと同じです。\n\
         Personal items (marked `personal` in the spec data) were replaced with fictional values of the same \
         character class and length. Equal values are replaced alike in every file, so joins between files (the \
         insured number, …) hold. Codes, dates, amounts, delimiters, line breaks and undecodable bytes are \
         unchanged: validation finds the same rule, line, column and item as in the original files.\n\
         {}\n",
        env!("CARGO_PKG_VERSION"),
        current_csv_version().value,
        if key_given {
            "鍵は指定されたものです（同じ鍵なら同じ結果）。 / The given key was used (the same key gives the same output)."
        } else {
            "鍵は毎回ランダムです（元に戻すことはできません）。 / A random key was used (the output cannot be traced back)."
        }
    );
    for file in files {
        let summary = &file.summary;
        let kind = summary.kind.map_or_else(
            || "レイアウト不明 / unknown layout".to_string(),
            |kind| format!("{} {} / {}", kind.table.ja, kind.title.ja, kind.title.en),
        );
        out.push_str(&format!("\n{} ({kind})\n", base_name(&file.path)));
        if summary.image_replaced {
            out.push_str("  家族構成画像を架空の図に置き換えました / the family-structure image was replaced with a fictional one\n");
        }
        if !summary.values.is_empty() {
            let counts: Vec<String> = summary
                .values
                .iter()
                .map(|(class, count)| format!("{} {} {count}", class.label().ja, class.label().en))
                .collect();
            out.push_str(&format!("  置き換えた値 values replaced: {}\n", counts.join(", ")));
        }
        if !summary.free_text.is_empty() {
            let items: Vec<String> = summary.free_text.iter().map(|(no, name)| format!("No.{no} {name}")).collect();
            out.push_str(&format!(
                "  自由記載を同じ長さ・文字種の中立な文字に置き換えた項目 / free text replaced with neutral characters \
                 of the same length and class: {}\n",
                items.join(", ")
            ));
        }
        if summary.whole_rows > 0 {
            out.push_str(&format!(
                "  項目数がレイアウトと合わず、全項目を置き換えた行 / rows whose fields could not be told apart, every \
                 field replaced: {}\n",
                summary.whole_rows
            ));
        }
        if summary.values.is_empty()
            && summary.free_text.is_empty()
            && summary.whole_rows == 0
            && !summary.image_replaced
        {
            out.push_str("  個人情報の値はありませんでした / no personal value was found\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(path: &str, bytes: &[u8]) -> Anonymised {
        Anonymiser::new(&Key::new(b"k"), &Options::default()).file(path, bytes)
    }

    /// The family-structure image may show names: it becomes the corpus's fictional one (an empty one stays empty).
    #[test]
    fn an_image_is_replaced_with_the_fictional_one() {
        let name = "UPKIHON_IMAGE_1370006490_46_1370005365_63_20250420100000_0001.JPG";
        let copy = one(name, &[0xFF, 0xD8, 0xFF, 0xE0, b'n', b'a', b'm', b'e', 0xFF, 0xD9]);
        assert_eq!(copy.bytes, crate::synth::corpus::FAMILY_IMAGE);
        assert!(copy.summary.image_replaced);
        let empty = one(name, b"");
        assert!(empty.bytes.is_empty() && !empty.summary.image_replaced);
    }

    /// Rows whose fields cannot be told apart (no layout) are replaced field by field, but for a first field that is
    /// a CSVバージョン (an edition's, nobody's data); header rows are kept.
    #[test]
    fn rows_without_a_layout_are_replaced_whole_and_a_header_is_kept() {
        let csv = "CSVバージョン,被保険者番号\r\n202208,0123456789\r\n202409,0123456789\r\n".as_bytes();
        let copy = one("unknown.csv", csv);
        let text = String::from_utf8(copy.bytes).unwrap();
        let (header, records) = text.split_once("\r\n").unwrap();
        let (record, unknown_version) = records.split_once("\r\n").unwrap();
        assert_eq!(header, "CSVバージョン,被保険者番号");
        assert!(record.starts_with("202208,") && !record.contains("0123456789"), "{record}");
        assert!(!unknown_version.contains("202409") && !unknown_version.contains("0123456789"), "{unknown_version}");
        assert_eq!(record.len(), "202208,0123456789".len());
        assert_eq!((copy.summary.kind.map(|k| k.code.as_str()), copy.summary.whole_rows), (None, 2));
    }
}
