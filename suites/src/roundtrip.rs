//! The round trip: a vendor imports our valid corpus and exports it again; every item is compared with the
//! original. Records are matched by kind and key (保険者番号, 被保険者番号 and the kind's date or month), rows of one
//! key in sorted order, so a harmless reordering is not a difference. Differences are classed as harmless
//! reformatting (full-width ↔ half-width, surrounding spaces, leading zeros) or meaningful (changed, lost, added,
//! truncated, missing or extra records).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::report::{CaseResult, Outcome, SuiteReport};
use conformance::codec::chars::to_fullwidth_katakana;
use conformance::document::Document;
use conformance::finding::printable;
use conformance::i18n::Lang;
use conformance::spec::{spec, Item, ItemType};
use conformance::validate::Report;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Difference {
    /// the same value written differently (width, spaces, leading zeros)
    Reformatted,
    Changed,
    /// a value became empty
    Lost,
    /// an empty value got one
    Added,
    /// free text cut short
    Truncated,
    MissingRecord,
    ExtraRecord,
}

impl Difference {
    pub fn is_harmless(self) -> bool {
        self == Difference::Reformatted
    }
}

/// Items that identify a record of a kind for matching.
fn key_columns(doc: &Document) -> Vec<usize> {
    [
        "insurer_number",
        "insured_number",
        "care_plan_date",
        "target_month",
        "consultation_date",
        "plan_date",
        "delete_target_month",
    ]
    .iter()
    .filter_map(|id| doc.column(id))
    .collect()
}

/// Full-width ASCII and the ideographic space folded to ASCII, half-width katakana to full width, outer spaces
/// trimmed: what "the same value" means for a harmless reformatting.
fn fold(value: &str) -> String {
    let folded: String = value
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect();
    to_fullwidth_katakana(folded.trim())
}

fn classify(item: &Item, original: &str, reexported: &str) -> Option<Difference> {
    if original == reexported {
        return None;
    }
    if reexported.is_empty() {
        return Some(Difference::Lost);
    }
    if original.is_empty() {
        return Some(Difference::Added);
    }
    let (a, b) = (fold(original), fold(reexported));
    let numbers_equal = matches!(item.ty, ItemType::Num | ItemType::Int)
        && conformance::billing::number(&a).is_some_and(|n| conformance::billing::number(&b) == Some(n));
    if a == b || numbers_equal {
        return Some(Difference::Reformatted);
    }
    if item.ty == ItemType::Text && a.starts_with(&b) {
        return Some(Difference::Truncated);
    }
    Some(Difference::Changed)
}

/// (kind, key values): the records that must correspond between original and re-export.
type RecordKey = (String, Vec<String>);
/// (file, physical line, values) of one record.
type Row = (String, u32, Vec<String>);

/// Every record of every kind in a report, grouped by kind and key, rows of a key in sorted order.
fn records(report: &Report) -> BTreeMap<RecordKey, Vec<Row>> {
    let mut grouped: BTreeMap<RecordKey, Vec<Row>> = BTreeMap::new();
    for file in &report.files {
        let Some((doc, table)) = file.document.as_ref().and_then(|doc| Some((doc, doc.table()?))) else { continue };
        let keys = key_columns(doc);
        for row in doc.rows() {
            let key: Vec<String> = keys.iter().map(|&c| table.value(row, c).to_string()).collect();
            let values: Vec<String> = table.row_values(row).into_iter().map(String::from).collect();
            grouped.entry((doc.kind.code.clone(), key)).or_default().push((
                file.path.clone(),
                table.row_line(row),
                values,
            ));
        }
    }
    for rows in grouped.values_mut() {
        rows.sort_by(|a, b| a.2.cmp(&b.2));
    }
    grouped
}

/// A difference, where it is (file, line) and how it reads.
type Located = ((String, u32), Difference, String);

