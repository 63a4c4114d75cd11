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
        ja: "書式欄で形が決まっている項目を検査します: 日割対象日（「1」「0」の31文字）、サービスコード（英大文字・数字6文字）、第7表のサービスコード（小計 AAAA/EEEE/ZZZZ、全合計 999999 を含む）、TAISコード・福祉用具届出コード（数字5桁・ハイフン・数字6桁。仕様書の例のとおり全角ハイフンで書いた値は FLD023 の警告）。長さが違う場合は FLD005 が報告します。",
        en: "Checks items whose 書式 fixes a shape: 日割対象日 (31 characters of 1/0), サービスコード (6 upper-case letters or digits), 第7表 サービスコード (also kind+AAAA/EEEE/ZZZZ and 999999), TAIS and 福祉用具届出 codes (5 digits, a hyphen, 6 digits; the full-width hyphen the spec's example prints is FLD023's warning). Wrong lengths are FLD005's.",
    },
    why: {
        ja: "これらの値は受信側でコード表や日付と照合されます。書式が違うと照合できず、給付管理に使えません。",
        en: "Receivers match these values against code tables and calendar days; a wrong shape cannot be matched or used for benefit management.",
    },
    fix: {
        ja: "書式どおりに半角で出力してください（例: TAISコード 00001-000010、サービスコード 111111）。",
        en: "Write the value in ASCII exactly in its format (e.g. TAIS 00001-000010, service code 111111).",
    },
    example: "第6表 No.16 TAISコード = \"0000１-000010\" (a full-width digit)",
    cites: [
        "T6-11-a",
        "T6-11-b",
        "T6-16-b",
        "T6-17-b",
        "T7-10-b",
        "T7-11-b",
        "S2 第6表 No.15 / 第7表 No.9 サービスコード",
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

/// The hyphen of a TAIS or 届出 code as the spec's example prints it 「例:00001－000010」: FULLWIDTH HYPHEN-MINUS,
/// or MINUS SIGN where JIS-mapping software decodes the same Shift_JIS bytes (0x817C).
pub(crate) const PRINTED_HYPHENS: [char; 2] = ['\u{FF0D}', '\u{2212}'];

/// A TAIS or 届出 code as (5 digits, hyphen, 6 digits), the hyphen half-width or as the example prints it.
pub(crate) fn equipment_code_parts(value: &str) -> Option<(&str, char, &str)> {
    let mut chars = value.char_indices().skip(5);
    let (at, hyphen) = chars.next()?;
    let (head, tail) = (&value[..at], &value[at + hyphen.len_utf8()..]);
    let digits = |part: &str, n: usize| part.len() == n && part.bytes().all(|b| b.is_ascii_digit());
    (digits(head, 5) && digits(tail, 6) && (hyphen == '-' || PRINTED_HYPHENS.contains(&hyphen)))
        .then_some((head, hyphen, tail))
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
        Format::EquipmentCode => equipment_code_parts(value).is_some(),
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
