//! Coherent exchanges: the files that travel together, with consistent keys, realistic (fictional) content and
//! a 第7表 computed by [`crate::billing`] exactly as the validator recomputes it.

use crate::billing::{self, grand_total_code, grand_total_office, GRAND_TOTAL_SUMS};
use crate::calendar::days_in_month;
use crate::synth::people::{Office, Person};
use crate::synth::record::RecordBuilder;
use crate::synth::{kind, GeneratedFile, SynthError};

/// A named scenario: what a person reading the corpus should know about it, and its files.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub id: &'static str,
    pub title_ja: &'static str,
    pub title_en: &'static str,
    pub files: Vec<GeneratedFile>,
}

/// 要介護状態区分 → 区分支給限度基準額 (units per month).
pub fn benefit_limit(care_level: &str) -> i64 {
    match care_level {
        "12" => 5032,
        "13" => 10531,
        "21" => 16765,
        "22" => 19705,
        "23" => 27048,
        "24" => 30938,
        "25" => 36217,
        _ => 0,
    }
}

/// One planned service line of a month: an office's service code on some days.
#[derive(Debug, Clone)]
pub struct Service {
    pub office: Office,
    pub code: &'static str,
    pub units: i64,
    pub days: Vec<u32>,
    pub start: &'static str,
    pub end: &'static str,
    /// TAISコード and 用具名称 for welfare equipment
    pub equipment: Option<(&'static str, &'static str)>,
    /// 単位数単価 in hundredths of a yen (地域区分 × 人件費割合)
    pub unit_price: i64,
    /// A code counted once a month (a monthly 加算 or 減算): its units stand on the first of `days` and 0 on the
    /// others in 第6表 (S2 第6表 No.8 「月初日のみに減算の単位数を設定し、その他の日は0を設定する」), count 1 in 第7表.
    pub per_month: bool,
    /// 区分支給限度額の管理対象外 (処遇改善加算 etc.): 給付管理単位数 empty (S2 第7表 No.18), summed in the
    /// kind's EEEE row (assumption A-7-OUTSIDE-LIMIT).
    pub outside_limit: bool,
}

impl Service {
    fn kind(&self) -> &str {
        billing::service_kind_of(self.code)
    }

    /// 回数／日数 on 第7表.
    fn count(&self) -> i64 {
        if self.per_month {
            1
        } else {
            self.days.len() as i64
        }
    }

    /// 単位数 on the 第6表 row of `day`.
    fn units_on(&self, day: u32) -> i64 {
        if self.per_month && self.days.first() != Some(&day) {
            0
        } else {
            self.units
        }
    }
}

/// The days of `month` (YYYYMM) that fall on the given weekdays (1 = Monday … 7 = Sunday).
pub fn weekdays_in(month: &str, weekdays: &[u32]) -> Vec<u32> {
    let (year, m) = crate::calendar::parse_month(month).unwrap_or((2025, 5));
    (1..=days_in_month(year, m)).filter(|&day| weekdays.contains(&weekday(year, m, day))).collect()
}

/// ISO weekday (1 = Monday) by Zeller's congruence.
pub fn weekday(year: u32, month: u32, day: u32) -> u32 {
    let (y, m) = if month < 3 { (year - 1, month + 12) } else { (year, month) };
    let h = (day + 13 * (m + 1) / 5 + y + y / 4 - y / 100 + y / 400) % 7; // 0 = Saturday
    (h + 5) % 7 + 1
}

/// Who exchanges, and the user whose plan it is.
pub struct Parties<'a> {
    pub care_manager: &'a Office,
    pub care_manager_staff: &'a str,
    pub recipient: &'a Office,
    pub person: &'a Person,
    pub care_level: &'a str,
    pub certification: (&'a str, &'a str),
}

fn file_name(prefix: &str, month: Option<&str>, from: &Office, to: &Office, serial: &str) -> String {
    let month = month.map(|m| format!("_{m}")).unwrap_or_default();
    format!("{prefix}{month}_{}_{}_{}_{}_{serial}.CSV", from.number, from.kind, to.number, to.kind)
}

