//! The valid corpus: named scenarios a care manager would recognise, and the scale generator.

use crate::synth::people::{Office, Person};
use crate::synth::record::RecordBuilder;
use crate::synth::scenario::{
    actuals_unit, annex_rows, plan_unit, supplement, ticket_rows, ticket_unit, weekdays_in, Goal, Need, Parties,
    PlanContent, Scenario, Service, Support,
};
use crate::synth::{kind, GeneratedFile, Rng, SynthError};

/// 単位数単価 (hundredths of a yen) for 6級地: by 人件費割合 of the service kind.
fn unit_price(kind: &str) -> i64 {
    match kind {
        "11" | "13" | "63" | "71" | "76" => 1042,
        "16" | "66" | "14" | "64" => 1033,
        "17" | "67" => 1000,
        _ => 1027,
    }
}

struct Cast {
    care_manager: Office,
    home_help: Office,
    day_service: Office,
    equipment: Office,
    nursing: Office,
    center: Office,
}

fn cast() -> Cast {
    Cast {
        care_manager: Office::new("43", "ケアプランセンターさくら", "13", 100),
        home_help: Office::new("11", "ヘルパーステーションひまわり", "13", 205),
        day_service: Office::new("15", "デイサービスあおば", "13", 318),
        equipment: Office::new("17", "福祉用具レンタルみどり", "13", 427),
        nursing: Office::new("63", "訪問看護ステーションこもれび", "13", 536),
        center: Office::new("46", "みどり市地域包括支援センター", "13", 649),
    }
}

fn service(
    office: &Office,
    code: &'static str,
    units: i64,
    days: Vec<u32>,
    start: &'static str,
    end: &'static str,
) -> Service {
    Service {
        office: office.clone(),
        code,
        units,
        days,
        start,
        end,
        equipment: None,
        unit_price: unit_price(&code[..2]),
        per_month: false,
        outside_limit: false,
    }
}

const MONTH: &str = "202505";

fn standard_plan(cast: &Cast) -> PlanContent {
    PlanContent {
        plan_date: "20250425",
        first_plan_date: "20250425",
        plan_category: "11",
        intentions: "本人：住み慣れた自宅で、できることは自分で続けながら暮らしたい。\r\n長女：仕事を続けながら介護したい。入浴は手伝ってほしい。",
        board_opinion: "特になし",
        policy: "転倒を予防し、入浴と外出の機会を確保して、自宅での生活を続けられるよう支援します。\r\n緊急連絡先：長女（日中は携帯電話）",
        life_support_reason: "",
        needs: vec![
            Need {
                issue: "一人での入浴が難しく、清潔を保てない",
                goals: vec![Goal {
                    long_term: "週２回、安全に入浴できる",
                    long_period: "2025/05/01～2026/04/30",
                    short_term: "見守りのもとで浴槽をまたげる",
                    short_period: "2025/05/01～2025/10/31",
                    supports: vec![
                        Support { content: "入浴介助（洗身・洗髪の一部介助）", insured: true, kind_text: "通所介護", office: Some(cast.day_service.clone()), frequency: "週２回", period: "2025/05/01～2025/10/31" },
                        Support { content: "入浴前後の体調確認", insured: false, kind_text: "家族", office: None, frequency: "入浴日", period: "2025/05/01～2025/10/31" },
                    ],
                }],
            },
            Need {
                issue: "足腰が弱り、買い物や調理が難しい",
                goals: vec![Goal {
                    long_term: "必要な食材をそろえ、食事をとれる",
                    long_period: "2025/05/01～2026/04/30",
                    short_term: "ヘルパーと一緒に買い物に出かけられる",
                    short_period: "2025/05/01～2025/10/31",
                    supports: vec![Support { content: "買い物同行・調理の見守り（身体介護）", insured: true, kind_text: "訪問介護", office: Some(cast.home_help.clone()), frequency: "週２回（月・木）", period: "2025/05/01～2025/10/31" }],
                }],
            },
        ],
        weekly: vec![
            ("訪問介護", "1", "1000", "1100"),
            ("訪問介護", "4", "1000", "1100"),
            ("通所介護", "2", "0930", "1630"),
            ("通所介護", "5", "0930", "1630"),
        ],
        activities: vec![("起床", "0630"), ("昼食", "1200"), ("就寝", "2100")],
        non_weekly: vec!["通院（月１回、長女が同行）"],
    }
}

