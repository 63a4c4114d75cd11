use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::field::{checkable, shape_finding};
use crate::rules::{rule, Aspect, Check};
use crate::spec::{Item, ItemType};

rule! {
    code: "FLD014",
    name: "invalid-postal-code",
    severity: Error,
    level: Field,
    title: { ja: "郵便番号の形式の誤り", en: "Invalid postal code" },
    message: {
        ja: "{item}「{value}」は XXX-XXXX 形式の郵便番号ではありません。{hint}",
        en: "{item} '{value}' is not a postal code of the form XXX-XXXX.{hint}",
    },
    what: {
        ja: "郵便番号が「半角数字3桁-半角数字4桁」（8文字）かを検査します。",
        en: "Checks that postal codes are three ASCII digits, a hyphen and four digits (8 characters).",
    },
    why: {
        ja: "標準仕様は郵便番号の書式を XXX-XXXX と定めています。ハイフンのない7桁や全角文字は受信側の住所欄に正しく入りません。",
        en: "The spec fixes the form XXX-XXXX; seven digits without the hyphen or full-width characters do not fit the receiver's address fields.",
    },
    fix: {
        ja: "「100-0001」のように半角のハイフン付きで出力してください。",
        en: "Write it with an ASCII hyphen, like '100-0001'.",
    },
    example: "No.5 利用者郵便番号 = \"1000001\"",
    cites: [
        "S2 利用者補足情報 No.9, 第1表 No.5, No.10 書式「XXX-XXXX」",
    ],
    check: Check::Field { aspect: Aspect::Format, applies, check },
}

fn applies(item: &Item) -> bool {
    item.ty == ItemType::Postal
}

fn is_postal(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 8 && bytes[3] == b'-' && bytes[..3].iter().chain(&bytes[4..]).all(u8::is_ascii_digit)
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    let Some(value) = checkable(ctx) else { return };
    if !is_postal(value) {
        out.push(shape_finding(&RULE, ctx));
    }
}
