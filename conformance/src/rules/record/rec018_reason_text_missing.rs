use crate::finding::Finding;
use crate::rules::ctx::RecordCtx;
use crate::rules::record::rec007_other_reason_mismatch::missing_content;
use crate::rules::{rule, Check};

rule! {
    code: "REC018",
    name: "reason-text-missing",
    severity: Warning,
    level: Record,
    title: { ja: "「その他」の理由が空欄（文のない組）", en: "The text for 'other' is missing (a pair no sentence states)" },
    message: {
        ja: "{item} が空欄です。{condition} の場合、様式ではここに理由を書きます。",
        en: "{item} is empty; with {condition} the form has the reason written here.",
    },
    what: {
        ja: "コード「その他」の横に内容を書く項目があるが、記載を求める文が仕様にない組（仕様データの filled_when、stated = false）で、内容が空欄でないかを検査します: 第1表 No.25 生活援助中心型の算定理由「3:その他」→ No.26 その他理由。文がないため警告です。",
        en: "Checks pairs where an item for the text stands beside an 「その他」 code but no sentence of the spec asks for it (`filled_when` with `stated = false` in the kind data): 第1表 No.25 生活援助中心型の算定理由 3 (その他) → No.26 その他理由. No sentence states it, so this is a warning.",
    },
    why: {
        ja: "様式は「3.その他（　）」の括弧に理由を書かせます。空欄だと受信側には「その他」としか伝わりません。",
        en: "The form has the reason written in the parentheses of 「3.その他（　）」; left empty, the receiver learns only 'other'.",
    },
    fix: {
        ja: "「3:その他」を出力するときは、その他理由に理由を出力してください。",
        en: "Whenever you write 3 (その他), write the reason in その他理由.",
    },
    example: "第1表 No.25 生活援助中心型の算定理由 = 3, No.26 その他理由 = \"\"",
    cites: [
        "S2 第1表 No.25 生活援助中心型の算定理由 「3:その他」, No.26 その他理由 (the item model: no sentence asks for it)",
    ],
    check: Check::Record { kinds: &["UP1KYO"], reads: READS, check },
}

/// The items of the kind data's unstated `filled_when` pairs; a test holds this list to the data.
const READS: &[&str] = &["life_support_reason", "life_support_reason_other"];

fn check(ctx: &RecordCtx<'_>, out: &mut Vec<Finding>) {
    missing_content(ctx, false, &RULE, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::record::rec007_other_reason_mismatch::assert_reads_are_the_pairs;

    /// `READS` lists exactly the items of every unstated `filled_when` pair of the kinds the rule runs on.
    #[test]
    fn reads_are_the_unstated_filled_when_pairs() {
        assert_reads_are_the_pairs(&RULE, false, READS);
    }
}
