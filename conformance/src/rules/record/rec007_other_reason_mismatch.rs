use crate::finding::Finding;
use crate::rules::ctx::RecordCtx;
use crate::rules::{rule, Check, Rule};

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
        ja: "ある項目が決まったコードのときに内容を書くと仕様の文が定める項目（仕様データの filled_when）が空欄でないかを検査します: 利用者基本情報 No.8 相談方法「03:その他」→ No.9 相談方法(その他の内容)、No.12 利用者の現況「02:入院又は入所中」→ No.13 利用者の現況(状況補足)。文のない組（第1表 No.25→No.26）は REC018 の警告です。コードが別の値のときに内容があっても指摘しません（空欄にせよとする文はありません）。",
        en: "Checks that an item a sentence of the spec asks to be filled when another item holds certain codes (`filled_when` in the kind data) is not empty: 利用者基本情報 No.8 相談方法 03 (その他) → No.9 相談方法(その他の内容), No.12 利用者の現況 02 (入院又は入所中) → No.13 利用者の現況(状況補足). Pairs no sentence states (第1表 No.25 → No.26) are REC018's warning. Content with another code is not reported: no sentence asks for it to be empty.",
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
        "KIHON-08-a",
        "KIHON-12-a",
    ],
    check: Check::Record { kinds: &["UPKIHON"], reads: READS, check },
}

/// The items of the kind data's stated `filled_when` pairs (the dependent item and the one whose code asks for it);
/// a test holds this list to the data.
const READS: &[&str] = &["consultation_method", "consultation_method_other", "user_situation", "user_situation_note"];

fn check(ctx: &RecordCtx<'_>, out: &mut Vec<Finding>) {
    missing_content(ctx, true, &RULE, out);
}

/// The findings of `rule` for every `filled_when` item of the record whose `stated`-ness is `stated`, whose
/// controlling item holds one of its codes and which is empty.
pub(crate) fn missing_content(ctx: &RecordCtx<'_>, stated: bool, rule: &'static Rule, out: &mut Vec<Finding>) {
    for item in &ctx.doc.kind.items {
        let Some(when) = item.filled_when.as_ref().filter(|when| when.stated == stated) else { continue };
        let code = ctx.get(&when.item);
        if when.values.iter().any(|value| value == code) && ctx.get(&item.id).trim().is_empty() {
            let controlling = ctx.doc.kind.index_of(&when.item).map(|column| &ctx.doc.kind.items[column]);
            let name = controlling.map_or(when.item.as_str(), |controlling| controlling.name.as_str());
            out.push(ctx.finding(rule, &item.id).arg("condition", format!("{name} = {code}")));
        }
    }
}

/// The kinds a rule on `filled_when` pairs runs on and the items it reads must be exactly those of the pairs whose
/// `stated`-ness is `stated`.
#[cfg(test)]
pub(crate) fn assert_reads_are_the_pairs(rule: &Rule, stated: bool, reads: &[&str]) {
    let Check::Record { kinds, .. } = &rule.check else { panic!("{} is a record rule", rule.meta.code) };
    let mut pairs: Vec<&str> = Vec::new();
    for kind in crate::spec::spec().kinds.iter() {
        for item in kind.items.iter() {
            if let Some(when) = item.filled_when.as_ref().filter(|when| when.stated == stated) {
                assert!(kinds.contains(&kind.code.as_str()), "{} does not run on {}", rule.meta.code, kind.code);
                pairs.extend([when.item.as_str(), item.id.as_str()]);
            }
        }
    }
    pairs.sort_unstable();
    let mut listed = reads.to_vec();
    listed.sort_unstable();
    assert_eq!(pairs, listed);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `READS` lists exactly the items of every stated `filled_when` pair of the kinds the rule runs on.
    #[test]
    fn reads_are_the_stated_filled_when_pairs() {
        assert_reads_are_the_pairs(&RULE, true, READS);
    }
}
