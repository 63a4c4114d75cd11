use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::{rule, Aspect, Check};
use crate::spec::{Item, Required};

rule! {
    code: "FLD001",
    name: "required-missing",
    severity: Error,
    level: Field,
    title: { ja: "必須項目が空欄", en: "Required item is empty" },
    message: {
        ja: "{item} は必須項目ですが空欄です。",
        en: "{item} is required but empty.",
    },
    what: {
        ja: "標準仕様で必須（○）とされている項目に値があるかを検査します。空白だけの値も空欄とみなします。",
        en: "Checks that items marked required (○) in the spec have a value; a value of only spaces counts as empty.",
    },
    why: {
        ja: "必須項目は、受信側が利用者や計画を特定するためのキー（保険者番号・被保険者番号・作成日など）や帳票の必須欄です。空欄だと取り込めません。",
        en: "Required items are the keys a receiver uses to find the user and plan (保険者番号, 被保険者番号, dates) or mandatory form fields; without them the record cannot be imported.",
    },
    fix: {
        ja: "介護ソフトの該当欄が入力されているか確認し、値を出力してください。",
        en: "Make sure the field is filled in the care software and write its value.",
    },
    example: "202407,,0000012345,…  ← 保険者番号 (No.2) empty",
    cites: [
        "KIHON-06-a",
        "S1-2.3-h",
        "S1-3.3-k",
        "S2-del-b",
        "T6-10-a",
        "YOBO-06-a",
        "S2 every table: 必須 column ○",
    ],
    check: Check::Field { aspect: Aspect::Required, applies, check },
}

fn applies(item: &Item) -> bool {
    item.required == Required::Yes
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    if ctx.value.trim().is_empty() {
        out.push(ctx.finding(&RULE));
    }
}
