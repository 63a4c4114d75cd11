use crate::document::Document;
use crate::finding::Finding;
use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};

rule! {
    code: "FIL018",
    name: "annex-numbering",
    severity: Warning,
    level: File,
    title: { ja: "別表の支援計画ＮＯ・利用サービスＮＯが連番でない", en: "支援計画ＮＯ or 利用サービスＮＯ of the annex not numbered 1, 2, …" },
    message: {
        ja: "{item}「{value}」: {number} の下の番号は 1 からの連番（{expected}）です。{problem}",
        en: "{item} '{value}': the numbers under {number} run 1, 2, … ({expected}). {problem}",
    },
    what: {
        ja: "介護予防サービス・支援計画書（別表）で、同じ計画（保険者番号・被保険者番号・計画作成(変更)日）の同じ課題ＮＯの下の支援計画ＮＯが 1 からの連番か、同じ課題ＮＯ・支援計画ＮＯの下の利用サービスＮＯが 1 からの連番で重複しないかを検査します。番号の飛び、番号のある行に混じった空欄、利用サービスＮＯの重複を指摘します。文は仕様の「標準様式における記載例」の下にあるため警告です。",
        en: "Checks in the 介護予防サービス・支援計画書（別表） that, within one plan (保険者番号, 被保険者番号, 計画作成(変更)日), the 支援計画ＮＯ under one 課題ＮＯ run 1, 2, …, and the 利用サービスＮＯ under one 課題ＮＯ and 支援計画ＮＯ run 1, 2, … without repeats. A skipped number, an empty number among numbered rows and a repeated 利用サービスＮＯ are reported. The sentences stand under the spec's 「標準様式における記載例」, so this is a warning.",
    },
    why: {
        ja: "仕様は「課題NOを同一にして支援計画NOに連番を入力する」「支援計画NOを同一にして利用サービスNOに連番を入力する」と定めています。受信側は番号で行を課題・支援計画・利用サービスに組み立てるため、番号が飛んだり重なったりすると、支援計画や利用サービスが欠けた、または一つにまとめられた計画書になります。",
        en: "The spec says 「課題NOを同一にして支援計画NOに連番を入力する」 and 「支援計画NOを同一にして利用サービスNOに連番を入力する」. Receivers assemble 課題, 支援計画 and 利用サービス from these numbers; a gap or a repeat yields a plan with a part missing or two parts merged.",
    },
    fix: {
        ja: "同じ課題ＮＯの支援計画に 1, 2, 3, …、同じ支援計画ＮＯの利用サービスに 1, 2, 3, … と番号を振って出力してください。",
        en: "Number the 支援計画 of one 課題ＮＯ 1, 2, 3, … and the 利用サービス of one 支援計画ＮＯ 1, 2, 3, ….",
    },
    example: "two rows of one plan with 課題ＮＯ 1 and 支援計画ＮＯ 1 and 3",
    cites: [
        "YSUB-05-a",
        "YSUB-10-a",
    ],
    check: Check::File {
        kinds: &["UPYOBO_SUB"],
        reads: &["insurer_number", "insured_number", "plan_date", "issue_no", "support_plan_no", "service_no"],
        check,
    },
}

/// The plan a row belongs to.
const PLAN: [&str; 3] = ["insurer_number", "insured_number", "plan_date"];

/// One level of numbering: the numbers of `item` under the group that `parents` (with the plan) name.
struct Level {
    item: &'static str,
    parents: &'static [&'static str],
    /// whether one number may stand on several rows (a 支援計画 with several 利用サービス)
    repeats: bool,
}

const LEVELS: [Level; 2] = [
    Level { item: "support_plan_no", parents: &["issue_no"], repeats: true },
    Level { item: "service_no", parents: &["issue_no", "support_plan_no"], repeats: false },
];

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    for level in &LEVELS {
        for rows in groups(doc, level.parents) {
            judge(doc, level, &rows, out);
        }
    }
}

/// The rows of each plan and parent numbers, all parents filled, in file order.
fn groups(doc: &Document, parents: &[&str]) -> Vec<Vec<usize>> {
    let columns: Vec<Option<usize>> = PLAN.iter().chain(parents).map(|id| doc.column(id)).collect();
    let parent_columns: Vec<Option<usize>> = parents.iter().map(|id| doc.column(id)).collect();
    let filled = doc.rows().filter(|&row| parent_columns.iter().all(|&column| !doc.at(row, column).is_empty()));
    doc.group_rows(filled, &columns)
}

/// Reports the rows of one group whose number is empty among numbered rows, skips a number, or repeats one where
/// numbers may not repeat.
fn judge(doc: &Document, level: &Level, rows: &[usize], out: &mut Vec<Finding>) {
    let column = doc.column(level.item);
    let values: Vec<&str> = rows.iter().map(|&row| doc.at(row, column)).collect();
    // Numbers that are not numbers are FLD003's; a group with one of them is not judged.
    if values.iter().any(|value| !value.is_empty() && value.parse::<u32>().is_err()) {
        return;
    }
    let mut distinct: Vec<u32> = values.iter().filter_map(|value| value.parse().ok()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let count = distinct.len() as u32;
    let numbered = count > 0;
    let mut seen: Vec<&str> = Vec::new();
    for (&row, &value) in rows.iter().zip(&values) {
        let problem = if value.is_empty() && numbered {
            Some(("番号のある行に空欄が混じっています。", "An empty number stands among numbered rows."))
        } else if value.parse::<u32>().is_ok_and(|n| n == 0 || n > count) {
            Some(("この前の番号が欠けています。", "A number before it is missing."))
        } else if !level.repeats && seen.contains(&value) {
            Some(("同じ番号の行がほかにもあります。", "Another row has the same number."))
        } else {
            None
        };
        seen.push(value);
        let Some((ja, en)) = problem else { continue };
        let number = level
            .parents
            .iter()
            .map(|id| format!("{} {}", if *id == "issue_no" { "課題ＮＯ" } else { "支援計画ＮＯ" }, doc.get(row, id)))
            .collect::<Vec<_>>()
            .join("・");
        out.push(
            finding_at(doc, row, &RULE, level.item)
                .arg("value", value)
                .arg("number", number)
                .arg("expected", format!("1〜{}", count.max(1)))
                .arg2("problem", ja, en),
        );
    }
}