fn standard_services(cast: &Cast) -> Vec<Service> {
    let mon_thu = weekdays_in(MONTH, &[1, 4]);
    let tue_fri = weekdays_in(MONTH, &[2, 5]);
    vec![
        service(&cast.home_help, "111211", 387, mon_thu, "1000", "1100"),
        service(&cast.day_service, "151321", 775, tue_fri.clone(), "0930", "1630"),
        service(&cast.day_service, "155051", 40, tue_fri, "0930", "1630"),
    ]
}

/// Every valid scenario, from one seed.
pub fn valid_scenarios(seed: u64) -> Result<Vec<Scenario>, SynthError> {
    let mut rng = Rng::new(seed);
    let cast = cast();
    let mut scenarios = Vec::new();

    // 1. 要介護2, new plan, visiting care and day service: plan, ticket, actuals.
    let person = Person::new(&mut rng);
    let parties = Parties {
        care_manager: &cast.care_manager,
        care_manager_staff: "介護　花子",
        recipient: &cast.home_help,
        person: &person,
        care_level: "22",
        certification: ("20250401", "20260331"),
    };
    let services = standard_services(&cast);
    let mut files = plan_unit(&parties, &standard_plan(&cast), "20250425090000")?;
    files.extend(ticket_unit(&parties, MONTH, "20250425", &services, "20250425090500")?);
    files.push(actuals_unit(&parties, &cast.home_help, MONTH, "20250601", &services, "20250601100000")?);
    scenarios.push(Scenario {
        id: "kaigo2-new-plan",
        title_ja: "要介護２・新規計画：訪問介護と通所介護（計画書、提供票、実績）",
        title_en: "Care level 2, new plan with visiting care and day service (plan, ticket, actuals)",
        files,
    });

    // 2. Plan change in the middle of the month: a new plan dated the 15th and the month's ticket resent.
    let person = Person::new(&mut rng);
    let parties = Parties {
        person: &person,
        recipient: &cast.day_service,
        care_level: "23",
        certification: ("20250301", "20260228"),
        ..parties
    };
    let mut plan = standard_plan(&cast);
    plan.plan_date = "20250515";
    plan.first_plan_date = "20240901";
    plan.plan_category = "21";
    plan.intentions = "本人：退院後も自宅で過ごしたい。\r\n長男夫婦：夜間の見守りが不安。通所の回数を増やしたい。";
    let mut services = standard_services(&cast);
    let from_15th: Vec<u32> = weekdays_in(MONTH, &[2, 3, 5]).into_iter().filter(|d| *d >= 15).collect();
    services[1].days = weekdays_in(MONTH, &[2, 5]).into_iter().filter(|d| *d < 15).chain(from_15th.clone()).collect();
    services[2].days = services[1].days.clone();
    let mut files = plan_unit(&parties, &plan, "20250515083000")?;
    files.extend(ticket_unit(&parties, MONTH, "20250515", &services, "20250515083500")?);
    scenarios.push(Scenario {
        id: "plan-change-mid-month",
        title_ja: "月途中の計画変更：変更後の計画書と当月の提供票の再送",
        title_en: "Plan changed mid-month: the new plan and the month's ticket resent",
        files,
    });

    // 3. Over the benefit limit, with welfare equipment (TAIS code).
    let person = Person::new(&mut rng);
    let parties = Parties {
        person: &person,
        recipient: &cast.equipment,
        care_level: "21",
        certification: ("20241101", "20251031"),
        ..parties
    };
    let every_day: Vec<u32> = (1..=31).collect();
    let mut wheelchair = service(&cast.equipment, "171001", 600, vec![1], "9999", "9999");
    wheelchair.equipment = Some(("00170-000123", "自走用標準型車いす（みどりＡ型）"));
    let services = vec![
        service(&cast.home_help, "111211", 387, every_day, "0800", "0900"),
        service(&cast.day_service, "151311", 658, weekdays_in(MONTH, &[1, 3, 5]), "0930", "1630"),
        wheelchair,
    ];
    scenarios.push(Scenario {
        id: "kaigo1-over-limit",
        title_ja: "要介護１・区分支給限度基準額超過（毎日の訪問介護、通所介護、福祉用具貸与）",
        title_en: "Care level 1 over the benefit limit (daily home help, day service, equipment rental)",
        files: ticket_unit(&parties, MONTH, "20250428", &services, "20250428170000")?,
    });

    // 4. Long free text in 第2表: several lines, commas and quotes.
    let person = Person::new(&mut rng);
    let parties = Parties {
        person: &person,
        recipient: &cast.home_help,
        care_level: "24",
        certification: ("20250101", "20251231"),
        ..parties
    };
    let mut plan = standard_plan(&cast);
    plan.plan_date = "20250410";
    plan.first_plan_date = "20230601";
    plan.plan_category = "21";
    plan.life_support_reason = "3";
    plan.needs[0].issue = "夜間にトイレへ行く際、ふらつきがあり転倒の危険がある。\r\n本人は「できるだけ自分で行きたい」と話しているが、\r\n家族は転倒を心配しており、夜間の見守り方法を話し合う必要がある。";
    plan.needs[0].goals[0].long_term = "夜間も安全にトイレへ行ける（転倒、ふらつき、失禁を防ぐ）";
    plan.needs[0].goals[0].supports[0].content = "ポータブルトイレの設置、\"声かけ\"と見守り、夜間の巡回";
    let mut files = plan_unit(&parties, &plan, "20250410140000")?;
    // 生活援助中心型の算定理由 3 needs its reason text.
    let reason = kind("UP1KYO")?.index_of("life_support_reason_other");
    if let (Some(index), Some(table1)) = (reason, files.first_mut()) {
        table1.records[0][index] = "同居の家族が日中不在で、家事を行うことが難しいため".to_string();
    }
    scenarios.push(Scenario {
        id: "long-free-text",
        title_ja: "第2表の長いフリーテキスト（複数行、カンマ、ダブルクォート）",
        title_en: "Long free text in 第2表 (several lines, commas, quotes)",
        files,
    });

    // 5. 要支援１: 介護予防 basic information and support plan from the 地域包括支援センター, and a ticket.
    let person = Person::new(&mut rng);
    let parties = Parties {
        care_manager: &cast.center,
        care_manager_staff: "支援　次郎",
        person: &person,
        recipient: &cast.nursing,
        care_level: "12",
        certification: ("20250201", "20260131"),
    };
    let mut files = prevention_units(&parties, "20250420100000")?;
    let mut rail = service(&cast.equipment, "671001", 100, vec![1], "9999", "9999");
    rail.equipment = Some(("00421-000045", "据置型手すり（みどりＢ型）"));
    let services = vec![service(&cast.nursing, "631211", 449, weekdays_in(MONTH, &[3]), "1400", "1430"), rail];
    files.extend(ticket_unit(&parties, MONTH, "20250420", &services, "20250420101000")?);
    scenarios.push(Scenario {
        id: "yoshien1-prevention",
        title_ja: "要支援１・介護予防：利用者基本情報、支援計画書、介護予防訪問看護と福祉用具貸与の提供票",
        title_en: "Support level 1 (prevention): basic information, support plan, ticket for nursing and equipment",
        files,
    });

    // 6. Withdrawals: a plan, a ticket and actuals deleted.
    let first = &scenarios[0].files;
    let plan_key = first[0].records[0][1..3].to_vec();
    let cm = &cast.care_manager;
    let hh = &cast.home_help;
    let delete = |prefix: &str,
                  month: Option<&str>,
                  from: &Office,
                  to: &Office,
                  serial: &str,
                  tail: &[&str]|
     -> Result<GeneratedFile, SynthError> {
        let mut record = vec![crate::spec::current_csv_version().value.clone()];
        record.extend(plan_key.iter().cloned());
        record.extend(tail.iter().map(|s| s.to_string()));
        let month_part = month.map(|m| format!("_{m}")).unwrap_or_default();
        Ok(GeneratedFile::csv(
            format!("{prefix}{month_part}_{}_{}_{}_{}_{serial}.CSV", from.number, from.kind, to.number, to.kind),
            kind(prefix)?,
            vec![record],
        ))
    };
    scenarios.push(Scenario {
        id: "withdrawals",
        title_ja: "取り消し：第1表削除、第6表（予定）削除、実績削除",
        title_en: "Withdrawals: plan delete, ticket delete, actuals delete",
        files: vec![
            delete("DLT1KYO", None, cm, hh, "20250430120000", &["20250425"])?,
            delete("DLTPLAN", Some(MONTH), cm, hh, "20250430120500", &[MONTH])?,
            delete("DLTJSK", Some(MONTH), hh, cm, "20250602090000", &[MONTH, &hh.number, "11"])?,
        ],
    });
    // 7. Withdrawals of 介護予防 data: the basic information and the support plan of scenario 5.
    let prevention =
        scenarios.iter().find(|s| s.id == "yoshien1-prevention").map(|s| s.files.clone()).unwrap_or_default();
    let key_of = |prefix: &str, date_id: &str| -> Option<Vec<String>> {
        let file = prevention.iter().find(|f| f.kind.code == prefix)?;
        let record = file.records.first()?;
        let date = file.kind.index_of(date_id).map(|i| record[i].clone())?;
        Some(vec![record[0].clone(), record[1].clone(), record[2].clone(), date])
    };
    let (center, nursing) = (&cast.center, &cast.nursing);
    let name = |prefix: &str, serial: &str| {
        format!("{prefix}_{}_{}_{}_{}_{serial}.CSV", center.number, center.kind, nursing.number, nursing.kind)
    };
    let mut files = Vec::new();
    if let Some(key) = key_of("UPKIHON", "consultation_date") {
        files.push(GeneratedFile::csv(name("DLTKIHON", "20250510090000"), kind("DLTKIHON")?, vec![key]));
    }
    if let Some(key) = key_of("UPYOBO", "plan_date") {
        files.push(GeneratedFile::csv(name("DLTYOBO", "20250510090500"), kind("DLTYOBO")?, vec![key]));
    }
    scenarios.push(Scenario {
        id: "prevention-withdrawals",
        title_ja: "介護予防の取り消し：利用者基本情報削除、支援計画書削除",
        title_en: "Prevention withdrawals: basic information delete, support plan delete",
        files,
    });

    // 8. One office number holding 居宅介護支援 (43) and 訪問介護 (11) (S1 更新履歴 4.0 「複数サービス提供事業所への
    //    対応」): the care manager's ticket to its own home help, with a monthly 減算 of negative units and a
    //    処遇改善加算 outside the benefit limit; the 11 returns its actuals.
    let person = Person::new(&mut rng);
    let own_home_help =
        Office {
            kind: "11", name: "ケアプランセンターさくら訪問介護事業所".to_string(), ..cast.care_manager.clone()
        };
    let parties = Parties {
        care_manager: &cast.care_manager,
        care_manager_staff: "介護　花子",
        recipient: &own_home_help,
        person: &person,
        care_level: "23",
        certification: ("20250401", "20260331"),
    };
    let visits = weekdays_in(MONTH, &[1, 3, 5]);
    let first_visit = visits.first().copied().unwrap_or(1);
    let care = service(&own_home_help, "111211", 387, visits.clone(), "1000", "1100");
    let reduction = Service { per_month: true, ..service(&own_home_help, "116271", -30, visits, "1000", "1100") };
    // 介護職員等処遇改善加算: 24.5 % of the month's units, counted once, outside the limit.
    let bonus_units = (care.units * care.days.len() as i64 + reduction.units) * 245 / 1000;
    let bonus = Service {
        per_month: true,
        outside_limit: true,
        ..service(&own_home_help, "116275", bonus_units, vec![first_visit], "1000", "1100")
    };
    let services = vec![care, reduction, bonus];
    let mut files = ticket_unit(&parties, MONTH, "20250425", &services, "20250425110000")?;
    files.push(actuals_unit(&parties, &own_home_help, MONTH, "20250602", &services, "20250602093000")?);
    scenarios.push(Scenario {
        id: "multi-service-office-reduction",
        title_ja: "居宅介護支援と訪問介護を同じ事業所番号で行う事業所：減算（負の単位数）と区分支給限度額管理対象外の処遇改善加算を含む提供票と実績",
        title_en: "One office number for care management and home help: a ticket and actuals with a 減算 (negative units) and a 処遇改善加算 outside the limit",
        files,
    });

    // 9. A 小規模多機能型居宅介護 (73) is a 居宅介護支援事業所等 (S1 §1.3): it sends a plan and a ticket to 訪問看護.
    let person = Person::new(&mut rng);
    let small_multi = Office::new("73", "小規模多機能ホームかえで", "13", 758);
    let nursing = Office { kind: "13", ..cast.nursing.clone() };
    let parties = Parties {
        care_manager: &small_multi,
        care_manager_staff: "計画　三郎",
        recipient: &nursing,
        person: &person,
        care_level: "24",
        certification: ("20250401", "20260331"),
    };
    let mut plan = standard_plan(&cast);
    plan.needs.truncate(1);
    plan.needs[0].goals[0].supports[0] = Support {
        content: "褥瘡の処置と皮膚の観察",
        insured: true,
        kind_text: "訪問看護",
        office: Some(nursing.clone()),
        frequency: "週１回（水）",
        period: "2025/05/01～2025/10/31",
    };
    plan.weekly = vec![("訪問看護", "3", "1400", "1430")];
    let services = vec![service(&nursing, "131111", 314, weekdays_in(MONTH, &[3]), "1400", "1430")];
    let mut files = plan_unit(&parties, &plan, "20250424100000")?;
    files.extend(ticket_unit(&parties, MONTH, "20250424", &services, "20250424100500")?);
    scenarios.push(Scenario {
        id: "small-multifunction-sender",
        title_ja: "小規模多機能型居宅介護（73）の介護支援専門員が訪問看護へ送る計画書と提供票",
        title_en: "A 小規模多機能型居宅介護 (73) sends a plan and a ticket to visiting nursing",
        files,
    });

    // 10. An entrusted 居宅介護支援事業所 (43) forwards the 介護予防 provider's actuals to its 地域包括支援センター
    //     (46), S1 §5.2.2.1.
    let person = Person::new(&mut rng);
    let parties = Parties {
        care_manager: &cast.care_manager,
        care_manager_staff: "介護　花子",
        recipient: &cast.center,
        person: &person,
        care_level: "12",
        certification: ("20250201", "20260131"),
    };
    let services = vec![service(&cast.nursing, "631211", 449, weekdays_in(MONTH, &[3]), "1400", "1430")];
    let rows = ticket_rows(&parties, MONTH, "20250605", &services, &cast.care_manager.number)?;
    let name = format!("UPJSK_{MONTH}_{}_43_{}_46_20250605090000.CSV", cast.care_manager.number, cast.center.number);
    scenarios.push(Scenario {
        id: "entrusted-forward-to-center",
        title_ja: "委託を受けた居宅介護支援事業所（43）から委託元の地域包括支援センター（46）への実績の共有",
        title_en: "An entrusted care manager (43) forwards actuals to its 地域包括支援センター (46)",
        files: vec![GeneratedFile::csv(name, kind("UPJSK")?, rows)],
    });
    Ok(scenarios)
}

