use crate::calendar::is_digits;
use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::field::{checkable, shape_finding};
use crate::rules::{rule, Aspect, Check};
use crate::spec::{Item, ItemType};

rule! {
    code: "FLD003",
    name: "not-numeric",
    severity: Error,
    level: Field,
    title: { ja: "数字項目に数字以外の文字", en: "Non-digit in a numeric item" },
    message: {
        ja: "{item}「{value}」は半角数字だけで入力してください。{hint}",
        en: "{item} '{value}' must be ASCII digits only.{hint}",
    },
    what: {
        ja: "回数・日数などの数字項目が半角数字（0〜9）だけでできているかを検査します。書式が「整数」の項目（第6表 No.8 単位数、第7表 No.13 単位数などの金額・単位数）は先頭に「-」を付けた負の数も受け付けます（減算のサービスコード）。カンマ・小数点・全角数字・「+」は使えません。",
        en: "Checks that numeric items (counts, days) consist of ASCII digits only. Items whose 書式 is 「整数」 (第6表 No.8 and 第7表 No.13 units and the 第7表 amounts) also take a leading '-' (減算 service codes carry negative units). Separators, decimal points, full-width digits and '+' are refused.",
    },
    why: {
        ja: "受信側は数値として取り込み、給付管理や限度額の計算に使います。数字以外が混じると取り込みエラーや計算誤りになります。",
        en: "Receivers import these as numbers for benefit management and limit calculations; anything else fails the import or the arithmetic.",
    },
    fix: {
        ja: "半角数字で出力してください（例: 「1,234」→「1234」、「１２」→「12」）。",
        en: "Write ASCII digits (e.g. '1,234' → '1234', '１２' → '12').",
    },
    example: "第6表 No.8 単位数 = \"1,234\"",
    cites: [
        "S2 every table: 項目長 and 書式 of numeric items",
        "S2 第6表 No.8 書式「整数」「月初日のみに減算の単位数を設定」",
        "S2 第7表 No.13–29 書式「整数」",
    ],
    check: Check::Field { aspect: Aspect::Type, applies, check },
}

fn applies(item: &Item) -> bool {
    matches!(item.ty, ItemType::Num | ItemType::Int)
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    if let Some(value) = checkable(ctx) {
        let digits = match ctx.item.ty {
            ItemType::Int => value.strip_prefix('-').unwrap_or(value),
            _ => value,
        };
        if !is_digits(digits) {
            out.push(shape_finding(&RULE, ctx));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::spec;

    fn findings(kind: &str, no: u16, value: &str) -> usize {
        let kind = spec().kind(kind).unwrap_or_else(|| panic!("{kind}"));
        let item = kind.item(no).unwrap_or_else(|| panic!("{no}"));
        let mut out = Vec::new();
        check(&FieldCtx::new(kind, item, value, false, 1), &mut out);
        out.len()
    }

    /// S2 第6表 No.8: 「整数」, 「月初日のみに減算の単位数を設定」 — a 減算 code carries a negative unit count.
    #[test]
    fn integer_items_take_a_minus_sign_and_counts_do_not() {
        assert_eq!(findings("UPPLAN", 8, "-30"), 0);
        assert_eq!(findings("UPSIKYU", 13, "-600"), 0);
        assert_eq!(findings("UPSIKYU", 17, "-600"), 0);
        assert_eq!(findings("UPPLAN", 8, "--30"), 1);
        assert_eq!(findings("UPPLAN", 8, "-"), 1);
        assert_eq!(findings("UPPLAN", 8, "+30"), 1);
        assert_eq!(findings("UPPLAN", 14, "-1"), 1);
        assert_eq!(findings("UPSIKYU", 16, "-20"), 1);
    }
}
