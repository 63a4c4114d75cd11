use crate::document::same_value;
use crate::finding::Finding;
use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};

rule! {
    code: "NAM003",
    name: "month-mismatch",
    severity: Error,
    level: Name,
    title: { ja: "ファイル名の年月とレコードの対象年月の不一致", en: "File-name month differs from the records" },
    message: {
        ja: "{item}「{value}」がファイル名の年月「{month}」と一致しません（{count} レコード）。",
        en: "{item} '{value}' differs from the month '{month}' in the file name ({count} records).",
    },
    what: {
        ja: "ファイル名の対象年月（提供年月）と、レコードの対象年月・削除対象年月が一致するかを検査します。利用者補足情報は 000000 同士も照合します。",
        en: "Checks that the month in the file name equals each record's 対象年月 / 削除対象年月 (for 利用者補足情報, 000000 as well).",
    },
    why: {
        ja: "受信側はファイル名の年月で提供票を振り分けます。レコードと違うと、別の月の提供票として取り込まれます。",
        en: "Receivers file tickets by the month in the name; records of another month would be filed under the wrong month.",
    },
    fix: {
        ja: "1ファイルに1か月分だけを入れ、その年月をファイル名に付けてください。",
        en: "Put one month per file and name the file with that month.",
    },
    example: "UPPLAN_202504_… containing 対象年月 202505",
    cites: [
        "HOSOKU-name-a",
        "HOSOKU-name-b",
        "HOSOKU-63-a",
        "S1-5.1.1.3-a",
        "S1-5.2.1.3-a",
        "S2-name-b",
        "T6-name-a",
        "T6-name-c",
        "T6D-name-a",
        "T6D-name-c",
        "T7-name-a",
    ],
    check: Check::Name { reads: &["target_month", "delete_target_month"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let (Some(name), Some(doc)) = (ctx.parsed_name(), ctx.doc) else {
        return;
    };
    let Some(month) = name.month.as_deref() else {
        return;
    };
    let id = ["target_month", "delete_target_month"].into_iter().find(|id| doc.kind.index_of(id).is_some());
    let Some(id) = id else { return };
    let column = doc.column(id);
    let mut mismatched = doc.rows().filter(|&row| !same_value(doc.at(row, column), month));
    if let Some(first) = mismatched.next() {
        let count = 1 + mismatched.count();
        out.push(finding_at(doc, first, &RULE, id).arg("month", month).arg("count", count.to_string()));
    }
}
