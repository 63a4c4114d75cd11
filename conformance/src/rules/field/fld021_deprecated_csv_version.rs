use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::field::fld020_unknown_csv_version::applies;
use crate::rules::{rule, Aspect, Check};
use crate::spec::{csv_version, current_csv_version, VersionStatus};

rule! {
    code: "FLD021",
    name: "deprecated-csv-version",
    severity: Warning,
    level: Field,
    title: { ja: "旧表記の CSVバージョン（202504）", en: "Deprecated CSVバージョン (202504)" },
    message: {
        ja: "{item}「{value}」は第4.0版の初出時の値です。第4.1版では {current} に改められました。",
        en: "{item} '{value}' is the value of v4.0 as first issued; v4.1 changed it to {current}.",
    },
    what: {
        ja: "CSVバージョンが 202504（第4.0版の初出時の値）であることを検査します。",
        en: "Checks for CSVバージョン 202504, the value v4.0 had when first issued.",
    },
    why: {
        ja: "第4.1版で値が 202407 に変更されました。レイアウトは同じですが、202504 を受け付けない受信側があります。",
        en: "v4.1 changed the value to 202407; the layout is the same, but some receivers refuse 202504.",
    },
    fix: {
        ja: "CSVバージョンを 202407 にしてください。",
        en: "Write CSVバージョン 202407.",
    },
    example: "202504,131016,0000012345,…",
    cites: [
        "S1-hist-4.1-a",
        "S2-01-a",
        "S2-ver-d",
        "S2-ver-m",
    ],
    assumptions: ["A-CSV-VERSION"],
    check: Check::Field { aspect: Aspect::Codes, applies, check },
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    if csv_version(ctx.value).is_some_and(|v| v.status == VersionStatus::DeprecatedAlias) {
        out.push(ctx.finding(&RULE).arg("current", current_csv_version().value.as_str()));
    }
}
