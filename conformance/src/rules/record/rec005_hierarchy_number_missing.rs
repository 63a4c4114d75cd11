use crate::finding::Finding;
use crate::rules::ctx::RecordCtx;
use crate::rules::{rule, Check};

rule! {
    code: "REC005",
    name: "hierarchy-number-missing",
    severity: Warning,
    level: Record,
    title: { ja: "第2表の課題・目標・内容の番号が空欄", en: "第2表 hierarchy number missing" },
    message: {
        ja: "{item} が空欄です。第2表の並び順（課題NO → 援助目標NO → 援助内容NO）を再現できません。",
        en: "{item} is empty; the 第2表 print order (課題NO → 援助目標NO → 援助内容NO) cannot be rebuilt.",
    },
    what: {
        ja: "第2表の課題ＮＯ・援助目標ＮＯ・援助内容ＮＯに値があるかを検査します。",
        en: "Checks that 第2表's 課題ＮＯ, 援助目標ＮＯ and 援助内容ＮＯ have values.",
    },
    why: {
        ja: "必須の印はありませんが、受信側は3つの番号で行を並べ、空欄の課題・目標を直前の行から補います。番号がないと計画書の形が崩れます。",
        en: "They are not marked required, but receivers sort rows by them and fill empty 課題/目標 cells from the previous row with the same number; without them the form falls apart.",
    },
    fix: {
        ja: "1から始まる番号を出力してください（課題ごとに援助目標NOを、目標ごとに援助内容NOを振ります）。",
        en: "Number from 1: 援助目標NO within each 課題, 援助内容NO within each 目標.",
    },
    example: "第2表 No.6 課題ＮＯ = \"\"",
    cites: [
        "T2-note-c",
        "S2 第2表 No.6 課題ＮＯ, No.8 援助目標ＮＯ, No.13 援助内容ＮＯ 「１～99」",
        "S2 第2表 データ配置例 (every row carries its three numbers)",
    ],
    assumptions: ["A-2KYO-HIERARCHY"],
    check: Check::Record { kinds: &["UP2KYO"], reads: &["issue_no", "goal_no", "support_no"], check },
}

fn check(ctx: &RecordCtx<'_>, out: &mut Vec<Finding>) {
    for id in ["issue_no", "goal_no", "support_no"] {
        if ctx.get(id).is_empty() {
            out.push(ctx.finding(&RULE, id));
        }
    }
}
