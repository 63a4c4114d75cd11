use std::collections::HashSet;

use crate::finding::Finding;
use crate::rules::ctx::SetCtx;
use crate::rules::{rule, Check};

rule! {
    code: "SET008",
    name: "duplicate-kind-in-unit",
    severity: Error,
    level: Set,
    title: { ja: "送信単位に同じ種別のファイルが複数", en: "Two files of one kind in a send unit" },
    message: {
        ja: "ファイル連番 {serial} に {kind} のファイルが複数あります。",
        en: "Send unit {serial} has more than one {kind} file.",
    },
    what: {
        ja: "同じファイル連番に、同じ種別のファイルが2つ以上ないかを検査します（家族構成画像を除く）。",
        en: "Checks that a ファイル連番 holds at most one file of each kind (family-structure images excepted).",
    },
    why: {
        ja: "ファイルは事業所・サービス種類ごとに1つ作成します（サテライトも1ファイルにまとめる）。2つあると受信側では後のファイルで前のファイルが置き換えられます。",
        en: "One file is made per office and kind, satellites merged; with two, the receiver replaces the first with the second.",
    },
    fix: {
        ja: "同じ種別のレコードを1つのファイルにまとめてください。",
        en: "Merge the records of one kind into one file.",
    },
    example: "UPPLAN_202504_…_20250401090000.CSV twice (e.g. .CSV and .csv)",
    cites: [
        "S1-2.4-b",
        "S1-3.4-b",
        "S2-unit-a",
    ],
    assumptions: ["A-ANNEX-PRINCIPLE"],
    check: Check::Set { reads: &[], unit_keys: false, check },
}

fn check(ctx: &SetCtx<'_>, out: &mut Vec<Finding>) {
    let mut seen = HashSet::new();
    for file in &ctx.files {
        let Some(kind) = file.name_kind() else {
            continue;
        };
        if kind != "UPKIHON_IMAGE" && !seen.insert(kind) {
            out.push(Finding::new(&RULE.meta).file(file.path).arg("serial", ctx.serial).arg("kind", kind));
        }
    }
}
