use crate::filename::base_name;
use crate::finding::Finding;
use crate::rules::ctx::FileCtx;
use crate::rules::{rule, Check};

rule! {
    code: "NAM006",
    name: "same-sender-recipient",
    severity: Error,
    level: Name,
    title: { ja: "送信元と送信先が同じ事業所・同じサービス種類", en: "Sender and recipient are the same office and service kind" },
    message: {
        ja: "ファイル名「{value}」の送信元と送信先が同じ事業所番号（{office}）・同じサービス種類（{kind}）です。",
        en: "File name '{value}' names the same office number ({office}) and service kind ({kind}) as sender and recipient.",
    },
    what: {
        ja: "ファイル名の送信元と送信先が、事業所番号もサービス種類コードも同じでないことを検査します。1つの事業所番号で複数のサービスを行う事業所（例: 居宅介護支援 43 と訪問介護 11）の間の送信は正しいファイルです。",
        en: "Checks that sender and recipient do not share both office number and service kind. One office number holding several services (e.g. 居宅介護支援 43 and 訪問介護 11) exchanging files between them is correct.",
    },
    why: {
        ja: "第4版でファイル名にサービス種類コードが加わったのは「複数サービス提供事業所への対応」のためです。事業所番号とサービス種類の両方が同じなら、送信先が自分自身になり、受信側はどのサービス宛てか判断できません。",
        en: "v4 added the service-kind codes to file names 「複数サービス提供事業所への対応」 (for offices with several services). Same number and same kind means a file addressed to its own sender.",
    },
    fix: {
        ja: "送信先の事業所番号とサービス種類コードを確認してください。",
        en: "Check the recipient's office number and service kind.",
    },
    example: "UP1KYO_0300000100_43_0300000100_43_20250401090000.CSV",
    cites: [
        "S1-hist-4.0-b",
        "S2-name-c",
        "S2-ver-g",
    ],
    check: Check::Name { reads: &[], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    if let Some(name) = ctx.parsed_name().filter(|n| n.sender == n.recipient) {
        out.push(
            Finding::new(&RULE.meta)
                .value(base_name(ctx.path))
                .arg("office", name.sender.office.clone())
                .arg("kind", name.sender.kind.clone()),
        );
    }
}