/// A small JPEG drawing of a fictional family structure (genogram): the UPKIHON_IMAGE content, and what the
/// anonymiser puts in place of a real one.
pub(crate) const FAMILY_IMAGE: &[u8] = include_bytes!("family.jpg");

/// 利用者基本情報 (with 別表1, 別表2) and 介護予防サービス・支援計画書 (with 別表), sent together.
fn prevention_units(p: &Parties<'_>, serial: &str) -> Result<Vec<GeneratedFile>, SynthError> {
    let person = p.person;
    let consultation = "20250415";
    let plan_date = "20250418";
    let key = |r: &mut RecordBuilder, date_id: &str, date: &str| -> Result<(), SynthError> {
        r.set("insurer_number", &person.insurer)?.set("insured_number", &person.insured)?.set(date_id, date)?;
        Ok(())
    };
    let (from, to) = (p.care_manager, p.recipient);
    let image_name = format!("UPKIHON_IMAGE_{}_{}_{}_{}_{serial}_0001.JPG", from.number, from.kind, to.number, to.kind);
    let mut basic = RecordBuilder::new(kind("UPKIHON")?);
    basic.set("family_image_file", &image_name)?;
    key(&mut basic, "consultation_date", consultation)?;
    basic
        .set("plan_type", "1")?
        .set("entrusted", "1")?
        .set("author_name", p.care_manager_staff)?
        .set("consultation_method", "01")?
        .set("consultation_count_kind", "01")?
        .set("user_situation", "01")?
        .set("user_name_kana", person.kana())?
        .set("user_name", person.name())?
        .set("user_sex", person.sex)?
        .set("user_birth_date", &person.birth_date)?
        .set("user_address", format!("{} {}", person.address1, person.address2).trim_end())?
        .set("user_phone", &person.phone)?
        .set("adl_independence", "12")?
        .set("dementia_independence", "02")?
        .set("care_level", p.care_level)?
        .set("certification_valid_from", p.certification.0)?
        .set("certification_valid_to", p.certification.1)?
        .set("housing_type", "05")?
        .set("room_floor", "1")?
        .set("home_modification", "2")?
        .set("income_national_pension", "1")?
        .set("emergency1_name", format!("{}　一郎", person.surname.kanji))?
        .set("emergency1_relation", "長男")?
        .set("emergency1_phone", "090-1234-5678")?
        .set("life_history", "農業を営み、地域の祭りの世話役を長く務めてきた。")?
        .set("daily_life", "午前は庭の手入れ、午後はテレビを見て過ごす。")?
        .set("hobbies", "園芸、民謡")?
        .set("consent_date", consultation)?
        .set("consenter_name", person.name())?;
    let mut sub1 = Vec::new();
    for (time, own, carer) in [
        ("6:00", "起床、洗面", ""),
        ("12:00", "昼食（配食サービス）", "長男の妻が様子を見に来る"),
        ("21:00", "就寝", ""),
    ] {
        let mut r = RecordBuilder::new(kind("UPKIHON_SUB1")?);
        key(&mut r, "consultation_date", consultation)?;
        r.set("time_text", time)?.set("self_activity", own)?.set("carer_activity", carer)?;
        sub1.push(r.build());
    }
    let mut sub2 = RecordBuilder::new(kind("UPKIHON_SUB2")?);
    key(&mut sub2, "consultation_date", consultation)?;
    sub2.set("onset_text", "H20年4月")?
        .set("disease", "変形性膝関節症")?
        .set("clinic_doctor", "みどり整形外科　緑川医師")?
        .set("primary_doctor_flag", "1")?
        .set("clinic_phone", "042-555-0101")?
        .set("course", "01")?
        .set("treatment", "内服、月１回の通院")?;

    let mut plan = RecordBuilder::new(kind("UPYOBO")?);
    key(&mut plan, "plan_date", plan_date)?;
    plan.set("plan_type", "1")?
        .set("entrusted", "1")?
        .set("user_name", person.name())?
        .set("certification_date", p.certification.0)?
        .set("certification_valid_from", p.certification.0)?
        .set("certification_valid_to", p.certification.1)?
        .set("plan_category", "11")?
        .set("certification_status", "2")?
        .set("support_level", "1")?
        .set("planner_name_center", p.care_manager_staff)?
        .set("planner_office_name", &p.care_manager.name)?
        .set("first_plan_date", plan_date)?
        .set("center_name", &p.care_manager.name)?
        .set("goal_day", "庭の手入れを続ける")?
        .set("goal_year", "地域の集まりに歩いて参加する")?
        .set("mobility_status", "膝の痛みで長く歩けない")?
        .set("mobility_has_issue", "1")?
        .set("mobility_issue", "膝関節の痛みと筋力の低下")?
        .set("overall_policy", "膝の痛みを管理し、歩く力を保てるよう支援します。")?
        .set("checklist_count_exercise", "3")?
        .set("program_needed_exercise", "1")?
        .set("consent_date", plan_date)?
        .set("consenter_name", person.name())?;
    let mut plan_sub = RecordBuilder::new(kind("UPYOBO_SUB")?);
    key(&mut plan_sub, "plan_date", plan_date)?;
    plan_sub
        .set("issue_no", "1")?
        .set("overall_issue", "膝の痛みで外出の機会が減っている")?
        .set("goal", "週１回、近所の集会所まで歩いて行ける")?
        .set("support_plan_no", "1")?
        .set("support_points", "痛みの状態を確認しながら運動量を調整する")?
        .set("formal_services", "介護予防訪問看護（週１回）")?
        .set("service_no", "1")?
        .set("service_kind_text", "介護予防訪問看護")?
        .set("service_office", &p.recipient.name)?
        .set("service_period", "2025/05/01～2025/10/31")?;

    let make = |prefix: &str, records: Vec<Vec<String>>| -> Result<GeneratedFile, SynthError> {
        Ok(GeneratedFile::csv(
            format!("{prefix}_{}_{}_{}_{}_{serial}.CSV", from.number, from.kind, to.number, to.kind),
            kind(prefix)?,
            records,
        ))
    };
    Ok(vec![
        make("UPKIHON", vec![basic.build()])?,
        GeneratedFile::raw(image_name, kind("UPKIHON_IMAGE")?, FAMILY_IMAGE),
        make("UPKIHON_SUB1", sub1)?,
        make("UPKIHON_SUB2", vec![sub2.build()])?,
        make("UPYOBO", vec![plan.build()])?,
        make("UPYOBO_SUB", vec![plan_sub.build()])?,
    ])
}

