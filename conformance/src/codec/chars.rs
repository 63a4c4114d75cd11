//! Characters measured against MS932 (Windows-31J), the character set the spec requires.

use std::sync::LazyLock;

use encoding_rs::SHIFT_JIS;

/// What a character means for a Shift_JIS exchange file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CharClass {
    /// JIS X 0201/0208 (or ASCII): safe everywhere.
    Standard,
    /// 半角カナ (JIS X 0201 katakana, 0xA1–0xDF).
    HalfwidthKatakana,
    /// NEC special characters (0x87xx) or IBM extensions (0xED–0xEE, 0xFA–0xFC): inside MS932, machine-dependent.
    MachineDependent,
    /// 外字: a user-defined character (0xF040–0xF9FC, decoded to the Private Use Area).
    Gaiji,
    /// No MS932 byte sequence exists for it (only possible in UTF-8 input).
    Unrepresentable,
    /// A control character (other than CR/LF, which the tokenizer handles, and TAB).
    Control,
    /// A horizontal tab: an MS932 character no sentence of the spec forbids, but one receivers handle unevenly.
    Tab,
    /// U+FEFF byte-order mark inside the content.
    ByteOrderMark,
    /// U+FFFD put in place of undecodable bytes (already reported by the decoder).
    Replacement,
}

pub fn classify(c: char) -> CharClass {
    // MS932 has no character outside the BMP; inside it a table computed once answers in one lookup.
    static TABLE: LazyLock<Vec<CharClass>> = LazyLock::new(|| {
        let leads = encoder_leads();
        (0..=0xFFFFu32)
            .map(|u| match char::from_u32(u) {
                Some(c) => compute_by_kind(c).unwrap_or_else(|| class_of_lead(leads[u as usize])),
                None => CharClass::Unrepresentable,
            })
            .collect()
    });
    TABLE.get(c as usize).copied().unwrap_or(CharClass::Unrepresentable)
}

/// For every BMP character, the lead byte the Shift_JIS encoder writes it with (0: none), found by decoding each
/// two-byte sequence once instead of encoding 65,536 characters (which was most of a small file's validation
/// time). The encoder (WHATWG's, as encoding_rs implements it) writes a character with its first sequence in
/// pointer order, never with the rows 0xED–0xEE (NEC-selected IBM extensions, duplicates of 0xFA–0xFC), and writes
/// U+2212 as the full-width minus; `the_table_agrees_with_the_encoder_on_every_character` holds this to the encoder.
fn encoder_leads() -> Vec<u8> {
    let mut leads = vec![0u8; 0x10000];
    for lead in (0x81u8..=0x9F).chain(0xE0..=0xEC).chain(0xEF..=0xFC) {
        for trail in (0x40u8..=0x7E).chain(0x80..=0xFC) {
            let bytes = [lead, trail];
            let decoded = SHIFT_JIS.decode_without_bom_handling_and_without_replacement(&bytes);
            let mut chars = decoded.as_deref().unwrap_or_default().chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                let first = &mut leads[c as usize];
                if *first == 0 {
                    *first = lead;
                }
            }
        }
    }
    leads['\u{2212}' as usize] = leads['\u{FF0D}' as usize];
    leads
}

/// The class of a character the encoder writes with `lead` (0: it cannot write it).
fn class_of_lead(lead: u8) -> CharClass {
    match lead {
        0 => CharClass::Unrepresentable,
        0x87 | 0xED..=0xEE | 0xFA..=0xFC => CharClass::MachineDependent,
        _ => CharClass::Standard,
    }
}

/// The class of a character that needs no look at its bytes, if it is one.
fn compute_by_kind(c: char) -> Option<CharClass> {
    Some(match c {
        '\r' | '\n' => CharClass::Standard,
        '\t' => CharClass::Tab,
        c if c.is_ascii_control() => CharClass::Control,
        c if c.is_ascii() => CharClass::Standard,
        '\u{FEFF}' => CharClass::ByteOrderMark,
        '\u{FFFD}' => CharClass::Replacement,
        '\u{FF61}'..='\u{FF9F}' => CharClass::HalfwidthKatakana,
        '\u{E000}'..='\u{F8FF}' => CharClass::Gaiji,
        c if c.is_control() => CharClass::Control,
        _ => return None,
    })
}

