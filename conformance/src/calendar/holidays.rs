//! 国民の祝日 and the days the law makes holidays besides (振替休日, 国民の休日), for the forms' calendars: the 第6表
//! and 第7表 a clerk compares on paper mark them as the wall calendar does.
//!
//! Computed from the rules of 国民の祝日に関する法律 (昭和23年法律第178号) as amended through 平成30年法律第57号, with
//! the one-year moves of the 2020 and 2021 特措法 (Olympic years). 春分の日 and 秋分の日 are fixed each February
//! for the next year by the 官報 (国立天文台's 暦要項); the usual approximation used here gives the published days
//! for 1980–2099. The tests hold the result against the Cabinet Office's published list (内閣府「国民の祝日について」)
//! for 2024–2027 as transcribed below. No crate does this for this toolchain: `jpholiday` 0.2 needs a newer Rust
//! than the project's, 0.1 gets 2021 wrong; `holiday_jp` fetches its data over the network at run time.

use super::{civil_from_days, days_from_civil, weekday, weekday_of_days};

/// The name of the holiday on a day (`(year, month, day)`), if it is one.
pub fn holiday(year: u32, month: u32, day: u32) -> Option<&'static str> {
    // A date that does not exist does not survive the round trip through a day count (2025-02-30 → 03-02).
    if !(1..=12).contains(&month) || civil_from_days(days_from_civil(year, month, day)) != (year, month, day) {
        return None;
    }
    if let Some(name) = national_holiday(year, month, day) {
        return Some(name);
    }
    // 振替休日 (law §3 ②): a holiday on a Sunday moves to the nearest following day that is no holiday.
    let mut back = days_from_civil(year, month, day) - 1;
    loop {
        let (y, m, d) = civil_from_days(back);
        if national_holiday(y, m, d).is_none() {
            break;
        }
        if weekday_of_days(back) == 0 {
            return Some("休日（振替休日）");
        }
        back -= 1;
    }
    // 国民の休日 (law §3 ③): a day between two holidays is a holiday.
    let today = days_from_civil(year, month, day);
    let (py, pm, pd) = civil_from_days(today - 1);
    let (ny, nm, nd) = civil_from_days(today + 1);
    if year >= 1988 && national_holiday(py, pm, pd).is_some() && national_holiday(ny, nm, nd).is_some() {
        return Some("休日（国民の休日）");
    }
    None
}

/// The 国民の祝日 themselves (law §2), without the days §3 adds.
fn national_holiday(year: u32, month: u32, day: u32) -> Option<&'static str> {
    let monday = |nth: u32| nth_monday(year, month, nth) == day;
    Some(match (month, day) {
        (1, 1) => "元日",
        (1, _) if monday(2) => "成人の日",
        (2, 11) => "建国記念の日",
        (2, 23) if year >= 2020 => "天皇誕生日",
        (3, _) if day == spring_equinox(year) => "春分の日",
        (4, 29) => "昭和の日",
        (5, 3) => "憲法記念日",
        (5, 4) => "みどりの日",
        (5, 5) => "こどもの日",
        (7, 23) if year == 2020 => "海の日",
        (7, 22) if year == 2021 => "海の日",
        (7, _) if year != 2020 && year != 2021 && monday(3) => "海の日",
        (7, 24) if year == 2020 => "スポーツの日",
        (7, 23) if year == 2021 => "スポーツの日",
        (8, 10) if year == 2020 => "山の日",
        (8, 8) if year == 2021 => "山の日",
        (8, 11) if year != 2020 && year != 2021 => "山の日",
        (9, _) if monday(3) => "敬老の日",
        (9, _) if day == autumn_equinox(year) => "秋分の日",
        (10, _) if year != 2020 && year != 2021 && monday(2) => "スポーツの日",
        (11, 3) => "文化の日",
        (11, 23) => "勤労感謝の日",
        _ => return None,
    })
}

/// The day of the month of the month's `nth` Monday.
fn nth_monday(year: u32, month: u32, nth: u32) -> u32 {
    let first = weekday(year, month, 1);
    1 + (8 - first) % 7 + 7 * (nth - 1)
}

/// The approximation of the equinoxes' dates (days counted from 1980; valid 1980–2099).
fn equinox(year: u32, base: f64) -> u32 {
    let years = f64::from(year.saturating_sub(1980));
    // `as` truncates toward zero, and the value is positive: the floor the formula calls for.
    (base + 0.242194 * years - (years / 4.0).floor()) as u32
}

fn spring_equinox(year: u32) -> u32 {
    equinox(year, 20.8431)
}

