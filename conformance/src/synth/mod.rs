//! Synthesis of standard-spec data: spec-driven records ([`record`]), fictional people and offices
//! ([`people`]) and coherent exchanges ([`scenario`]). Deterministic from a seed, so fixtures regenerate
//! byte for byte.

pub mod corpus;
pub mod fixtures;
pub mod invalid;
pub mod people;
pub mod record;
pub mod scenario;

use crate::codec::{encode_records, TextEncoding, WriteError};
use crate::spec::{spec, Kind};

/// A small, stable PRNG (SplitMix64): the same seed gives the same data on every platform and release.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    pub fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low + 1)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next_u64() as usize % items.len()]
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.range(1, 100) <= percent
    }

    /// `digits` random decimal digits.
    pub fn digits(&mut self, digits: usize) -> String {
        (0..digits).map(|_| char::from(b'0' + self.range(0, 9) as u8)).collect()
    }
}

/// One generated file: its name, kind, records and encoding.
#[derive(Debug, Clone)]
pub struct GeneratedFile {
    pub name: String,
    pub kind: &'static Kind,
    pub records: Vec<Vec<String>>,
    pub encoding: TextEncoding,
    /// the content of a file that is not CSV (a family-structure image)
    pub raw: Option<&'static [u8]>,
}

impl GeneratedFile {
    /// A CSV file in the spec's encoding.
    pub fn csv(name: String, kind: &'static Kind, records: Vec<Vec<String>>) -> GeneratedFile {
        GeneratedFile { name, kind, records, encoding: TextEncoding::ShiftJis, raw: None }
    }

    /// A file given as bytes (UPKIHON_IMAGE).
    pub fn raw(name: String, kind: &'static Kind, bytes: &'static [u8]) -> GeneratedFile {
        GeneratedFile { name, kind, records: Vec::new(), encoding: TextEncoding::ShiftJis, raw: Some(bytes) }
    }

    pub fn bytes(&self) -> Result<Vec<u8>, WriteError> {
        match self.raw {
            Some(bytes) => Ok(bytes.to_vec()),
            None => encode_records(self.kind, &self.records, self.encoding),
        }
    }
}

/// The kind with this code, for generator code that names kinds it knows exist.
pub(crate) fn kind(code: &str) -> Result<&'static Kind, SynthError> {
    spec().kind(code).ok_or_else(|| SynthError::UnknownKind(code.to_string()))
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SynthError {
    #[error("no kind {0} in the model")]
    UnknownKind(String),
    #[error("cannot encode a generated file: {0}")]
    Encode(String),
    #[error("{kind} has no item {id}")]
    UnknownItem { kind: String, id: String },
}
