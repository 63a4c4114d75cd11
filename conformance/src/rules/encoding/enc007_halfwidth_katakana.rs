use crate::codec::chars::to_fullwidth_katakana;
use crate::codec::chars::CharClass;
use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::encoding::{character_finding, check_class};
use crate::rules::{rule, Check};

rule! {
    code: "ENC007",
    name: "halfwidth-katakana",
    severity: Warning,
    level: Encoding,
    title: { ja: "半角カナ", en: "Half-width katakana" },
    message: {
        ja: "{item} の {position} 文字目に半角カナ「{char}」があります{more}。全角では「{suggestion}」です。",
        en: "{item}: half-width katakana '{char}' at character {position}{more}; in full width: '{suggestion}'.",
    },
    what: {
        ja: "JIS X 0201 の半角カタカナ（ｱ〜ﾝ、ﾞ、ﾟ など）を検査します。",
        en: "Checks for JIS X 0201 half-width katakana (ｱ–ﾝ, ﾞ, ﾟ, …).",
    },
    why: {
        ja: "半角カナは MS932 の範囲内ですが、受信側で全角に変換されたり、氏名フリガナの照合が一致しなくなったりします。",
        en: "They are inside MS932, but receivers often convert them, and 氏名フリガナ stop matching.",
    },
    fix: {
        ja: "全角カタカナで出力してください（例: ﾔﾏﾀﾞ → ヤマダ）。",
        en: "Write full-width katakana (e.g. ﾔﾏﾀﾞ → ヤマダ).",
    },
    example: r#""ﾔﾏﾀﾞ ﾀﾛｳ"  ← 利用者氏名フリガナ in half-width"#,
    cites: [
        "S1 §4.3 「Shift-JIS（MS932）の範囲内」 (half-width katakana are inside MS932: a warning only)",
    ],
    assumptions: ["A-HALFWIDTH-KANA"],
    check: Check::Characters(|ctx, findings| check_class(ctx, findings, CharClass::HalfwidthKatakana, finding)),
}

fn finding(ctx: &FieldCtx<'_>, c: char, position: usize, more: usize) -> Finding {
    character_finding(&RULE, ctx, c, position, more).arg("suggestion", to_fullwidth_katakana(ctx.value))
}
