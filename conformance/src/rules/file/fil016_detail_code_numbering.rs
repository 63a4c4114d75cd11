use std::collections::HashMap;

use crate::billing::service_kind_of;
use crate::document::Document;
use crate::finding::Finding;
use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};

rule! {
    code: "FIL016",
    name: "detail-code-numbering",
    severity: Error,
    level: File,
    title: { ja: "福祉用具貸与の明細判別コードが1からの連番でない", en: "Rental rows of one code and units not numbered 1, 2, … by 明細判別コード" },
    message: {
        ja: "同じサービス利用日にサービスコード「{code}」・単位数 {units} の福祉用具貸与の行が {count} 行あり（{lines} 行目）、明細判別コードは 1 から {month} までの互いに違う番号（1からの連番）です。この行は「{value}」です。",
        en: "{count} 福祉用具貸与 rows of one service day share service code '{code}' and {units} units (lines {lines}); their 明細判別コード are distinct numbers from 1 to {month} (a run from 1), and this row has '{value}'.",
    },
    what: {
        ja: "第6表（予定・実績）で、同じ利用者・対象年月・サービス事業者（サテライト枝番）・サービス利用日に、福祉用具貸与（サービス種類 17）の同じサービスコード・同じ単位数の行が複数あるとき、明細判別コードが 1 からの連番（1, 2, 3, …。順序は問わない）かを検査します。空欄、0、同じ日の重複、その月の同じ明細の行数を超える番号の行を指摘します。別の日の行どうしは、同じ用具の続きでありうるため番号の重複や空欄を問いません。67（介護予防福祉用具貸与）の行は、文が 17 だけを挙げるため検査しません。",
        en: "Checks in 第6表 (planned and actual) that when several 福祉用具貸与 (service kind 17) rows of one user, month, office (and satellite branch) and service day share a service code and units, their 明細判別コード are 1, 2, 3, … (in any order). Rows left empty, numbered 0, repeated on the day or numbered beyond the month's rows of that code and units are reported. Rows on different days may be the same rental continued, so they may share a number or leave it empty. Rows of 67 (介護予防福祉用具貸与) are not judged: the sentence names 17 only.",
    },
    why: {
        ja: "仕様は「同一サービスコード、同一単位数の場合で明細が異なる場合は、1 からの連番を記載」と定めています。番号がないと、受信側は居室分と廊下分のような別々の貸与を区別できず、一つにまとめたり、後の行で前の行を上書きしたりします。",
        en: "The spec says 「同一サービスコード、同一単位数の場合で明細が異なる場合は、1 からの連番を記載」. Without the numbers a receiver cannot tell two rentals apart (one for the room, one for the corridor) and merges them, or lets the later row replace the earlier one.",
    },
    fix: {
        ja: "同じサービスコード・同じ単位数の福祉用具貸与の行に、明細判別コード 1, 2, 3, … を振って出力してください。",
        en: "Number the 福祉用具貸与 rows of the same service code and units 1, 2, 3, … in 明細判別コード.",
    },
    example: "two rows of 171007 手すり貸与, 300 units, same user, office and day, both with 明細判別コード empty",
    cites: [
        "T6-19-a",
        "T6-19-b",
    ],
    check: Check::File { kinds: &["UPPLAN", "UPJSK"], reads: READS, check },
}

/// What makes rows of one month the same rental detail but for 明細判別コード: the user, month, office, code and
/// units. Rows of one group on one サービス利用日 must be told apart; FIL017 reads the same groups.
const GROUP: [&str; 7] = [
    "insurer_number",
    "insured_number",
    "target_month",
    "service_office_code",
    "satellite_branch_no",
    "service_code",
    "units",
];
const READS: &[&str] = &[
    "insurer_number",
    "insured_number",
    "target_month",
    "service_office_code",
    "satellite_branch_no",
    "service_code",
    "units",
    "service_date",
    "detail_discriminator",
];

/// The sentence names 「17:福祉用具貸与」 only.
const RENTAL: &str = "17";

/// The 福祉用具貸与 (17) rows of a file grouped by `GROUP`, in file order: a group of one row is a rental that does
/// not use the code (FIL017).
pub(crate) fn rental_groups(doc: &Document) -> Vec<Vec<usize>> {
    let code = doc.column("service_code");
    let rental = doc.rows().filter(|&row| service_kind_of(doc.at(row, code)) == RENTAL);
    doc.group_rows(rental, &GROUP.map(|id| doc.column(id)))
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    let (discriminator, date) = (doc.column("detail_discriminator"), doc.column("service_date"));
    for month in rental_groups(doc).into_iter().filter(|rows| rows.len() > 1) {
        // The month's rows number its details 1..=count; the rows of one day need the numbers to differ. Rows of
        // one rental on different days may repeat a number (the same detail) or leave it empty (no second one).
        let count = month.len();
        let mut days: HashMap<&str, Vec<usize>> = HashMap::new();
        for &row in &month {
            days.entry(doc.at(row, date)).or_default().push(row);
        }
        let mut days: Vec<Vec<usize>> = days.into_values().filter(|rows| rows.len() > 1).collect();
        days.sort_unstable();
        for rows in days {
            let lines: Vec<String> = rows.iter().map(|&row| doc.line(row).to_string()).collect();
            let mut used = vec![false; count + 1];
            for &row in &rows {
                let value = doc.at(row, discriminator);
                let number = value.parse::<usize>().ok().filter(|n| (1..=count).contains(n) && !used[*n]);
                if let Some(n) = number {
                    used[n] = true;
                    continue;
                }
                out.push(
                    finding_at(doc, row, &RULE, "detail_discriminator")
                        .arg("code", doc.get(row, "service_code"))
                        .arg("units", doc.get(row, "units"))
                        .arg("count", rows.len().to_string())
                        .arg("month", count.to_string())
                        .arg("lines", lines.join(", "))
                        .arg("value", value),
                );
            }
        }
    }
}
