use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::field::checkable;
use crate::rules::field::fld019_invalid_format::{equipment_code_parts, PRINTED_HYPHENS};
use crate::rules::{rule, Aspect, Check};
use crate::spec::{Format, Item};

rule! {
    code: "FLD023",
    name: "equipment-code-printed-hyphen",
    severity: Warning,
    level: Field,
    title: { ja: "TAISコード等の全角ハイフン（仕様書の例の書き方）", en: "TAIS / 届出 code with the full-width hyphen of the spec's example" },
    message: {
        ja: "{item}「{value}」の区切りは全角ハイフン（{codepoint}）です。仕様書の例「例:00001－000010」のとおりですが、項目は英数字 12 桁で、受信側が半角「{ascii}」と照合できないことがあります。",
        en: "{item} '{value}' is written with a full-width hyphen ({codepoint}), as the spec's example 「例:00001－000010」 prints it; the item is 英数字 of length 12, and a receiver may fail to match it with '{ascii}'.",
    },
    what: {
        ja: "TAISコード・福祉用具届出コード（第6表 No.16・17、第7表 No.10・11）が、数字5桁＋全角ハイフン＋数字6桁で書かれていることを検査します。仕様書自身の例がこの書き方のため、エラーではなく警告です。",
        en: "Checks for TAIS and 福祉用具届出 codes (第6表 No.16–17, 第7表 No.10–11) written as 5 digits, a full-width hyphen and 6 digits. The spec's own example is written so; this is a warning, not an error.",
    },
    why: {
        ja: "仕様書は同じ項目について「英数字・項目長 12」と「例:00001－000010」（全角ハイフン）の二つを示しており、互いに食い違います。TAIS の管理コードは半角で流通しているため、受信側は半角ハイフンの値と照合することが多く、全角のままでは福祉用具の照合に失敗することがあります。受信側は全角・半角のハイフンを同じものとして扱うのが安全です。",
        en: "The spec gives this item both 英数字 of length 12 and the example 「例:00001－000010」 with a full-width hyphen, which contradict each other. TAIS codes circulate in ASCII, so receivers usually match them with an ASCII hyphen and a full-width one may fail to match; a receiver is safest treating both hyphens alike.",
    },
    fix: {
        ja: "半角ハイフン（-）で出力すると、どの受信側でも照合できます（例: 00001-000010）。",
        en: "Write the ASCII hyphen (-), which every receiver matches (e.g. 00001-000010).",
    },
    example: "第6表 No.16 TAISコード = \"00190－000045\"",
    cites: [
        "T6-16-b",
        "T6-17-b",
        "T7-10-b",
        "T7-11-b",
    ],
    assumptions: ["A-TAIS-HYPHEN"],
    check: Check::Field { aspect: Aspect::Representation, applies, check },
}

fn applies(item: &Item) -> bool {
    item.format == Some(Format::EquipmentCode)
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    let Some((head, hyphen, tail)) = checkable(ctx).and_then(equipment_code_parts) else {
        return;
    };
    if PRINTED_HYPHENS.contains(&hyphen) {
        out.push(
            ctx.finding(&RULE)
                .arg("codepoint", format!("U+{:04X}", hyphen as u32))
                .arg("ascii", format!("{head}-{tail}")),
        );
    }
}
