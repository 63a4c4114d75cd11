use crate::codec::chars::CharClass;
use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::encoding::{character_finding, check_class};
use crate::rules::{rule, Check};

rule! {
    code: "ENC003",
    name: "byte-order-mark",
    severity: Error,
    level: Encoding,
    title: { ja: "内容の途中にある BOM（U+FEFF）", en: "Byte-order mark inside the content" },
    message: {
        ja: "{item} の {position} 文字目に BOM（{codepoint}）があります{more}。",
        en: "{item} has a byte-order mark ({codepoint}) at character {position}{more}.",
    },
    what: {
        ja: "項目の値の中に BOM（U+FEFF, ゼロ幅ノーブレークスペース）が含まれていないかを検査します。複数のファイルを連結したときによく入り込みます。",
        en: "Checks values for a byte-order mark (U+FEFF, zero-width no-break space), which typically slips in when files are concatenated.",
    },
    why: {
        ja: "目に見えない文字のため、受信側で利用者の照合（被保険者番号など）が一致しなくなったり、文字化けの原因になります。",
        en: "The character is invisible: keys such as 被保険者番号 stop matching on the receiving side, or it shows as mojibake.",
    },
    fix: {
        ja: "ファイルを連結する前に各ファイルの BOM を取り除いてください。",
        en: "Strip the BOM from each part before concatenating files.",
    },
    example: r#"202407,131016,"\u{FEFF}0000012345",…  ← a BOM glued to the front of a value"#,
    cites: [
        "S1-4.3-a",
        "S2-char-a",
    ],
    assumptions: ["A-SJIS-ONLY"],
    check: Check::Characters(|ctx, findings| check_class(ctx, findings, CharClass::ByteOrderMark, finding)),
}

fn finding(ctx: &FieldCtx<'_>, c: char, position: usize, more: usize) -> Finding {
    character_finding(&RULE, ctx, c, position, more)
}
