use std::collections::HashMap;

use crate::finding::Finding;
use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};

rule! {
    code: "FIL003",
    name: "duplicate-plan-line",
    severity: Error,
    level: File,
    title: { ja: "第2表の課題・目標・内容の番号の重複", en: "Duplicate 第2表 line numbers" },
    message: {
        ja: "第2表の（課題NO {issue}, 援助目標NO {goal}, 援助内容NO {support}）が {first_line} 行目と重複しています。",
        en: "第2表 line (課題NO {issue}, 援助目標NO {goal}, 援助内容NO {support}) repeats line {first_line}.",
    },
    what: {
        ja: "同じ利用者・同じ計画（保険者番号・被保険者番号・作成（変更）日）の第2表で、課題ＮＯ・援助目標ＮＯ・援助内容ＮＯの組が重複していないかを検査します。",
        en: "Checks that within one user's plan (保険者番号, 被保険者番号, 作成（変更）日) no (課題ＮＯ, 援助目標ＮＯ, 援助内容ＮＯ) triple repeats.",
    },
    why: {
        ja: "3つの番号は第2表の行を特定します。重複すると受信側で一意制約違反（取り込みエラー）になったり、後の行で前の行が上書きされたりします。",
        en: "The triple identifies a line of the form; a repeat fails unique constraints in receiving products or overwrites the earlier line.",
    },
    fix: {
        ja: "援助内容ごとに番号を振り直してください。",
        en: "Renumber the lines so that each援助内容 has its own triple.",
    },
    example: "two rows with 課題NO 1, 援助目標NO 1, 援助内容NO 1",
    cites: [
        "T2-note-c",
        "S2 第2表 No.6, 8, 13 書式「１～99」",
    ],
    assumptions: ["A-2KYO-HIERARCHY"],
    check: Check::File { kinds: &["UP2KYO"], reads: &["insurer_number", "insured_number", "care_plan_date", "issue_no", "goal_no", "support_no"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    let columns = ["insurer_number", "insured_number", "care_plan_date", "issue_no", "goal_no", "support_no"]
        .map(|id| doc.column(id));
    let mut seen: HashMap<[&str; 6], u32> = HashMap::new();
    for row in doc.rows() {
        let key = columns.map(|column| doc.at(row, column));
        if key[3..].iter().any(|n| n.is_empty()) {
            continue;
        }
        let line = doc.line(row);
        if let Some(first_line) = seen.get(&key) {
            out.push(
                finding_at(doc, row, &RULE, "support_no")
                    .arg("issue", key[3])
                    .arg("goal", key[4])
                    .arg("support", key[5])
                    .arg("first_line", first_line.to_string()),
            );
        } else {
            seen.insert(key, line);
        }
    }
}
