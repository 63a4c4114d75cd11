use crate::codec::chars::replacement;
use crate::codec::chars::CharClass;
use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::encoding::{character_finding, check_class};
use crate::rules::{rule, Check};

rule! {
    code: "ENC004",
    name: "unrepresentable-character",
    severity: Error,
    level: Encoding,
    title: { ja: "Shift_JIS で表せない文字", en: "Character not representable in Shift_JIS" },
    message: {
        ja: "{item} の {position} 文字目「{char}」（{codepoint}）は Shift_JIS（MS932）で表せません{more}。{suggestion}",
        en: "{item}: character {position} '{char}' ({codepoint}) cannot be represented in Shift_JIS (MS932){more}.{suggestion}",
    },
    what: {
        ja: "UTF-8 のファイルで、MS932 に対応する文字がない文字（絵文字、JIS 第3・第4水準の漢字など）を検査します。",
        en: "In UTF-8 input, checks for characters that MS932 cannot encode (emoji, JIS level 3/4 kanji, …).",
    },
    why: {
        ja: "標準仕様は MS932 の範囲外の文字を禁じています。Shift_JIS に変換した時点で「?」などに置き換わり、氏名や住所が変わってしまいます。",
        en: "The spec forbids characters outside MS932; converting to Shift_JIS turns them into '?' and changes names and addresses.",
    },
    fix: {
        ja: "MS932 で表せる文字に置き換えてください（例: 𠮷 → 吉、波ダッシュ 〜（U+301C）→ ～（U+FF5E））。",
        en: "Replace the character with one MS932 can represent (e.g. 𠮷 → 吉, WAVE DASH U+301C → U+FF5E).",
    },
    example: r#""𠮷田 花子"  ← U+20BB7 has no MS932 code"#,
    cites: [
        "S1-4.3-a",
        "S1-4.3-b",
        "S2-char-a",
        "S2-char-b",
    ],
    check: Check::Characters(|ctx, findings| check_class(ctx, findings, CharClass::Unrepresentable, finding)),
}

fn finding(ctx: &FieldCtx<'_>, c: char, position: usize, more: usize) -> Finding {
    let (ja, en) = match replacement(c) {
        Some(with) => (format!("「{with}」に置き換えてください。"), format!(" Replace it with '{with}'.")),
        None => (String::new(), String::new()),
    };
    character_finding(&RULE, ctx, c, position, more).arg2("suggestion", ja, en)
}
