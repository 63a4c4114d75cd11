use crate::billing::{row_kind, service_kind_of, RowKind};
use crate::finding::Finding;
use crate::rules::ctx::RecordCtx;
use crate::rules::{rule, Check};
use crate::spec::spec;

rule! {
    code: "REC011",
    name: "service-kind-not-covered",
    severity: Error,
    level: Record,
    title: { ja: "連携対象外またはない サービス種類", en: "Service kind unknown or not covered" },
    message: {
        ja: "{item}「{value}」の種類コード「{kind}」は{problem}",
        en: "{item} '{value}': service kind '{kind}' {problem}",
    },
    what: {
        ja: "第6表・第7表のサービスコードの先頭2桁（サービス種類コード）が、サービス種類コード表にあり、連携対象（○）であることを検査します。",
        en: "Checks that the first two characters of 第6表/第7表 service codes are a known service kind that is covered by the exchange (○).",
    },
    why: {
        ja: "標準仕様は連携対象外のサービス種類（特定施設入居者生活介護、施設サービスなど）のレコードを作成しないと定めています。",
        en: "The spec says records of kinds outside the exchange (e.g. residential and facility services) must not be generated.",
    },
    fix: {
        ja: "対象外のサービスを出力から除いてください。コードの誤りであれば正しいサービスコードにしてください。",
        en: "Leave those services out of the export, or correct the service code.",
    },
    example: "第6表 No.15 サービスコード = 331111 (特定施設入居者生活介護, 対象外)",
    cites: [
        "S1-1.3-row-11",
        "S1-1.3-row-12",
        "S1-1.3-row-13",
        "S1-1.3-row-14",
        "S1-1.3-row-15",
        "S1-1.3-row-16",
        "S1-1.3-row-17",
        "S1-1.3-row-21",
        "S1-1.3-row-22",
        "S1-1.3-row-23",
        "S1-1.3-row-2A",
        "S1-1.3-row-31",
        "S1-1.3-row-71",
        "S1-1.3-row-76",
        "S1-1.3-row-72",
        "S1-1.3-row-78",
        "S1-1.3-row-73",
        "S1-1.3-row-68",
        "S1-1.3-row-77",
        "S1-1.3-row-79",
        "S1-1.3-row-33",
        "S1-1.3-row-27",
        "S1-1.3-row-36",
        "S1-1.3-row-28",
        "S1-1.3-row-32",
        "S1-1.3-row-38",
        "S1-1.3-row-41",
        "S1-1.3-row-42",
        "S1-1.3-row-51",
        "S1-1.3-row-52",
        "S1-1.3-row-53",
        "S1-1.3-row-54",
        "S1-1.3-row-59",
        "S1-1.3-row-81",
        "S1-1.4-row-62",
        "S1-1.4-row-63",
        "S1-1.4-row-64",
        "S1-1.4-row-66",
        "S1-1.4-row-67",
        "S1-1.4-row-24",
        "S1-1.4-row-25",
        "S1-1.4-row-26",
        "S1-1.4-row-2B",
        "S1-1.4-row-34",
        "S1-1.4-row-74",
        "S1-1.4-row-75",
        "S1-1.4-row-69",
        "S1-1.4-row-35",
        "S1-1.4-row-37",
        "S1-1.4-row-39",
        "S1-1.4-row-44",
        "S1-1.4-row-45",
        "S1-1.4-row-59",
        "S1-1.4-row-81",
        "S1-1.4-row-A1",
        "S1-1.4-row-A2",
        "S1-1.4-row-A3",
        "S1-1.4-row-A4",
        "S1-1.4-row-A5",
        "S1-1.4-row-A6",
        "S1-1.4-row-A7",
        "S1-1.4-row-A8",
        "S1-2.6-b",
        "S1-2.6-d",
        "S1-2.6-k",
        "S1-3.6-b",
        "S1-3.6-d",
        "S1-3.6-k",
    ],
    check: Check::Record { kinds: &["UPPLAN", "UPJSK", "UPSIKYU"], reads: &["service_code"], check },
}

fn check(ctx: &RecordCtx<'_>, out: &mut Vec<Finding>) {
    let code = ctx.get("service_code");
    if code.len() != 6 || row_kind(code) == RowKind::GrandTotal {
        return;
    }
    let kind = service_kind_of(code);
    let (ja, en) = match spec().service_kind(kind) {
        None => ("サービス種類コード表にありません。", "is not a service kind code."),
        Some(entry) if entry.covered == Some(false) => {
            ("連携対象外です（出力しないサービスです）。", "is not covered by the exchange and must not be sent.")
        }
        Some(_) => return,
    };
    out.push(ctx.finding(&RULE, "service_code").arg("kind", kind).arg2("problem", ja, en));
}
