use crate::filename::base_name;
use crate::finding::Finding;
use crate::rules::{rule, Check};
use crate::spec::{spec, Direction};
use crate::validate::context::FileCtx;

rule! {
    code: "NAM007",
    name: "party-kind",
    severity: Error,
    level: Name,
    title: { ja: "ファイル名のサービス種類コードの誤り", en: "Wrong service-kind code in the file name" },
    message: {
        ja: "ファイル名「{value}」: {problem}",
        en: "File name '{value}': {problem}",
    },
    what: {
        ja: "ファイル名の送信元・送信先のサービス種類コードがコード表にあり、向きに合っていること（居宅介護支援側は 43 / 46、サービス事業所側は連携対象のサービス種類）を検査します。実績（UPJSK/DLTJSK）では送信元がサービス事業所です。",
        en: "Checks that both service-kind codes exist and fit the direction: the care-manager side is 43/46, the provider side a covered kind. For actuals (UPJSK/DLTJSK) the sender is the provider.",
    },
    why: {
        ja: "受信側はサービス種類コードで、どの事業所・サービスのファイルかを判断します。仕様書の実績ファイル名の例は種類コードが入れ替わっていますが、本文の規則（送信元の種類が先）に従います。",
        en: "Receivers use these codes to tell whose file it is. The spec's own UPJSK example swaps them; its rule text (sender's kind first) is followed.",
    },
    fix: {
        ja: "「送信元事業所番号_送信元のサービス種類_送信先事業所番号_送信先のサービス種類」の順で出力してください。",
        en: "Write <sender office>_<sender's kind>_<recipient office>_<recipient's kind>.",
    },
    example: "UPJSK_201912_0300000005_43_0300000100_11_20191025200201.CSV  ← provider writes 43 as its own kind",
    assumptions: ["A-FILE-NAME"],
    check: Check::Name { reads: &[], check },
}

const CARE_MANAGER_KINDS: &[&str] = &["43", "46"];

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(name) = ctx.parsed_name() else {
        return;
    };
    let Some(kind) = name.kind() else { return };
    let mut problems: Vec<(String, String)> = Vec::new();
    for (party, role_ja, role_en) in [(&name.sender, "送信元", "sender"), (&name.recipient, "送信先", "recipient")]
    {
        if spec().service_kind(&party.kind).is_none() {
            problems.push((
                format!("{role_ja}のサービス種類コード「{}」はコード表にありません。", party.kind),
                format!("the {role_en}'s service kind '{}' is not a code.", party.kind),
            ));
        }
    }
    let (manager, provider, manager_ja, manager_en) = match kind.direction {
        Direction::ProviderToCareManager => (&name.recipient, &name.sender, "送信先", "recipient"),
        Direction::CareManagerToProvider | Direction::CenterToProvider => {
            (&name.sender, &name.recipient, "送信元", "sender")
        }
    };
    if problems.is_empty() && !CARE_MANAGER_KINDS.contains(&manager.kind.as_str()) {
        problems.push((
            format!(
                "{} は居宅介護支援事業所等からのファイルなので、{manager_ja}の種類は 43 または 46 です（「{}」）。",
                kind.code, manager.kind
            ),
            format!(
                "{} involves the care-manager office, so the {manager_en}'s kind is 43 or 46 (not '{}').",
                kind.code, manager.kind
            ),
        ));
    }
    if problems.is_empty() && CARE_MANAGER_KINDS.contains(&provider.kind.as_str()) {
        problems.push((
            "サービス事業所側の種類が 43/46 になっています。送信元・送信先の種類が入れ替わっていないか確認してください。".into(),
            "the provider's kind is 43/46; the two kinds look swapped.".into(),
        ));
    }
    for (ja, en) in problems {
        out.push(Finding::new(&RULE.meta).value(base_name(ctx.path)).arg2("problem", ja, en));
    }
}
