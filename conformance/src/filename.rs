//! File names of the v4.1 pattern (README §5):
//! `<PREFIX>[_<YYYYMM>]_<送信元事業所番号 10>_<送信元種類 2>_<送信先事業所番号 10>_<送信先種類 2>_<連番 14>.CSV`.

use crate::calendar::{is_digits, is_timestamp};
use crate::spec::{spec, Kind};

/// One party in a file name: 事業所番号 + サービス種類コード.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Party {
    pub office: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileName {
    pub kind: String,
    /// `_<YYYYMM>` for kinds that carry one (`000000` for a plan-bundle 利用者補足情報)
    pub month: Option<String>,
    pub sender: Party,
    pub recipient: Party,
    /// the 14-digit ファイル連番 shared by every file of a send unit
    pub serial: String,
    /// 枝番 of a family-structure image
    pub branch: Option<String>,
    pub extension: String,
}

impl FileName {
    /// The send unit the file belongs to: its ファイル連番 and its parties. S1 §2.4 and §3.4 give a unit's files one
    /// serial; nothing makes a serial (the time of export, to the second) unique across units, and software that
    /// exports a month's tickets for every provider at once gives them all one, so the parties tell the units apart.
    /// Sorts by serial first.
    pub fn send_unit(&self) -> String {
        format!(
            "{}_{}_{}_{}_{}",
            self.serial, self.sender.office, self.sender.kind, self.recipient.office, self.recipient.kind
        )
    }

    /// Sender and recipient as the name writes them, `office_kind → office_kind`.
    pub fn parties(&self) -> String {
        format!("{}_{} → {}_{}", self.sender.office, self.sender.kind, self.recipient.office, self.recipient.kind)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    /// no known kind prefix
    UnknownPrefix,
    /// the v3.x pattern without service-kind codes
    Legacy,
    /// a part is missing or malformed: (what, the text found)
    BadPart { part: &'static str, found: String },
    /// a character that looks like `_` but is not (U+0332 from PDF extractions, full-width ＿)
    LookalikeSeparator,
    /// not `.CSV` (or `.jpg` for images)
    BadExtension(String),
}

impl FileName {
    pub fn kind(&self) -> Option<&'static Kind> {
        spec().kind(&self.kind)
    }

    pub fn lowercase_extension(&self) -> bool {
        self.extension.chars().any(|c| c.is_ascii_lowercase())
    }

    /// The name this file would have in canonical form.
    pub fn canonical(&self) -> String {
        let mut parts = vec![self.kind.clone()];
        parts.extend(self.month.clone());
        parts.extend([
            self.sender.office.clone(),
            self.sender.kind.clone(),
            self.recipient.office.clone(),
            self.recipient.kind.clone(),
            self.serial.clone(),
        ]);
        parts.extend(self.branch.clone());
        format!("{}.{}", parts.join("_"), self.extension.to_ascii_uppercase())
    }
}

fn is_kind_code(value: &str) -> bool {
    value.len() == 2 && value.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

/// The kind a file name's prefix names, even when the rest of the name is malformed: `UP1KYO_…_43_….csv` with a
/// part missing is still a 第1表.
pub fn prefix_kind(name: &str) -> Option<&'static Kind> {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    spec()
        .kinds
        .iter()
        .filter(|kind| {
            stem.strip_prefix(kind.code.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('_'))
        })
        .max_by_key(|kind| kind.code.len())
}

pub fn parse(name: &str) -> Result<FileName, NameError> {
    if name.contains(['\u{0332}', '＿']) {
        return Err(NameError::LookalikeSeparator);
    }
    let (stem, extension) = name.rsplit_once('.').unwrap_or((name, ""));
    let kind = spec()
        .kinds
        .iter()
        .filter(|kind| stem.starts_with(&format!("{}_", kind.code)))
        .max_by_key(|kind| kind.code.len())
        .ok_or(NameError::UnknownPrefix)?;
    let expected_extension = if kind.is_csv() { "CSV" } else { "JPG" };
    if !extension.eq_ignore_ascii_case(expected_extension) {
        return Err(NameError::BadExtension(extension.to_string()));
    }
    let parts: Vec<&str> = stem[kind.code.len() + 1..].split('_').collect();
    let mut parts = parts.as_slice();
    let month = if kind.month_in_name {
        let (first, rest) = parts.split_first().ok_or(bad("対象年月", ""))?;
        if first.len() != 6 || !is_digits(first) {
            return Err(bad("対象年月", first));
        }
        parts = rest;
        Some(first.to_string())
    } else {
        None
    };
    let expected = if kind.is_csv() { 5 } else { 6 };
    // v3.x names: <from10>_<to10>_<ts14>, no service-kind codes.
    if parts.len() == 3 && parts[0].len() == 10 && parts[1].len() == 10 && parts[2].len() == 14 {
        return Err(NameError::Legacy);
    }
    if parts.len() != expected {
        return Err(bad("構成", &parts.join("_")));
    }
    let office = |part: &str, what: &'static str| -> Result<String, NameError> {
        if part.len() == 10 && is_digits(part) {
            Ok(part.to_string())
        } else {
            Err(bad(what, part))
        }
    };
    let service_kind = |part: &str, what: &'static str| -> Result<String, NameError> {
        if is_kind_code(part) {
            Ok(part.to_string())
        } else {
            Err(bad(what, part))
        }
    };
    let sender = Party {
        office: office(parts[0], "送信元事業所番号")?,
        kind: service_kind(parts[1], "送信元サービス種類コード")?,
    };
    let recipient = Party {
        office: office(parts[2], "送信先事業所番号")?,
        kind: service_kind(parts[3], "送信先サービス種類コード")?,
    };
    if !is_timestamp(parts[4]) {
        return Err(bad("ファイル連番", parts[4]));
    }
    let branch = if kind.is_csv() {
        None
    } else if parts[5].len() == 4 && is_digits(parts[5]) {
        Some(parts[5].to_string())
    } else {
        return Err(bad("枝番", parts[5]));
    };
    Ok(FileName {
        kind: kind.code.clone(),
        month,
        sender,
        recipient,
        serial: parts[4].to_string(),
        branch,
        extension: extension.to_string(),
    })
}

