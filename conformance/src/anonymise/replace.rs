//! One value replaced character by character, in the file's own bytes.
//!
//! A character is replaced only by another of the same *pool*: the same block (ASCII digits, full-width letters,
//! hiragana, katakana, 半角カナ, kanji, supplementary kanji, 外字) and the same [`CharClass`] — the class the
//! encoding rules judge by. So every replacement has the same byte length in the file's encoding and the same
//! shape for every rule (digits stay digits, a machine-dependent kanji stays machine-dependent, 半角カナ stays
//! 半角カナ). Everything else — spaces, punctuation, `""`, line breaks, bytes that do not decode — keeps its
//! bytes.
//!
//! The character at position *i* with index *j* in its pool of *m* becomes the one at `(j + 1 + d mod (m−1)) mod
//! m`, where *d* is drawn from a keyed chain over the value's characters before *i*. So no character is replaced by
//! itself, equal values are replaced alike (in every file of a unit: the joins hold), and two different values
//! stay different (the map is a bijection): no duplicate appears or disappears.

use std::collections::HashMap;
use std::sync::LazyLock;

use encoding_rs::{EncoderResult, SHIFT_JIS};

use crate::anonymise::keyed::{Chain, Key};
use crate::calendar::parse_date;
use crate::codec::chars::{classify, CharClass};
use crate::spec::Personal;

/// How a file's bytes are read: Shift_JIS (CP932), or UTF-8 (ASCII reads alike either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Bytes {
    ShiftJis,
    Utf8,
}

/// The blocks pools are drawn from; a pool is one block's characters of one class.
const BLOCKS: &[&[(u32, u32)]] = &[
    &[(0x30, 0x39)],                                         // 0-9
    &[(0x41, 0x5A)],                                         // A-Z
    &[(0x61, 0x7A)],                                         // a-z
    &[(0xFF10, 0xFF19)],                                     // ０-９
    &[(0xFF21, 0xFF3A)],                                     // Ａ-Ｚ
    &[(0xFF41, 0xFF5A)],                                     // ａ-ｚ
    &[(0x3041, 0x3096)],                                     // ぁ-ゖ
    &[(0x30A1, 0x30F6)],                                     // ァ-ヶ
    &[(0xFF66, 0xFF9D)],                                     // ｦ-ﾝ (not the sound marks ﾞﾟ)
    &[(0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF)], // kanji of the BMP
    &[(0x20000, 0x2FFFF)],                                   // kanji beyond the BMP (UTF-8 only)
    &[(0xE000, 0xE757)],                                     // 外字: the private-use area CP932 maps
];

/// The characters of one block and class, in order, with their Shift_JIS bytes (looked up once here: the
/// encoder searches its tables for each kanji).
struct Pool {
    chars: Vec<char>,
    shift_jis: Vec<Option<Vec<u8>>>,
}

/// Each character's pool, by (block, class).
static POOLS: LazyLock<HashMap<(usize, CharClass), Pool>> = LazyLock::new(|| {
    let mut pools: HashMap<(usize, CharClass), Pool> = HashMap::new();
    for (block, ranges) in BLOCKS.iter().enumerate() {
        for &(first, last) in *ranges {
            for c in (first..=last).filter_map(char::from_u32) {
                let pool =
                    pools.entry((block, classify(c))).or_insert(Pool { chars: Vec::new(), shift_jis: Vec::new() });
                pool.chars.push(c);
                // No Shift_JIS file holds a character without a Shift_JIS form: do not look for one.
                let bytes = if classify(c) == CharClass::Unrepresentable { None } else { shift_jis(c) };
                pool.shift_jis.push(bytes);
            }
        }
    }
    pools
});

fn pool(c: char) -> Option<&'static Pool> {
    let code = u32::from(c);
    let block = BLOCKS.iter().position(|ranges| ranges.iter().any(|&(first, last)| (first..=last).contains(&code)))?;
    POOLS.get(&(block, classify(c))).filter(|pool| pool.chars.len() > 1)
}

/// Whether a character of a value of this class is replaced: 被保険者番号 keeps its letter (`H` + 9 digits is a
/// shape the spec gives), every other class replaces every character that has a pool.
fn replaced(class: Personal, c: char) -> bool {
    !(class == Personal::Insured && c.is_ascii_alphabetic())
}