/// A character's class, asking the encoder where its kind does not settle it: what the table must agree with.
#[cfg(test)]
fn compute(c: char) -> CharClass {
    compute_by_kind(c).unwrap_or_else(|| class_of_lead(shift_jis_bytes(c).map_or(0, |[lead, _]| lead)))
}

/// The two-byte Shift_JIS form of a non-ASCII character, if it has one.
#[cfg(test)]
fn shift_jis_bytes(c: char) -> Option<[u8; 2]> {
    let mut encoder = SHIFT_JIS.new_encoder();
    let mut utf8 = [0u8; 4];
    let mut out = [0u8; 4];
    let (result, _, written) = encoder.encode_from_utf8_without_replacement(c.encode_utf8(&mut utf8), &mut out, true);
    match (result, written) {
        (encoding_rs::EncoderResult::InputEmpty, 2) => Some([out[0], out[1]]),
        _ => None,
    }
}

/// The usual replacement for a machine-dependent character, or for a character that JIS-mapping software writes
/// where CP932 has a different code point (波ダッシュ問題), where there is one.
pub fn replacement(c: char) -> Option<&'static str> {
    const CIRCLED: [&str; 20] = [
        "(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)", "(8)", "(9)", "(10)", "(11)", "(12)", "(13)", "(14)", "(15)",
        "(16)", "(17)", "(18)", "(19)", "(20)",
    ];
    const ROMAN: [&str; 10] = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"];
    const SMALL_ROMAN: [&str; 10] = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x"];
    let index = |base: char| (c as u32 - base as u32) as usize;
    Some(match c {
        '①'..='⑳' => CIRCLED[index('①')],
        'Ⅰ'..='Ⅹ' => ROMAN[index('Ⅰ')],
        'ⅰ'..='ⅹ' => SMALL_ROMAN[index('ⅰ')],
        '㈱' => "（株）",
        '㈲' => "（有）",
        '㈹' => "（代）",
        '㍾' => "明治",
        '㍽' => "大正",
        '㍼' => "昭和",
        '㍻' => "平成",
        '㋿' => "令和",
        '№' => "No.",
        '℡' => "TEL",
        '㍉' => "ミリ",
        '㌔' => "キロ",
        '㌢' => "センチ",
        '㍍' => "メートル",
        '㌘' => "グラム",
        '㎜' => "mm",
        '㎝' => "cm",
        '㎞' => "km",
        '㎎' => "mg",
        '㎏' => "kg",
        '〜' => "～",
        '‖' => "∥",
        '¢' => "￠",
        '£' => "￡",
        '¬' => "￢",
        '—' => "―",
        '髙' => "高",
        '﨑' => "崎",
        '德' => "徳",
        '﨔' => "欅",
        '瀨' => "瀬",
        _ => return None,
    })
}

/// 半角カナ → 全角カナ, for the suggestion in a finding (voiced marks are combined where possible).
pub fn to_fullwidth_katakana(text: &str) -> String {
    const TABLE: &str = "。「」、・ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン゛゜";
    let table: Vec<char> = TABLE.chars().collect();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{FF9E}' | '\u{FF9F}' => {
                let mark = if c == '\u{FF9E}' { 1 } else { 2 };
                match out.pop() {
                    Some(previous) => match combine(previous, mark) {
                        Some(combined) => out.push(combined),
                        None => {
                            out.push(previous);
                            out.push(if mark == 1 { '゛' } else { '゜' });
                        }
                    },
                    None => out.push(if mark == 1 { '゛' } else { '゜' }),
                }
            }
            '\u{FF61}'..='\u{FF9D}' => out.push(table[(c as u32 - 0xFF61) as usize]),
            c => out.push(c),
        }
    }
    out
}

fn combine(base: char, mark: u32) -> Option<char> {
    let voiced = "カキクケコサシスセソタチツテトハヒフヘホ";
    if base == 'ウ' && mark == 1 {
        return Some('ヴ');
    }
    if voiced.contains(base) && (mark == 1 || "ハヒフヘホ".contains(base)) {
        return char::from_u32(base as u32 + mark);
    }
    None
}

