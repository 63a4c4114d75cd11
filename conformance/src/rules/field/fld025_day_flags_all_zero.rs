use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::{rule, Aspect, Check};
use crate::spec::{Format, Item};

rule! {
    code: "FLD025",
    name: "day-flags-all-zero",
    severity: Warning,
    level: Field,
    title: { ja: "日割対象日がすべて「0」", en: "日割対象日 of zeros only" },
    message: {
        ja: "{item} が「0」だけの {length} 文字です。日割り以外の行は空欄（Null）とします。",
        en: "{item} holds {length} zeros; a row that is not per diem leaves it empty (Null).",
    },
    what: {
        ja: "第6表 No.11 日割対象日が「0」だけの値（日割請求可能日が1日もない）でないかを検査します。日割でないことは空欄で表します。どのサービスが日割かはサービスコード表（仕様の外）で決まるので、警告です。",
        en: "Checks that 第6表 No.11 日割対象日 is not all zeros (no day billable per diem): a row that is not per diem says so by leaving it empty. Which services are per diem is set by the service-code table, outside the spec, so this is a warning.",
    },
    why: {
        ja: "仕様は「※日割り以外はNull（空）とする」と定めています。「0」だけの値は日割の行として取り込まれ、日割の日が1日もない矛盾した行になる場合があります。",
        en: "The spec says 「※日割り以外はNull（空）とする」; a value of zeros may be imported as a per-diem row with no per-diem day.",
    },
    fix: {
        ja: "日割でない行は日割対象日を空欄で出力してください。",
        en: "Leave 日割対象日 empty on a row that is not per diem.",
    },
    example: "第6表 No.11 日割対象日 = 0000000000000000000000000000000",
    cites: [
        "T6-11-c",
    ],
    check: Check::Field { aspect: Aspect::Format, applies, check },
}

fn applies(item: &Item) -> bool {
    item.format == Some(Format::DayFlags)
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    // A wrong length is FLD005's finding.
    let right_length = ctx.item.exact_len().is_none_or(|exact| ctx.value.len() == exact);
    if right_length && !ctx.value.is_empty() && ctx.value.bytes().all(|b| b == b'0') {
        out.push(ctx.finding(&RULE).arg("length", ctx.value.len().to_string()));
    }
}
