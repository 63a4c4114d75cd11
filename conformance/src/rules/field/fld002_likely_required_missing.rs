use crate::finding::Finding;
use crate::rules::ctx::FieldCtx;
use crate::rules::{rule, Aspect, Check};
use crate::spec::{Item, Required};

rule! {
    code: "FLD002",
    name: "likely-required-missing",
    severity: Warning,
    level: Field,
    title: { ja: "必須と思われる項目が空欄", en: "Probably required item is empty" },
    message: {
        ja: "{item} は必須と読める項目ですが空欄です。",
        en: "{item} is most likely required but empty.",
    },
    what: {
        ja: "原資料の必須の印の位置があいまいで、必須と読むのが最も自然な項目（(○)）に値があるかを検査します。",
        en: "Checks items whose 必須 mark is the most likely reading of an ambiguous source ((○)) for a value.",
    },
    why: {
        ja: "利用者氏名・性別・生年月日やプラン担当者など、帳票に必要で受信側が必須として扱うことの多い項目です。",
        en: "These are fields such as the user's name, sex, birth date or the responsible care manager, which forms need and many receivers treat as required.",
    },
    fix: {
        ja: "値を出力してください。値がない運用の場合は受信先に確認してください。",
        en: "Write the value; if your workflow has none, agree that with the receiver.",
    },
    example: "…,0000012345,00000000,\"\",\"山田 太郎\",…  ← 利用者氏名フリガナ (補足 No.5) empty",
    cites: [
        "S2 every table: 必須 column (○ marks whose row is illegible in the extraction)",
    ],
    assumptions: ["A-REQ-LIKELY", "A-YOBO-MARKS"],
    check: Check::Field { aspect: Aspect::Required, applies, check },
}

fn applies(item: &Item) -> bool {
    item.required == Required::Likely
}

fn check(ctx: &FieldCtx<'_>, out: &mut Vec<Finding>) {
    if ctx.value.trim().is_empty() {
        out.push(ctx.finding(&RULE));
    }
}
