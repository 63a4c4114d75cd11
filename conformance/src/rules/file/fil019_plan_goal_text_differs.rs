use std::collections::HashMap;

use crate::finding::Finding;
use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};

rule! {
    code: "FIL019",
    name: "plan-goal-text-differs",
    severity: Warning,
    level: File,
    title: { ja: "同じ課題ＮＯ・援助目標ＮＯの行で課題・長期目標が違う", en: "課題 or 長期目標 differs between rows of one number" },
    message: {
        ja: "{item}「{value}」: {number} の行（最初は {first_line} 行目）で{problem}",
        en: "{item} '{value}': on the rows of {number} (the first is line {first_line}) {problem}",
    },
    what: {
        ja: "居宅サービス計画書（2）で、同じ計画（保険者番号・被保険者番号・居宅サービス計画作成（変更）日）の同じ課題ＮＯ・援助目標ＮＯの行の課題と長期目標について、値のある行どうしで内容が違わないか、最初の行が空欄で後の行にだけ値がないかを検査します（仕様のデータ配置例は課題ＮＯ 1 の援助目標ＮＯ 2 の行に別の課題を書くため、課題も援助目標ＮＯごとに比べます）。後の行を空欄にすること（集約）と同じ内容を繰り返すことはどちらも受け入れます。文はデータ配置例の印刷についての注記なので警告です。",
        en: "Checks in 居宅サービス計画書（2）, within one plan (保険者番号, 被保険者番号, 居宅サービス計画作成（変更）日), the 課題 and the 長期目標 of the rows of one 課題ＮＯ and 援助目標ＮＯ: rows with a value must agree, and the first row must not be empty while a later one has the value (the spec's data-placement example writes another 課題 under 課題ＮＯ 1 with 援助目標ＮＯ 2, so 課題 too is compared per 援助目標ＮＯ). Leaving later rows empty (aggregated) and repeating the same text are both accepted. The sentence is a note on how the example prints, so this is a warning.",
    },
    why: {
        ja: "仕様のデータ配置例は「1行目と２行目の課題、長期目標、短期目標は同じであるが、印刷上は、1行目は項目値を出力し２行目は項目値は出力しない」としています。受信側は同じ番号の行の最初の値を印刷するため、行ごとに内容が違うと後の行の内容は失われ、最初の行が空欄だと何も印刷されません。",
        en: "The spec's data-placement example says 「1行目と２行目の課題、長期目標、短期目標は同じであるが、印刷上は、1行目は項目値を出力し２行目は項目値は出力しない」. A receiver prints the first row's value of a number: a different text on a later row is lost, and an empty first row prints nothing.",
    },
    fix: {
        ja: "同じ課題ＮＯ・援助目標ＮＯの行には、最初の行に課題・長期目標を出力し、後の行は同じ内容か空欄にしてください。",
        en: "Write the 課題 and 長期目標 on the first row of their 課題ＮＯ and 援助目標ＮＯ and repeat it or leave it empty on later rows.",
    },
    example: "two rows of 課題ＮＯ 1 with 課題 \"膝の痛みで外出が減っている\" and \"転倒が心配\"",
    cites: [
        "T2-note-e",
    ],
    check: Check::File {
        kinds: &["UP2KYO"],
        reads: &["insurer_number", "insured_number", "care_plan_date", "issue_no", "goal_no", "support_no", "issue", "long_term_goal"],
        check,
    },
}

/// The plan a row belongs to.
const PLAN: [&str; 3] = ["insurer_number", "insured_number", "care_plan_date"];

/// A text and the numbers whose rows share it.
/// Both by 課題ＮＯ and 援助目標ＮＯ: the spec's data-placement example writes another 課題 under 課題ＮＯ 1 with
/// 援助目標ＮＯ 2 (row 4), so one 課題ＮＯ may hold several 課題 texts.
const TEXTS: [(&str, &[&str]); 2] = [("issue", &["issue_no", "goal_no"]), ("long_term_goal", &["issue_no", "goal_no"])];

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    for (text, numbers) in TEXTS {
        let columns: Vec<Option<usize>> = PLAN.iter().chain(numbers).map(|id| doc.column(id)).collect();
        let number_columns: Vec<Option<usize>> = numbers.iter().map(|id| doc.column(id)).collect();
        let text_column = doc.column(text);
        // Per group: the line of its first row and that row's text.
        let mut first: HashMap<Vec<&str>, (u32, &str)> = HashMap::new();
        for row in print_order(doc) {
            if number_columns.iter().any(|&column| doc.at(row, column).is_empty()) {
                continue;
            }
            let key: Vec<&str> = columns.iter().map(|&column| doc.at(row, column)).collect();
            let value = doc.at(row, text_column);
            let Some(&(first_line, first_value)) = first.get(&key) else {
                first.insert(key, (doc.line(row), value));
                continue;
            };
            let problem = if value.trim().is_empty() || value == first_value {
                continue;
            } else if first_value.trim().is_empty() {
                (
                    "最初の行が空欄で、後の行にだけ値があります。",
                    "the first row is empty and a later one has the value.",
                )
            } else {
                ("最初の行と内容が違います。", "it differs from the first row's.")
            };
            let number = numbers
                .iter()
                .map(|id| {
                    format!("{} {}", if *id == "issue_no" { "課題ＮＯ" } else { "援助目標ＮＯ" }, doc.get(row, id))
                })
                .collect::<Vec<_>>()
                .join("・");
            out.push(
                finding_at(doc, row, &RULE, text)
                    .arg("number", number)
                    .arg("first_line", first_line.to_string())
                    .arg2("problem", problem.0, problem.1),
            );
        }
    }
}

/// The rows in the order the form prints them: by 課題ＮＯ, 援助目標ＮＯ and 援助内容ＮＯ, whatever order the file has
/// (S2 第2表 データ配置例 ※ 「課題ＮＯ、援助目標ＮＯ、援助内容ＮＯの優先順位でソートした際に、帳票に出力する際の順番に
/// なるようにする」); the "first row" of a group is the first printed.
fn print_order(doc: &crate::document::Document) -> Vec<usize> {
    let number = |row: usize, id: &str| doc.get(row, id).parse::<u32>().unwrap_or(u32::MAX);
    let mut rows: Vec<usize> = doc.rows().collect();
    rows.sort_by_key(|&row| (number(row, "issue_no"), number(row, "goal_no"), number(row, "support_no")));
    rows
}
