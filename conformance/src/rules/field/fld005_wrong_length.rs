use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::field::checkable;
use crate::rules::{rule, Aspect, Check};
use crate::spec::Item;

rule! {
    code: "FLD005",
    name: "wrong-length",
    severity: Error,
    level: Field,
    title: { ja: "固定長項目の長さの誤り", en: "Fixed-length item has the wrong length" },
    message: {
        ja: "{item}「{value}」は {length} 文字です。この項目はちょうど {exact} 文字です。",
        en: "{item} '{value}' is {length} characters long; this item is exactly {exact}.",
    },
    what: {
        ja: "サービスコード（6文字）や日割対象日（31文字）など、長さが決まっている項目の長さを検査します。年月日・事業所番号などの長さはそれぞれの形式の規則で検査します。",
        en: "Checks the length of items whose length is fixed, such as サービスコード (6) and 日割対象日 (31). Dates, office numbers etc. are checked by their own format rules.",
    },
    why: {
        ja: "固定長の項目は受信側で位置やコード表と照合されます。長さが違うと照合できません。",
        en: "Fixed-length items are matched against code tables or by position on the receiving side; a wrong length cannot match.",
    },
    fix: {
        ja: "先頭の 0 の省略や余分な空白がないか確認し、決められた長さで出力してください。",
        en: "Check for dropped leading zeros or extra spaces and write the exact length.",
    },
    example: "第6表 No.11 日割対象日 = \"11111\" (31 expected)",
    cites: [
        "T6-11-a",
        "S2 every table: 項目長 of YYYYMM / YYYYMMDD / HHMM items and of 事業所番号 (10), 保険者番号 (6), 被保険者番号 (10)",
    ],
    assumptions: ["A-LENGTH"],
    check: Check::Field { aspect: Aspect::Length, applies, check },
}

fn applies(item: &Item) -> bool {
    item.exact_len().is_some() && !item.ty.is_fixed_width()
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    let (Some(exact), Some(value)) = (ctx.item.exact_len(), checkable(ctx)) else {
        return;
    };
    let length = value.chars().count();
    if length != exact {
        out.push(ctx.finding(&RULE).arg("length", length.to_string()).arg("exact", exact.to_string()));
    }
}