/// `users` users' monthly ticket units, for benchmarks and load: users are grouped `users_per_unit` to a send
/// unit (one care-manager office to one provider, as real exports are), every file valid.
pub fn scale(users: usize, users_per_unit: usize, seed: u64) -> Result<Vec<GeneratedFile>, SynthError> {
    let provider = cast().home_help;
    scale_addressed(users, users_per_unit, seed, |unit| {
        (Office::new("43", "ケアプランセンターさくら", "13", 1000 + unit as u32), provider.clone())
    })
}

/// Like [`scale`], with each unit sent between the (care manager, provider) that `parties(unit index)` names,
/// e.g. offices registered at a relay.
pub fn scale_addressed(
    users: usize,
    users_per_unit: usize,
    seed: u64,
    parties: impl Fn(usize) -> (Office, Office),
) -> Result<Vec<GeneratedFile>, SynthError> {
    Ok(scale_exchanges(users, users_per_unit, seed, parties)?.into_iter().flat_map(|unit| unit.ticket).collect())
}

/// One month's exchange between a care manager and a provider: the ticket unit the care manager sends and the
/// actuals (実績, UPJSK) the provider sends back for the same users.
pub struct ScaleExchange {
    /// UPPLAN (第6表), UPSIKYU (第7表), UPHOSOKU (利用者補足情報): care manager → provider
    pub ticket: Vec<GeneratedFile>,
    /// UPJSK: provider → care manager
    pub actuals: GeneratedFile,
}

