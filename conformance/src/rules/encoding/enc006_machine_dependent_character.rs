use crate::codec::chars::replacement;
use crate::codec::chars::CharClass;
use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::encoding::{character_finding, check_class};
use crate::rules::{rule, Check};

rule! {
    code: "ENC006",
    name: "machine-dependent-character",
    severity: Warning,
    level: Encoding,
    title: { ja: "機種依存文字（NEC特殊文字・IBM拡張文字）", en: "Machine-dependent character (NEC special / IBM extension)" },
    message: {
        ja: "{item} の {position} 文字目「{char}」（{codepoint}）は機種依存文字です{more}。{suggestion}",
        en: "{item}: character {position} '{char}' ({codepoint}) is machine-dependent{more}. {suggestion}",
    },
    what: {
        ja: "MS932 には含まれるが JIS X 0208 にない文字（①、㈱、Ⅳ などの NEC 特殊文字、髙・﨑 などの IBM 拡張文字）を検査します。",
        en: "Checks for characters that MS932 has but JIS X 0208 lacks: NEC special characters (①, ㈱, Ⅳ) and IBM extensions (髙, 﨑).",
    },
    why: {
        ja: "標準仕様は MS932 の範囲内であれば許していますが、JIS X 0208 だけを扱う受信側では文字化けや取り込みエラーになります。氏名の「髙」「﨑」は特に問題になりやすい文字です。",
        en: "The spec allows anything inside MS932, but receivers limited to JIS X 0208 garble these or reject the file; 髙 and 﨑 in names are the classic case.",
    },
    fix: {
        ja: "受信先と取り決めがない限り、JIS X 0208 の文字に置き換えてください（① → (1)、㈱ → （株）、髙 → 高）。氏名の異体字を残す場合は受信先に確認してください。",
        en: "Unless agreed with the receiver, replace with JIS X 0208 characters (① → (1), ㈱ → （株）, 髙 → 高). Confirm with the receiver before keeping a variant in a name.",
    },
    example: r#""㈱ケアサービス"  ← NEC special character 0x878D"#,
    cites: [
        "S1 §4.3 「Shift-JIS（MS932）の範囲内」 (NEC/IBM extensions are inside MS932: a warning, not an error)",
        "S1 更新履歴 3.1 「Shift-JIS（MS932）を許容する」",
    ],
    assumptions: ["A-MS932-EXTENSIONS"],
    check: Check::Characters(|ctx, findings| check_class(ctx, findings, CharClass::MachineDependent, finding)),
}

fn finding(ctx: &FieldCtx<'_>, c: char, position: usize, more: usize) -> Finding {
    let (ja, en) = match replacement(c) {
        Some(with) => (format!("「{with}」に置き換えてください。"), format!("Replace it with '{with}'.")),
        None => (
            "JIS X 0208 の文字に置き換えてください。".to_string(),
            "Replace it with a JIS X 0208 character.".to_string(),
        ),
    };
    character_finding(&RULE, ctx, c, position, more).arg2("suggestion", ja, en)
}
