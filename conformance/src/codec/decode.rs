//! Encoding detection and decoding. Undecodable bytes become U+FFFD in the text *and* an [`Undecodable`] entry
//! with the byte offset and line, so nothing is replaced silently.

use encoding_rs::{DecoderResult, SHIFT_JIS};
use serde::Serialize;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The encoding a file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TextEncoding {
    /// Shift_JIS (Windows code page 932): what the spec requires.
    #[serde(rename = "shift_jis")]
    ShiftJis,
    /// Only ASCII bytes: valid in every encoding the spec allows.
    #[serde(rename = "ascii")]
    Ascii,
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "utf-8-bom")]
    Utf8Bom,
}

impl TextEncoding {
    pub fn is_utf8(self) -> bool {
        matches!(self, TextEncoding::Utf8 | TextEncoding::Utf8Bom)
    }

    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::ShiftJis => "shift_jis",
            TextEncoding::Ascii => "ascii",
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf8Bom => "utf-8-bom",
        }
    }
}

/// How to choose the encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum EncodingChoice {
    /// detect from the bytes
    #[default]
    Auto,
    /// read as Shift_JIS (CP932) whatever the bytes look like
    ShiftJis,
    /// read as UTF-8
    Utf8,
}

/// A run of bytes that is not valid in the file's encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undecodable {
    /// offset of the first bad byte in the file
    pub offset: usize,
    pub bytes: Vec<u8>,
    /// 1-based physical line
    pub line: u32,
}

#[derive(Debug)]
pub struct Decoded {
    pub encoding: TextEncoding,
    pub text: String,
    pub undecodable: Vec<Undecodable>,
    /// the bytes are valid UTF-8 with non-ASCII characters although Shift_JIS was forced
    pub looks_like_utf8: bool,
}

pub fn decode(bytes: &[u8], choice: EncodingChoice) -> Decoded {
    // One piece that starts the file: decoding it judges the encoding on all of it.
    let mut decoder = StreamDecoder::new(choice);
    let (text, undecodable) = decoder.decode_piece(bytes, 0, 1);
    Decoded { encoding: decoder.encoding(), text, undecodable, looks_like_utf8: decoder.looks_like_utf8 }
}

/// Decodes a file a piece at a time (each piece ending where a record ends, so no character is cut). The encoding
/// is decided on the file's first bytes ([`StreamDecoder::sniff`], [`DETECT_BYTES`] of them) — for a file no
/// longer than that, [`decode`]'s choice — or, when those are all ASCII, on the first piece that is not.
#[derive(Debug, Clone)]
pub struct StreamDecoder {
    choice: EncodingChoice,
    decided: Option<TextEncoding>,
    /// some piece is valid UTF-8 with non-ASCII characters although Shift_JIS was forced
    pub looks_like_utf8: bool,
}

/// How many of a file's first bytes the encoding is judged on.
pub const DETECT_BYTES: usize = 1 << 20;

impl StreamDecoder {
    pub fn new(choice: EncodingChoice) -> StreamDecoder {
        StreamDecoder { choice, decided: None, looks_like_utf8: false }
    }

    /// The encoding the file is read in so far (ASCII until a piece says otherwise).
    pub fn encoding(&self) -> TextEncoding {
        self.decided.unwrap_or(TextEncoding::Ascii)
    }

    /// Judges the encoding on the file's first bytes (up to [`DETECT_BYTES`]), before any piece is decoded.
    pub fn sniff(&mut self, start: &[u8]) {
        self.decide(start, true);
    }

    fn decide(&mut self, bytes: &[u8], file_start: bool) {
        if self.decided.is_some() {
            return;
        }
        let bom = file_start && bytes.starts_with(UTF8_BOM);
        self.decided = match self.choice {
            EncodingChoice::Auto if bom => Some(TextEncoding::Utf8Bom),
            EncodingChoice::Auto => (!bytes.is_ascii()).then(|| detect(bytes)),
            EncodingChoice::ShiftJis => (!bytes.is_ascii()).then_some(TextEncoding::ShiftJis),
            EncodingChoice::Utf8 if bom => Some(TextEncoding::Utf8Bom),
            EncodingChoice::Utf8 => Some(TextEncoding::Utf8),
        };
    }

