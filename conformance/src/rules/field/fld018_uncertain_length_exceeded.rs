use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::{rule, Aspect, Check};
use crate::spec::Item;

rule! {
    code: "FLD018",
    name: "uncertain-length-exceeded",
    severity: Warning,
    level: Field,
    title: { ja: "項目長（読み取りが不確かなもの）の超過", en: "Value exceeds an uncertain item length" },
    message: {
        ja: "{item}「{value}」は {length} 文字です。この項目の項目長は {max} 文字と読めますが、原資料の読み取りが不確かなため警告とします。",
        en: "{item} '{value}' is {length} characters long; the item length reads as {max}, but the source is unclear, so this is a warning.",
    },
    what: {
        ja: "原資料で項目長が判読しにくい項目（第6表 No.19 明細判別コード、第7表 No.17 サービス単位金額）の長さを検査します。",
        en: "Checks the length of items whose 項目長 is hard to read in the source (第6表 No.19, 第7表 No.17).",
    },
    why: {
        ja: "受信側の桁数は公表されている項目長に合わせて作られていることが多いため、超える値は切り捨てられるおそれがあります。",
        en: "Receivers size their columns from the published lengths, so longer values may be cut.",
    },
    fix: {
        ja: "値が正しいか確認してください。正しい場合は受信先に桁数を確認してください。",
        en: "Check the value; if it is right, confirm the column size with the receiver.",
    },
    example: "第7表 No.17 サービス単位金額 = \"123456\" (read as length 5)",
    cites: [
        "S2 第6表 No.19 明細判別コード, 第7表 No.17 サービス単位金額 (項目長 cells illegible in the extraction)",
    ],
    assumptions: ["A-LEN-6-19", "A-LEN-7-17"],
    check: Check::Field { aspect: Aspect::Length, applies, check },
}

fn applies(item: &Item) -> bool {
    item.max_len().is_some() && !item.len_certain
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    let Some(max) = ctx.item.max_len() else {
        return;
    };
    let length = ctx.value.chars().count();
    if length > max {
        out.push(ctx.finding(&RULE).arg("length", length.to_string()).arg("max", max.to_string()));
    }
}
