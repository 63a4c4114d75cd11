use crate::finding::Finding;
use crate::rules::ctx::{KindChoice, LayoutCtx};
use crate::rules::{rule, Check};
use crate::spec::current_csv_version;

rule! {
    code: "CSV012",
    name: "earlier-edition-not-checked",
    severity: Warning,
    level: Syntax,
    title: { ja: "旧版の CSVバージョン（内容は検査していない）", en: "CSVバージョン of an earlier edition (content not checked)" },
    message: {
        ja: "CSVバージョン「{value}」は{edition}のもので、レイアウトが第4.1版と違うため、このツールはこのファイルの内容を検査していません（{edition}は{until}より前のサービス提供分に適用されます）。",
        en: "CSVバージョン '{value}' belongs to {edition}, whose layouts differ from v4.1: this tool did not check the file's content ({edition} applies to service months before {until}).",
    },
    what: {
        ja: "最初のレコードの CSVバージョンが第3版以前（201910, 202003, 202208）で、レコードの項目数がファイル名の種別の第4.1版のレイアウトと違うか、ファイル名の対象年月がその版の適用期間にあるファイルを指摘します。そのファイルの項目は第4.1版のレイアウトで読まず、検査しません。",
        en: "Reports a file whose first record carries a CSVバージョン of an edition before v4 (201910, 202003, 202208) while its records do not have the v4.1 item count of the name's kind, or the file name's month falls in that edition's period. Its items are not read with the v4.1 layouts, and not checked.",
    },
    why: {
        ja: "第4版で第3表の追加、TAISコード等の追加、回数／日数の桁数変更などレイアウトが変わりました。「新しいバージョンの適用年月となるサービス提供年月から適用する」ので、2025年3月以前のサービス提供分を旧版で出力したファイルは正しいことがありますが、このツールは旧版のレイアウトを知らず、正しいとも誤りとも判定できません。第4.1版のレイアウトで読むと、ファイルにない項目について誤った指摘になります。",
        en: "v4 changed the layouts (第3表 added, TAIS codes added, 回数／日数 widened). A version applies 「from its service month」, so a file of an earlier edition for a service month before 2025-04 may be right; this tool does not know the earlier layouts and can call it neither right nor wrong. Read with the v4.1 layout it would be reported on items it does not have.",
    },
    fix: {
        ja: "2025年4月以降のサービス提供分なら、介護ソフトを第4.1版対応に更新し CSVバージョン 202407 で出力してください（ファイル名の対象年月が2025年4月以降なら CSV011 がエラーとして指摘します）。それより前の分なら、その版の仕様で確認してください。",
        en: "For service months from 2025-04, update the care software to v4.1 and write CSVバージョン 202407 (CSV011 reports it as an error when the file name's month is 2025-04 or later). For earlier months, check the file against the spec of its edition.",
    },
    example: "DLTPLAN_202503_…CSV: 202208,139017,0241149189,202503 (a delete of 2025-03 in the edition that month falls under)",
    cites: [
        "S2 every table No.1 CSVバージョン 「新しいバージョンの適用年月となるサービス提供年月から適用する」 (an earlier edition applies to the months before it; its layouts are not in this model)",
    ],
    assumptions: ["A-CSV-VERSION"],
    check: Check::Layout(check),
}

fn check(ctx: &LayoutCtx<'_>, out: &mut Vec<Finding>) {
    if let KindChoice::OtherEdition(version) = ctx.kind {
        out.push(
            Finding::new(&RULE.meta)
                .line(ctx.first_record_line)
                .column(1)
                .value(version.value.as_str())
                .arg("edition", version.edition.as_str())
                .arg("until", current_csv_version().applies_from.as_str())
                .arg("current", current_csv_version().value.as_str()),
        );
    }
}
