use std::collections::HashMap;

use crate::finding::Finding;
use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};

rule! {
    code: "FIL004",
    name: "duplicate-record-key",
    severity: Error,
    level: File,
    title: { ja: "キーの重複", en: "Duplicate record key" },
    message: {
        ja: "{key} が {first_line} 行目のレコードと同じです。このファイルでは1利用者につき1レコードです。",
        en: "{key} is the same as the record on line {first_line}; this kind has one record per user.",
    },
    what: {
        ja: "1利用者1レコードのファイル（第1表、利用者補足情報、利用者基本情報、支援計画書、削除ファイル）で、キー（保険者番号・被保険者番号・作成日または対象年月）が重複していないかを検査します。",
        en: "Checks that one-record-per-user kinds (第1表, 補足, 基本情報, 支援計画書, deletes) do not repeat a key (保険者番号, 被保険者番号, date or month).",
    },
    why: {
        ja: "同じキーのレコードが2件あると、受信側ではどちらが正しいか決められず、後のレコードで上書きされます。",
        en: "With two records for one key the receiver cannot tell which is right, and the later one overwrites the first.",
    },
    fix: {
        ja: "利用者ごとに1レコードだけを出力してください。",
        en: "Write one record per user.",
    },
    example: "two UP1KYO rows for 131016 / 0000012345 / 20250401",
    cites: [
        "S1 §2.3 図表 2.3.1 (the key items of each kind)",
        "S1 §5.1.1.1 (a resend with the same key replaces the earlier data)",
    ],
    check: Check::File { kinds: &["UP1KYO", "UPHOSOKU", "UPKIHON", "UPYOBO", "DLT1KYO", "DLTPLAN", "DLTJSK", "DLTKIHON", "DLTYOBO"], reads: &["insurer_number", "insured_number", "care_plan_date", "target_month"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    // The key is every item up to and including the date/month that identifies the record.
    let key_len = match doc.kind.code.as_str() {
        "UPHOSOKU" => 0,
        "DLTJSK" => 6,
        _ => 4,
    };
    let key_ids: Vec<&str> = if key_len == 0 {
        vec!["insurer_number", "insured_number", "care_plan_date", "target_month"]
    } else {
        doc.kind.items[1..key_len].iter().map(|item| item.id.as_str()).collect()
    };
    let columns: Vec<Option<usize>> = key_ids.iter().map(|id| doc.column(id)).collect();
    let mut seen: HashMap<Vec<&str>, u32> = HashMap::new();
    for row in doc.rows() {
        let key: Vec<&str> = columns.iter().map(|&column| doc.at(row, column)).collect();
        match seen.get(&key) {
            Some(first_line) => out.push(
                finding_at(doc, row, &RULE, "insured_number")
                    .arg("key", key.join(" / "))
                    .arg("first_line", first_line.to_string()),
            ),
            None => {
                seen.insert(key, doc.table.row_line(row));
            }
        }
    }
}