/// Compares the original corpus with the vendor's re-export; one case per kind. Both reports must keep their
/// records (`Options::keep_documents`): a file read as a kind whose records were let go fails its kind's case
/// rather than compare as empty.
pub fn compare(original: &Report, reexported: &Report, target: &str, lang: Lang) -> SuiteReport {
    let (before, after) = (records(original), records(reexported));
    // Each difference with where it is, to list them in file order: a missing record by its original line (first),
    // the others by the re-export's file and line.
    let mut per_kind: BTreeMap<String, Vec<Located>> = BTreeMap::new();
    for file in original.files.iter().chain(&reexported.files) {
        if let (Some(kind), None) = (file.read_as, &file.document) {
            let text = match lang {
                Lang::Ja => format!("{} のレコードが検査結果に保持されていないため比較できません", file.path),
                Lang::En => {
                    format!("{}: its records were not kept by the validation, so nothing was compared", file.path)
                }
            };
            per_kind.entry(kind.code.clone()).or_default().push((
                (file.path.clone(), 0),
                Difference::ExtraRecord,
                text,
            ));
        }
    }
    for ((kind_code, key), rows) in &before {
        let Some(kind) = spec().kind(kind_code) else { continue };
        let list = per_kind.entry(kind_code.clone()).or_default();
        let others = after.get(&(kind_code.clone(), key.clone())).map(Vec::as_slice).unwrap_or(&[]);
        for (index, (_, line, values)) in rows.iter().enumerate() {
            let Some((file, other_line, other)) = others.get(index) else {
                let key = key.join("/");
                let label = label(Difference::MissingRecord, lang);
                let text = match lang {
                    Lang::Ja => format!("{label} {kind_code} キー {key}（元のファイルの {line} 行目）"),
                    Lang::En => format!("{label} {kind_code} key {key} (original line {line})"),
                };
                list.push(((String::new(), *line), Difference::MissingRecord, text));
                continue;
            };
            for (item, (a, b)) in kind.items.iter().zip(values.iter().zip(other.iter())) {
                if let Some(difference) = classify(item, a, b) {
                    let name = match lang {
                        Lang::Ja => format!("{} No.{} {}", kind.table.ja, item.no, item.name),
                        Lang::En => format!("{} No.{} {}", kind.table.en, item.no, item.english_name()),
                    };
                    list.push((
                        (file.clone(), *other_line),
                        difference,
                        format!(
                            "{} {file}:{other_line} {name}: 「{}」→「{}」",
                            label(difference, lang),
                            printable(a),
                            printable(b)
                        ),
                    ));
                }
            }
        }
        for (file, line, _) in others.iter().skip(rows.len()) {
            let text = format!("{} {file}:{line}", label(Difference::ExtraRecord, lang));
            list.push(((file.clone(), *line), Difference::ExtraRecord, text));
        }
    }
    for (kind_code, _) in after.keys() {
        per_kind.entry(kind_code.clone()).or_default();
    }
    let results = per_kind
        .into_iter()
        .map(|(kind_code, mut differences)| {
            differences.sort_by(|a, b| a.0.cmp(&b.0));
            let meaningful = differences.iter().filter(|(_, d, _)| !d.is_harmless()).count();
            let harmless = differences.len() - meaningful;
            let mut evidence = vec![match lang {
                Lang::Ja => format!("意味のある違い {meaningful} 件、表記だけの違い {harmless} 件"),
                Lang::En => format!("{meaningful} meaningful difference(s), {harmless} harmless reformatting(s)"),
            }];
            evidence.extend(differences.into_iter().take(100).map(|(_, _, text)| text));
            let title =
                spec().kind(&kind_code).map_or(kind_code.clone(), |k| format!("{} {}", k.code, k.title.get(lang)));
            CaseResult {
                id: spec().kind(&kind_code).map_or("?", |k| k.code.as_str()),
                title,
                requirement: match lang {
                    Lang::Ja => "取り込んで再出力しても、すべての項目が同じ意味で戻ること。",
                    Lang::En => "every item comes back with the same meaning",
                }
                .into(),
                outcome: if meaningful == 0 { Outcome::Pass } else { Outcome::Fail },
                evidence,
                millis: 0,
            }
        })
        .collect();
    SuiteReport::new("roundtrip", target.to_string(), lang, results)
}

fn label(difference: Difference, lang: Lang) -> &'static str {
    match (difference, lang) {
        (Difference::Reformatted, Lang::Ja) => "[表記変更]",
        (Difference::Reformatted, Lang::En) => "[reformatted]",
        (Difference::Changed, Lang::Ja) => "[変更]",
        (Difference::Changed, Lang::En) => "[changed]",
        (Difference::Lost, Lang::Ja) => "[欠落]",
        (Difference::Lost, Lang::En) => "[lost]",
        (Difference::Added, Lang::Ja) => "[追加]",
        (Difference::Added, Lang::En) => "[added]",
        (Difference::Truncated, Lang::Ja) => "[切り詰め]",
        (Difference::Truncated, Lang::En) => "[truncated]",
        (Difference::MissingRecord, Lang::Ja) => "[レコードなし]",
        (Difference::MissingRecord, Lang::En) => "[missing record]",
        (Difference::ExtraRecord, Lang::Ja) => "[余分なレコード]",
        (Difference::ExtraRecord, Lang::En) => "[extra record]",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, kind: &str) -> &'static Item {
        let kind = spec().kind(kind).expect("kind");
        &kind.items[kind.index_of(id).expect("item")]
    }

    #[test]
    fn differences_are_classed() {
        let name = item("user_name", "UPHOSOKU");
        let units = item("units", "UPPLAN");
        assert_eq!(classify(name, "山田　花子", "山田　花子"), None);
        assert_eq!(classify(name, "ﾔﾏﾀﾞ", "ヤマダ"), Some(Difference::Reformatted));
        assert_eq!(classify(name, "ＡＢＣ", "ABC"), Some(Difference::Reformatted));
        assert_eq!(classify(name, "山田 ", "山田"), Some(Difference::Reformatted));
        assert_eq!(classify(units, "0387", "387"), Some(Difference::Reformatted));
        assert_eq!(classify(units, "387", "388"), Some(Difference::Changed));
        assert_eq!(classify(name, "山田花子", ""), Some(Difference::Lost));
        assert_eq!(classify(name, "", "山田"), Some(Difference::Added));
        assert_eq!(classify(name, "長い文章の援助内容", "長い文章"), Some(Difference::Truncated));
    }
}
