use crate::finding::Finding;
use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};

rule! {
    code: "FIL002",
    name: "multiple-service-months",
    severity: Error,
    level: File,
    title: { ja: "1ファイルに複数の対象年月", en: "Several service months in one file" },
    message: {
        ja: "{item}「{value}」が1行目の「{first}」と異なります。第6表・第7表・実績・削除のファイルは1か月分です。",
        en: "{item} '{value}' differs from '{first}' on the first record; ticket, annex, actuals and delete files hold one month.",
    },
    what: {
        ja: "第6表（予定・実績）、第7表、提供票の利用者補足情報、第6表削除・実績削除のファイルで、対象年月（削除対象年月）がすべて同じかを検査します。",
        en: "Checks that ticket, annex, actuals, ticket-bundle supplement and delete files hold a single 対象年月 / 削除対象年月.",
    },
    why: {
        ja: "標準仕様は「1ファイル1サービス提供月」と定めています。月末に翌月分と当月の変更分を送るときも、月ごとに別の送信単位にします。",
        en: "The spec says one service month per file; even the end-of-month send of next month's plan and this month's changes is two units.",
    },
    fix: {
        ja: "対象年月ごとにファイル（送信単位）を分けてください。",
        en: "Split the data into one file (send unit) per month.",
    },
    example: "UPPLAN with rows for 202504 and 202505",
    cites: [
        "S1-5.1.1.3-a",
        "S1-5.1.1.3-b",
        "S1-5.2.1.3-a",
        "S1-5.2.1.3-b",
        "S2-unit-b",
    ],
    check: Check::File { kinds: &["UPPLAN", "UPJSK", "UPSIKYU", "UPHOSOKU", "DLTPLAN", "DLTJSK"], reads: &["target_month", "delete_target_month"], check },
}

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(doc) = ctx.doc else { return };
    let Some(id) = doc.kind.service_month.as_deref() else { return };
    let column = doc.column(id);
    // Plan-bundle supplements carry the item's placeholder (000000) and are not about a month.
    let placeholders = column.and_then(|column| doc.kind.items.get(column)).map_or(&[][..], |item| &item.allow[..]);
    let mut rows = doc.rows().filter(|&row| !placeholders.iter().any(|allowed| allowed == doc.at(row, column)));
    let Some(first_row) = rows.next() else { return };
    let first = doc.at(first_row, column);
    if let Some(row) = rows.find(|&row| doc.at(row, column) != first) {
        out.push(finding_at(doc, row, &RULE, id).arg("first", first));
    }
}

#[cfg(test)]
mod tests {
    use crate::spec::spec;

    /// The rule runs on exactly the kinds whose spec data names their service-month item.
    #[test]
    fn runs_on_the_kinds_with_a_service_month() {
        let crate::rules::Check::File { kinds, .. } = super::RULE.check else { panic!("a file rule") };
        let mut listed = kinds.to_vec();
        listed.sort_unstable();
        let mut with_month: Vec<&str> =
            spec().kinds.iter().filter(|kind| kind.service_month.is_some()).map(|kind| kind.code.as_str()).collect();
        with_month.sort_unstable();
        assert_eq!(listed, with_month);
    }
}
