use crate::finding::Finding;
use crate::rules::ctx::RecordCtx;
use crate::rules::{rule, Check};

rule! {
    code: "REC007",
    name: "other-reason-mismatch",
    severity: Error,
    level: Record,
    title: { ja: "「その他」等の内容が空欄", en: "The content a code asks for is missing" },
    message: {
        ja: "{item} が空欄です。{condition} の場合はここに内容を記載します。",
        en: "{item} is empty; with {condition} its content is written here.",
    },
    what: {
        ja: "ある項目が決まったコードのときに内容を書くとされている項目（仕様データの filled_when）が空欄でないかを検査します: 利用者基本情報 No.8 相談方法「03:その他」→ No.9 相談方法(その他の内容)、No.12 利用者の現況「02:入院又は入所中」→ No.13 利用者の現況(状況補足)、第1表 No.25 生活援助中心型の算定理由「3:その他」→ No.26 その他理由。コードが別の値のときに内容があっても指摘しません（空欄にせよとする文はありません）。",
        en: "Checks that an item the spec asks to be filled when another item holds certain codes (`filled_when` in the kind data) is not empty: 利用者基本情報 No.8 相談方法 03 (その他) → No.9 相談方法(その他の内容), No.12 利用者の現況 02 (入院又は入所中) → No.13 利用者の現況(状況補足), 第1表 No.25 生活援助中心型の算定理由 3 (その他) → No.26 その他理由. Content with another code is not reported: no sentence asks for it to be empty.",
    },
    why: {
        ja: "仕様は「…の場合は、…に内容を記載する」と定めています。内容が欠けると「その他」や「入院又は入所中」の中身が受信側に伝わりません。",
        en: "The spec says 「…の場合は、…に内容を記載する」; without the content the receiver learns only 'other' or 'in hospital', not what.",
    },
    fix: {
        ja: "そのコードを出力するときは、対応する項目に内容の文章を出力してください。",
        en: "Whenever you write that code, write the text in the item that goes with it.",
    },
    example: "利用者基本情報 No.8 相談方法 = 03, No.9 相談方法(その他の内容) = \"\"",
    cites: [
        "S2 利用者基本情報 No.8 相談方法 「「03:その他」の場合は、「相談方法(その他の内容)」に内容を記載する。」",
        "S2 利用者基本情報 No.12 利用者の現況 「「02:入院又は入所中」の場合は、「本人の現況(状況補足)」に内容を記載する。」",
        "S2 第1表 No.25 生活援助中心型の算定理由 「3:その他」, No.26 その他理由",
    ],
    check: Check::Record { kinds: &["UP1KYO", "UPKIHON"], reads: READS, check },
}

/// The items of the kind data's `filled_when` pairs (the dependent item and the one whose code asks for it); a test
/// holds this list to the data.
const READS: &[&str] = &[
    "life_support_reason",
    "life_support_reason_other",
    "consultation_method",
    "consultation_method_other",
    "user_situation",
    "user_situation_note",
];

fn check(ctx: &RecordCtx<'_>, out: &mut Vec<Finding>) {
    for item in &ctx.doc.kind.items {
        let Some(when) = &item.filled_when else { continue };
        let code = ctx.get(&when.item);
        if when.values.iter().any(|value| value == code) && ctx.get(&item.id).trim().is_empty() {
            let controlling = ctx.doc.kind.index_of(&when.item).map(|column| &ctx.doc.kind.items[column]);
            let name = controlling.map_or(when.item.as_str(), |controlling| controlling.name.as_str());
            out.push(ctx.finding(&RULE, &item.id).arg("condition", format!("{name} = {code}")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::spec;

    /// `READS` lists exactly the items of every `filled_when` pair of the kinds the rule runs on.
    #[test]
    fn reads_are_the_filled_when_pairs() {
        let Check::Record { kinds, .. } = &RULE.check else { panic!("REC007 is a record rule") };
        let mut pairs: Vec<&str> = Vec::new();
        for kind in spec().kinds.iter() {
            for item in kind.items.iter() {
                if let Some(when) = &item.filled_when {
                    assert!(kinds.contains(&kind.code.as_str()), "REC007 does not run on {}", kind.code);
                    pairs.extend([when.item.as_str(), item.id.as_str()]);
                }
            }
        }
        pairs.sort_unstable();
        let mut listed = READS.to_vec();
        listed.sort_unstable();
        assert_eq!(pairs, listed);
    }
}
