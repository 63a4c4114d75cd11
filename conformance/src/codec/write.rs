//! Records → spec-conforming bytes: Shift_JIS, CRLF after every record (assumption A-CRLF), free-text items
//! always quoted and other items unquoted (A-QUOTING). The same records always give the same bytes.

use encoding_rs::{EncoderResult, SHIFT_JIS};

use crate::codec::TextEncoding;
use crate::spec::{ItemType, Kind};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WriteError {
    #[error("record {record}, item No.{no}: {character:?} (U+{code:04X}) has no Shift_JIS (MS932) encoding", code = *character as u32)]
    Unrepresentable { record: usize, no: usize, character: char },
}

/// One record as CSV text (with its CRLF), quoting as the spec asks.
pub fn format_record(kind: &Kind, fields: &[impl AsRef<str>], out: &mut String) {
    for (index, value) in fields.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        let value = value.as_ref();
        let is_text = kind.items.get(index).is_some_and(|item| item.ty == ItemType::Text);
        let needs_quotes = is_text || value.contains([',', '"', '\r', '\n']);
        if needs_quotes {
            out.push('"');
            out.push_str(&value.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(value);
        }
    }
    out.push_str("\r\n");
}

/// A whole file in the given encoding. Shift_JIS output fails (rather than substituting) on a character MS932
/// cannot represent.
pub fn encode_records<S: AsRef<str>>(
    kind: &Kind,
    records: &[Vec<S>],
    encoding: TextEncoding,
) -> Result<Vec<u8>, WriteError> {
    let mut text = String::new();
    for record in records {
        format_record(kind, record, &mut text);
    }
    match encoding {
        TextEncoding::Utf8 => Ok(text.into_bytes()),
        TextEncoding::Utf8Bom => Ok([b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat()),
        TextEncoding::ShiftJis | TextEncoding::Ascii => to_shift_jis(&text, records),
    }
}

fn to_shift_jis<S: AsRef<str>>(text: &str, records: &[Vec<S>]) -> Result<Vec<u8>, WriteError> {
    let mut encoder = SHIFT_JIS.new_encoder();
    let mut out = Vec::with_capacity(text.len());
    let mut buffer = vec![0u8; 64 * 1024];
    let mut rest = text;
    loop {
        let (result, read, written) = encoder.encode_from_utf8_without_replacement(rest, &mut buffer, true);
        out.extend_from_slice(&buffer[..written]);
        rest = &rest[read..];
        match result {
            EncoderResult::InputEmpty => return Ok(out),
            EncoderResult::OutputFull => continue,
            EncoderResult::Unmappable(character) => return Err(locate(records, character)),
        }
    }
}

fn locate<S: AsRef<str>>(records: &[Vec<S>], character: char) -> WriteError {
    for (record, fields) in records.iter().enumerate() {
        if let Some(no) = fields.iter().position(|f| f.as_ref().contains(character)) {
            return WriteError::Unrepresentable { record: record + 1, no: no + 1, character };
        }
    }
    WriteError::Unrepresentable { record: 0, no: 0, character }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::spec;

    #[test]
    fn text_items_are_quoted_and_others_are_not() {
        let Some(kind) = spec().kind("DLT1KYO") else { panic!("no DLT1KYO") };
        let mut out = String::new();
        format_record(kind, &["202407", "131016", "0000012345", "20250401"], &mut out);
        assert_eq!(out, "202407,131016,0000012345,20250401\r\n");
        let Some(plan2) = spec().kind("UP3KYO") else { panic!("no UP3KYO") };
        let mut out = String::new();
        let fields = [
            "202407",
            "131016",
            "0000012345",
            "20250401",
            "20250401",
            "訪問介護,\"身体\"",
            "1",
            "1200",
            "1300",
            "",
            "",
            "",
            "",
        ];
        format_record(plan2, &fields, &mut out);
        assert_eq!(
            out,
            "202407,131016,0000012345,20250401,20250401,\"訪問介護,\"\"身体\"\"\",1,1200,1300,\"\",,,\"\"\r\n"
        );
    }

    #[test]
    fn unrepresentable_characters_are_refused_with_their_place() {
        let Some(kind) = spec().kind("UP3KYO") else { panic!("no UP3KYO") };
        let record: Vec<String> = (0..13).map(|i| if i == 5 { "😀".to_string() } else { String::new() }).collect();
        let result = encode_records(kind, &[record], TextEncoding::ShiftJis);
        assert_eq!(result, Err(WriteError::Unrepresentable { record: 1, no: 6, character: '😀' }));
    }
}
