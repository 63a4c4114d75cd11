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
        "S1 §1.3, §1.4 連携対象 ○ / 対象外",
        "S1 §2.6 「第 6 表、第 7 表に連携対象外のサービス種類が含まれる場合は、そのサービスのレコードは生成しない」",
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
