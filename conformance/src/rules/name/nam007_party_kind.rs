use crate::filename::base_name;
use crate::finding::Finding;
use crate::i18n::Lang;
use crate::rules::ctx::FileCtx;
use crate::rules::{rule, Check};
use crate::spec::spec;

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
        ja: "ファイル名の送信元・送信先のサービス種類コードがコード表にあり、その種別のファイルを送る組み合わせとして標準仕様に書かれているかを検査します（spec/parties.toml）。居宅介護支援事業所等（43・小規模多機能 73・看護小規模多機能 77）→ サービス事業所、地域包括支援センター等（46・43・介護予防小規模多機能 75）→ 介護予防・総合事業サービス事業所、サービス事業所 → 居宅介護支援事業所等（実績）、委託を受けた居宅介護支援事業所 43 → 地域包括支援センター 46（予定・実績の共有）など。",
        en: "Checks that both service-kind codes exist and that the sender → recipient pair is one the spec describes for the file kind (spec/parties.toml): 居宅介護支援事業所等 (43, 小規模多機能 73, 看多機 77) → provider; 地域包括支援センター等 (46, 43, 75) → prevention provider; provider → care manager (actuals); an entrusted 43 → its 46 (plans and actuals forwarded), and so on.",
    },
    why: {
        ja: "受信側はサービス種類コードで、どの事業所・サービスのファイルかを判断します。仕様書の実績ファイル名の例は種類コードが入れ替わっていますが、本文の規則（送信元の種類が先）に従います。",
        en: "Receivers use these codes to tell whose file it is. The spec's own UPJSK example swaps them; its rule text (sender's kind first) is followed.",
    },
    fix: {
        ja: "「送信元事業所番号_送信元のサービス種類_送信先事業所番号_送信先のサービス種類」の順で、各事業所の指定サービス種類コードを出力してください。",
        en: "Write <sender office>_<sender's kind>_<recipient office>_<recipient's kind>, each the office's own service kind.",
    },
    example: "UPJSK_201912_0300000005_43_0300000100_11_20191025200201.CSV  ← provider writes 43 as its own kind",
    cites: [
        "S1-1.3-row-11",
        "S1-1.3-row-12",
        "S1-1.3-row-13",
        "S1-1.3-row-14",
        "S1-1.3-row-15",
        "S1-1.3-row-16",
        "S1-1.3-row-17",
        "S1-1.3-row-21",
        "S1-1.3-row-22",
        "S1-1.3-row-23",
        "S1-1.3-row-2A",
        "S1-1.3-row-31",
        "S1-1.3-row-71",
        "S1-1.3-row-76",
        "S1-1.3-row-72",
        "S1-1.3-row-78",
        "S1-1.3-row-73",
        "S1-1.3-row-68",
        "S1-1.3-row-77",
        "S1-1.3-row-79",
        "S1-1.3-row-33",
        "S1-1.3-row-27",
        "S1-1.3-row-36",
        "S1-1.3-row-28",
        "S1-1.3-row-32",
        "S1-1.3-row-38",
        "S1-1.3-row-41",
        "S1-1.3-row-42",
        "S1-1.3-row-51",
        "S1-1.3-row-52",
        "S1-1.3-row-53",
        "S1-1.3-row-54",
        "S1-1.3-row-59",
        "S1-1.3-row-81",
        "S1-1.4-row-62",
        "S1-1.4-row-63",
        "S1-1.4-row-64",
        "S1-1.4-row-66",
        "S1-1.4-row-67",
        "S1-1.4-row-24",
        "S1-1.4-row-25",
        "S1-1.4-row-26",
        "S1-1.4-row-2B",
        "S1-1.4-row-34",
        "S1-1.4-row-74",
        "S1-1.4-row-75",
        "S1-1.4-row-69",
        "S1-1.4-row-35",
        "S1-1.4-row-37",
        "S1-1.4-row-39",
        "S1-1.4-row-44",
        "S1-1.4-row-45",
        "S1-1.4-row-59",
        "S1-1.4-row-81",
        "S1-1.4-row-A1",
        "S1-1.4-row-A2",
        "S1-1.4-row-A3",
        "S1-1.4-row-A4",
        "S1-1.4-row-A5",
        "S1-1.4-row-A6",
        "S1-1.4-row-A7",
        "S1-1.4-row-A8",
        "S1-2.1-b",
        "S1-2.1-d",
        "S1-2.2-b",
        "S1-2.2-c",
        "S1-2.2-d",
        "S1-2.2-e",
        "S1-2.2-f",
        "S1-2.2-h",
        "S1-2.2-i",
        "S1-2.2-j",
        "S1-2.2-k",
        "S1-2.2-l",
        "S1-2.2-m",
        "S1-2.4-b",
        "S1-2.4-c",
        "S1-3.1-b",
        "S1-3.1-c",
        "S1-3.1-d",
        "S1-3.1-f",
        "S1-3.1-g",
        "S1-3.1-h",
        "S1-3.2-b",
        "S1-3.2-c",
        "S1-3.2-d",
        "S1-3.2-e",
        "S1-3.2-g",
        "S1-3.2-h",
        "S1-3.2-i",
        "S1-3.2-j",
        "S1-3.2-k",
        "S1-3.2-l",
        "S1-3.2-m",
        "S1-3.2-p",
        "S2-name-c",
        "S2-name-d",
        "T6-name-d",
        "T6D-name-d",
    ],
    assumptions: ["A-FILE-NAME", "A-JSK-EXAMPLE-KINDS"],
    check: Check::Name { reads: &[], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(name) = ctx.parsed_name() else {
        return;
    };
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
    let parties = &spec().parties;
    let (sender, recipient) = (name.sender.kind.as_str(), name.recipient.kind.as_str());
    if problems.is_empty() && parties.allowing(&name.kind, sender, recipient).is_none() {
        let described = |lang: Lang| -> Vec<String> {
            let role = |id: &str| parties.roles.get(id).map_or(id.to_string(), |r| r.name.get(lang).to_string());
            parties.pairs(&name.kind).map(|pair| format!("{} → {}", role(&pair.from), role(&pair.to))).collect()
        };
        let swapped = parties.allowing(&name.kind, recipient, sender).is_some();
        let hint = if swapped {
            ("送信元・送信先の種類が入れ替わっていないか確認してください。", " The two kinds look swapped.")
        } else {
            ("", "")
        };
        problems.push((
            format!(
                "{} を種類 {sender} から種類 {recipient} へ送る組み合わせは標準仕様にありません（{}）。{}",
                name.kind,
                described(Lang::Ja).join("、"),
                hint.0
            ),
            format!(
                "the spec describes no {} sent from kind {sender} to kind {recipient} (it describes: {}).{}",
                name.kind,
                described(Lang::En).join(", "),
                hint.1
            ),
        ));
    }
    for (ja, en) in problems {
        out.push(Finding::new(&RULE.meta).value(base_name(ctx.path)).arg2("problem", ja, en));
    }
}
