use crate::filename::base_name;
use crate::finding::Finding;
use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};
use crate::spec::spec;

rule! {
    code: "NAM009",
    name: "sender-office-mismatch",
    severity: Error,
    level: Name,
    title: { ja: "実績のサービス事業者コードがファイル名の送信元と異なる", en: "Actuals of another office than the sender's" },
    message: {
        ja: "{item}「{value}」が、ファイル名「{file}」の送信元の事業所番号 {named} と異なります（このファイルで {count} 件）。",
        en: "{item} '{value}' is not the sender's office number {named} in the file name '{file}' ({count} records of this file).",
    },
    what: {
        ja: "サービス事業所が送る実績（UPJSK の No.20）と実績削除（DLTJSK の No.5）で、レコードのサービス事業者コードがファイル名の送信元の事業所番号と同じかを検査します。委託を受けた居宅介護支援事業所が地域包括支援センターへ予定を付けて共有する実績（43→46）は、複数の事業所の実績を含むので対象外です。サービス種類の半分は NAM008 が検査します。",
        en: "Checks in actuals (UPJSK No.20) and their deletes (DLTJSK No.5) sent by a provider that each record's サービス事業者コード is the sender's office number in the file name. Actuals an entrusted 43 forwards to its 46 hold several offices' actuals and are not checked. The service-kind half is NAM008's.",
    },
    why: {
        ja: "介護サービス事業所からの送信ファイルには実績の事業者コードを記載し、実績は「サービス種類コード＋事業所番号毎にまとめ送信する」ものです。別の事業所の実績が混じると、受信側は送信元の実績として取り込み、その事業所の実績を訂正・削除したときに他の事業所の実績まで置き換えてしまいます。",
        en: "A provider's file carries its own actuals' office code, and actuals are sent 「サービス種類コード＋事業所番号毎」; a record of another office is imported as the sender's, and correcting or deleting the sender's actuals later replaces it too.",
    },
    fix: {
        ja: "事業所番号ごとに実績ファイルを分け、ファイル名の送信元をその事業所番号にしてください。",
        en: "Write one actuals file per office number, named with that office as the sender.",
    },
    example: "UPJSK_202505_1370002058_11_1370001002_43_20250602090000.CSV with a record of サービス事業者コード 1370002066",
    cites: [
        "S1-5.1.2.1-a",
        "S1-5.2.2.1-a",
        "T6-20-a",
        "T6D-05-a",
    ],
    check: Check::Name { reads: &["service_office_code"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let (Some(name), Some(doc)) = (ctx.parsed_name(), ctx.doc) else {
        return;
    };
    if !matches!(doc.kind.code.as_str(), "UPJSK" | "DLTJSK") || doc.kind.code != name.kind {
        return;
    }
    // Only a provider's own actuals: an entrusted 43 forwards several providers' actuals to its 46 (S1 §5.2.2.1).
    let from_provider = spec()
        .parties
        .allowing(&doc.kind.code, &name.sender.kind, &name.recipient.kind)
        .is_some_and(|pair| pair.from == "provider");
    if !from_provider {
        return;
    }
    let column = doc.column("service_office_code");
    let mismatched: Vec<usize> = doc
        .rows()
        .filter(|&row| {
            let value = doc.at(row, column);
            !value.is_empty() && value != name.sender.office
        })
        .collect();
    if let Some(&first) = mismatched.first() {
        out.push(
            finding_at(doc, first, &RULE, "service_office_code")
                .arg("named", name.sender.office.clone())
                .arg("file", base_name(ctx.path))
                .arg("count", mismatched.len().to_string()),
        );
    }
}
