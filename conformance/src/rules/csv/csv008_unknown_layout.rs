use crate::finding::Finding;
use crate::rules::ctx::{KindChoice, LayoutCtx};
use crate::rules::{rule, Check};

rule! {
    code: "CSV008",
    name: "unknown-layout",
    severity: Error,
    level: Syntax,
    title: { ja: "どのファイル種別のレイアウトにも合わない", en: "No kind has this layout" },
    message: {
        ja: "ファイル名から種別が分からず、{found} 項目のレイアウトを持つ種別もありません。",
        en: "The file name does not give the kind, and no kind has a layout of {found} items.",
    },
    what: {
        ja: "ファイル名の接頭辞で種別が決まらないとき、レコードの項目数からも種別が決められないことを検査します。",
        en: "When the file name gives no kind, checks whether the record's item count identifies one.",
    },
    why: {
        ja: "種別が分からないファイルは受信側で取り込めません。",
        en: "A receiver cannot import a file whose kind it cannot tell.",
    },
    fix: {
        ja: "標準仕様のファイル名（例 UP1KYO_….CSV）で出力し、レイアウトどおりの項目数にしてください。`--kind` で種別を指定して検査することもできます。",
        en: "Name the file as the spec does (e.g. UP1KYO_….CSV) and write the layout's items; `--kind` tells the validator the kind.",
    },
    example: "plan.csv with 30 items per record",
    cites: [
        "S1 §4.1 項目一覧: 「各インターフェースファイルにおけるデータ項目の一覧…は、別紙「CSV ファイルレイアウト定義書」を参照」",
        "S2 every table: the number of items",
    ],
    check: Check::Layout(check),
}

fn check(ctx: &LayoutCtx<'_>, findings: &mut Vec<Finding>) {
    if let KindChoice::Uncertain { width, candidates } = &ctx.kind {
        if candidates.is_empty() {
            let line = ctx.first_record_line;
            findings.push(Finding::new(&RULE.meta).line(line).arg("found", width.to_string()));
        }
    }
}
