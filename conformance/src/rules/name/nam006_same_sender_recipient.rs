use crate::filename::base_name;
use crate::finding::Finding;
use crate::rules::{rule, Check};
use crate::validate::context::FileCtx;

rule! {
    code: "NAM006",
    name: "same-sender-recipient",
    severity: Error,
    level: Name,
    title: { ja: "送信元と送信先が同じ事業所番号", en: "Sender and recipient are the same office" },
    message: {
        ja: "ファイル名「{value}」の送信元と送信先が同じ事業所番号（{office}）です。",
        en: "File name '{value}' has the same office number ({office}) as sender and recipient.",
    },
    what: {
        ja: "ファイル名の送信元事業所番号と送信先事業所番号が異なることを検査します。",
        en: "Checks that the sender and recipient office numbers in the name differ.",
    },
    why: {
        ja: "連携システムでは同じ事業所番号の間の送信は失敗することがあります。同じ事業所番号の居宅とサービス事業所の間では、連携システムを通さずにやり取りします。",
        en: "The relay may refuse sends between the same office number; a care manager and provider sharing a number exchange data outside the relay.",
    },
    fix: {
        ja: "送信先の事業所番号を確認してください。",
        en: "Check the recipient's office number.",
    },
    example: "UP1KYO_0300000100_43_0300000100_11_20250401090000.CSV",
    check: Check::Name { reads: &[], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    if let Some(name) = ctx.parsed_name().filter(|n| n.sender.office == n.recipient.office) {
        out.push(Finding::new(&RULE.meta).value(base_name(ctx.path)).arg("office", name.sender.office.clone()));
    }
}