fn autumn_equinox(year: u32) -> u32 {
    equinox(year, 23.2488)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 内閣府「国民の祝日について」, the published list (昭和30年（1955年）から令和9年（2027年）国民の祝日), for
    /// 2024–2027, transcribed by hand: every holiday and no other day.
    const PUBLISHED: &[(u32, u32, u32, &str)] = &[
        (2024, 1, 1, "元日"),
        (2024, 1, 8, "成人の日"),
        (2024, 2, 11, "建国記念の日"),
        (2024, 2, 12, "休日（振替休日）"),
        (2024, 2, 23, "天皇誕生日"),
        (2024, 3, 20, "春分の日"),
        (2024, 4, 29, "昭和の日"),
        (2024, 5, 3, "憲法記念日"),
        (2024, 5, 4, "みどりの日"),
        (2024, 5, 5, "こどもの日"),
        (2024, 5, 6, "休日（振替休日）"),
        (2024, 7, 15, "海の日"),
        (2024, 8, 11, "山の日"),
        (2024, 8, 12, "休日（振替休日）"),
        (2024, 9, 16, "敬老の日"),
        (2024, 9, 22, "秋分の日"),
        (2024, 9, 23, "休日（振替休日）"),
        (2024, 10, 14, "スポーツの日"),
        (2024, 11, 3, "文化の日"),
        (2024, 11, 4, "休日（振替休日）"),
        (2024, 11, 23, "勤労感謝の日"),
        (2025, 1, 1, "元日"),
        (2025, 1, 13, "成人の日"),
        (2025, 2, 11, "建国記念の日"),
        (2025, 2, 23, "天皇誕生日"),
        (2025, 2, 24, "休日（振替休日）"),
        (2025, 3, 20, "春分の日"),
        (2025, 4, 29, "昭和の日"),
        (2025, 5, 3, "憲法記念日"),
        (2025, 5, 4, "みどりの日"),
        (2025, 5, 5, "こどもの日"),
        (2025, 5, 6, "休日（振替休日）"),
        (2025, 7, 21, "海の日"),
        (2025, 8, 11, "山の日"),
        (2025, 9, 15, "敬老の日"),
        (2025, 9, 23, "秋分の日"),
        (2025, 10, 13, "スポーツの日"),
        (2025, 11, 3, "文化の日"),
        (2025, 11, 23, "勤労感謝の日"),
        (2025, 11, 24, "休日（振替休日）"),
        (2026, 1, 1, "元日"),
        (2026, 1, 12, "成人の日"),
        (2026, 2, 11, "建国記念の日"),
        (2026, 2, 23, "天皇誕生日"),
        (2026, 3, 20, "春分の日"),
        (2026, 4, 29, "昭和の日"),
        (2026, 5, 3, "憲法記念日"),
        (2026, 5, 4, "みどりの日"),
        (2026, 5, 5, "こどもの日"),
        (2026, 5, 6, "休日（振替休日）"),
        (2026, 7, 20, "海の日"),
        (2026, 8, 11, "山の日"),
        (2026, 9, 21, "敬老の日"),
        (2026, 9, 22, "休日（国民の休日）"),
        (2026, 9, 23, "秋分の日"),
        (2026, 10, 12, "スポーツの日"),
        (2026, 11, 3, "文化の日"),
        (2026, 11, 23, "勤労感謝の日"),
        (2027, 1, 1, "元日"),
        (2027, 1, 11, "成人の日"),
        (2027, 2, 11, "建国記念の日"),
        (2027, 2, 23, "天皇誕生日"),
        (2027, 3, 21, "春分の日"),
        (2027, 3, 22, "休日（振替休日）"),
        (2027, 4, 29, "昭和の日"),
        (2027, 5, 3, "憲法記念日"),
        (2027, 5, 4, "みどりの日"),
        (2027, 5, 5, "こどもの日"),
        (2027, 7, 19, "海の日"),
        (2027, 8, 11, "山の日"),
        (2027, 9, 20, "敬老の日"),
        (2027, 9, 23, "秋分の日"),
        (2027, 10, 11, "スポーツの日"),
        (2027, 11, 3, "文化の日"),
        (2027, 11, 23, "勤労感謝の日"),
    ];

    #[test]
    fn every_day_of_2024_to_2027_matches_the_published_list() {
        for year in 2024..=2027 {
            for month in 1..=12 {
                for day in 1..=31 {
                    let published =
                        PUBLISHED.iter().find(|(y, m, d, _)| (*y, *m, *d) == (year, month, day)).map(|h| h.3);
                    assert_eq!(holiday(year, month, day), published, "{year}-{month:02}-{day:02}");
                }
            }
        }
    }

    /// The Olympic years' moves (2020 and 2021 特措法) and the first 天皇誕生日 on 2/23.
    #[test]
    fn the_olympic_years_moved_three_holidays() {
        assert_eq!(holiday(2020, 7, 23), Some("海の日"));
        assert_eq!(holiday(2020, 7, 24), Some("スポーツの日"));
        assert_eq!(holiday(2020, 8, 10), Some("山の日"));
        assert_eq!(holiday(2020, 10, 12), None);
        assert_eq!(holiday(2021, 7, 22), Some("海の日"));
        assert_eq!(holiday(2021, 8, 9), Some("休日（振替休日）"));
        assert_eq!(holiday(2021, 8, 11), None);
    }

    #[test]
    fn days_that_do_not_exist_are_no_holidays() {
        assert_eq!(holiday(2025, 2, 30), None);
        assert_eq!(holiday(2025, 13, 1), None);
    }
}
