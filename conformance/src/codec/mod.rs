//! Bytes ↔ records. `decode` turns a file's bytes into text (detecting Shift_JIS or UTF-8 and reporting every
//! byte it cannot decode), `tokenize` splits the text into records and fields with their physical lines,
//! `chars` classifies characters against MS932, and `write` produces spec-conforming bytes again.

pub mod chars;
pub mod decode;
pub mod tokenize;
pub mod write;

pub use decode::{decode, Decoded, EncodingChoice, StreamDecoder, TextEncoding, Undecodable};
pub use tokenize::{RawField, Records, SyntaxIssue};
pub use write::{encode_records, WriteError};