fn file(
    prefix: &str,
    month: Option<&str>,
    from: &Office,
    to: &Office,
    serial: &str,
    records: Vec<Vec<String>>,
) -> Result<GeneratedFile, SynthError> {
    Ok(GeneratedFile::csv(file_name(prefix, month, from, to, serial), kind(prefix)?, records))
}

/// The 利用者補足情報 record of a user, for a plan (`plan_date`) or a ticket (`month`) bundle.
pub fn supplement(p: &Parties<'_>, plan_date: Option<&str>, month: Option<&str>) -> Result<Vec<String>, SynthError> {
    let mut r = RecordBuilder::new(kind("UPHOSOKU")?);
    let person = p.person;
    r.set("insurer_number", &person.insurer)?
        .set("insured_number", &person.insured)?
        .set("care_plan_date", plan_date.unwrap_or("00000000"))?
        .set("user_name_kana", person.kana())?
        .set("user_name", person.name())?
        .set("user_sex", person.sex)?
        .set("user_birth_date", &person.birth_date)?
        .set("user_postal_code", &person.postal)?
        .set("user_address1", &person.address1)?
        .set("user_address2", &person.address2)?
        .set("user_phone", &person.phone)?
        .set("certification_date", p.certification.0)?
        .set("limit_period_start", p.certification.0)?
        .set("limit_period_end", p.certification.1)?
        .set("certification_status", "2")?
        .set("care_level", p.care_level)?
        .set("benefit_limit_units", benefit_limit(p.care_level).to_string())?
        .set("consent_receiving_office", &p.care_manager.number)?
        .set("updater_office_code", &p.care_manager.number)?
        .set("target_month", month.unwrap_or("000000"))?;
    Ok(r.build())
}

/// The content of a 居宅サービス計画 (第1表〜第3表).
pub struct PlanContent {
    pub plan_date: &'static str,
    pub first_plan_date: &'static str,
    pub plan_category: &'static str,
    pub intentions: &'static str,
    pub board_opinion: &'static str,
    pub policy: &'static str,
    pub life_support_reason: &'static str,
    /// (課題, 長期目標, 長期期間, 短期目標, 短期期間, [(サービス内容, 保険, 種別, office?, 頻度, 期間)])
    pub needs: Vec<Need>,
    /// (内容, 曜日, 開始, 終了)
    pub weekly: Vec<(&'static str, &'static str, &'static str, &'static str)>,
    /// (活動, 時刻)
    pub activities: Vec<(&'static str, &'static str)>,
    pub non_weekly: Vec<&'static str>,
}

pub struct Need {
    pub issue: &'static str,
    pub goals: Vec<Goal>,
}

pub struct Goal {
    pub long_term: &'static str,
    pub long_period: &'static str,
    pub short_term: &'static str,
    pub short_period: &'static str,
    pub supports: Vec<Support>,
}

pub struct Support {
    pub content: &'static str,
    pub insured: bool,
    pub kind_text: &'static str,
    pub office: Option<Office>,
    pub frequency: &'static str,
    pub period: &'static str,
}

