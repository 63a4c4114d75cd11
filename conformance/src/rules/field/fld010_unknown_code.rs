use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::{rule, Aspect, Check};
use crate::spec::{spec, Item};

rule! {
    code: "FLD010",
    name: "unknown-code",
    severity: Error,
    level: Field,
    title: { ja: "コード表にない値", en: "Value not in the code table" },
    message: {
        ja: "{item}「{value}」は{table}のコードではありません。使えるコード: {codes}",
        en: "{item} '{value}' is not a {table} code. Allowed: {codes}",
    },
    what: {
        ja: "計画書区分・要介護状態区分・サービス種類コードなど、コード表の決まった項目の値がコード表にあるかを検査します。",
        en: "Checks that coded items (計画書区分, 要介護状態区分, サービス種類コード, …) hold a value from their code table.",
    },
    why: {
        ja: "受信側はコードを自社のコードに変換して取り込みます。表にないコードは変換できず、要介護度などが正しく伝わりません。",
        en: "Receivers map codes onto their own; an unknown code cannot be mapped and care levels and the like are lost.",
    },
    fix: {
        ja: "標準仕様のコード表の値で出力してください（桁数も表どおり。例: 要介護２ は「22」、「2」ではありません）。",
        en: "Write a value from the spec's code table with its exact digits (e.g. 要介護２ is '22', not '2').",
    },
    example: "第1表 No.21 要介護状態区分 = \"2\"",
    cites: [
        "T3-note-c",
        "S2 コード表 (1)–(5) and the 書式 column of every coded item",
        "S1 §1.3, §1.4 サービス種類 tables",
    ],
    check: Check::Field { aspect: Aspect::Codes, applies, check },
}

fn applies(item: &Item) -> bool {
    item.codes.is_some()
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    if ctx.value.is_empty() {
        return;
    }
    let Some(table) = ctx.item.codes.as_deref().and_then(|name| spec().codes(name)) else {
        return;
    };
    if table.get(ctx.value).is_none() {
        out.push(
            ctx.finding(&RULE)
                .arg2("table", format!("「{}」", table.name.ja), table.name.en.clone())
                .arg("codes", table.summary()),
        );
    }
}
