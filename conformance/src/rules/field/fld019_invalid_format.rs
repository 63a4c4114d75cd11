use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::field::{checkable, width_hint};
use crate::rules::{rule, Aspect, Check};
use crate::spec::{Format, Item};

rule! {
    code: "FLD019",
    name: "invalid-format",
    severity: Error,
    level: Field,
    title: { ja: "書式の誤り", en: "Value does not match the item's format" },
    message: {
        ja: "{item}「{value}」は書式（{format}）に合いません。{hint}",
        en: "{item} '{value}' does not match its format ({format}).{hint}",
    },
    what: {
        ja: "書式欄で形が決まっている項目を検査します: 日割対象日（「1」「0」の31文字）、サービスコード（英大文字・数字6文字）、第7表のサービスコード（小計 AAAA/EEEE/ZZZZ、全合計 999999 を含む）、TAISコード・福祉用具届出コード（5桁-6桁）。長さが違う場合は FLD005 が報告します。",
        en: "Checks items whose 書式 fixes a shape: 日割対象日 (31 characters of 1/0), サービスコード (6 upper-case letters or digits), 第7表 サービスコード (also kind+AAAA/EEEE/ZZZZ and 999999), TAIS and 福祉用具届出 codes (5 digits, hyphen, 6 digits). Wrong lengths are FLD005's.",
    },
    why: {
        ja: "これらの値は受信側でコード表や日付と照合されます。書式が違うと照合できず、給付管理に使えません。",
        en: "Receivers match these values against code tables and calendar days; a wrong shape cannot be matched or used for benefit management.",
    },
    fix: {
        ja: "書式どおりに半角で出力してください（例: TAISコード 00001-000010、サービスコード 111111）。",
        en: "Write the value in ASCII exactly in its format (e.g. TAIS 00001-000010, service code 111111).",
    },
    example: "第6表 No.16 TAISコード = \"00001－000010\" (full-width hyphen)",
    cites: [
        "S2 第6表 No.11 日割対象日 「31桁で日割請求可能日については\"1\"を設定」",
        "S2 第6表 No.15 / 第7表 No.9 サービスコード",
        "S2 第6表 No.16–17 / 第7表 No.10–11 「例:00001－000010」",
    ],
    assumptions: ["A-TAIS-HYPHEN"],
    check: Check::Field { aspect: Aspect::Format, applies, check },
}

fn applies(item: &Item) -> bool {
    matches!(
        item.format,
        Some(Format::DayFlags | Format::ServiceCode | Format::ServiceCodeOrTotal | Format::EquipmentCode)
    )
}

/// Upper-case ASCII letters and digits.
fn is_code_chars(value: &str) -> bool {
    value.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

pub(crate) fn matches(format: Format, value: &str) -> bool {
    let bytes = value.as_bytes();
    match format {
        Format::DayFlags => bytes.iter().all(|b| matches!(b, b'0' | b'1')),
        Format::ServiceCode | Format::ServiceCodeOrTotal => is_code_chars(value),
        Format::EquipmentCode => {
            bytes.len() == 12 && bytes[5] == b'-' && bytes[..5].iter().chain(&bytes[6..]).all(u8::is_ascii_digit)
        }
        Format::UnitPrice => true,
    }
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    let (Some(format), Some(value)) = (ctx.item.format, checkable(ctx)) else {
        return;
    };
    // A wrong length is FLD005's finding; the shape is only judged at the right length.
    if ctx.item.exact_len().is_some_and(|exact| value.chars().count() != exact) {
        return;
    }
    if !matches(format, value) {
        let (hint_ja, hint_en) = width_hint(value);
        out.push(
            ctx.finding(&RULE)
                .arg2("format", format.describe(crate::i18n::Lang::Ja), format.describe(crate::i18n::Lang::En))
                .arg2("hint", hint_ja, hint_en),
        );
    }
}