/// 第1表, 第2表, 第3表 and the supplement of one plan, sent under one ファイル連番.
pub fn plan_unit(p: &Parties<'_>, plan: &PlanContent, serial: &str) -> Result<Vec<GeneratedFile>, SynthError> {
    let person = p.person;
    let cm = p.care_manager;
    let mut t1 = RecordBuilder::new(kind("UP1KYO")?);
    t1.set("insurer_number", &person.insurer)?
        .set("insured_number", &person.insured)?
        .set("created_date", plan.plan_date)?
        .set("user_postal_code", &person.postal)?
        .set("user_address1", &person.address1)?
        .set("user_address2", &person.address2)?
        .set("planner_name", p.care_manager_staff)?
        .set("support_office_name", &cm.name)?
        .set("support_office_postal_code", &cm.postal)?
        .set("support_office_address1", &cm.address)?
        .set("support_office_code", &cm.number)?
        .set("care_plan_date", plan.plan_date)?
        .set("first_care_plan_date", plan.first_plan_date)?
        .set("plan_category", plan.plan_category)?
        .set("certification_status", "2")?
        .set("certification_date", p.certification.0)?
        .set("certification_valid_from", p.certification.0)?
        .set("certification_valid_to", p.certification.1)?
        .set("care_level", p.care_level)?
        .set("intentions_and_assessment", plan.intentions)?
        .set("certification_board_opinion", plan.board_opinion)?
        .set("overall_support_policy", plan.policy)?
        .set("life_support_reason", plan.life_support_reason)?
        .set("updater_office_code", &cm.number)?;

    let mut t2 = Vec::new();
    for (issue_no, need) in plan.needs.iter().enumerate() {
        for (goal_no, goal) in need.goals.iter().enumerate() {
            for (support_no, support) in goal.supports.iter().enumerate() {
                // Print-image rows: the 課題 and 目標 texts only on the first row that carries them.
                let first_of_need = goal_no == 0 && support_no == 0;
                let first_of_goal = support_no == 0;
                let mut r = RecordBuilder::new(kind("UP2KYO")?);
                r.set("insurer_number", &person.insurer)?
                    .set("insured_number", &person.insured)?
                    .set("plan_document_created_date", plan.plan_date)?
                    .set("care_plan_date", plan.plan_date)?
                    .set("issue_no", (issue_no + 1).to_string())?
                    .set("issue", if first_of_need { need.issue } else { "" })?
                    .set("goal_no", (goal_no + 1).to_string())?
                    .set("long_term_goal", if first_of_goal { goal.long_term } else { "" })?
                    .set("short_term_goal", if first_of_goal { goal.short_term } else { "" })?
                    .set("long_term_period", if first_of_goal { goal.long_period } else { "" })?
                    .set("short_term_period", if first_of_goal { goal.short_period } else { "" })?
                    .set("support_no", (support_no + 1).to_string())?
                    .set("service_content", support.content)?
                    .set("insurance_covered", if support.insured { "Y" } else { "N" })?
                    .set("service_kind_text", support.kind_text)?
                    .set("service_office_code", support.office.as_ref().map_or("", |o| o.number.as_str()))?
                    .set("service_office_name", support.office.as_ref().map_or("", |o| o.name.as_str()))?
                    .set("frequency", support.frequency)?
                    .set("period", support.period)?
                    .set("updater_office_code", &cm.number)?;
                t2.push(r.build());
            }
        }
    }

    let mut t3 = Vec::new();
    let base3 = |r: &mut RecordBuilder| -> Result<(), SynthError> {
        r.set("insurer_number", &person.insurer)?
            .set("insured_number", &person.insured)?
            .set("weekly_plan_created_date", plan.plan_date)?
            .set("care_plan_date", plan.plan_date)?;
        Ok(())
    };
    for (content, day, start, end) in &plan.weekly {
        let mut r = RecordBuilder::new(kind("UP3KYO")?);
        base3(&mut r)?;
        r.set("care_service_content", *content)?
            .set("weekday", *day)?
            .set("service_start_time", *start)?
            .set("service_end_time", *end)?;
        t3.push(r.build());
    }
    for (activity, time) in &plan.activities {
        let mut r = RecordBuilder::new(kind("UP3KYO")?);
        base3(&mut r)?;
        r.set("daily_activity", *activity)?.set("activity_start_time", *time)?.set("activity_end_time", *time)?;
        t3.push(r.build());
    }
    for service in &plan.non_weekly {
        let mut r = RecordBuilder::new(kind("UP3KYO")?);
        base3(&mut r)?;
        r.set("non_weekly_service", *service)?;
        t3.push(r.build());
    }

    let to = p.recipient;
    Ok(vec![
        file("UP1KYO", None, cm, to, serial, vec![t1.build()])?,
        file("UP2KYO", None, cm, to, serial, t2)?,
        file("UP3KYO", None, cm, to, serial, t3)?,
        file("UPHOSOKU", Some("000000"), cm, to, serial, vec![supplement(p, Some(plan.plan_date), None)?])?,
    ])
}