/// Like [`scale_addressed`], with each unit's actuals for the way back.
pub fn scale_exchanges(
    users: usize,
    users_per_unit: usize,
    seed: u64,
    parties: impl Fn(usize) -> (Office, Office),
) -> Result<Vec<ScaleExchange>, SynthError> {
    let mut rng = Rng::new(seed);
    let cast = cast();
    let levels = ["21", "22", "23", "24", "25"];
    let per_unit = users_per_unit.max(1);
    let mut units = Vec::with_capacity(users.div_ceil(per_unit));
    for unit in 0..users.div_ceil(per_unit) {
        let (care_manager, provider) = parties(unit);
        let mut plan = Vec::new();
        let mut annex = Vec::new();
        let mut supplements = Vec::new();
        let mut actuals = Vec::new();
        for _ in 0..per_unit.min(users - unit * per_unit) {
            let person = Person::new(&mut rng);
            let care_level = *rng.pick(&levels);
            let parties = Parties {
                care_manager: &care_manager,
                care_manager_staff: "介護　花子",
                recipient: &provider,
                person: &person,
                care_level,
                certification: ("20250401", "20260331"),
            };
            // The recipient provides the visiting care (the ticket lists every office's services).
            let mut services = standard_services(&cast);
            services[0].office = provider.clone();
            if rng.chance(50) {
                services.truncate(1);
            }
            plan.extend(ticket_rows(&parties, MONTH, "20250428", &services, &care_manager.number)?);
            annex.extend(annex_rows(&parties, MONTH, "20250428", &services)?);
            supplements.push(supplement(&parties, None, Some(MONTH))?);
            actuals.extend(ticket_rows(&parties, MONTH, "20250601", &services[..1], &provider.number)?);
        }
        // A distinct, valid YYYYMMDDHHMMSS per unit: one second apart from 00:00:00 on the unit's day.
        let (day, second) = (unit / 86_400 % 28 + 1, unit % 86_400);
        let time = format!("{day:02}{:02}{:02}{:02}", second / 3600, second / 60 % 60, second % 60);
        let serial = format!("202504{time}");
        let to = &provider;
        let mut ticket = Vec::with_capacity(3);
        for (prefix, records) in [("UPPLAN", plan), ("UPSIKYU", annex), ("UPHOSOKU", supplements)] {
            ticket.push(GeneratedFile::csv(
                format!("{prefix}_{MONTH}_{}_43_{}_{}_{serial}.CSV", care_manager.number, to.number, to.kind),
                kind(prefix)?,
                records,
            ));
        }
        let actuals = GeneratedFile::csv(
            format!("UPJSK_{MONTH}_{}_{}_{}_43_202506{time}.CSV", provider.number, provider.kind, care_manager.number),
            kind("UPJSK")?,
            actuals,
        );
        units.push(ScaleExchange { ticket, actuals });
    }
    Ok(units)
}

