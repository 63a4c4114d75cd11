use crate::billing::detail_rows;
use crate::fasthash::FxHashSet;
use crate::finding::Finding;
use crate::rules::ctx::{finding_at, SetCtx, UnitFile};
use crate::rules::{rule, Check};
use crate::spec::spec;

rule! {
    code: "SET011",
    name: "user-unrelated-to-recipient",
    severity: Warning,
    level: Set,
    title: { ja: "送信先の事業所のサービスがない利用者", en: "A user with no service of the recipient office" },
    message: {
        ja: "被保険者番号 {insured} の利用者の第6表に、送信先の事業所 {office} をサービス事業者コードとする行がありません。送信先事業所に関係ない利用者は送信しない想定です。",
        en: "The 第6表 of the user with 被保険者番号 {insured} has no row naming the recipient office {office} as サービス事業者コード; users unrelated to the recipient are assumed not to be sent.",
    },
    what: {
        ja: "居宅介護支援事業所等からサービス事業所へ送るサービス利用票の送信単位（第6表・第7表・利用者補足情報）で、利用者ごとに、第6表のどれかの行のサービス事業者コード（No.20）がファイル名の送信先の事業所番号かを検査し、そうでない利用者の第6表・第7表・利用者補足情報の最初の行を指摘します。委託を受けた居宅介護支援事業所と地域包括支援センターの間の送信は、送信先がサービス事業所でないので検査しません。仕様の文は「想定とする」なので警告です。",
        en: "Checks, in a service-ticket unit (第6表, 第7表, 利用者補足情報) sent from a care-manager office to a service provider, that each user has some 第6表 row whose サービス事業者コード (No.20) is the recipient office of the file name, and reports the first row of any other user in 第6表, 第7表 and 利用者補足情報. Sends between an entrusted care-manager office and its 地域包括支援センター are not checked: their recipient is no provider. The spec says 「想定とする」, so this is a warning.",
    },
    why: {
        ja: "仕様は「各ファイルに含める利用者は任意とする。但し、送信先事業所に関係ない利用者は送信しない制御が行われる想定とする。」とし、例で事業所Ｙには利用者Ａの情報のみを送るとしています。関係ない利用者を送ると、その利用者の個人情報が必要のない事業所に渡ります。",
        en: "The spec says 「各ファイルに含める利用者は任意とする。但し、送信先事業所に関係ない利用者は送信しない制御が行われる想定とする。」, and its example sends office Y only user A. Sending an unrelated user hands that user's personal data to an office that has no need of it.",
    },
    fix: {
        ja: "送信先の事業所のサービスを利用する利用者だけを、その事業所へのファイルに含めてください。",
        en: "Include in the files to an office only the users who use that office's services.",
    },
    example: "UPPLAN_…_1370002058_11_… holding a user whose rows all name office 1370003183 (通所介護)",
    cites: [
        "S1-2.6-f",
        "S1-2.6-i",
        "S1-2.6-j",
        "S1-3.6-f",
        "S1-3.6-i",
        "S1-3.6-j",
    ],
    check: Check::Set {
        reads: &[
            ("UPPLAN", "insured_number"),
            ("UPPLAN", "service_office_code"),
            ("UPSIKYU", "insured_number"),
            ("UPSIKYU", "service_code"),
            ("UPHOSOKU", "insured_number"),
        ],
        unit_keys: false,
        check,
    },
}

/// The role that provides services (spec/parties.toml).
const PROVIDER: &str = "provider";
/// A user: 保険者番号 and 被保険者番号.
const USER: [&str; 2] = ["insurer_number", "insured_number"];

fn check(ctx: &SetCtx<'_>, out: &mut Vec<Finding>) {
    let Some(plan) = ctx.file_of_kind("UPPLAN") else { return };
    let (Some(name), Some(plan_doc)) = (plan.parsed_name(), plan.document) else { return };
    let to_provider = spec()
        .parties
        .allowing("UPPLAN", &name.sender.kind, &name.recipient.kind)
        .is_some_and(|pair| pair.to == PROVIDER && pair.from != PROVIDER);
    if !to_provider {
        return;
    }
    let office = name.recipient.office.as_str();
    let user = USER.map(|id| plan_doc.column(id));
    let service_office = plan_doc.column("service_office_code");
    let related: FxHashSet<[&str; 2]> = plan_doc
        .rows()
        .filter(|&row| plan_doc.at(row, service_office) == office)
        .map(|row| user.map(|c| plan_doc.at(row, c)))
        .collect();
    for kind in ["UPPLAN", "UPSIKYU", "UPHOSOKU"] {
        if let Some(file) = ctx.file_of_kind(kind) {
            report(file, &related, office, out);
        }
    }
}

/// The first row of each user of `file` that `related` does not hold.
fn report(file: UnitFile<'_>, related: &FxHashSet<[&str; 2]>, office: &str, out: &mut Vec<Finding>) {
    let Some(doc) = file.document else { return };
    let user = USER.map(|id| doc.column(id));
    let rows: Vec<usize> = if doc.kind.code == "UPSIKYU" { detail_rows(doc).collect() } else { doc.rows().collect() };
    let mut seen: FxHashSet<[&str; 2]> = FxHashSet::default();
    for row in rows {
        let key = user.map(|c| doc.at(row, c));
        if !related.contains(&key) && seen.insert(key) {
            out.push(
                finding_at(doc, row, &RULE, "insured_number")
                    .file(file.path)
                    .arg("insured", key[1])
                    .arg("office", office),
            );
        }
    }
}
