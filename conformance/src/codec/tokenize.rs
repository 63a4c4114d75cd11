//! CSV records from decoded text (RFC 4180 as the spec uses it: comma, `"` quoting with `""` escapes, CR/LF and
//! commas inside quotes). Every field knows the physical line it starts on. Structural problems are reported as
//! [`SyntaxIssue`]s and tokenizing goes on, so one bad quote does not hide the rest of the file.

use std::borrow::Cow;

use memchr::{memchr2, memchr3};

/// Where one field's value lies in the text: `start..end`, inside the quotes of a quoted field. The tokenizer
/// copies nothing; a consumer that keeps values keeps these spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawField {
    pub start: usize,
    pub end: usize,
    /// 1-based physical line on which the field starts
    pub line: u32,
    pub quoted: bool,
    /// the span has `""` pairs, each standing for one `"`
    pub escaped: bool,
}

impl RawField {
    /// The value: the span itself, or with its `""` pairs read as `"`.
    pub fn value<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let raw = text.get(self.start..self.end).unwrap_or("");
        if self.escaped {
            Cow::Owned(raw.replace("\"\"", "\""))
        } else {
            Cow::Borrowed(raw)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntaxIssue {
    /// a quoted field that is still open at the end of the file
    UnterminatedQuote { line: u32, column: u32 },
    /// a `"` inside an unquoted field, or characters after a closing quote
    StrayQuote { line: u32, column: u32 },
    /// an empty line where a record was expected
    BlankLine { line: u32 },
}

/// Counts of record terminators, to check the line-ending convention once per file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineEndings {
    pub crlf: u32,
    pub lf: u32,
    pub cr: u32,
}

impl LineEndings {
    /// Counts another piece's terminators in.
    pub fn add(&mut self, piece: LineEndings) {
        self.crlf = self.crlf.saturating_add(piece.crlf);
        self.lf = self.lf.saturating_add(piece.lf);
        self.cr = self.cr.saturating_add(piece.cr);
    }
}

/// A streaming tokenizer: call [`Records::next_record`] until it returns `None`.
pub struct Records<'a> {
    text: &'a str,
    position: usize,
    line: u32,
    pub issues: Vec<SyntaxIssue>,
    pub line_endings: LineEndings,
    /// the last record read ended with a line feed (LF or CR LF): nothing read later can belong to it
    ended_at_line_feed: bool,
}

impl<'a> Records<'a> {
    pub fn new(text: &'a str) -> Self {
        Records::starting_at(text, 1)
    }

    /// A tokenizer for a piece of a file that starts at a record's start on physical line `line`.
    pub fn starting_at(text: &'a str, line: u32) -> Self {
        Records {
            text,
            position: 0,
            line,
            issues: Vec::new(),
            line_endings: LineEndings::default(),
            ended_at_line_feed: false,
        }
    }

    /// The physical line the tokenizer stands on.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// Where the tokenizer stands in the text.
    pub fn position(&self) -> usize {
        self.position
    }

    /// Whether the last record read ended with a line feed, so the piece may be cut right after it: a record
    /// that reaches the end of the piece without one may go on in the next (a CR may be half of a CR LF, a
    /// closing quote half of a `""`).
    pub fn ended_at_line_feed(&self) -> bool {
        self.ended_at_line_feed
    }

    /// Reads the next record, handing each field to `on_field` in order; returns the line the record starts on,
    /// or `None` at the end.
    pub fn next_record(&mut self, mut on_field: impl FnMut(RawField)) -> Option<u32> {
        let bytes = self.text.as_bytes();
        // Skip blank lines, reporting each one.
        while self.position < bytes.len() && matches!(bytes[self.position], b'\r' | b'\n') {
            self.issues.push(SyntaxIssue::BlankLine { line: self.line });
            self.consume_terminator();
        }
        if self.position >= bytes.len() {
            return None;
        }
        let record_line = self.line;
        self.ended_at_line_feed = false;
        let mut column = 0u32;
        loop {
            column = column.saturating_add(1);
            let field = if bytes.get(self.position) == Some(&b'"') {
                self.quoted_field(column)
            } else {
                self.unquoted_field(column)
            };
            on_field(field);
            match bytes.get(self.position) {
                Some(b',') => self.position += 1,
                Some(b'\r' | b'\n') => {
                    self.consume_terminator();
                    self.ended_at_line_feed = bytes.get(self.position.wrapping_sub(1)) == Some(&b'\n');
                    return Some(record_line);
                }
                _ => return Some(record_line),
            }
        }
    }

    fn consume_terminator(&mut self) {
        let bytes = self.text.as_bytes();
        match (bytes.get(self.position), bytes.get(self.position + 1)) {
            (Some(b'\r'), Some(b'\n')) => {
                self.position += 2;
                self.line_endings.crlf += 1;
            }
            (Some(b'\n'), _) => {
                self.position += 1;
                self.line_endings.lf += 1;
            }
            _ => {
                self.position += 1;
                self.line_endings.cr += 1;
            }
        }
        self.line += 1;
    }