/// The valid units the invalid cases are mutated from.
pub struct BaseUnits {
    pub plan: Vec<GeneratedFile>,
    pub ticket: Vec<GeneratedFile>,
    pub actuals: Vec<GeneratedFile>,
    pub over_limit: Vec<GeneratedFile>,
    /// 利用者基本情報 with its 別表1, 別表2 and family image (a 介護予防 unit)
    pub prevention_basic: Vec<GeneratedFile>,
    /// the same send unit with the 介護予防サービス・支援計画書 and its 別表
    pub prevention_plan: Vec<GeneratedFile>,
    pub june_actuals: Vec<GeneratedFile>,
    pub plan_delete: Vec<GeneratedFile>,
    pub ticket_delete: Vec<GeneratedFile>,
    pub care_manager: Office,
    pub home_help: Office,
    pub day_service: Office,
}

pub fn base_units(seed: u64) -> Result<BaseUnits, SynthError> {
    let scenarios = valid_scenarios(seed)?;
    let files_of = |id: &str| scenarios.iter().find(|s| s.id == id).map(|s| s.files.clone()).unwrap_or_default();
    let first = files_of("kaigo2-new-plan");
    let with_serial = |serial: &str| -> Vec<GeneratedFile> {
        first.iter().filter(|f| f.name.ends_with(&format!("_{serial}.CSV"))).cloned().collect()
    };
    let withdrawals = files_of("withdrawals");
    let only = |prefix: &str| -> Vec<GeneratedFile> {
        withdrawals.iter().filter(|f| f.kind.code == prefix).cloned().collect()
    };
    let cast = cast();
    let mut rng = Rng::new(seed ^ 0x6A09_E667);
    let person = Person::new(&mut rng);
    let parties = Parties {
        care_manager: &cast.care_manager,
        care_manager_staff: "介護　花子",
        recipient: &cast.home_help,
        person: &person,
        care_level: "22",
        certification: ("20250401", "20260331"),
    };
    let june = vec![service(&cast.home_help, "111211", 387, weekdays_in("202506", &[1, 4]), "1000", "1100")];
    let june_actuals = vec![actuals_unit(&parties, &cast.home_help, "202506", "20250701", &june, "20250701100000")?];
    Ok(BaseUnits {
        plan: with_serial("20250425090000"),
        ticket: with_serial("20250425090500"),
        actuals: with_serial("20250601100000"),
        over_limit: files_of("kaigo1-over-limit"),
        prevention_basic: files_of("yoshien1-prevention")
            .into_iter()
            .filter(|f| f.kind.code.starts_with("UPKIHON"))
            .collect(),
        prevention_plan: files_of("yoshien1-prevention")
            .into_iter()
            .filter(|f| f.kind.code.starts_with("UPKIHON") || f.kind.code.starts_with("UPYOBO"))
            .collect(),
        june_actuals,
        plan_delete: only("DLT1KYO"),
        ticket_delete: only("DLTPLAN"),
        care_manager: cast.care_manager,
        home_help: cast.home_help,
        day_service: cast.day_service,
    })
}
