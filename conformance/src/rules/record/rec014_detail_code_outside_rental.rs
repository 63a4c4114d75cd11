use crate::billing::service_kind_of;
use crate::finding::Finding;
use crate::rules::ctx::RecordCtx;
use crate::rules::{rule, Check};
use crate::spec::spec;

rule! {
    code: "REC014",
    name: "detail-code-outside-rental",
    severity: Error,
    level: Record,
    title: { ja: "福祉用具貸与以外の行に明細判別コード", en: "明細判別コード on a row that is not equipment rental" },
    message: {
        ja: "サービスコード「{code}」（サービス種類 {service_kind}）の行に明細判別コード「{value}」があります。「17:福祉用具貸与」以外の場合は空欄です。",
        en: "The row of service code '{code}' (service kind {service_kind}) has 明細判別コード '{value}'; it is empty for any kind but 17 (福祉用具貸与).",
    },
    what: {
        ja: "第6表（予定・実績）で、サービス種類（サービスコードの先頭2桁）が福祉用具貸与でない行の明細判別コードが空欄かを検査します。67（介護予防福祉用具貸与）の行は指摘しません: 文は 17 だけを挙げますが、67 も同じ貸与の明細を持つからです。",
        en: "Checks in 第6表 (planned and actual) that a row whose service kind (the first two characters of the サービスコード) is not equipment rental leaves 明細判別コード empty. Rows of 67 (介護予防福祉用具貸与) are not reported: the text names only 17, but 67 has the same rental details.",
    },
    why: {
        ja: "明細判別コードは同じ福祉用具を同じ単位数で2つ貸与するときに行を区別するためのものです。他のサービスの行にあると、受信側は行の区別を誤って取り込みます。",
        en: "The discriminator tells apart two rentals of the same product at the same units; on another service's row the receiver may key the row wrongly.",
    },
    fix: {
        ja: "福祉用具貸与以外の行では明細判別コードを空欄で出力してください。",
        en: "Leave 明細判別コード empty on every row that is not an equipment rental.",
    },
    example: "第6表 No.15 サービスコード = 111111, No.19 明細判別コード = 1",
    cites: [
        "T6-19-c",
    ],
    assumptions: ["A-RENTAL-67"],
    check: Check::Record { kinds: &["UPPLAN", "UPJSK"], reads: &["service_code", "detail_discriminator"], check },
}

fn check(ctx: &RecordCtx<'_>, out: &mut Vec<Finding>) {
    let discriminator = ctx.get("detail_discriminator");
    let code = ctx.get("service_code");
    if discriminator.is_empty() || code.chars().count() < 2 {
        return;
    }
    let kind = service_kind_of(code);
    // 67 (介護予防福祉用具貸与) is a rental like 17: the data marks both (`rental_equipment`).
    if spec().service_kind(kind).is_some_and(|known| known.rental_equipment) {
        return;
    }
    out.push(ctx.finding(&RULE, "detail_discriminator").arg("code", code).arg("service_kind", kind));
}
