use crate::billing::service_kind_of;
use crate::filename::base_name;
use crate::finding::Finding;
use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};
use crate::spec::spec;

rule! {
    code: "NAM008",
    name: "sender-kind-mismatch",
    severity: Error,
    level: Name,
    title: { ja: "実績のサービス種類がファイル名の送信元と異なる", en: "Actuals of another service kind than the sender's" },
    message: {
        ja: "{item}「{value}」のサービス種類 {found} が、ファイル名「{file}」の送信元のサービス種類 {named} と異なります（このファイルで {count} 件）。",
        en: "{item} '{value}' is of service kind {found}, not the sender's kind {named} in the file name '{file}' ({count} records of this file).",
    },
    what: {
        ja: "サービス事業所が送る実績（UPJSK）と実績削除（DLTJSK）で、レコードのサービス種類（サービスコードの先頭2桁、実績削除は No.6 サービス種類コード）がファイル名の送信元のサービス種類コードと同じかを検査します。委託を受けた居宅介護支援事業所が地域包括支援センターへ予定を付けて共有する実績は、複数のサービス種類を含むので対象外です。",
        en: "Checks in actuals (UPJSK) and their deletes (DLTJSK) sent by a provider that each record's service kind (the first two characters of the サービスコード; No.6 for a delete) is the sender's kind in the file name. Actuals an entrusted 43 forwards to its 46 carry many kinds and are not checked.",
    },
    why: {
        ja: "実績は「サービス種類コード＋事業所番号毎にまとめ送信する」ものです。別のサービス種類の実績が混じると、受信側はファイル名の種類として取り込み、その種類の実績を訂正・削除したときに他の種類の実績まで置き換えてしまいます。",
        en: "Actuals are sent 「サービス種類コード＋事業所番号毎」; a record of another kind is imported under the file name's kind, and correcting or deleting that kind later replaces it too.",
    },
    fix: {
        ja: "サービス種類ごとに実績ファイルを分け、ファイル名の送信元のサービス種類コードをそのファイルのサービスの種類にしてください。",
        en: "Write one actuals file per service kind, named with that kind as the sender's.",
    },
    example: "UPJSK_202505_1370002058_11_1370001002_43_20250602090000.CSV with a record of サービスコード 131111 (訪問看護)",
    cites: [
        "S1-5.1.2.1-a",
        "S1-5.1.2.1-e",
        "S1-5.1.2.2-b",
        "S1-5.2.2.1-a",
        "S1-5.2.2.2-b",
        "S2 第6表（実績）・実績削除 ファイル作成単位「事業所番号・サービス種類が同じであれば、一つのファイルにまとめる」",
        "S2 実績削除 No.6 サービス種類コード",
    ],
    assumptions: ["A-ONE-KIND-PER-FILE", "A-FORWARD-WITH-PLAN"],
    check: Check::Name { reads: &["service_code", "service_kind"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let (Some(name), Some(doc)) = (ctx.parsed_name(), ctx.doc) else {
        return;
    };
    let (item, kind_of): (&str, fn(&str) -> &str) = match doc.kind.code.as_str() {
        "UPJSK" => ("service_code", service_kind_of),
        "DLTJSK" => ("service_kind", |value| value),
        _ => return,
    };
    let from_provider = spec()
        .parties
        .allowing(&doc.kind.code, &name.sender.kind, &name.recipient.kind)
        .is_some_and(|pair| pair.from == "provider");
    if doc.kind.code != name.kind || !from_provider {
        return;
    }
    let column = doc.column(item);
    let mismatched: Vec<usize> = doc
        .rows()
        .filter(|&row| {
            let value = doc.at(row, column);
            !value.is_empty() && kind_of(value) != name.sender.kind
        })
        .collect();
    if let Some(&first) = mismatched.first() {
        let found = kind_of(doc.at(first, column)).to_string();
        out.push(
            finding_at(doc, first, &RULE, item)
                .arg("found", found)
                .arg("named", name.sender.kind.clone())
                .arg("file", base_name(ctx.path))
                .arg("count", mismatched.len().to_string()),
        );
    }
}
