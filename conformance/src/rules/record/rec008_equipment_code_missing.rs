use crate::billing::{row_kind, service_kind_of, RowKind};
use crate::finding::Finding;
use crate::rules::ctx::RecordCtx;
use crate::rules::{rule, Check};
use crate::spec::spec;

rule! {
    code: "REC008",
    name: "equipment-code-missing",
    severity: Error,
    level: Record,
    title: { ja: "福祉用具貸与の TAISコード・届出コードがない", en: "Welfare equipment without TAIS or notification code" },
    message: {
        ja: "福祉用具貸与（サービスコード「{code}」）のレコードに TAISコードも福祉用具届出コードもありません。",
        en: "This welfare-equipment rental record (service code '{code}') has neither a TAIS code nor a notification code.",
    },
    what: {
        ja: "サービス種類 17（福祉用具貸与）・67（介護予防福祉用具貸与）の第6表・第7表の明細に、TAISコードか福祉用具届出コードのどちらかがあることを検査します。",
        en: "Checks that 第6表/第7表 detail rows of service kinds 17 and 67 (welfare equipment rental) carry a TAIS code or a notification code.",
    },
    why: {
        ja: "第4版から、貸与品目を特定するためにどちらかのコードが必須になりました。ないと受信側で品目と価格を照合できません。",
        en: "Since v4 one of the two codes is required to identify the rented product; without it the receiver cannot match product and price.",
    },
    fix: {
        ja: "TAISコード（例 00001-000010）を出力してください。TAISコードのない商品は福祉用具届出コードを出力します。",
        en: "Write the TAIS code (e.g. 00001-000010), or the notification code for products without one.",
    },
    example: "第6表 No.15 = 171111, No.16 = \"\", No.17 = \"\"",
    cites: [
        "T6-16-c",
        "T6-17-c",
        "T7-10-c",
        "T7-11-c",
    ],
    check: Check::Record { kinds: &["UPPLAN", "UPJSK", "UPSIKYU"], reads: &["service_code", "tais_code", "equipment_notification_code"], check },
}

fn check(ctx: &RecordCtx<'_>, out: &mut Vec<Finding>) {
    let code = ctx.get("service_code");
    let rental = spec().service_kind(service_kind_of(code)).is_some_and(|kind| kind.rental_equipment)
        && row_kind(code) == RowKind::Detail;
    if rental && ctx.get("tais_code").is_empty() && ctx.get("equipment_notification_code").is_empty() {
        out.push(ctx.finding(&RULE, "tais_code").arg("code", code));
    }
}
