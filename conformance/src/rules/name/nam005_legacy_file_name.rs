use crate::filename::{base_name, NameError};
use crate::finding::Finding;
use crate::rules::ctx::FileCtx;
use crate::rules::{rule, Check};

rule! {
    code: "NAM005",
    name: "legacy-file-name",
    severity: Error,
    level: Name,
    title: { ja: "旧版（第3版以前）のファイル名", en: "File name of an older edition" },
    message: {
        ja: "ファイル名「{value}」は第3版以前の形式（サービス種類コードなし）です。",
        en: "File name '{value}' uses the pre-v4 pattern without service-kind codes.",
    },
    what: {
        ja: "ファイル名が、送信元・送信先のサービス種類コードのない旧形式「種別_年月_送信元10桁_送信先10桁_連番14桁」であることを検査します。",
        en: "Checks for the old pattern KIND_YYYYMM_<sender 10>_<recipient 10>_<serial 14>, without the service-kind codes.",
    },
    why: {
        ja: "第4版からファイル名にサービス種類コードが加わりました。旧形式のファイルは第4.1版の連携システムで送受信できません。",
        en: "v4 added the service-kind codes to the name; old names cannot travel through a v4.1 relay.",
    },
    fix: {
        ja: "送信元・送信先の事業所番号の後に、それぞれのサービス種類コード（例 43、11）を入れてください。",
        en: "Insert each party's service-kind code (e.g. 43, 11) after its office number.",
    },
    example: "UPPLAN_201912_0300000100_0300000005_20191025200201.CSV",
    cites: [
        "HOSOKU-name-a",
        "KIHON-name-a",
        "S1-hist-4.0-b",
        "S2-name-a",
        "S2-name-b",
        "S2-ver-g",
        "T1-name-a",
        "T1D-name-a",
        "T2-name-a",
        "T3-name-a",
        "T6-name-a",
        "T6-name-c",
        "T6D-name-a",
        "T6D-name-c",
        "T7-name-a",
        "YOBO-name-a",
        "YSUB-name-a",
    ],
    check: Check::Name { reads: &[], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    if let Some(Err(NameError::Legacy)) = ctx.name {
        out.push(Finding::new(&RULE.meta).value(base_name(ctx.path)));
    }
}
