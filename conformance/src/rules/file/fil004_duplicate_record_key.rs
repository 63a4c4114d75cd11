use crate::fasthash::FxHashMap;

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
        ja: "1利用者1レコードのファイル（第1表、利用者補足情報、利用者基本情報、支援計画書、削除ファイル）で、図表 2.3.1・3.3.1 のキー（保険者番号・被保険者番号と、第1表は居宅サービス計画作成（変更）日、基本情報は相談日、支援計画書は計画作成(変更)日、補足情報は作成（変更）日と対象年月、削除ファイルはその削除キー）が重複していないかを検査します。キーの項目は spec データ（record_key）にあります。",
        en: "Checks that one-record-per-user kinds (第1表, 補足, 基本情報, 支援計画書, deletes) do not repeat the key of 図表 2.3.1 / 3.3.1 (保険者番号, 被保険者番号 and, for 第1表, 居宅サービス計画作成（変更）日; 相談日; 計画作成(変更)日; the supplement's date and month; each delete's key). The key items are spec data (`record_key`).",
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
        "S1-2.3-a",
        "S1-3.3-a",
        "S1-3.3-c",
        "S1 §5.1.1.1 (a resend with the same key replaces the earlier data)",
    ],
    check: Check::File { kinds: &["UP1KYO", "UPHOSOKU", "UPKIHON", "UPYOBO", "DLT1KYO", "DLTPLAN", "DLTJSK", "DLTKIHON", "DLTYOBO"], reads: &["insurer_number", "insured_number", "consultation_date", "plan_date", "care_plan_date", "target_month", "delete_target_month", "service_office_code", "service_kind"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    let key_ids = &doc.kind.record_key;
    let columns: Vec<Option<usize>> = key_ids.iter().map(|id| doc.column(id)).collect();
    if columns.is_empty() {
        return;
    }
    let mut seen: FxHashMap<Vec<&str>, u32> = FxHashMap::default();
    for row in doc.rows() {
        let key: Vec<&str> = columns.iter().map(|&column| doc.at(row, column)).collect();
        match seen.get(&key) {
            Some(first_line) => out.push(
                finding_at(doc, row, &RULE, "insured_number")
                    .arg("key", key.join(" / "))
                    .arg("first_line", first_line.to_string()),
            ),
            None => {
                seen.insert(key, doc.line(row));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::spec::spec;

    /// The rule runs on exactly the kinds whose spec data names a record key.
    #[test]
    fn runs_on_the_kinds_with_a_record_key() {
        let crate::rules::Check::File { kinds, reads, .. } = super::RULE.check else { panic!("a file rule") };
        let keyed: Vec<&str> =
            spec().kinds.iter().filter(|kind| !kind.record_key.is_empty()).map(|kind| kind.code.as_str()).collect();
        let mut listed = kinds.to_vec();
        listed.sort_unstable();
        let mut keyed_sorted = keyed.clone();
        keyed_sorted.sort_unstable();
        assert_eq!(listed, keyed_sorted);
        for kind in spec().kinds.iter().filter(|kind| !kind.record_key.is_empty()) {
            for id in &kind.record_key {
                assert!(kind.items.iter().any(|item| &item.id == id), "{}: no item {id}", kind.code);
                assert!(reads.contains(&id.as_str()), "FIL004 reads {id}");
            }
        }
    }
}
