use crate::finding::Finding;
use crate::rules::ctx::{KindChoice, LayoutCtx};
use crate::rules::{rule, Check};
use crate::spec::edition_for_month;

rule! {
    code: "CSV011",
    name: "superseded-edition-for-month",
    severity: Error,
    level: Syntax,
    title: {
        ja: "サービス提供年月に適用されない旧版の CSVバージョン",
        en: "An earlier edition's CSVバージョン for a month a later edition applies to",
    },
    message: {
        ja: "ファイル名の対象年月 {month} には{newer}（CSVバージョン {newer_value}、{newer_from} から適用）が適用されますが、このファイルは{edition}の CSVバージョン「{value}」で出力されています。",
        en: "The file name's month {month} falls under {newer} (CSVバージョン {newer_value}, from {newer_from}), but the file is written in {edition} (CSVバージョン '{value}').",
    },
    what: {
        ja: "最初のレコードの CSVバージョンが第3版以前で、ファイル名の対象年月（提供年月）がより新しい版の適用開始年月以降であるファイルを指摘します。対象年月を名前に持たない種別は判定しません（CSV012 の警告だけ）。",
        en: "Reports a file whose first record carries a CSVバージョン of an edition before v4 while the file name's month is on or after a later edition's first month. Kinds whose name carries no month are not judged (CSV012 warns only).",
    },
    why: {
        ja: "「CSVバージョンが変更された場合、新しいバージョンの適用年月となるサービス提供年月から適用する」: 2025年4月以降のサービス提供分は第4版のレイアウトで出力します。旧版のレイアウトのファイルは受信側で読めません。",
        en: "「CSVバージョンが変更された場合、新しいバージョンの適用年月となるサービス提供年月から適用する」: service months from 2025-04 are written in the v4 layouts; a receiver cannot read a file in an earlier layout.",
    },
    fix: {
        ja: "介護ソフトを第4.1版対応に更新し、CSVバージョン 202407 のレイアウトで出力してください。",
        en: "Update the care software to v4.1 and write the layout of CSVバージョン 202407.",
    },
    example: "DLTPLAN_202505_…CSV, first record 202208,139017,0241149189,202505 → 202505 falls under 第4.1版",
    cites: ["S2-01-b"],
    assumptions: ["A-CSV-VERSION"],
    check: Check::Layout(check),
}

fn check(ctx: &LayoutCtx<'_>, out: &mut Vec<Finding>) {
    let (KindChoice::OtherEdition(version), Some(month)) = (&ctx.kind, ctx.name_month) else { return };
    if let Some(newer) = edition_for_month(month).filter(|newer| newer.applies_from > version.applies_from) {
        out.push(
            Finding::new(&RULE.meta)
                .line(ctx.first_record_line)
                .column(1)
                .value(version.value.as_str())
                .arg("month", month)
                .arg("edition", version.edition.as_str())
                .arg("newer", newer.edition.as_str())
                .arg("newer_value", newer.value.as_str())
                .arg("newer_from", newer.applies_from.as_str()),
        );
    }
}
