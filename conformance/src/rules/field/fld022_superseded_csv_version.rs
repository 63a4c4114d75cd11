use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::field::fld020_unknown_csv_version::applies;
use crate::rules::{rule, Aspect, Check};
use crate::spec::{csv_version, current_csv_version, VersionStatus};

rule! {
    code: "FLD022",
    name: "superseded-csv-version",
    severity: Error,
    level: Field,
    title: { ja: "旧版の CSVバージョン", en: "CSVバージョン of a superseded edition" },
    message: {
        ja: "{item}「{value}」は{edition}のCSVバージョンで、レイアウトが第4.1版と違うため、このツールでは検査できません。2025年4月サービス提供分からは第4.1版（{current}）で出力します。",
        en: "{item} '{value}' is a CSVバージョン of {edition}, whose layout differs from v4.1: this tool cannot check it. From service month 2025-04 files use v4.1 ({current}).",
    },
    what: {
        ja: "CSVバージョンが第3版以前（201910, 202003, 202208）であることを検査します。",
        en: "Checks for CSVバージョン values of editions before v4 (201910, 202003, 202208).",
    },
    why: {
        ja: "第4版で第3表の追加、TAISコード等の追加、回数／日数の桁数変更などレイアウトが変わりました。旧版のファイルは第4.1版の受信側では読めません。",
        en: "v4 changed the layouts (第3表 added, TAIS codes added, 回数／日数 widened); older files cannot be read by v4.1 receivers.",
    },
    fix: {
        ja: "介護ソフトを第4.1版対応に更新し、CSVバージョン 202407 で出力してください。",
        en: "Update the care software to v4.1 and write CSVバージョン 202407.",
    },
    example: "202208,131016,0000012345,…",
    cites: [
        "KIHON-note-b",
        "S1-hist-4.0-g",
        "S2-01-a",
        "S2-ver-a",
        "S2-ver-b",
        "S2-ver-c",
        "YOBO-note-a",
    ],
    assumptions: ["A-CSV-VERSION"],
    check: Check::Field { aspect: Aspect::Codes, applies, check },
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    if let Some(version) = csv_version(ctx.value).filter(|v| v.status == VersionStatus::Superseded) {
        out.push(
            ctx.finding(&RULE)
                .arg("edition", version.edition.as_str())
                .arg("current", current_csv_version().value.as_str()),
        );
    }
}