/// 第6表 rows of the given services (予定 or 実績 layout).
pub fn ticket_rows(
    p: &Parties<'_>,
    month: &str,
    created: &str,
    services: &[Service],
    updater: &str,
) -> Result<Vec<Vec<String>>, SynthError> {
    let mut rows = Vec::new();
    for service in services {
        for day in &service.days {
            let mut r = RecordBuilder::new(kind("UPPLAN")?);
            r.set("insurer_number", &p.person.insurer)?
                .set("insured_number", &p.person.insured)?
                .set("created_date", created)?
                .set("target_month", month)?
                .set("plan_office_code", &p.care_manager.number)?
                .set("plan_staff_name", p.care_manager_staff)?
                .set("units", service.units_on(*day).to_string())?
                .set("service_date", format!("{month}{day:02}"))?
                .set("start_time", service.start)?
                .set("end_time", service.end)?
                .set("service_count", "1")?
                .set("service_code", service.code)?
                .set("service_office_code", &service.office.number)?
                .set("service_office_name", &service.office.name)?
                .set("over_30_days_flag", "0")?
                .set("updater_office_code", updater)?;
            if let Some((tais, name)) = service.equipment {
                r.set("tais_code", tais)?.set("equipment_name", name)?;
            }
            rows.push(r.build());
        }
    }
    Ok(rows)
}

