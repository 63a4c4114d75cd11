use crate::codec::tokenize::LineEndings;
use crate::finding::Finding;
use crate::rules::ctx::ReadCtx;
use crate::rules::{rule, Check};

rule! {
    code: "ENC009",
    name: "line-ending",
    severity: Warning,
    level: Encoding,
    title: { ja: "改行コードが CRLF ではない", en: "Line endings are not CRLF" },
    message: {
        ja: "改行コードが CRLF ではありません（LF {lf} 行、CR {cr} 行、CRLF {crlf} 行）。",
        en: "Line endings are not CRLF (LF: {lf}, CR: {cr}, CRLF: {crlf}).",
    },
    what: {
        ja: "レコードの区切りがすべて CRLF かどうかを検査します（ファイルごとに1件）。",
        en: "Checks that every record ends with CRLF (one finding per file).",
    },
    why: {
        ja: "標準仕様は改行コードを明記していませんが、Windows の介護ソフトは CRLF を前提とするものが多く、LF だけでは1行として読まれることがあります。",
        en: "The spec does not state it, but Windows care software mostly expects CRLF; with bare LF a file may be read as one line.",
    },
    fix: {
        ja: "各レコードの終わりを CRLF（0D 0A）にしてください。",
        en: "End every record with CRLF (0D 0A).",
    },
    example: "202407,131016,…\\n  ← LF only",
    cites: [
        "S1 §4.2 ファイル形式 CSV (line ending not stated; CRLF assumed, A-CRLF)",
    ],
    assumptions: ["A-CRLF"],
    check: Check::Read(check),
}

fn check(ctx: &ReadCtx<'_>, findings: &mut Vec<Finding>) {
    findings.extend(finding(ctx.line_endings));
}

fn finding(endings: LineEndings) -> Option<Finding> {
    (endings.lf > 0 || endings.cr > 0).then(|| {
        Finding::new(&RULE.meta)
            .line(1)
            .arg("lf", endings.lf.to_string())
            .arg("cr", endings.cr.to_string())
            .arg("crlf", endings.crlf.to_string())
    })
}
