use crate::billing::{row_kind, RowKind};
use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::{rule, Aspect, Check};
use crate::spec::{spec, Format, Item};

rule! {
    code: "FLD026",
    name: "unknown-subtotal-code",
    severity: Warning,
    level: Field,
    title: { ja: "小計の形に似た未定義のサービスコード", en: "A service code shaped like a subtotal the spec does not define" },
    message: {
        ja: "{item}「{value}」は末尾4文字が英字ですが、小計のコード（種類＋{subtotals}）ではないので明細の行として読みます。",
        en: "{item} '{value}' ends in four letters but is no subtotal code (kind + {subtotals}); it is read as a detail row.",
    },
    what: {
        ja: "第7表 No.9 サービスコードで、末尾4文字が英大文字なのに仕様の小計コード（種類＋AAAA・EEEE・ZZZZ）でない値（例 17SSSS）を検査します。小計のつもりの行かどうかは値から推し量るしかないので警告です。",
        en: "Checks 第7表 No.9 サービスコード values whose last four characters are upper-case letters but are not one of the spec's subtotal codes (kind + AAAA, EEEE, ZZZZ), e.g. 17SSSS. Whether the row was meant as a subtotal can only be guessed from the value, so this is a warning.",
    },
    why: {
        ja: "仕様は種類別小計（区分支給対象・区分支給対象外・30日超過分）と全合計の行に決まったコードを記載させます。別のコードで書いた小計は明細として取り込まれ、給付管理の集計が二重になります。",
        en: "The spec fixes the codes of subtotal rows (inside and outside the limit, over 30 days) and the grand total; a subtotal under another code is imported as a detail row and counted twice.",
    },
    fix: {
        ja: "小計の行はサービス種類コードに AAAA（区分支給対象）・EEEE（区分支給対象外）・ZZZZ（30日超過分）を付けたコードで出力してください。",
        en: "Write subtotal rows as the service kind followed by AAAA (inside the limit), EEEE (outside it) or ZZZZ (over 30 days).",
    },
    example: "第7表 No.9 サービスコード = 17SSSS",
    cites: [
        "T7-09-b",
    ],
    check: Check::Field { aspect: Aspect::Format, applies, check },
}

fn applies(item: &Item) -> bool {
    item.format == Some(Format::ServiceCodeOrTotal)
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    let Some(suffix) = ctx.value.get(2..) else {
        return;
    };
    let letters = ctx.value.len() == 6 && suffix.bytes().all(|b| b.is_ascii_uppercase());
    if letters && row_kind(ctx.value) == RowKind::Detail {
        let rows = &spec().annex_rows;
        let subtotals = format!(
            "{} / {} / {}",
            rows.kind_subtotal_suffix, rows.outside_limit_subtotal_suffix, rows.over_30_days_subtotal_suffix
        );
        out.push(ctx.finding(&RULE).arg("subtotals", subtotals));
    }
}