fn bad(part: &'static str, found: &str) -> NameError {
    NameError::BadPart { part, found: found.to_string() }
}

/// The base name of a path, the part a file name rule looks at.
pub fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spec_examples() {
        let name = parse("UP1KYO_0300000100_43_0300000005_11_20191025200201.CSV");
        assert_eq!(
            name,
            Ok(FileName {
                kind: "UP1KYO".into(),
                month: None,
                sender: Party { office: "0300000100".into(), kind: "43".into() },
                recipient: Party { office: "0300000005".into(), kind: "11".into() },
                serial: "20191025200201".into(),
                branch: None,
                extension: "CSV".into(),
            })
        );
        let supplement = parse("UPHOSOKU_000000_0300000100_43_0300000005_11_20191025200201.CSV");
        assert_eq!(supplement.map(|n| n.month), Ok(Some("000000".to_string())));
        let image = parse("UPKIHON_IMAGE_0300000100_43_0300000005_11_20191025200201_0001.JPG");
        assert_eq!(image.map(|n| (n.kind, n.branch)), Ok(("UPKIHON_IMAGE".to_string(), Some("0001".to_string()))));
        let sub = parse("UPKIHON_SUB1_0300000100_43_0300000005_11_20191025200201.CSV");
        assert_eq!(sub.map(|n| n.kind), Ok("UPKIHON_SUB1".to_string()));
    }

    #[test]
    fn recognises_problems() {
        assert_eq!(parse("UPPLAN_201912_0300000100_0300000005_20191025200201.CSV"), Err(NameError::Legacy));
        assert_eq!(parse("PLAN_0300000100_43_0300000005_11_20191025200201.CSV"), Err(NameError::UnknownPrefix));
        assert_eq!(
            parse("UP1KYO_123456789_43_0300000005_11_20191025200201.CSV"),
            Err(NameError::BadPart { part: "送信元事業所番号", found: "123456789".into() })
        );
        assert_eq!(
            parse("UP1KYO\u{0332}0300000100_43_0300000005_11_20191025200201.CSV"),
            Err(NameError::LookalikeSeparator)
        );
        assert_eq!(
            parse("UP1KYO_0300000100_43_0300000005_11_20191025200201.TXT"),
            Err(NameError::BadExtension("TXT".into()))
        );
        // The prefix still names the kind when the rest of the name is broken; a misspelt prefix names none.
        assert_eq!(prefix_kind("UP1KYO_0300000100_43_20191025200201.csv").map(|k| k.code.as_str()), Some("UP1KYO"));
        assert_eq!(prefix_kind("UPKIHON_SUB1_0300000100.CSV").map(|k| k.code.as_str()), Some("UPKIHON_SUB1"));
        assert_eq!(prefix_kind("UPJSK__43_0300000100_11_20191025200201.CSV").map(|k| k.code.as_str()), Some("UPJSK"));
        assert!(prefix_kind("UPKHON_0300000100_43_0300000005_11_20191025200201.CSV").is_none());
        let lower = parse("UP1KYO_0300000100_43_0300000005_11_20191025200201.csv");
        assert_eq!(lower.map(|n| n.lowercase_extension()), Ok(true));
    }
}
