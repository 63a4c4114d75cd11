//! Fictional people, places and offices. Names are random pairings of common surnames and given names; places
//! are invented town names inside real prefectures; insurer numbers have the 地方公共団体コード check digit.

use crate::synth::Rng;

pub struct Name {
    pub kanji: &'static str,
    pub kana: &'static str,
}

pub const SURNAMES: &[Name] = &[
    Name { kanji: "佐藤", kana: "サトウ" },
    Name { kanji: "鈴木", kana: "スズキ" },
    Name { kanji: "高橋", kana: "タカハシ" },
    Name { kanji: "田中", kana: "タナカ" },
    Name { kanji: "伊藤", kana: "イトウ" },
    Name { kanji: "渡辺", kana: "ワタナベ" },
    Name { kanji: "山本", kana: "ヤマモト" },
    Name { kanji: "中村", kana: "ナカムラ" },
    Name { kanji: "小林", kana: "コバヤシ" },
    Name { kanji: "加藤", kana: "カトウ" },
    Name { kanji: "吉田", kana: "ヨシダ" },
    Name { kanji: "山田", kana: "ヤマダ" },
    Name { kanji: "松本", kana: "マツモト" },
    Name { kanji: "井上", kana: "イノウエ" },
    Name { kanji: "木村", kana: "キムラ" },
    Name { kanji: "斎藤", kana: "サイトウ" },
];

pub const FEMALE_NAMES: &[Name] = &[
    Name { kanji: "ハル", kana: "ハル" },
    Name { kanji: "キヨ", kana: "キヨ" },
    Name { kanji: "文子", kana: "フミコ" },
    Name { kanji: "和子", kana: "カズコ" },
    Name { kanji: "節子", kana: "セツコ" },
    Name { kanji: "幸子", kana: "サチコ" },
    Name { kanji: "千代", kana: "チヨ" },
    Name { kanji: "トシ子", kana: "トシコ" },
];

pub const MALE_NAMES: &[Name] = &[
    Name { kanji: "茂", kana: "シゲル" },
    Name { kanji: "清", kana: "キヨシ" },
    Name { kanji: "勇", kana: "イサム" },
    Name { kanji: "正雄", kana: "マサオ" },
    Name { kanji: "義男", kana: "ヨシオ" },
    Name { kanji: "一郎", kana: "イチロウ" },
    Name { kanji: "弘", kana: "ヒロシ" },
    Name { kanji: "武", kana: "タケシ" },
];

/// Invented towns: (prefecture code, 市町村 code of 3 digits, address prefix, postal prefix).
pub const TOWNS: &[(&str, &str, &str, &str)] = &[
    ("13", "901", "東京都みどり市桜台", "190"),
    ("27", "902", "大阪府あおば市北町", "569"),
    ("01", "903", "北海道しらかば町栄", "069"),
    ("40", "904", "福岡県ひかり市中央", "811"),
];

pub struct Person {
    pub surname: &'static Name,
    pub given: &'static Name,
    /// `1` 男性, `2` 女性
    pub sex: &'static str,
    pub birth_date: String,
    pub postal: String,
    pub address1: String,
    pub address2: String,
    pub phone: String,
    pub insurer: String,
    pub insured: String,
}

impl Person {
    pub fn name(&self) -> String {
        format!("{}　{}", self.surname.kanji, self.given.kanji)
    }

    pub fn kana(&self) -> String {
        format!("{}　{}", self.surname.kana, self.given.kana)
    }

    pub fn new(rng: &mut Rng) -> Person {
        let surname = rng.pick(SURNAMES);
        let female = rng.chance(60);
        let given = if female { rng.pick(FEMALE_NAMES) } else { rng.pick(MALE_NAMES) };
        let town = rng.pick(TOWNS);
        let birth_year = rng.range(1930, 1952);
        Person {
            surname,
            given,
            sex: if female { "2" } else { "1" },
            birth_date: format!("{birth_year}{:02}{:02}", rng.range(1, 12), rng.range(1, 28)),
            postal: format!("{}-{}", town.3, rng.digits(4)),
            address1: format!("{}{}丁目{}番{}号", town.2, rng.range(1, 5), rng.range(1, 30), rng.range(1, 20)),
            address2: if rng.chance(30) { format!("みどり荘{}号室", rng.range(101, 305)) } else { String::new() },
            phone: format!("0{}-{}-{}", rng.range(10, 99), rng.digits(3), rng.digits(4)),
            insurer: insurer_number_in(town.0, town.1),
            insured: format!("{:010}", rng.range(1_000_000, 999_999_999)),
        }
    }
}

/// The 地方公共団体コード check digit: weights 6,5,4,3,2 over the five digits, 11 − (sum mod 11), last digit.
pub fn check_digit(five: &str) -> char {
    let sum: u32 = five.bytes().zip([6, 5, 4, 3, 2]).map(|(b, w)| u32::from(b - b'0') * w).sum();
    let digit = (11 - sum % 11) % 10;
    char::from(b'0' + digit as u8)
}

fn insurer_number_in(prefecture: &str, town: &str) -> String {
    let five = format!("{prefecture}{town}");
    format!("{five}{}", check_digit(&five))
}

pub fn insurer_number(rng: &mut Rng) -> String {
    let town = rng.pick(TOWNS);
    insurer_number_in(town.0, town.1)
}

/// A short, plausible free text for items nobody reads in tests.
pub fn free_text(rng: &mut Rng) -> String {
    rng.pick(&[
        "特記事項なし",
        "本人・家族と相談のうえ決定",
        "状態に応じて見直す",
        "週２回",
        "自宅で安心して暮らしたい",
    ])
    .to_string()
}

/// A fictional office.
#[derive(Debug, Clone)]
pub struct Office {
    pub number: String,
    /// サービス種類コード (43 for 居宅介護支援)
    pub kind: &'static str,
    pub name: String,
    pub postal: String,
    pub address: String,
}

impl Office {
    /// `serial` keeps office numbers of one scenario distinct.
    pub fn new(kind: &'static str, name: &str, prefecture: &str, serial: u32) -> Office {
        let town = TOWNS.iter().find(|t| t.0 == prefecture).unwrap_or(&TOWNS[0]);
        // 都道府県 2 + 7 (介護保険) + 6-digit serial + check digit (mod 10, for a plausible look only).
        let body = format!("{prefecture}7{serial:06}");
        let sum: u32 = body.bytes().map(|b| u32::from(b - b'0')).sum();
        Office {
            number: format!("{body}{}", sum % 10),
            kind,
            name: name.to_string(),
            postal: format!("{}-{:04}", town.3, 1000 + serial % 9000),
            address: format!("{}{}丁目{}番地", town.2, serial % 5 + 1, serial % 40 + 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_matches_known_codes() {
        // 千代田区 131016, 札幌市 011002, 大阪市 271004
        assert_eq!(check_digit("13101"), '6');
        assert_eq!(check_digit("01100"), '2');
        assert_eq!(check_digit("27100"), '4');
    }
}
