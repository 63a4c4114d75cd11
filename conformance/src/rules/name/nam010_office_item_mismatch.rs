use crate::filename::base_name;
use crate::finding::Finding;
use crate::rules::ctx::{finding_at, FileCtx};
use crate::rules::{rule, Check};
use crate::spec::{spec, NamedOffice};

rule! {
    code: "NAM010",
    name: "office-item-mismatch",
    severity: Warning,
    level: Name,
    title: { ja: "事業者番号の項目がファイル名の事業所と違う", en: "An office-number item differs from the file name's office" },
    message: {
        ja: "{item}「{value}」が、ファイル名「{file}」の{party}の事業所番号 {named} と一致しません（{count} 件）。",
        en: "{item} '{value}' is not {named}, the office number of the file name's {party} ('{file}'; {count} record(s)).",
    },
    what: {
        ja: "書式が「居宅支援事業者番号」などと定められた項目（第1表 No.13 介護支援事業者コード・No.27、第2表 No.21、利用者補足情報 No.60・No.61、第6表 No.6 プラン担当業者コード・No.24 更新業者コード）が、ファイル名の送信元（更新業者コード）または居宅介護支援事業所側（プラン担当業者コード等）の事業所番号と一致するかを検査します。居宅介護支援事業所側と相手の両方が計画を作る側の送信（委託先と地域包括支援センターの間）は、どちらの番号か決められないため検査しません。",
        en: "Checks items whose 書式 names an office (「居宅支援事業者番号」…: 第1表 No.13 介護支援事業者コード and No.27, 第2表 No.21, 利用者補足情報 No.60 and No.61, 第6表 No.6 プラン担当業者コード and No.24 更新業者コード) against the file name: the sender's office (更新業者コード) or the care-manager side's (プラン担当業者コード and the like). Files between two planning offices (an entrusted office and its 地域包括支援センター) are not checked: which number is meant cannot be told.",
    },
    why: {
        ja: "受信側はこれらの番号で計画の作成事業所や更新した事業所を照合します。ファイル名の事業所と違う番号は、別の事業所のデータの混入や設定の誤りを示します。",
        en: "Receivers match plans to the office that made or updated them by these numbers; a number other than the file name's office points to another office's data or a wrong setting.",
    },
    fix: {
        ja: "送信元（または居宅介護支援事業所）の事業所番号を出力してください。",
        en: "Write the sender's (or the care-manager office's) office number.",
    },
    example: "UPPLAN_…_1370001002_43_1370002058_11_… with No.6 プラン担当業者コード = 1370009999",
    cites: [
        "HOSOKU-60-a",
        "HOSOKU-61-a",
        "T1-13-a",
        "T1-27-a",
        "T2-21-a",
        "T6-06-a",
        "T6-24-a",
    ],
    check: Check::Name { reads: READS, check },
}

/// The items the kind data marks `names_office`; a test holds this list to the data.
const READS: &[&str] = &["support_office_code", "updater_office_code", "consent_receiving_office", "plan_office_code"];

/// The role that provides services; every other role of spec/parties.toml writes plans (the care-manager side).
const PROVIDER: &str = "provider";

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let (Some(name), Some(doc)) = (ctx.parsed_name(), ctx.doc) else {
        return;
    };
    if doc.kind.code != name.kind {
        return;
    }
    let Some(pair) = spec().parties.allowing(&doc.kind.code, &name.sender.kind, &name.recipient.kind) else {
        return;
    };
    let (from_plans, to_plans) = (pair.from != PROVIDER, pair.to != PROVIDER);
    if from_plans == to_plans {
        return;
    }
    let care_manager = if from_plans { &name.sender.office } else { &name.recipient.office };
    for item in &doc.kind.items {
        let Some(named) = item.names_office else { continue };
        let (office, party) = match named {
            NamedOffice::Sender => (&name.sender.office, ("送信元", "sender")),
            NamedOffice::CareManager => (care_manager, ("居宅介護支援事業所", "care-manager office")),
        };
        let column = doc.column(&item.id);
        let mismatched: Vec<usize> = doc
            .rows()
            .filter(|&row| {
                let value = doc.at(row, column);
                !value.is_empty() && value != office
            })
            .collect();
        if let Some(&first) = mismatched.first() {
            out.push(
                finding_at(doc, first, &RULE, &item.id)
                    .arg("named", office.clone())
                    .arg2("party", party.0, party.1)
                    .arg("file", base_name(ctx.path))
                    .arg("count", mismatched.len().to_string()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `READS` lists exactly the items the kind data marks `names_office`, and `provider` is a role of the data.
    #[test]
    fn reads_are_the_items_that_name_an_office() {
        let mut marked: Vec<&str> = spec()
            .kinds
            .iter()
            .flat_map(|kind| &kind.items)
            .filter(|item| item.names_office.is_some())
            .map(|item| item.id.as_str())
            .collect();
        marked.sort_unstable();
        marked.dedup();
        let mut listed = READS.to_vec();
        listed.sort_unstable();
        assert_eq!(marked, listed);
        assert!(spec().parties.roles.contains_key(PROVIDER));
    }
}
