use crate::codec::chars::CharClass;
use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::encoding::{character_finding, check_class};
use crate::rules::{rule, Check};

rule! {
    code: "ENC005",
    name: "gaiji",
    severity: Error,
    level: Encoding,
    title: { ja: "外字（ユーザー定義文字）", en: "User-defined character (外字)" },
    message: {
        ja: "{item} の {position} 文字目は外字（{codepoint}）です{more}。外字は使用できません。",
        en: "{item}: character {position} is a user-defined character ({codepoint}){more}; 外字 are not allowed.",
    },
    what: {
        ja: "Shift_JIS のユーザー定義領域（0xF040〜0xF9FC、Unicode の私用領域）の文字を検査します。",
        en: "Checks for characters in the Shift_JIS user-defined area (0xF040–0xF9FC, the Unicode private use area).",
    },
    why: {
        ja: "外字は作成したパソコンでしか正しく表示されません。標準仕様は外字の使用を禁じ、MS932 の文字に変換してから出力するよう定めています。",
        en: "A 外字 displays correctly only on the machine that defined it; the spec forbids them and requires converting to MS932 characters before output.",
    },
    fix: {
        ja: "外字を、通常の漢字またはかなに置き換えてから出力してください。",
        en: "Replace the 外字 with a standard kanji or kana before output.",
    },
    example: r#""山\u{E000}太郎"  ← bytes F0 40 (user-defined area)"#,
    cites: [
        "S1-4.3-b",
        "S2-char-b",
    ],
    assumptions: ["A-MS932-EXTENSIONS"],
    check: Check::Characters(|ctx, findings| check_class(ctx, findings, CharClass::Gaiji, finding)),
}

fn finding(ctx: &FieldCtx<'_>, c: char, position: usize, more: usize) -> Finding {
    character_finding(&RULE, ctx, c, position, more)
}
