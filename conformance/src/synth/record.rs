//! Records built from the model: every item gets a value valid for its type, length, code table and format,
//! and scenario code overrides items by identifier.

use crate::billing::{grand_total_code, grand_total_office, GRAND_TOTAL_SUMS};
use crate::spec::{current_csv_version, spec, Format, Item, ItemType, Kind};
use crate::synth::{Rng, SynthError};

/// A record under construction, addressed by item identifier.
#[derive(Debug, Clone)]
pub struct RecordBuilder {
    kind: &'static Kind,
    values: Vec<String>,
}

impl RecordBuilder {
    /// A record whose every item is empty except the CSVバージョン.
    pub fn new(kind: &'static Kind) -> RecordBuilder {
        let mut values = vec![String::new(); kind.items.len()];
        if let Some(first) = values.first_mut() {
            *first = current_csv_version().value.clone();
        }
        RecordBuilder { kind, values }
    }

    pub fn set(&mut self, id: &str, value: impl Into<String>) -> Result<&mut Self, SynthError> {
        let index = self
            .kind
            .index_of(id)
            .ok_or_else(|| SynthError::UnknownItem { kind: self.kind.code.clone(), id: id.to_string() })?;
        self.values[index] = value.into();
        Ok(self)
    }

    /// Fills every required (or likely required) item still empty with a valid value.
    pub fn fill_required(&mut self, rng: &mut Rng) -> &mut Self {
        for (index, item) in self.kind.items.iter().enumerate() {
            if self.values[index].is_empty() && item.required != crate::spec::Required::No {
                self.values[index] = valid_value(item, rng);
            }
        }
        self
    }

    pub fn build(&self) -> Vec<String> {
        self.values.clone()
    }
}

/// A value that every field rule accepts for this item (used for fill-in and by the property tests).
pub fn valid_value(item: &Item, rng: &mut Rng) -> String {
    if item.id == "csv_version" {
        return current_csv_version().value.clone();
    }
    if item.unused {
        return String::new();
    }
    if let Some(table) = item.codes.as_deref().and_then(|name| spec().codes(name)) {
        let covered: Vec<_> = table.values.iter().filter(|v| v.covered != Some(false)).collect();
        return rng.pick(&covered).code.clone();
    }
    match item.format {
        Some(Format::DayFlags) => return (0..31).map(|_| if rng.chance(30) { '1' } else { '0' }).collect(),
        Some(Format::ServiceCode | Format::ServiceCodeOrTotal) => {
            return format!("{}{}", rng.pick(&["11", "15", "13", "16"]), rng.digits(4));
        }
        Some(Format::EquipmentCode) => return format!("{}-{}", rng.digits(5), rng.digits(6)),
        _ => {}
    }
    let max = item.len.map_or(12, usize::from);
    match item.ty {
        ItemType::Ym => format!("{}{:02}", rng.range(2024, 2026), rng.range(1, 12)),
        ItemType::Date => {
            let (year, month) = (rng.range(2024, 2026), rng.range(1, 12));
            let days = u64::from(crate::calendar::days_in_month(year as u32, month as u32));
            format!("{year}{month:02}{:02}", rng.range(1, days))
        }
        ItemType::Time => format!("{:02}{:02}", rng.range(0, 23), rng.range(0, 59)),
        ItemType::Num => rng.range(0, 10u64.pow(max.min(6) as u32) - 1).to_string(),
        // 整数 items carry negative 減算 units now and then (S2 第6表 No.8).
        ItemType::Int => {
            let magnitude = rng.range(0, 10u64.pow(max.min(6) as u32) - 1);
            if magnitude > 0 && rng.chance(20) {
                format!("-{magnitude}")
            } else {
                magnitude.to_string()
            }
        }
        ItemType::Dec => format!("{}.{:02}", rng.range(10, 11), rng.range(0, 99)),
        ItemType::Office => format!("{}7{}", rng.pick(&["01", "13", "27", "40"]), rng.digits(7)),
        ItemType::Insurer => crate::synth::people::insurer_number(rng),
        ItemType::Insured => {
            if rng.chance(5) {
                format!("H{}", rng.digits(9))
            } else {
                rng.digits(10)
            }
        }
        ItemType::An => rng.digits(max.min(2)),
        ItemType::Postal => format!("{}-{}", rng.digits(3), rng.digits(4)),
        ItemType::Tel => format!("0{}-{}-{}", rng.digits(2), rng.digits(4), rng.digits(4)),
        ItemType::Code => String::new(),
        ItemType::Text => crate::synth::people::free_text(rng),
    }
}

