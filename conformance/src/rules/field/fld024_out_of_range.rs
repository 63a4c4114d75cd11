use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::field::checkable;
use crate::rules::{rule, Aspect, Check};
use crate::spec::Item;

rule! {
    code: "FLD024",
    name: "out-of-range",
    severity: Error,
    level: Field,
    title: { ja: "値が仕様の範囲外", en: "Value outside the stated range" },
    message: {
        ja: "{item}「{value}」は仕様の範囲（{low}～{high}）の外です。",
        en: "{item} '{value}' is outside the range the spec states ({low}–{high}).",
    },
    what: {
        ja: "仕様が範囲を書いている数字項目（仕様データの range: 第2表 課題ＮＯ・援助目標ＮＯ・援助内容ＮＯ「１～99」）の値がその範囲にあるかを検査します。数字でない値は FLD003 が報告します。",
        en: "Checks that a number item whose range the spec states (`range` in the kind data: 第2表 課題ＮＯ, 援助目標ＮＯ, 援助内容ＮＯ 「１～99」) lies in it. Values that are not digits are FLD003's.",
    },
    why: {
        ja: "番号は 1 から振ります。0 や 00 の番号は受信側で計画の行の階層（課題・目標・内容）に結び付けられません。",
        en: "The numbers start at 1; a 0 or 00 cannot be placed in the plan's hierarchy (課題, 目標, 内容) by the receiver.",
    },
    fix: {
        ja: "1 から 99 までの番号を出力してください。",
        en: "Write a number from 1 to 99.",
    },
    example: "第2表 No.6 課題ＮＯ = 0",
    cites: [
        "T2-06-a",
        "T2-08-a",
        "T2-13-a",
    ],
    check: Check::Field { aspect: Aspect::Format, applies, check },
}

fn applies(item: &Item) -> bool {
    item.range.is_some()
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    let (Some([low, high]), Some(value)) = (ctx.item.range, checkable(ctx)) else {
        return;
    };
    // Only digits are judged here: anything else is FLD003's.
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return;
    }
    let Ok(number) = value.parse::<u64>() else {
        return;
    };
    if number < low || number > high {
        out.push(ctx.finding(&RULE).arg("low", low.to_string()).arg("high", high.to_string()));
    }
}