/// 第7表 of one user: detail rows, kind subtotals, and the 全合計, with the limit applied in service order.
pub fn annex_rows(
    p: &Parties<'_>,
    month: &str,
    created: &str,
    services: &[Service],
) -> Result<Vec<Vec<String>>, SynthError> {
    let limit = benefit_limit(p.care_level);
    // Group details by (office, kind) in first-seen order.
    let mut groups: Vec<((String, String), Vec<&Service>)> = Vec::new();
    for service in services {
        let key = (service.office.number.clone(), service.kind().to_string());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(service),
            None => groups.push((key, vec![service])),
        }
    }
    let base = |r: &mut RecordBuilder| -> Result<(), SynthError> {
        r.set("insurer_number", &p.person.insurer)?
            .set("insured_number", &p.person.insured)?
            .set("created_date", created)?
            .set("target_month", month)?
            .set("over_30_days_flag", "0")?;
        Ok(())
    };
    let mut rows = Vec::new();
    let mut remaining = limit;
    let (mut amount_total, mut totals) = (0i64, [0i64; GRAND_TOTAL_SUMS.len()]);
    for (_, members) in &groups {
        let office = &members[0].office;
        let amounts: Vec<i64> = members.iter().map(|s| billing::detail_amount(s.units, None, s.count())).collect();
        let sum_where = |outside: bool| -> i64 {
            members.iter().zip(&amounts).filter(|(s, _)| s.outside_limit == outside).map(|(_, a)| a).sum()
        };
        let (managed, outside) = (sum_where(false), sum_where(true));
        let within = managed.min(remaining);
        let over = managed - within;
        remaining -= within;
        let price = members[0].unit_price;
        let cost = billing::total_cost(within, price);
        let claim = billing::insurance_claim(cost, 90);
        let full = billing::total_cost(over, price);
        let summary_values = [managed, over, within, cost, claim, cost - claim, full];
        let set_prices = |r: &mut RecordBuilder| -> Result<(), SynthError> {
            r.set("unit_price", format!("{}.{:02}", price / 100, price % 100))?.set("benefit_rate", "90")?;
            Ok(())
        };
        let set_summary = |r: &mut RecordBuilder| -> Result<(), SynthError> {
            for (id, value) in GRAND_TOTAL_SUMS.into_iter().zip(summary_values) {
                r.set(id, value.to_string())?;
            }
            set_prices(r)
        };
        let subtotal = |suffix: &str, amount: i64| -> Result<RecordBuilder, SynthError> {
            let mut r = RecordBuilder::new(kind("UPSIKYU")?);
            base(&mut r)?;
            r.set("service_office_name", &office.name)?
                .set("service_office_code", &office.number)?
                .set("service_code", format!("{}{suffix}", members[0].kind()))?
                .set("units", "0")?
                .set("count_or_days", "0")?
                .set("service_units_amount", amount.to_string())?;
            Ok(r)
        };
        for (service, amount) in members.iter().zip(&amounts) {
            let mut r = RecordBuilder::new(kind("UPSIKYU")?);
            base(&mut r)?;
            r.set("service_office_name", &office.name)?
                .set("service_office_code", &office.number)?
                .set("service_code", service.code)?
                .set("units", service.units.to_string())?
                .set("count_or_days", service.count().to_string())?
                .set("service_units_amount", amount.to_string())?;
            if !service.outside_limit {
                r.set("benefit_managed_units", amount.to_string())?;
            }
            if let Some((tais, name)) = service.equipment {
                r.set("tais_code", tais)?.set("equipment_name", name)?;
            }
            if members.len() == 1 {
                set_summary(&mut r)?;
            }
            rows.push(r.build());
        }
        if members.len() > 1 {
            let mut r = subtotal("AAAA", managed)?;
            set_summary(&mut r)?;
            rows.push(r.build());
        }
        amount_total += managed;
        for (total, value) in totals.iter_mut().zip(summary_values) {
            *total += value;
        }
        if outside != 0 {
            // 区分支給対象外 種類別小計: outside the limit, so no managed / over / within units (A-7-OUTSIDE-LIMIT).
            let cost = billing::total_cost(outside, price);
            let claim = billing::insurance_claim(cost, 90);
            let outside_values = [None, None, None, Some(cost), Some(claim), Some(cost - claim), Some(0)];
            let mut r = subtotal("EEEE", outside)?;
            for ((id, value), total) in GRAND_TOTAL_SUMS.into_iter().zip(outside_values).zip(totals.iter_mut()) {
                if let Some(value) = value {
                    r.set(id, value.to_string())?;
                    *total += value;
                }
            }
            set_prices(&mut r)?;
            rows.push(r.build());
            amount_total += outside;
        }
    }
    let mut r = RecordBuilder::new(kind("UPSIKYU")?);
    base(&mut r)?;
    r.set("service_office_code", grand_total_office())?
        .set("service_code", grand_total_code())?
        .set("units", "0")?
        .set("count_or_days", "0")?;
    r.set("service_units_amount", amount_total.to_string())?;
    for (id, total) in GRAND_TOTAL_SUMS.into_iter().zip(totals) {
        r.set(id, total.to_string())?;
    }
    rows.push(r.build());
    Ok(rows)
}

/// 第6表, 第7表 and the supplement of one month, sent under one ファイル連番.
pub fn ticket_unit(
    p: &Parties<'_>,
    month: &str,
    created: &str,
    services: &[Service],
    serial: &str,
) -> Result<Vec<GeneratedFile>, SynthError> {
    let (cm, to) = (p.care_manager, p.recipient);
    Ok(vec![
        file("UPPLAN", Some(month), cm, to, serial, ticket_rows(p, month, created, services, &cm.number)?)?,
        file("UPSIKYU", Some(month), cm, to, serial, annex_rows(p, month, created, services)?)?,
        file("UPHOSOKU", Some(month), cm, to, serial, vec![supplement(p, None, Some(month))?])?,
    ])
}

/// The provider's 実績 for a month: its own services only, sent back to the care manager.
pub fn actuals_unit(
    p: &Parties<'_>,
    provider: &Office,
    month: &str,
    created: &str,
    services: &[Service],
    serial: &str,
) -> Result<GeneratedFile, SynthError> {
    let own: Vec<Service> = services.iter().filter(|s| s.office.number == provider.number).cloned().collect();
    let rows = ticket_rows(p, month, created, &own, &provider.number)?;
    Ok(GeneratedFile::csv(file_name("UPJSK", Some(month), provider, p.care_manager, serial), kind("UPJSK")?, rows))
}
