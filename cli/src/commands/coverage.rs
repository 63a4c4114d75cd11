//! `coverage`: the spec's sentences and items against the rules that check them and the fixtures that trigger them.

use std::process::ExitCode;

use anyhow::{Context, Result};
use conformance::coverage;
use conformance::i18n::Lang;
use conformance::synth::fixtures::SEED;
use conformance::synth::invalid;

use crate::args::ListFormat;
use crate::output::emit;

pub fn run(format: ListFormat, lang: Lang) -> Result<ExitCode> {
    let cases = invalid::cases(SEED).context("cannot generate the invalid cases")?;
    let matrix = coverage::compute(&cases);
    match format {
        ListFormat::Json => emit(&(serde_json::to_string_pretty(&matrix)? + "\n"))?,
        ListFormat::Human => emit(&coverage_text(&matrix, lang))?,
    }
    Ok(ExitCode::SUCCESS)
}

/// One line of sentence counts: total, then each disposition.
fn sentence_counts(counts: &coverage::SentenceCounts, lang: Lang) -> String {
    let [enforced, assumption, not_checkable, unenforced] = match lang {
        Lang::Ja => ["検査", "解釈", "検査不能", "未検査"],
        Lang::En => ["enforced", "assumption", "not checkable", "unenforced"],
    };
    format!(
        "{:>4}  {enforced} {:>3}  {assumption} {:>3}  {not_checkable} {:>3}  {unenforced} {:>3}",
        counts.total, counts.enforced, counts.assumption, counts.not_checkable, counts.unenforced
    )
}

fn coverage_text(matrix: &coverage::Coverage, lang: Lang) -> String {
    let heading = |ja: &'static str, en: &'static str| if lang == Lang::Ja { ja } else { en };
    let mut out = format!(
        "{}: {}  ({} {}, {} {}, {} {}, {} {})\n",
        heading(
            "標準仕様の文（S1 本体・S2 レイアウト定義書）",
            "Sentences of the specification (S1 本体, S2 レイアウト定義書)"
        ),
        matrix.sentences_total,
        heading("規則が検査", "enforced by rules"),
        matrix.sentences_enforced,
        heading("解釈のみ", "a stated reading only"),
        matrix.sentences_assumption,
        heading("ファイルでは検査できない", "not checkable in a file"),
        matrix.sentences_not_checkable,
        heading("まだ検査していない", "not enforced yet"),
        matrix.sentences_unenforced,
    );
    out.push_str(&format!("\n{}\n", heading("部分ごと（S2 の表、S1 の節）", "Per part (S2 table, S1 section)")));
    for part in &matrix.sentence_parts {
        out.push_str(&format!("  {:?} {:<44} {}\n", part.source, part.part, sentence_counts(&part.counts, lang)));
    }
    out.push_str(&format!(
        "\n{}\n",
        heading(
            "種類ごと（その表の文と、全表共通の文）",
            "Per kind (its table's sentences and those every table repeats)"
        )
    ));
    for (kind, counts) in &matrix.sentences_by_kind {
        out.push_str(&format!("  {kind:<14} {}\n", sentence_counts(counts, lang)));
    }
    for (title, notes) in [
        (heading("まだ検査していない文", "Sentences not enforced yet"), &matrix.sentences_unenforced_list),
        (heading("ファイルでは検査できない文", "Sentences no file can show"), &matrix.sentences_not_checkable_list),
    ] {
        out.push_str(&format!("\n{title} ({})\n", notes.len()));
        for note in notes {
            out.push_str(&format!(
                "  {} {:?} {} 「{}」\n      {}\n",
                note.id, note.source, note.at, note.text, note.reason
            ));
        }
    }
    out.push_str(&format!("\n{}\n", heading("項目ごとの検査規則", "Rules per item")));
    let mut kind = "";
    for item in &matrix.items {
        if item.kind != kind {
            kind = item.kind;
            out.push_str(&format!("\n{kind}\n"));
        }
        let checks: Vec<String> = item.checks.iter().map(|(code, _)| code.to_string()).collect();
        let checks = if checks.is_empty() { "—".to_string() } else { checks.join(" ") };
        out.push_str(&format!("  No.{:<3} {:<40} {checks}\n", item.no, item.name));
    }
    let (items, rules, cited) = match lang {
        Lang::Ja => ("検査される項目", "テスト用ファイルのある規則", "標準仕様の出典を示す規則"),
        Lang::En => ("items checked", "rules with a fixture", "rules citing the spec"),
    };
    out.push_str(&format!(
        "\n{items}: {}/{}\n{rules}: {}/{}\n{cited}: {}/{}\n",
        matrix.items_checked,
        matrix.items_total,
        matrix.rules_with_fixture,
        matrix.rules_total,
        matrix.rules_cited,
        matrix.rules_total
    ));
    for code in &matrix.rules_uncited {
        out.push_str(&format!("  not cited: {code}\n"));
    }
    for item in &matrix.items_unchecked {
        out.push_str(&format!("  unchecked: {} No.{} {}\n", item.kind, item.no, item.name));
    }
    for code in &matrix.rules_without_fixture {
        out.push_str(&format!("  no fixture: {code}\n"));
    }
    out
}
