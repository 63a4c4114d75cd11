use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::field::{checkable, shape_finding};
use crate::rules::{rule, Aspect, Check};
use crate::spec::{Item, ItemType};

rule! {
    code: "FLD015",
    name: "invalid-phone",
    severity: Warning,
    level: Field,
    title: { ja: "電話番号に使えない文字", en: "Unexpected character in a phone number" },
    message: {
        ja: "{item}「{value}」には半角数字・ハイフン・括弧以外の文字があります。{hint}",
        en: "{item} '{value}' contains characters other than ASCII digits, hyphens and parentheses.{hint}",
    },
    what: {
        ja: "電話番号・FAX番号が半角数字、ハイフン（-）、括弧（( )）だけでできているかを検査します。",
        en: "Checks that phone and fax numbers use only ASCII digits, hyphens and parentheses.",
    },
    why: {
        ja: "標準仕様は書式を定めていませんが（項目長 15）、受信側は電話番号欄として取り込みます。「自宅」などの文字や全角数字は扱えないことがあります。",
        en: "The spec gives no format (length 15), but receivers import a phone field; words such as 自宅 or full-width digits often do not fit.",
    },
    fix: {
        ja: "「03-1234-5678」のように半角で出力し、補足の文字は別の欄に入力してください。",
        en: "Write it in ASCII like '03-1234-5678' and put remarks elsewhere.",
    },
    example: "No.12 利用者電話番号 = \"03-1234-5678（自宅）\"",
    cites: [
        "S2 利用者補足情報 No.12, 利用者基本情報 No.19, 20, 44, 49 電話番号 項目長 15",
    ],
    check: Check::Field { aspect: Aspect::Format, applies, check },
}

fn applies(item: &Item) -> bool {
    item.ty == ItemType::Tel
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    let Some(value) = checkable(ctx) else { return };
    if !value.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'(' | b')')) {
        out.push(shape_finding(&RULE, ctx));
    }
}