/// A record of `kind` with a valid value in every item (and the 全合計 special values where needed).
pub fn arbitrary_record(kind: &'static Kind, rng: &mut Rng) -> Vec<String> {
    let mut values: Vec<String> = kind.items.iter().map(|item| valid_value(item, rng)).collect();
    // Keep the cross-item rules true for an otherwise random record.
    let set = |values: &mut Vec<String>, id: &str, value: String| {
        if let Some(index) = kind.index_of(id) {
            values[index] = value;
        }
    };
    let get = |values: &Vec<String>, id: &str| kind.index_of(id).map(|i| values[i].clone()).unwrap_or_default();
    for (from, to) in [
        ("certification_valid_from", "certification_valid_to"),
        ("limit_period_start", "limit_period_end"),
        ("first_care_plan_date", "care_plan_date"),
        ("first_plan_date", "plan_date"),
        ("start_time", "end_time"),
        ("service_start_time", "service_end_time"),
        ("activity_start_time", "activity_end_time"),
    ] {
        let (a, b) = (get(&values, from), get(&values, to));
        if a > b {
            set(&mut values, from, b);
            set(&mut values, to, a);
        }
    }
    // A product carries a TAIS code or a 福祉用具届出コード, not both (REC019).
    if !get(&values, "tais_code").is_empty() {
        set(&mut values, "equipment_notification_code", String::new());
    }
    // The service month is one the current CSVバージョン applies to (its 適用開始年月 in versions.toml; FIL012).
    let from = crate::spec::csv_version(&crate::spec::current_csv_version().value)
        .and_then(|version| crate::calendar::parse_month(&version.applies_from));
    if let (Some(month_id), Some((first_year, first_month))) = (kind.service_month.as_deref(), from) {
        let year = rng.range(u64::from(first_year), u64::from(first_year) + 1);
        let month =
            if year == u64::from(first_year) { rng.range(u64::from(first_month), 12) } else { rng.range(1, 12) };
        set(&mut values, month_id, format!("{year}{month:02}"));
    }
    // A number the spec gives a range (第2表 課題ＮＯ 「１～99」) lies in it (FLD024); an item the spec asks to be
    // filled when another holds some code is filled then (REC007).
    for (index, item) in kind.items.iter().enumerate() {
        if let Some([low, high]) = item.range {
            if values[index].parse::<u64>().map_or(true, |n| n < low || n > high) {
                values[index] = rng.range(low, high.min(low + 8)).to_string();
            }
        }
        if let Some(when) = &item.filled_when {
            if when.values.contains(&get(&values, &when.item)) && values[index].trim().is_empty() {
                values[index] = crate::synth::people::free_text(rng);
            }
        }
    }
    match kind.code.as_str() {
        "UPHOSOKU" => {
            set(&mut values, "target_month", "000000".into());
            // The type-limit slots are filled from slot 1 without gaps (REC015), and 短期入所療養介護 is 22 (REC016).
            let mut gap = false;
            for slot in 1..=9 {
                let ids = ["service_kind", "limit_units", "total_units", "over_units"]
                    .map(|part| format!("type_limit_{slot}_{part}"));
                let filled = ids.iter().any(|id| !get(&values, id).is_empty());
                if gap {
                    ids.iter().for_each(|id| set(&mut values, id, String::new()));
                }
                gap |= !filled;
                let kind_id = &ids[0];
                if matches!(get(&values, kind_id).as_str(), "23" | "2A") {
                    set(&mut values, kind_id, "22".into());
                }
            }
        }
        "UP1KYO" => {
            let reason = get(&values, "life_support_reason");
            if reason != "3" {
                set(&mut values, "life_support_reason_other", String::new());
            }
        }
        "UPYOBO_SUB" => {
            // The 支援計画 and 利用サービス of a row alone under its 課題ＮＯ are numbered 1 (FIL018).
            for id in ["support_plan_no", "service_no"] {
                if !get(&values, id).is_empty() {
                    set(&mut values, id, "1".into());
                }
            }
        }
        "UP3KYO" => {
            for id in ["daily_activity", "activity_start_time", "activity_end_time", "non_weekly_service"] {
                set(&mut values, id, String::new());
            }
        }
        "UPPLAN" | "UPJSK" => {
            let month = get(&values, "target_month");
            set(&mut values, "service_date", format!("{month}{:02}", rng.range(1, 28)));
            set(&mut values, "daily_rate_days", format!("{}{}", "1".repeat(28), "0".repeat(3)));
            // 明細判別コード numbers rental rows of one code and units only: never on another kind's row (REC014),
            // nor on a rental row that has no twin (FIL017).
            set(&mut values, "detail_discriminator", String::new());
        }
        "UPSIKYU" => {
            set(&mut values, "service_code", grand_total_code().into());
            set(&mut values, "service_office_code", grand_total_office().into());
            set(&mut values, "units", "0".into());
            set(&mut values, "discount_rate", String::new());
            set(&mut values, "discounted_units", String::new());
            // Empty totals: no recomputation applies to a random 全合計 row.
            for id in GRAND_TOTAL_SUMS.iter().chain(&["service_units_amount"]) {
                set(&mut values, id, String::new());
            }
        }
        _ => {}
    }
    values
}
