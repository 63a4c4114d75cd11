use crate::codec::TextEncoding;
use crate::finding::Finding;
use crate::rules::ctx::ReadCtx;
use crate::rules::{rule, Check};

rule! {
    code: "ENC002",
    name: "utf8-encoding",
    severity: Error,
    level: Encoding,
    title: { ja: "文字コードが Shift_JIS ではない（UTF-8）", en: "File is UTF-8, not Shift_JIS" },
    message: {
        ja: "ファイルは {encoding} で書かれています。標準仕様の文字コードは Shift_JIS（MS932）です。Shift_JIS（BOM なし）で出力し直してください。",
        en: "The file is written in {encoding}; the standard specification requires Shift_JIS (MS932). Export it again in Shift_JIS, without a BOM.",
    },
    what: {
        ja: "ファイル全体の文字コードを判定し、UTF-8（BOM 付きを含む）であれば報告します。内容はそのまま読み込んで他の規則も検査します。",
        en: "Detects the file's encoding and reports UTF-8 (with or without BOM). The content is still read and checked by every other rule.",
    },
    why: {
        ja: "標準仕様（4.3 文字コード）は Shift_JIS を定めています。UTF-8 のファイルは多くの介護ソフトで文字化けします。",
        en: "The spec (§4.3) prescribes Shift_JIS; most care software shows a UTF-8 file as mojibake.",
    },
    fix: {
        ja: "Shift_JIS（MS932 / Windows-31J）で出力し、BOM を付けないでください。",
        en: "Write the file in Shift_JIS (MS932 / Windows-31J), without a BOM.",
    },
    example: "EF BB BF 32 30 32 34 30 37 …  ← UTF-8 BOM followed by UTF-8 text",
    cites: [
        "S1-4.3-a",
        "S2-char-a",
    ],
    assumptions: ["A-SJIS-ONLY"],
    check: Check::Read(check),
}

fn check(ctx: &ReadCtx<'_>, findings: &mut Vec<Finding>) {
    if let Some(decoded) = ctx.decoded.filter(|decoded| decoded.encoding.is_utf8()) {
        findings.push(finding(decoded.encoding));
    }
}

fn finding(encoding: TextEncoding) -> Finding {
    let name = match encoding {
        TextEncoding::Utf8Bom => "UTF-8 (BOM)",
        _ => "UTF-8",
    };
    Finding::new(&RULE.meta).line(1).arg("encoding", name)
}
