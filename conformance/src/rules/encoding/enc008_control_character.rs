use crate::codec::chars::CharClass;
use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::encoding::{character_finding, check_class};
use crate::rules::{rule, Check};

rule! {
    code: "ENC008",
    name: "control-character",
    severity: Warning,
    level: Encoding,
    title: { ja: "制御文字", en: "Control character" },
    message: {
        ja: "{item} の {position} 文字目に制御文字（{codepoint}）があります{more}。",
        en: "{item}: control character {codepoint} at character {position}{more}.",
    },
    what: {
        ja: "項目の値に、改行（CR/LF）とタブ以外の制御文字（NUL、BEL、ESC、DEL など）が含まれていないかを検査します（タブは ENC010）。制御文字は MS932 の範囲内の文字で、仕様に禁止する文がないため警告です。",
        en: "Checks values for control characters other than CR/LF and TAB (NUL, BEL, ESC, DEL, …; a TAB is ENC010's). Control characters are inside MS932 and no sentence of the spec forbids them, so this is a warning.",
    },
    why: {
        ja: "制御文字は画面にも帳票にも表示されず、受信側の取り込み処理を止めることがあります。",
        en: "Control characters are invisible on screen and paper and can stop a receiver's import.",
    },
    fix: {
        ja: "制御文字を取り除いてください。",
        en: "Remove the control characters.",
    },
    example: r#""朝食\x07見守り"  ← a BEL (U+0007) inside free text"#,
    cites: [
        "S1 §4.3 「出力される CSV ファイルには、Shift-JIS（MS932）の範囲外の文字は含まないものとする」 (control characters are inside MS932: a warning only)",
    ],
    check: Check::Characters(|ctx, findings| check_class(ctx, findings, CharClass::Control, finding)),
}

fn finding(ctx: &FieldCtx<'_>, c: char, position: usize, more: usize) -> Finding {
    character_finding(&RULE, ctx, c, position, more)
}
