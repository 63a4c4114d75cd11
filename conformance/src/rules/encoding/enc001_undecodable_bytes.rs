use crate::codec::{TextEncoding, Undecodable};
use crate::finding::Finding;
use crate::rules::ctx::ReadCtx;
use crate::rules::{rule, Check};

rule! {
    code: "ENC001",
    name: "undecodable-bytes",
    severity: Error,
    level: Encoding,
    title: { ja: "文字コードとして解釈できないバイト", en: "Bytes that cannot be decoded" },
    message: {
        ja: "{offset} バイト目（{hex}）は {encoding} として解釈できません。{hint}",
        en: "The bytes at offset {offset} ({hex}) are not valid {encoding}.{hint}",
    },
    what: {
        ja: "ファイルのバイト列が、判定した文字コード（通常は Shift_JIS）として正しく読めるかを検査します。途中で切れた2バイト文字や、別の文字コードで書かれた部分を見つけます。",
        en: "Checks that every byte sequence is valid in the file's encoding (normally Shift_JIS): truncated double-byte characters and parts written in another encoding are found.",
    },
    why: {
        ja: "受信側は読めないバイトを別の文字に置き換えるか、取り込みを止めます。利用者氏名や援助内容が化けたまま計画書に載るおそれがあります。",
        en: "A receiver replaces unreadable bytes with other characters or rejects the file; names and care texts would end up garbled in the plan.",
    },
    fix: {
        ja: "出力処理で文字列を MS932（Windows-31J）に変換してから書き出し、ファイルの途中で切り詰めていないか確認してください。",
        en: "Convert text to MS932 (Windows-31J) before writing and make sure the file is not cut off in the middle of a character.",
    },
    example: r#"…,"山田<82>  ← a lead byte 0x82 at the end of the file without its trail byte"#,
    cites: [
        "S1-4.3-a",
        "S2-char-a",
    ],
    check: Check::Read(check),
}

fn check(ctx: &ReadCtx<'_>, findings: &mut Vec<Finding>) {
    if let Some(decoded) = ctx.decoded {
        for undecodable in &decoded.undecodable {
            findings.push(finding(undecodable, decoded.encoding, decoded.looks_like_utf8));
        }
    }
}

fn finding(undecodable: &Undecodable, encoding: TextEncoding, looks_like_utf8: bool) -> Finding {
    let hex = undecodable.bytes.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(" ");
    let (hint_ja, hint_en) = if looks_like_utf8 {
        ("ファイルは UTF-8 で書かれているようです。", " The file looks like UTF-8.")
    } else {
        ("", "")
    };
    let name = if encoding.is_utf8() { "UTF-8" } else { "Shift_JIS (MS932)" };
    Finding::new(&RULE.meta)
        .line(undecodable.line)
        .arg("offset", undecodable.offset.to_string())
        .arg("hex", hex)
        .arg("encoding", name)
        .arg2("hint", hint_ja, hint_en)
}
