use crate::calendar::parse_month;
use crate::finding::Finding;
use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};
use crate::spec::csv_version;

rule! {
    code: "FIL012",
    name: "version-not-yet-applicable",
    severity: Error,
    level: File,
    title: { ja: "CSVバージョンの適用開始年月より前のサービス提供年月", en: "CSVバージョン used before its first service month" },
    message: {
        ja: "{item}「{value}」（{edition}）は、サービス提供年月 {from} から適用されます。このレコードの{month_item}は {month} です（{count} 件）。",
        en: "{item} '{value}' ({edition}) applies from service month {from}; this record's {month_item} is {month} ({count} records).",
    },
    what: {
        ja: "対象年月（削除ファイルは削除対象年月）のあるファイルで、CSVバージョンの適用開始年月（CSVバージョン履歴）がそのサービス提供年月より後でないかを検査します。計画書（第1〜3表）など年月のないファイルと、000000 の利用者補足情報は検査しません。",
        en: "Checks, in files with a service month (対象年月, or 削除対象年月 for deletes), that the CSVバージョン's 適用開始年月 (the version history) is not after that month. Plans (tables 1-3) and other kinds without a month, and 補足 with 000000, are not checked.",
    },
    why: {
        ja: "仕様は「新しいバージョンの適用年月となるサービス提供年月から適用する」と定めています。それより前の月の提供票・実績は前の版の様式で作られ、受信側は前の版として取り込みます。",
        en: "The spec applies a new version 「from the service month of its 適用年月」; tickets and actuals of earlier months are written and imported in the earlier edition's layout.",
    },
    fix: {
        ja: "そのサービス提供年月に適用される版で出力するか、対象年月を確認してください。",
        en: "Export in the edition that applies to that service month, or check the month.",
    },
    example: "UPPLAN 対象年月 202503 with CSVバージョン 202407 (applies from 202504)",
    cites: [
        "S2-01-b",
        "S2-ver-d",
        "S2-ver-m",
        "S2-ver-p",
    ],
    check: Check::File { kinds: &["UPPLAN", "UPJSK", "UPSIKYU", "UPHOSOKU", "DLTPLAN", "DLTJSK"], reads: &["csv_version", "target_month", "delete_target_month"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    let Some(month_id) = doc.kind.service_month.as_deref() else { return };
    let (version_column, month_column) = (doc.column("csv_version"), doc.column(month_id));
    let too_early = |row: usize| {
        let month = doc.at(row, month_column);
        let version = csv_version(doc.at(row, version_column))?;
        (parse_month(month).is_some() && month < version.applies_from.as_str()).then_some(version)
    };
    let offending: Vec<usize> = doc.rows().filter(|&row| too_early(row).is_some()).collect();
    let Some((&first, version)) = offending.first().and_then(|row| Some((row, too_early(*row)?))) else {
        return;
    };
    let month_item = doc.kind.index_of(month_id).and_then(|i| doc.kind.items.get(i)).map(|item| item.name.as_str());
    out.push(
        finding_at(doc, first, &RULE, "csv_version")
            .arg("edition", version.edition.as_str())
            .arg("from", version.applies_from.as_str())
            .arg("month_item", month_item.unwrap_or(month_id))
            .arg("month", doc.at(first, month_column))
            .arg("count", offending.len().to_string()),
    );
}
