use crate::billing::{grand_total_office, row_kind, RowKind};
use crate::finding::Finding;
use crate::rules::ctx::RecordCtx;
use crate::rules::{rule, Check};

rule! {
    code: "REC009",
    name: "total-row-shape",
    severity: Error,
    level: Record,
    title: { ja: "第7表の小計・合計行の形の誤り", en: "第7表 subtotal/total row malformed" },
    message: {
        ja: "{item}「{value}」: {problem}",
        en: "{item} '{value}': {problem}",
    },
    what: {
        ja: "第7表の小計行（種類コード＋AAAA/EEEE/ZZZZ）と全合計行（999999）で、単位数が 0、割引後率・割引後単位数が空欄であること、全合計行のサービス事業所コードが 9999999999 であること（その逆も）を検査します。",
        en: "Checks 第7表 subtotal rows (kind + AAAA/EEEE/ZZZZ) and the 全合計 row (999999): 単位数 0, 割引後率 and 割引後単位数 empty, and サービス事業所コード 9999999999 exactly on the 全合計 row.",
    },
    why: {
        ja: "受信側は小計・合計行を明細と区別して集計します。形が違うと明細として二重に計上されます。",
        en: "Receivers tell totals from details by these values; a malformed total is counted twice as a detail.",
    },
    fix: {
        ja: "小計・合計行は単位数 0、割引後率・割引後単位数を空欄に、全合計行はサービス事業所コード 9999999999 で出力してください。",
        en: "Write 単位数 0 and empty discount items on totals, and サービス事業所コード 9999999999 on the 全合計 row.",
    },
    example: "…,9999999999,,999999,,,,1200,,…  ← 単位数 1200 on the 全合計 row",
    cites: [
        "T7-07-a",
        "T7-09-f",
        "T7-13-a",
        "T7-14-a",
        "T7-15-a",
    ],
    check: Check::Record { kinds: &["UPSIKYU"], reads: &["service_code", "service_office_code", "units", "discount_rate", "discounted_units"], check },
}

fn check(ctx: &RecordCtx<'_>, out: &mut Vec<Finding>) {
    let code = ctx.get("service_code");
    let kind = row_kind(code);
    let office = ctx.get("service_office_code");
    let problem = |id: &str, ja: &str, en: &str| ctx.finding(&RULE, id).arg2("problem", ja, en);
    if (kind == RowKind::GrandTotal) != (office == grand_total_office()) {
        out.push(problem(
            "service_office_code",
            "サービス事業所コード 9999999999 は全合計行（サービスコード 999999）だけに使います。",
            "サービス事業所コード 9999999999 belongs to the 全合計 row (service code 999999) only.",
        ));
    }
    if kind == RowKind::Detail {
        return;
    }
    if ctx.get("units") != "0" {
        out.push(problem("units", "小計・合計行の単位数は 0 です。", "単位数 is 0 on subtotal and total rows."));
    }
    for id in ["discount_rate", "discounted_units"] {
        if !ctx.get(id).is_empty() {
            out.push(problem(id, "小計・合計行では空欄です。", "must be empty on subtotal and total rows."));
        }
    }
}
