use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::{rule, Aspect, Check};
use crate::spec::{csv_version, current_csv_version, Item};

rule! {
    code: "FLD020",
    name: "unknown-csv-version",
    severity: Error,
    level: Field,
    title: { ja: "存在しない CSVバージョン", en: "Unknown CSVバージョン" },
    message: {
        ja: "{item}「{value}」は標準仕様の CSVバージョンにありません。第4.1版は {current} です。",
        en: "{item} '{value}' is not a CSVバージョン of the spec; v4.1 is {current}.",
    },
    what: {
        ja: "各レコードの1項目目（CSVバージョン）が、標準仕様の改訂履歴にある値かを検査します。",
        en: "Checks that the first item of every record (CSVバージョン) is a value from the spec's revision history.",
    },
    why: {
        ja: "受信側は CSVバージョンでレイアウトを判定します。存在しない値（例 202410）のファイルは取り込めません。",
        en: "Receivers choose the layout by this value; a file with a non-existent value (e.g. 202410, seen in the wild) cannot be imported.",
    },
    fix: {
        ja: "第4.1版のレイアウトで出力し、CSVバージョンを 202407 にしてください。",
        en: "Write the v4.1 layout with CSVバージョン 202407.",
    },
    example: "202410,131016,0000012345,…",
    cites: [
        "S1-hist-4.1-a",
        "S2-01-a",
        "S2-ver-m",
        "S2-ver-o",
    ],
    assumptions: ["A-CSV-VERSION"],
    check: Check::Field { aspect: Aspect::Codes, applies, check },
}

pub(crate) fn applies(item: &Item) -> bool {
    item.id == "csv_version"
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    if !ctx.value.is_empty() && csv_version(ctx.value).is_none() {
        out.push(ctx.finding(&RULE).arg("current", current_csv_version().value.as_str()));
    }
}
