use crate::finding::Finding;
use crate::rules::ctx::RecordCtx;
use crate::rules::{rule, Check};

rule! {
    code: "REC019",
    name: "equipment-code-both",
    severity: Warning,
    level: Record,
    title: { ja: "TAISコードと福祉用具届出コードの両方", en: "Both a TAIS code and a 福祉用具届出コード" },
    message: {
        ja: "TAISコード「{tais}」と福祉用具届出コード「{value}」の両方があります。届出コードは TAIS コードを取得していない商品のコードです。",
        en: "The row has both TAIS code '{tais}' and 福祉用具届出コード '{value}'; the notification code is for products without a TAIS code.",
    },
    what: {
        ja: "第6表（予定・実績）と第7表で、同じ行に TAISコードと福祉用具届出コードの両方が入っていないかを検査します。「どちらかを入力」が両方を禁じるかに疑いが残るため警告です。",
        en: "Checks in 第6表 (planned and actual) and 第7表 that a row does not carry both a TAIS code and a 福祉用具届出コード. Whether 「どちらかを入力」 forbids both is not certain, so this is a warning.",
    },
    why: {
        ja: "仕様は福祉用具届出コードを「TAISコードを取得していない商品のコード」と定めています。両方あると、受信側はどちらの商品コードで照合すべきか決められません。",
        en: "The spec defines the 福祉用具届出コード as 「TAISコードを取得していない商品のコード」. With both, a receiver cannot tell which code identifies the product.",
    },
    fix: {
        ja: "TAIS コードのある商品は TAISコードだけを、ない商品は福祉用具届出コードだけを出力してください。",
        en: "Write only the TAIS code for a product that has one, and only the notification code for a product that has none.",
    },
    example: "第6表 No.16 TAISコード = 00170-000123, No.17 福祉用具届出コード = 00170-000123",
    cites: [
        "T6-17-a",
        "T7-11-a",
    ],
    check: Check::Record { kinds: &["UPPLAN", "UPJSK", "UPSIKYU"], reads: &["tais_code", "equipment_notification_code"], check },
}

fn check(ctx: &RecordCtx<'_>, out: &mut Vec<Finding>) {
    let tais = ctx.get("tais_code");
    if !tais.is_empty() && !ctx.get("equipment_notification_code").is_empty() {
        out.push(ctx.finding(&RULE, "equipment_notification_code").arg("tais", tais));
    }
}