/// The value's characters as they lie in its bytes: each with its byte range, `None` where bytes do not decode.
fn units(bytes: &[u8], encoding: Bytes) -> Vec<(std::ops::Range<usize>, Option<char>)> {
    let mut units = Vec::new();
    match encoding {
        Bytes::Utf8 => {
            let mut at = 0;
            for chunk in bytes.utf8_chunks() {
                for c in chunk.valid().chars() {
                    units.push((at..at + c.len_utf8(), Some(c)));
                    at += c.len_utf8();
                }
                if !chunk.invalid().is_empty() {
                    units.push((at..at + chunk.invalid().len(), None));
                    at += chunk.invalid().len();
                }
            }
        }
        Bytes::ShiftJis => {
            // The decoder's steps (WHATWG Shift_JIS): a lead byte and a trail byte make one character, or one
            // error; a trail byte that is ASCII after a bad pair is read again on its own.
            let mut at = 0;
            while at < bytes.len() {
                let byte = bytes[at];
                let lead = matches!(byte, 0x81..=0x9F | 0xE0..=0xFC);
                let trail = bytes.get(at + 1).copied().filter(|b| matches!(b, 0x40..=0x7E | 0x80..=0xFC));
                let (len, c) = match (byte, trail) {
                    (0x00..=0x7F, _) => (1, Some(char::from(byte))),
                    (0xA1..=0xDF, _) => (1, decode_one(&bytes[at..at + 1])),
                    (_, Some(trail)) if lead => match decode_one(&bytes[at..at + 2]) {
                        Some(c) => (2, Some(c)),
                        None if trail < 0x80 => (1, None),
                        None => (2, None),
                    },
                    _ => (1, None),
                };
                units.push((at..at + len, c));
                at += len;
            }
        }
    }
    units
}

/// The one character some Shift_JIS bytes decode to, if they decode cleanly to exactly one.
fn decode_one(bytes: &[u8]) -> Option<char> {
    let text = SHIFT_JIS.decode_without_bom_handling_and_without_replacement(bytes)?;
    let mut chars = text.chars();
    let c = chars.next()?;
    chars.next().is_none().then_some(c)
}

/// A character's Shift_JIS (CP932) bytes, when it has them.
fn shift_jis(c: char) -> Option<Vec<u8>> {
    if let Some(pointer) = u32::from(c).checked_sub(0xE000).filter(|p| *p < 1880) {
        // 外字: CP932 puts U+E000… at F040… (pointer 8836 on), which the WHATWG encoder does not write.
        let pointer = pointer + 8836;
        let (lead, trail) = (pointer / 188, pointer % 188);
        let lead = lead + if lead < 0x1F { 0x81 } else { 0xC1 };
        let trail = trail + if trail < 0x3F { 0x40 } else { 0x41 };
        return Some(vec![u8::try_from(lead).ok()?, u8::try_from(trail).ok()?]);
    }
    let mut encoder = SHIFT_JIS.new_encoder();
    let mut out = [0u8; 4];
    let (result, _, written) =
        encoder.encode_from_utf8_without_replacement(c.encode_utf8(&mut [0u8; 4]), &mut out, true);
    (result == EncoderResult::InputEmpty).then(|| out[..written].to_vec())
}

/// What one value became: its bytes, and whether anything in it was replaced.
#[derive(Clone)]
pub(crate) struct Replaced {
    pub bytes: Vec<u8>,
    pub changed: bool,
}

/// Replaces one value of a personal item (its bytes as they lie in the file, `""` pairs and all).
pub(crate) fn replace_value(bytes: &[u8], encoding: Bytes, class: Personal, key: &Key) -> Replaced {
    if class == Personal::BirthDate {
        if let Some(replaced) = birth_date(bytes, key) {
            return replaced;
        }
    }
    by_character(bytes, encoding, class, &mut Chain::start(key, namespace(class)))
}

/// Values of one namespace that are equal get one replacement: a name is replaced alike wherever a name is.
fn namespace(class: Personal) -> &'static str {
    match class {
        Personal::Name => "name",
        Personal::Kana => "kana",
        Personal::Address => "address",
        Personal::Phone => "phone",
        Personal::Postal => "postal",
        Personal::Insured => "insured",
        Personal::BirthDate => "birth-date",
        Personal::Identifier => "identifier",
        Personal::FreeText | Personal::None => "free-text",
    }
}

fn by_character(bytes: &[u8], encoding: Bytes, class: Personal, chain: &mut Chain) -> Replaced {
    let mut out = Vec::with_capacity(bytes.len());
    let mut changed = false;
    for (range, c) in units(bytes, encoding) {
        let original = &bytes[range];
        let replacement = c.filter(|&c| replaced(class, c)).and_then(|c| {
            let pool = pool(c)?;
            let index = pool.chars.binary_search(&c).ok()?;
            let others = u64::try_from(pool.chars.len() - 1).ok()?;
            let shift = usize::try_from(1 + chain.draw() % others).ok()?;
            Some((pool, (index + shift) % pool.chars.len()))
        });
        let mut utf8 = [0u8; 4];
        let new = replacement.and_then(|(pool, index)| match encoding {
            Bytes::Utf8 => Some(pool.chars[index].encode_utf8(&mut utf8).as_bytes()),
            Bytes::ShiftJis => pool.shift_jis[index].as_deref(),
        });
        match new.filter(|new| new.len() == original.len()) {
            Some(new) => {
                out.extend_from_slice(new);
                changed = true;
            }
            None => out.extend_from_slice(original),
        }
        chain.step(original);
    }
    Replaced { bytes: out, changed }
}

