//! Calendar checks for the spec's YYYYMMDD / YYYYMM / HHMM values, day counts and weekdays, and (`holidays`) the
//! days the forms' calendars mark.

pub mod holidays;

pub fn is_digits(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())
}

fn number(digits: &str) -> Option<u32> {
    if is_digits(digits) {
        digits.parse().ok()
    } else {
        None
    }
}

pub fn is_leap_year(year: u32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// `(year, month)` of a valid YYYYMM.
pub fn parse_month(value: &str) -> Option<(u32, u32)> {
    if value.len() != 6 {
        return None;
    }
    let year = number(value.get(..4)?)?;
    let month = number(value.get(4..)?)?;
    (year >= 1900 && (1..=12).contains(&month)).then_some((year, month))
}

/// `(year, month, day)` of a valid YYYYMMDD.
pub fn parse_date(value: &str) -> Option<(u32, u32, u32)> {
    if value.len() != 8 {
        return None;
    }
    let (year, month) = parse_month(value.get(..6)?)?;
    let day = number(value.get(6..)?)?;
    (1..=days_in_month(year, month)).contains(&day).then_some((year, month, day))
}

/// Minutes since midnight of a valid HHMM (0000–2359; 2400 only when `allow_2400`).
pub fn parse_time(value: &str, allow_2400: bool) -> Option<u32> {
    if value.len() != 4 {
        return None;
    }
    let hours = number(value.get(..2)?)?;
    let minutes = number(value.get(2..)?)?;
    if allow_2400 && hours == 24 && minutes == 0 {
        return Some(24 * 60);
    }
    (hours < 24 && minutes < 60).then_some(hours * 60 + minutes)
}

/// Seconds since 1970-01-01 00:00 UTC as RFC 3339 (`2026-11-29T14:20:00Z`), by the proleptic Gregorian calendar.
pub fn utc_timestamp(seconds: u64) -> String {
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(i64::try_from(days).unwrap_or(i64::MAX / 2));
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
pub fn days_from_civil(year: u32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let m = i64::from(month);
    let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day count since 1970-01-01 (H. Hinnant's civil_from_days, the inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (u32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Month and day are 1–12 and 1–31; a year before 0 or past u32 is clamped, far outside any date asked about.
    (u32::try_from(year.max(0)).unwrap_or(u32::MAX), month as u32, day as u32)
}

/// 0 = Sunday … 6 = Saturday.
pub fn weekday(year: u32, month: u32, day: u32) -> u32 {
    weekday_of_days(days_from_civil(year, month, day))
}

fn weekday_of_days(days: i64) -> u32 {
    // 1970-01-01 was a Thursday.
    (days + 4).rem_euclid(7) as u32
}

/// A 14-digit YYYYMMDDHHMMSS timestamp.
pub fn is_timestamp(value: &str) -> bool {
    value.len() == 14
        && parse_date(&value[..8]).is_some()
        && parse_time(&value[8..12], false).is_some()
        && number(&value[12..]).is_some_and(|seconds| seconds < 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_and_day_counts_agree() {
        assert_eq!(weekday(2025, 5, 3), 6); // a Saturday
        assert_eq!(weekday(1970, 1, 1), 4);
        assert_eq!(weekday(2028, 2, 29), 2);
        for days in -1000..30_000 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(utc_timestamp(1_764_426_000), "2025-11-29T14:20:00Z");
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("20250228"), Some((2025, 2, 28)));
        assert_eq!(parse_date("20250230"), None);
        assert_eq!(parse_date("20240229"), Some((2024, 2, 29)));
        assert_eq!(parse_date("21000229"), None);
        assert_eq!(parse_date("2025021"), None);
        assert_eq!(parse_date("2025-2-1"), None);
        assert_eq!(parse_date("２０２５０２０１"), None);
    }

    #[test]
    fn months_and_times() {
        assert_eq!(parse_month("202504"), Some((2025, 4)));
        assert_eq!(parse_month("202513"), None);
        assert_eq!(parse_month("000000"), None);
        assert_eq!(parse_time("2359", false), Some(1439));
        assert_eq!(parse_time("2400", false), None);
        assert_eq!(parse_time("2400", true), Some(1440));
        assert_eq!(parse_time("2561", true), None);
        assert!(is_timestamp("20191025200201"));
        assert!(!is_timestamp("20191025250201"));
    }

    #[test]
    fn utc_timestamps() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_timestamp(1_795_962_061), "2026-11-29T14:21:01Z");
    }
}
