use crate::codec::chars::CharClass;
use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::encoding::{character_finding, check_class};
use crate::rules::{rule, Check};

rule! {
    code: "ENC010",
    name: "tab-character",
    severity: Warning,
    level: Encoding,
    title: { ja: "タブ文字", en: "Tab character" },
    message: {
        ja: "{item} の {position} 文字目にタブ（U+0009）があります{more}。受信側によっては空白に置き換えたり、取り込めなかったりします。",
        en: "{item}: a TAB (U+0009) at character {position}{more}; some receivers replace it with a space or fail to import it.",
    },
    what: {
        ja: "項目の値にタブ文字が含まれていないかを検査します。タブは MS932 の範囲内の文字で、仕様に禁止する文はないため警告です。",
        en: "Checks values for TAB characters. A TAB is inside MS932 and no sentence of the spec forbids it, so this is a warning.",
    },
    why: {
        ja: "タブは画面や帳票で幅が定まらず、受信側の取り込み処理や表示が送信側と食い違うことがあります。",
        en: "A TAB has no fixed width on screen or paper; a receiver's import or display may differ from the sender's.",
    },
    fix: {
        ja: "意図した字下げであれば、全角または半角の空白に置き換えると確実です。",
        en: "If it is meant as indentation, spaces (full- or half-width) travel more reliably.",
    },
    example: r#""朝食\t見守り"  ← a TAB inside free text (第2表 No.14 サービス内容)"#,
    cites: [
        "S1 §4.3 「出力される CSV ファイルには、Shift-JIS（MS932）の範囲外の文字は含まないものとする」 (a TAB is inside MS932: a warning only)",
        "S2 footnote of every table 「フリーテキストは\"\"（半角）で囲い、改行、半角カンマ（,）は削除しない」 (it names no other character)",
    ],
    check: Check::Characters(|ctx, findings| check_class(ctx, findings, CharClass::Tab, finding)),
}

fn finding(ctx: &FieldCtx<'_>, c: char, position: usize, more: usize) -> Finding {
    character_finding(&RULE, ctx, c, position, more)
}