/// 生年月日 that is a real date becomes another day of the same month (the age, and whether the person is 40 or
/// 65, stay what they were); one that is not a date is replaced digit by digit, drawing again until it is still
/// not a date. `None`: not eight ASCII digits, replaced like any text.
fn birth_date(bytes: &[u8], key: &Key) -> Option<Replaced> {
    let value = std::str::from_utf8(bytes).ok().filter(|v| v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit()))?;
    let mut chain = Chain::start(key, namespace(Personal::BirthDate));
    match parse_date(value) {
        Some((year, month, day)) => {
            let days = crate::calendar::days_in_month(year, month);
            if days < 2 {
                return None;
            }
            chain.step(value.as_bytes());
            let shift = u32::try_from(1 + chain.draw() % u64::from(days - 1)).ok()?;
            let new_day = (day - 1 + shift) % days + 1;
            Some(Replaced { bytes: format!("{year:04}{month:02}{new_day:02}").into_bytes(), changed: true })
        }
        None => (0..64).find_map(|_| {
            let replaced = by_character(bytes, Bytes::Utf8, Personal::BirthDate, &mut chain);
            let still_not_a_date = std::str::from_utf8(&replaced.bytes).ok().is_some_and(|v| parse_date(v).is_none());
            still_not_a_date.then_some(replaced)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sjis(text: &str) -> Vec<u8> {
        SHIFT_JIS.encode(text).0.into_owned()
    }

    fn replace(text: &str, class: Personal) -> String {
        let out = replace_value(&sjis(text), Bytes::ShiftJis, class, &Key::new(b"test"));
        SHIFT_JIS.decode(&out.bytes).0.into_owned()
    }

    #[test]
    fn every_character_changes_within_its_class_and_keeps_its_bytes() {
        let original = "山田　太郎（ﾔﾏﾀﾞ）ヤマダ たろう ０３ 03-1234 Abc 髙﨑";
        let new = replace(original, Personal::Name);
        assert_eq!(sjis(&new).len(), sjis(original).len());
        assert_eq!(new.chars().count(), original.chars().count());
        for (a, b) in original.chars().zip(new.chars()) {
            if pool(a).is_some() {
                assert_ne!(a, b, "{original} → {new}");
                assert_eq!(classify(a), classify(b), "{a} → {b}");
                assert!(std::ptr::eq(pool(a).unwrap(), pool(b).unwrap()), "{a} → {b}");
            } else {
                assert_eq!(a, b, "{a} kept");
            }
        }
    }

    #[test]
    fn equal_values_are_replaced_alike_and_different_ones_stay_different() {
        let a = replace("0123456789", Personal::Insured);
        assert_eq!(a, replace("0123456789", Personal::Insured));
        assert_ne!(a, replace("0123456788", Personal::Insured));
        assert_ne!(a, replace("0123456789", Personal::Phone), "another namespace");
        let h = replace("H123456789", Personal::Insured);
        assert!(h.starts_with('H') && h[1..].bytes().all(|b| b.is_ascii_digit()), "{h}");
    }

    #[test]
    fn birth_dates_stay_dates_of_their_month_and_non_dates_stay_non_dates() {
        let new = replace("19400315", Personal::BirthDate);
        assert!(new.starts_with("194003") && new != "19400315" && parse_date(&new).is_some(), "{new}");
        let new = replace("19400230", Personal::BirthDate);
        assert!(new != "19400230" && new.len() == 8 && parse_date(&new).is_none(), "{new}");
    }

    #[test]
    fn bytes_that_do_not_decode_and_gaiji_are_handled() {
        // 0x81 0x20: a lead byte before a space (the space is read again); F0 40: the first 外字.
        let bytes = [0x81, 0x20, 0xF0, 0x40, 0x82, 0xA0];
        let out = replace_value(&bytes, Bytes::ShiftJis, Personal::Name, &Key::new(b"k")).bytes;
        assert_eq!(&out[..2], &[0x81, 0x20]);
        assert_eq!(out.len(), bytes.len());
        assert!((0xF0..=0xF9).contains(&out[2]) && out[2..4] != [0xF0, 0x40], "{out:02X?}");
        assert_ne!(&out[4..], &[0x82, 0xA0]);
    }
}
