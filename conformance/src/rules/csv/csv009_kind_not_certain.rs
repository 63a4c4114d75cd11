use crate::finding::Finding;
use crate::rules::ctx::{KindChoice, LayoutCtx};
use crate::rules::{rule, Check};

rule! {
    code: "CSV009",
    name: "kind-not-certain",
    severity: Error,
    level: Syntax,
    title: { ja: "ファイル種別が決まらない", en: "The file kind is not certain" },
    message: {
        ja: "ファイル名から種別が分かりません。項目数 {found} は {guess} のレイアウトと同じですが、推定した種別で項目を検査すると、そのファイルにない項目についての誤った指摘になるため、項目の検査は行っていません。",
        en: "The file name does not give the kind. {found} items is the layout of {guess}, but checking items against a guessed kind describes items the file may not have, so no item was checked.",
    },
    what: {
        ja: "ファイル名（接頭辞）からも `--kind` からも種別が決まらないとき、項目数から種別を推定して項目の検査をすることはせず、そのことを指摘します。文字コードと CSV 構文は検査します。",
        en: "When neither the file name's prefix nor `--kind` gives the kind, the items are not checked against a kind guessed from the item count; this finding says so. Encoding and CSV syntax are still checked.",
    },
    why: {
        ja: "項目数が同じ別の種別として読むと、そのファイルにない項目について誤った指摘をしてしまいます（例: 17項目の利用者基本情報を支援計画書別表として読む）。正しいファイルを誤って不合格にするのが、適合性検査で最も避けるべき誤りです。",
        en: "Reading a file as another kind with the same item count reports on items it does not have (e.g. a 17-item file read as UPYOBO_SUB). Refusing a correct file for a wrong reason is the worst mistake a conformance check can make.",
    },
    fix: {
        ja: "標準仕様のファイル名（例 UPPLAN_202505_….CSV）で出力するか、`--kind {guess}` のように種別を指定して検査してください。",
        en: "Name the file as the spec does (e.g. UPPLAN_202505_….CSV), or give the kind, e.g. `--kind {guess}`.",
    },
    example: "UPKHON_….CSV (misspelt prefix), 17 items per record: the kind is not certain",
    cites: [
        "S2-name-a",
        "S2-name-b",
        "S2 every table: ファイル名規約 (the prefix names the kind)",
        "S1 §2.4 例 (file names carry the kind)",
    ],
    assumptions: ["A-KIND-FROM-NAME"],
    check: Check::Layout(check),
}

fn check(ctx: &LayoutCtx<'_>, findings: &mut Vec<Finding>) {
    if let KindChoice::Uncertain { width, candidates } = &ctx.kind {
        if !candidates.is_empty() {
            let line = ctx.first_record_line;
            findings.push(
                Finding::new(&RULE.meta)
                    .line(line)
                    .arg("found", width.to_string())
                    .arg("guess", candidates.join(" / ")),
            );
        }
    }
}