/// The first character of one class in a value, and how many more of that class follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OddCharacter {
    pub class: CharClass,
    pub c: char,
    /// 1-based character position in the value
    pub position: usize,
    pub more: usize,
}

/// Whether `value` has a byte outside printable ASCII (line breaks aside): only such a value can hold a character
/// of a class other than [`CharClass::Standard`].
pub fn has_odd_bytes(value: &str) -> bool {
    value.bytes().any(|b| b >= 0x80 || b == 0x7F || (b < 0x20 && b != b'\r' && b != b'\n'))
}

/// Every class other than [`CharClass::Standard`] met in `value`, each with its first character: one scan, and
/// none at all for plain ASCII text.
pub fn odd_characters(value: &str) -> Vec<OddCharacter> {
    let mut found: Vec<OddCharacter> = Vec::new();
    if !has_odd_bytes(value) {
        return found;
    }
    for (index, c) in value.chars().enumerate() {
        let class = classify(c);
        if matches!(class, CharClass::Standard | CharClass::Replacement) {
            continue;
        }
        match found.iter_mut().find(|odd| odd.class == class) {
            Some(odd) => odd.more += 1,
            None => found.push(OddCharacter { class, c, position: index + 1, more: 0 }),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table asks the encoder about the two-byte candidates only; for every character of the BMP it must give
    /// what asking the encoder gives (a candidate left out would turn a representable character into an error).
    #[test]
    fn the_table_agrees_with_the_encoder_on_every_character() {
        let differing: Vec<String> = (0..=0xFFFFu32)
            .filter_map(char::from_u32)
            .filter(|&c| classify(c) != compute(c))
            .map(|c| format!("U+{:04X} {:?} vs {:?}", c as u32, classify(c), compute(c)))
            .collect();
        assert!(
            differing.is_empty(),
            "{} characters differ: {:?}",
            differing.len(),
            &differing[..differing.len().min(10)]
        );
    }

    #[test]
    fn classes() {
        assert_eq!(classify('a'), CharClass::Standard);
        assert_eq!(classify('介'), CharClass::Standard);
        assert_eq!(classify('～'), CharClass::Standard);
        // The JIS-mapping WAVE DASH has no CP932 code (the 波ダッシュ problem); U+FF5E is the CP932 form.
        assert_eq!(classify('〜'), CharClass::Unrepresentable);
        assert_eq!(classify('①'), CharClass::MachineDependent);
        assert_eq!(classify('㈱'), CharClass::MachineDependent);
        assert_eq!(classify('髙'), CharClass::MachineDependent);
        assert_eq!(classify('﨑'), CharClass::MachineDependent);
        assert_eq!(classify('ｱ'), CharClass::HalfwidthKatakana);
        assert_eq!(classify('\u{E000}'), CharClass::Gaiji);
        assert_eq!(classify('😀'), CharClass::Unrepresentable);
        assert_eq!(classify('𠮷'), CharClass::Unrepresentable);
        assert_eq!(classify('\u{0}'), CharClass::Control);
        assert_eq!(classify('\t'), CharClass::Tab);
        assert_eq!(classify('\u{FEFF}'), CharClass::ByteOrderMark);
        // ∵ has a JIS X 0208 position as well as an NEC one: the standard one wins.
        assert_eq!(classify('∵'), CharClass::Standard);
    }

    #[test]
    fn replacements() {
        assert_eq!(replacement('①'), Some("(1)"));
        assert_eq!(replacement('⑳'), Some("(20)"));
        assert_eq!(replacement('㈱'), Some("（株）"));
        assert_eq!(replacement('髙'), Some("高"));
        assert_eq!(replacement('Ⅳ'), Some("IV"));
        assert_eq!(replacement('〜'), Some("～"));
        assert_eq!(replacement('あ'), None);
    }

    #[test]
    fn halfwidth_katakana_become_fullwidth() {
        assert_eq!(to_fullwidth_katakana("ﾔﾏﾀﾞ ﾀﾛｳ"), "ヤマダ タロウ");
        assert_eq!(to_fullwidth_katakana("ﾊﾟﾋﾟｰ ｳﾞ"), "パピー ヴ");
    }
}