    fn unquoted_field(&mut self, column: u32) -> RawField {
        let bytes = self.text.as_bytes();
        let start = self.position;
        // Items are a few bytes long: a plain scan beats setting up a vectorised search for each one.
        let rest = bytes.get(start..).unwrap_or(&[]);
        let mut end = start + rest.iter().position(|&b| matches!(b, b',' | b'\n' | b'\r' | b'"')).unwrap_or(rest.len());
        if bytes.get(end) == Some(&b'"') {
            self.issues.push(SyntaxIssue::StrayQuote { line: self.line, column });
            end = memchr3(b',', b'\n', b'\r', &bytes[end..]).map_or(bytes.len(), |i| end + i);
        }
        self.position = end;
        RawField { start, end, line: self.line, quoted: false, escaped: false }
    }

    fn quoted_field(&mut self, column: u32) -> RawField {
        let bytes = self.text.as_bytes();
        let line = self.line;
        let start = self.position + 1;
        let mut cursor = start;
        let mut escaped = false;
        loop {
            let Some(offset) = memchr2(b'"', b'\n', &bytes[cursor..]) else {
                self.issues.push(SyntaxIssue::UnterminatedQuote { line, column });
                self.position = bytes.len();
                return RawField { start, end: bytes.len(), line, quoted: true, escaped };
            };
            let found = cursor + offset;
            if bytes[found] == b'\n' {
                self.line += 1;
                cursor = found + 1;
                continue;
            }
            if bytes.get(found + 1) == Some(&b'"') {
                // `""` is one quote character.
                escaped = true;
                cursor = found + 2;
                continue;
            }
            self.position = found + 1;
            // After the closing quote only a delimiter or terminator may follow.
            if !matches!(bytes.get(self.position), None | Some(b',' | b'\r' | b'\n')) {
                self.issues.push(SyntaxIssue::StrayQuote { line: self.line, column });
                let end =
                    memchr3(b',', b'\n', b'\r', &bytes[self.position..]).map_or(bytes.len(), |i| self.position + i);
                self.position = end;
            }
            return RawField { start, end: found, line, quoted: true, escaped };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (start line, [(value, quoted, field line)]) of every record.
    type Parsed = Vec<(u32, Vec<(String, bool, u32)>)>;

    fn all(text: &str) -> (Parsed, Vec<SyntaxIssue>, LineEndings) {
        let mut records = Records::new(text);
        let mut out = Vec::new();
        loop {
            let mut fields = Vec::new();
            let Some(line) = records.next_record(|f| fields.push((f.value(text).to_string(), f.quoted, f.line))) else {
                break;
            };
            out.push((line, fields));
        }
        (out, records.issues, records.line_endings)
    }

    #[test]
    fn plain_records_with_crlf_and_no_trailing_newline() {
        let (records, issues, endings) = all("a,b\r\nc,d");
        assert_eq!(
            records,
            vec![
                (1, vec![("a".into(), false, 1), ("b".into(), false, 1)]),
                (2, vec![("c".into(), false, 2), ("d".into(), false, 2)]),
            ]
        );
        assert!(issues.is_empty());
        assert_eq!(endings, LineEndings { crlf: 1, lf: 0, cr: 0 });
    }

    #[test]
    fn quoted_fields_keep_commas_quotes_and_newlines() {
        let (records, issues, _) = all("1,\"課題,\"\"一\"\"\r\n二行目\",x\n2,\"\",y\n");
        assert!(issues.is_empty(), "{issues:?}");
        assert_eq!(records[0].1[1], ("課題,\"一\"\r\n二行目".to_string(), true, 1));
        assert_eq!(records[0].1[2], ("x".to_string(), false, 2));
        assert_eq!(records[1], (3, vec![("2".into(), false, 3), ("".into(), true, 3), ("y".into(), false, 3)]));
    }

    #[test]
    fn escaped_quotes_at_both_ends() {
        let (records, _, _) = all("\"\"\"a\"\"b\"\"\"");
        assert_eq!(records[0].1[0].0, "\"a\"b\"");
    }

    #[test]
    fn empty_fields_and_trailing_comma() {
        let (records, _, _) = all("a,,\r\n");
        assert_eq!(records[0].1.len(), 3);
        assert_eq!(records[0].1[1].0, "");
        assert_eq!(records[0].1[2].0, "");
    }

    #[test]
    fn unterminated_quote_is_reported_and_keeps_the_rest() {
        let (records, issues, _) = all("a,\"open\r\nb,c");
        assert_eq!(issues, vec![SyntaxIssue::UnterminatedQuote { line: 1, column: 2 }]);
        assert_eq!(records[0].1[1].0, "open\r\nb,c");
    }

    #[test]
    fn stray_quotes_are_reported() {
        let (_, issues, _) = all("a\"b,\"c\"d,e");
        assert_eq!(
            issues,
            vec![SyntaxIssue::StrayQuote { line: 1, column: 1 }, SyntaxIssue::StrayQuote { line: 1, column: 2 }]
        );
    }

    #[test]
    fn blank_lines_are_reported_with_their_line() {
        let (records, issues, _) = all("a\r\n\r\nb\r\n");
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].0, 3);
        assert_eq!(issues, vec![SyntaxIssue::BlankLine { line: 2 }]);
    }
}
