use crate::finding::Finding;
use crate::rules::ctx::SetCtx;
use crate::rules::set::matching_unit;
use crate::rules::{rule, Check};

rule! {
    code: "SET002",
    name: "invalid-kind-combination",
    severity: Error,
    level: Set,
    title: { ja: "一緒に送れない種別の組み合わせ", en: "Kinds that cannot travel together" },
    message: {
        ja: "ファイル連番 {serial} に、一つの送信単位にならない種別の組み合わせ（{kinds}）があります。",
        en: "Send unit {serial} combines kinds that form no send unit ({kinds}).",
    },
    what: {
        ja: "同じファイル連番のファイルの種別が、標準仕様の送信単位（計画書、提供票、各削除、実績など）のどれかに収まるかを検査します。",
        en: "Checks that the kinds sharing a ファイル連番 fit one of the spec's send units (plan, ticket, each delete, actuals, …).",
    },
    why: {
        ja: "受信側はファイル連番ごとに1つの送信単位として処理します。計画書と提供票、予定と実績などを同じ連番にすると処理の順序が決まりません。",
        en: "Receivers process each ファイル連番 as one unit; mixing a plan with a ticket, or plans with actuals, leaves the processing order undefined.",
    },
    fix: {
        ja: "送信単位ごとに別のファイル連番（作成日時）を付けて出力してください。",
        en: "Give each send unit its own ファイル連番 (timestamp).",
    },
    example: "UP1KYO_…_20250401090000.CSV and UPPLAN_202504_…_20250401090000.CSV",
    cites: [
        "S1-2.4-a",
        "S1-2.4-b",
        "S1-2.4-c",
        "S1-3.3-a",
        "S1-3.3-c",
        "S1-3.4-a",
        "S1-3.4-b",
    ],
    check: Check::Set { reads: &[], unit_keys: false, check },
}

fn check(ctx: &SetCtx<'_>, out: &mut Vec<Finding>) {
    if matching_unit(ctx).is_none() {
        let mut kinds = ctx.kinds();
        kinds.sort_unstable();
        kinds.dedup();
        out.push(
            Finding::new(&RULE.meta).file(ctx.files[0].path).arg("serial", ctx.serial).arg("kinds", kinds.join(", ")),
        );
    }
}