    /// Decodes one piece that starts `offset` bytes into the file, on physical line `first_line`; undecodable
    /// runs are reported with their offset and line in the file.
    pub fn decode_piece(&mut self, bytes: &[u8], offset: usize, first_line: u32) -> (String, Vec<Undecodable>) {
        self.decide(bytes, offset == 0);
        let bom = offset == 0 && self.decided == Some(TextEncoding::Utf8Bom) && bytes.starts_with(UTF8_BOM);
        let encoding = self.decided.unwrap_or(TextEncoding::Ascii);
        self.looks_like_utf8 |=
            encoding == TextEncoding::ShiftJis && self.choice != EncodingChoice::Auto && utf8_score(bytes) > 0;
        let (text, mut undecodable) = match encoding {
            TextEncoding::Ascii => (bytes.iter().map(|&b| char::from(b)).collect(), Vec::new()),
            TextEncoding::ShiftJis => decode_shift_jis(bytes),
            TextEncoding::Utf8 | TextEncoding::Utf8Bom => decode_utf8(bytes, if bom { UTF8_BOM.len() } else { 0 }),
        };
        for run in &mut undecodable {
            run.offset += offset;
            run.line = run.line.saturating_add(first_line.saturating_sub(1));
        }
        (text, undecodable)
    }
}

/// UTF-8 when the bytes start with a BOM or decode as UTF-8 with far more valid multi-byte characters than errors
/// (so a UTF-8 file with one truncated character is still read as UTF-8); otherwise Shift_JIS.
fn detect(bytes: &[u8]) -> TextEncoding {
    if bytes.starts_with(UTF8_BOM) {
        TextEncoding::Utf8Bom
    } else if bytes.is_ascii() {
        TextEncoding::Ascii
    } else if utf8_score(bytes) > 0 && !shift_jis_reads_better(bytes) {
        TextEncoding::Utf8
    } else {
        TextEncoding::ShiftJis
    }
}

/// Short Shift_JIS text can be valid UTF-8 by accident (`ﾝ用` = DD 97 70 reads as `ݗp`). Such a reading yields
/// characters MS932 cannot represent; when it does and the same bytes decode as Shift_JIS without error, the
/// file is Shift_JIS.
fn shift_jis_reads_better(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else { return false };
    let odd = text.chars().any(|c| super::chars::classify(c) == super::chars::CharClass::Unrepresentable);
    odd && !SHIFT_JIS.decode_without_bom_handling(bytes).1
}

/// Positive when the bytes look like UTF-8: valid non-ASCII characters outnumber invalid sequences four to one.
/// Gives up as soon as that can no longer be true, so a Shift_JIS file costs a short prefix scan.
fn utf8_score(bytes: &[u8]) -> i64 {
    let (mut valid, mut invalid) = (0i64, 0i64);
    let mut rest = bytes;
    // Leading bytes of multi-byte UTF-8 characters: one per non-ASCII character of a valid run.
    let characters = |run: &[u8]| run.iter().filter(|&&b| b >= 0xC0).count() as i64;
    loop {
        match std::str::from_utf8(rest) {
            Ok(_) => {
                valid += characters(rest);
                break;
            }
            Err(error) => {
                let (good, after) = rest.split_at(error.valid_up_to());
                valid += characters(good);
                invalid += 1;
                if invalid * 4 > valid + 16 {
                    return 0;
                }
                let skip = error.error_len().unwrap_or(after.len()).max(1);
                rest = &after[skip.min(after.len())..];
                if rest.is_empty() {
                    break;
                }
            }
        }
    }
    if valid > 0 && valid >= invalid * 4 {
        valid - invalid * 4 + 1
    } else {
        0
    }
}

fn line_at(bytes: &[u8], offset: usize) -> u32 {
    let newlines = memchr::memchr_iter(b'\n', &bytes[..offset.min(bytes.len())]).count();
    u32::try_from(newlines + 1).unwrap_or(u32::MAX)
}

fn decode_shift_jis(bytes: &[u8]) -> (String, Vec<Undecodable>) {
    let mut decoder = SHIFT_JIS.new_decoder_without_bom_handling();
    let capacity = decoder.max_utf8_buffer_length_without_replacement(bytes.len()).unwrap_or(bytes.len() * 3);
    let mut text = String::with_capacity(capacity);
    let mut undecodable = Vec::new();
    let mut position = 0;
    loop {
        let (result, read) = decoder.decode_to_string_without_replacement(&bytes[position..], &mut text, true);
        match result {
            DecoderResult::InputEmpty => break,
            DecoderResult::OutputFull => {
                // Cannot happen with the capacity reserved above; grow and go on rather than lose input.
                text.reserve(bytes.len() - position + 16);
                position += read;
            }
            DecoderResult::Malformed(bad, pushed_back) => {
                let end = position + read - usize::from(pushed_back);
                let start = end - usize::from(bad);
                undecodable.push(Undecodable {
                    offset: start,
                    bytes: bytes[start..end].to_vec(),
                    line: line_at(bytes, start),
                });
                text.push(char::REPLACEMENT_CHARACTER);
                position += read;
            }
        }
    }
    (text, undecodable)
}

