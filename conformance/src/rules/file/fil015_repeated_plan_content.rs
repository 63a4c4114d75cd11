use std::collections::HashMap;

use crate::finding::Finding;
use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};

rule! {
    code: "FIL015",
    name: "repeated-plan-content",
    severity: Warning,
    level: File,
    title: { ja: "別表の2行目以降に課題・支援計画の内容", en: "課題 or 支援計画 content on a later row of the annex" },
    message: {
        ja: "{item} に値があります。{number} の2行目以降（最初は {first_line} 行目）は、NO以外の項目を空欄とします。",
        en: "{item} holds a value on a later row of {number} (the first is line {first_line}); items other than the NO are left empty after the first row.",
    },
    what: {
        ja: "介護予防サービス・支援計画書（別表）で、同じ計画（保険者番号・被保険者番号・計画作成(変更)日）の同じ課題ＮＯの2行目以降に課題の項目（No.6〜9）が、同じ課題ＮＯ・支援計画ＮＯの2行目以降に支援計画の項目（No.11〜13）が入っていないかを検査します。文は仕様の「標準様式における記載例」の下にあるため警告です。",
        en: "Checks in the 介護予防サービス・支援計画書（別表） that, within one plan (保険者番号, 被保険者番号, 計画作成(変更)日), a later row of the same 課題ＮＯ leaves the 課題 items (No.6–9) empty, and a later row of the same 課題ＮＯ and 支援計画ＮＯ the 支援計画 items (No.11–13). The sentences stand under the spec's 「標準様式における記載例」, so this is a warning.",
    },
    why: {
        ja: "仕様は「NO以外の項目は最初の行のみに内容を記載して2回目以降は空欄とする」と定めています。2行目以降にも内容があると、受信側は同じ課題や支援計画を行の数だけ帳票に印字したり、別の課題として取り込んだりします。",
        en: "The spec says 「NO以外の項目は最初の行のみに内容を記載して2回目以降は空欄とする」; content on later rows may be printed once per row or imported as another 課題 or plan.",
    },
    fix: {
        ja: "同じ課題ＮＯ（支援計画ＮＯ）の2行目以降は、NO だけを出力し、課題（支援計画）の項目は空欄で出力してください。",
        en: "On later rows of the same 課題ＮＯ (支援計画ＮＯ) write only the numbers and leave the 課題 (支援計画) items empty.",
    },
    example: "two rows with 課題ＮＯ 1, both with No.6 総合的課題 = \"膝の痛みで外出の機会が減っている\"",
    cites: [
        "YSUB-05-b",
        "YSUB-10-b",
    ],
    assumptions: ["A-YSUB-ITEMS"],
    check: Check::File {
        kinds: &["UPYOBO_SUB"],
        reads: &[
            "insurer_number",
            "insured_number",
            "plan_date",
            "issue_no",
            "overall_issue",
            "proposal",
            "proposal_intention",
            "goal",
            "support_plan_no",
            "support_points",
            "informal_support",
            "formal_services",
        ],
        check,
    },
}

/// The plan a row belongs to.
const PLAN: [&str; 3] = ["insurer_number", "insured_number", "plan_date"];
/// The 課題 items, written on the first row of a 課題ＮＯ only.
const ISSUE: [&str; 4] = ["overall_issue", "proposal", "proposal_intention", "goal"];
/// The 支援計画 items, written on the first row of a 支援計画ＮＯ (within its 課題ＮＯ) only.
const SUPPORT_PLAN: [&str; 3] = ["support_points", "informal_support", "formal_services"];

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    let plan = PLAN.map(|id| doc.column(id));
    let (issue_no, plan_no) = (doc.column("issue_no"), doc.column("support_plan_no"));
    // Each group (the plan, its 課題ＮＯ, and for 支援計画 its 支援計画ＮＯ) with the line of its first row.
    let mut first_issue: HashMap<Vec<&str>, u32> = HashMap::new();
    let mut first_plan: HashMap<Vec<&str>, u32> = HashMap::new();
    for row in doc.rows() {
        let issue = doc.at(row, issue_no);
        if issue.is_empty() {
            continue;
        }
        let mut key: Vec<&str> = plan.iter().map(|&column| doc.at(row, column)).collect();
        key.push(issue);
        let support = doc.at(row, plan_no);
        for (items, firsts, with_plan) in
            [(&ISSUE[..], &mut first_issue, false), (&SUPPORT_PLAN[..], &mut first_plan, true)]
        {
            let mut group = key.clone();
            let number = if with_plan {
                if support.is_empty() {
                    continue;
                }
                group.push(support);
                format!("課題ＮＯ {issue}・支援計画ＮＯ {support}")
            } else {
                format!("課題ＮＯ {issue}")
            };
            let Some(&first_line) = firsts.get(&group) else {
                firsts.insert(group, doc.line(row));
                continue;
            };
            if let Some(id) = items.iter().find(|id| !doc.at(row, doc.column(id)).trim().is_empty()) {
                out.push(
                    finding_at(doc, row, &RULE, id).arg("number", number).arg("first_line", first_line.to_string()),
                );
            }
        }
    }
}
