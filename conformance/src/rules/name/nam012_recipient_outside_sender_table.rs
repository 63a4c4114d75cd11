use crate::filename::base_name;
use crate::finding::Finding;
use crate::rules::ctx::FileCtx;
use crate::rules::{rule, Check};
use crate::spec::spec;

rule! {
    code: "NAM012",
    name: "recipient-outside-sender-table",
    severity: Warning,
    level: Name,
    title: { ja: "送信先のサービス種類が送信元の連携範囲の表にない", en: "Recipient kind outside the sender's own table of coverage" },
    message: {
        ja: "送信元のサービス種類 {sender} は{role}で、その連携範囲（S1 {section}）にサービス種類 {recipient} はありません。",
        en: "The sender's kind {sender} is a {role}, whose coverage (S1 {section}) does not list kind {recipient}.",
    },
    what: {
        ja: "サービス事業所あてのファイルで、送信元が居宅介護支援事業所等だけ（73 小規模多機能型居宅介護、77 看護小規模多機能型居宅介護）なら送信先のサービス種類が S1 §1.3 の表（介護給付）に、地域包括支援センター等だけ（46、75）なら §1.4 の表（介護予防・総合事業）にあるかを検査します。両方の役割を持つ 43 居宅介護支援は検査しません。レコードのサービスコードは見ません。連携対象かどうかそのものは NAM007・REC011 が見ます。文が役割ごとの範囲を言い切っているかに疑いがあるので警告です。",
        en: "Checks, for a file addressed to a service provider, that the recipient's kind is in S1 §1.3's table (介護給付) when the sender is a care-manager office only (73 小規模多機能型居宅介護, 77 看護小規模多機能型居宅介護), and in §1.4's table (介護予防・総合事業) when it is a prevention-plan office only (46, 75). 43 居宅介護支援 plays both roles and is not checked; the records' service codes are not read. Whether a kind is covered at all is NAM007's and REC011's. Whether the text limits each role to its own table is not certain, so this is a warning.",
    },
    why: {
        ja: "S1 は「居宅介護支援事業所等…とデータ連携を行う範囲は、以下のサービス種別とする」（§1.3）、「地域包括支援センター等…とデータ連携を行う範囲は、以下のサービス種別とする」（§1.4）と、役割ごとに別の表を掲げています。送信元の役割の表にない種類の事業所へのファイルは、送信元の種類か送信先の種類の設定誤りを示します。",
        en: "S1 gives each role its own table: 「居宅介護支援事業所等…とデータ連携を行う範囲は、以下のサービス種別とする」 (§1.3) and 「地域包括支援センター等…とデータ連携を行う範囲は、以下のサービス種別とする」 (§1.4). A file to a kind outside the sender role's table points to a wrong sender or recipient kind.",
    },
    fix: {
        ja: "ファイル名の送信元・送信先のサービス種類コードを確認してください。介護予防のサービスへは地域包括支援センター等（46 など）から、介護給付のサービスへは居宅介護支援事業所等から送ります。",
        en: "Check the sender's and the recipient's kinds in the file name: 介護予防 services are sent to from a prevention-plan office (46 …), 介護給付 services from a care-manager office.",
    },
    example: "UPPLAN_202505_1370006490_46_1370002058_11_….CSV (地域包括支援センター → 訪問介護)",
    cites: [
        "S1-1.3-a",
        "S1-1.4-a",
    ],
    check: Check::Name { reads: &[], check },
}

/// The roles of spec/parties.toml whose tables S1 §1.3 and §1.4 give, and the role that provides services.
const CARE_MANAGER: &str = "care_manager";
const PREVENTION_MANAGER: &str = "prevention_manager";
const PROVIDER: &str = "provider";

fn check(ctx: &FileCtx<'_>, out: &mut Vec<Finding>) {
    let Some(name) = ctx.parsed_name() else { return };
    let parties = &spec().parties;
    let (sender, recipient) = (name.sender.kind.as_str(), name.recipient.kind.as_str());
    let to_provider = parties
        .allowing(&name.kind, sender, recipient)
        .is_some_and(|pair| pair.from != PROVIDER && pair.to == PROVIDER);
    let (care, prevention) = (parties.plays(CARE_MANAGER, sender), parties.plays(PREVENTION_MANAGER, sender));
    if !to_provider || care == prevention {
        return;
    }
    let Some(kind) = spec().service_kind(recipient).filter(|kind| kind.covered == Some(true)) else { return };
    if kind.prevention == prevention {
        return;
    }
    let (role, role_en, section) = if prevention {
        ("地域包括支援センター等", "prevention-plan office", "§1.4")
    } else {
        ("居宅介護支援事業所等", "care-manager office", "§1.3")
    };
    out.push(
        Finding::new(&RULE.meta)
            .value(base_name(ctx.path))
            .arg("sender", sender)
            .arg("recipient", recipient)
            .arg2("role", role, role_en)
            .arg("section", section),
    );
}