fn decode_utf8(bytes: &[u8], skip: usize) -> (String, Vec<Undecodable>) {
    let mut text = String::with_capacity(bytes.len());
    let mut undecodable = Vec::new();
    let mut position = skip;
    while position < bytes.len() {
        match std::str::from_utf8(&bytes[position..]) {
            Ok(rest) => {
                text.push_str(rest);
                break;
            }
            Err(error) => {
                let good_end = position + error.valid_up_to();
                text.push_str(&String::from_utf8_lossy(&bytes[position..good_end]));
                let bad_len = error.error_len().unwrap_or(bytes.len() - good_end);
                undecodable.push(Undecodable {
                    offset: good_end,
                    bytes: bytes[good_end..good_end + bad_len].to_vec(),
                    line: line_at(bytes, good_end),
                });
                text.push(char::REPLACEMENT_CHARACTER);
                position = good_end + bad_len;
            }
        }
    }
    (text, undecodable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sjis(text: &str) -> Vec<u8> {
        SHIFT_JIS.encode(text).0.into_owned()
    }

    #[test]
    fn detects_each_encoding() {
        assert_eq!(decode(&sjis("介護,1\r\n"), EncodingChoice::Auto).encoding, TextEncoding::ShiftJis);
        assert_eq!(decode("介護,1\r\n".as_bytes(), EncodingChoice::Auto).encoding, TextEncoding::Utf8);
        assert_eq!(decode(b"\xEF\xBB\xBFa,1", EncodingChoice::Auto).encoding, TextEncoding::Utf8Bom);
        assert_eq!(decode(b"202407,1", EncodingChoice::Auto).encoding, TextEncoding::Ascii);
    }

    #[test]
    fn shift_jis_text_decodes_to_the_same_characters() {
        let decoded = decode(&sjis("居宅サービス計画,①,髙"), EncodingChoice::Auto);
        assert_eq!(decoded.text, "居宅サービス計画,①,髙");
        assert!(decoded.undecodable.is_empty());
    }

    #[test]
    fn undecodable_bytes_are_reported_with_offset_and_line() {
        let mut bytes = sjis("a,b\r\nc,");
        bytes.push(0x82); // a lead byte cut off at the end of the file
        let decoded = decode(&bytes, EncodingChoice::Auto);
        assert_eq!(decoded.encoding, TextEncoding::ShiftJis);
        assert_eq!(decoded.undecodable, vec![Undecodable { offset: 7, bytes: vec![0x82], line: 2 }]);
        assert_eq!(decoded.text, "a,b\r\nc,\u{FFFD}");
    }

    #[test]
    fn a_utf8_file_with_one_broken_character_is_still_utf8() {
        let mut bytes = "利用者氏名,山田太郎\r\n".as_bytes().to_vec();
        bytes.extend_from_slice(&"花子".as_bytes()[..4]);
        let decoded = decode(&bytes, EncodingChoice::Auto);
        assert_eq!(decoded.encoding, TextEncoding::Utf8);
        assert_eq!(decoded.undecodable.len(), 1);
        assert_eq!(decoded.undecodable[0].line, 2);
    }

    #[test]
    fn shift_jis_that_happens_to_be_valid_utf8_is_read_as_shift_jis() {
        let bytes = sjis("ﾝ用");
        assert!(std::str::from_utf8(&bytes).is_ok(), "the trap: these bytes are valid UTF-8");
        let decoded = decode(&bytes, EncodingChoice::Auto);
        assert_eq!(decoded.encoding, TextEncoding::ShiftJis);
        assert_eq!(decoded.text, "ﾝ用");
        // Real UTF-8 Japanese stays UTF-8.
        assert_eq!(decode("利用者ﾝ用".as_bytes(), EncodingChoice::Auto).encoding, TextEncoding::Utf8);
    }

    #[test]
    fn forcing_shift_jis_on_utf8_says_it_looks_like_utf8() {
        let decoded = decode("利用者".as_bytes(), EncodingChoice::ShiftJis);
        assert_eq!(decoded.encoding, TextEncoding::ShiftJis);
        assert!(decoded.looks_like_utf8);
    }
}
