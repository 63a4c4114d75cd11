use crate::finding::Finding;
use crate::rules::ctx::SetCtx;
use crate::rules::set::matching_unit;
use crate::rules::{rule, Check};
use crate::spec::{spec, SupplementMonth};

rule! {
    code: "SET007",
    name: "unit-month-mismatch",
    severity: Error,
    level: Set,
    title: { ja: "送信単位の中でファイル名の年月が合わない", en: "File-name months disagree within a send unit" },
    message: {
        ja: "ファイル名の年月「{month}」は、この送信単位では「{expected}」のはずです。",
        en: "The file-name month '{month}' should be '{expected}' in this send unit.",
    },
    what: {
        ja: "計画書の送信単位では利用者補足情報のファイル名の年月が 000000、提供票の送信単位では第6表・第7表・利用者補足情報のファイル名の年月がすべて同じであることを検査します。",
        en: "Checks that in a plan unit the supplement's file-name month is 000000, and in a ticket unit the months of 第6表, 第7表 and the supplement are equal.",
    },
    why: {
        ja: "受信側は補足情報のファイル名の年月で、計画書と提供票のどちらに属するかを判断します。",
        en: "Receivers decide from the supplement's month whether it belongs to a plan or a ticket.",
    },
    fix: {
        ja: "計画書と送る補足情報は 000000、提供票と送る補足情報は提供年月をファイル名に付けてください。",
        en: "Name a plan's supplement with 000000 and a ticket's supplement with the service month.",
    },
    example: "UPPLAN_202504_… with UPHOSOKU_202505_… under the same ファイル連番",
    cites: [
        "HOSOKU-name-b",
        "HOSOKU-name-c",
        "HOSOKU-name-d",
        "HOSOKU-63-a",
        "S1-2.4-d",
        "S1 §2.3 図表 2.3.1 (対象年月 joins 第6表, 第7表 and 補足)",
    ],
    check: Check::Set { reads: &[], unit_keys: false, check },
}

fn check(ctx: &SetCtx<'_>, out: &mut Vec<Finding>) {
    let Some(unit) = matching_unit(ctx) else {
        return;
    };
    let expected: Option<String> = match unit.supplement_month {
        Some(SupplementMonth::Zero) => Some(spec().unit_months.plan.clone()),
        Some(SupplementMonth::Service) => ctx
            .files
            .iter()
            .filter_map(|file| file.parsed_name())
            .find(|name| name.kind == spec().unit_months.service)
            .and_then(|name| name.month.clone()),
        None => None,
    };
    let Some(expected) = expected else { return };
    for file in &ctx.files {
        let Some(month) = file.parsed_name().and_then(|name| name.month.as_deref()) else {
            continue;
        };
        if month != expected {
            out.push(Finding::new(&RULE.meta).file(file.path).arg("month", month).arg("expected", expected.clone()));
        }
    }
}
