//! What a suite report certifies and with what: the tool and its commit, the spec edition and CSVバージョン, the
//! time, the product and profile it was run for, and the SHA-256 of every input file — so a report can stand as
//! evidence, and `verify-report` can tell whether the files in hand are the ones that were checked.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use conformance::spec::current_csv_version;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// `careplan-conformance <version>`
    pub tool: String,
    /// the commit the tool was built from (`unknown` outside a git checkout)
    pub git_commit: String,
    pub spec_edition: String,
    pub csv_version: String,
    /// when the report was made, RFC 3339 UTC
    pub generated_at: String,
    /// `--product "NAME VERSION"`: the software the report is about
    pub product: Option<String>,
    /// `--profile`: what the product must export
    pub profile: Option<String>,
    pub inputs: Vec<InputDigest>,
}

/// One file the suite read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputDigest {
    /// as the command read it (relative paths are relative to where it ran)
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

impl InputDigest {
    pub fn of(path: &str, bytes: &[u8]) -> InputDigest {
        InputDigest {
            path: path.to_string(),
            bytes: bytes.len() as u64,
            sha256: conformance::hex::encode(&Sha256::digest(bytes)),
        }
    }
}

/// A reader that takes the SHA-256 of every byte read through it, for a suite that certifies what it validated
/// without holding the file: once the reader reaches the end, [`HashingReader::digest`] is the input's digest.
pub struct HashingReader<R> {
    inner: R,
    path: String,
    hasher: Sha256,
    bytes: u64,
    digest: std::sync::Arc<std::sync::Mutex<Option<InputDigest>>>,
}

impl<R: std::io::Read> HashingReader<R> {
    /// Hashes what is read from `inner` (the input `path`); the digest appears in `digest` at the end.
    pub fn new(inner: R, path: &str, digest: std::sync::Arc<std::sync::Mutex<Option<InputDigest>>>) -> Self {
        HashingReader { inner, path: path.to_string(), hasher: Sha256::new(), bytes: 0, digest }
    }
}

impl<R: std::io::Read> std::io::Read for HashingReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        let read_bytes = buffer.get(..read).unwrap_or(&[]);
        if read == 0 && !buffer.is_empty() {
            let sha256 = conformance::hex::encode(&self.hasher.clone().finalize());
            let digest = InputDigest { path: self.path.clone(), bytes: self.bytes, sha256 };
            if let Ok(mut slot) = self.digest.lock() {
                *slot = Some(digest);
            }
        } else {
            self.hasher.update(read_bytes);
            self.bytes += read as u64;
        }
        Ok(read)
    }
}

impl Provenance {
    /// This tool, now, for `product` / `profile`, over `inputs`.
    pub fn now(product: Option<String>, profile: Option<String>, inputs: Vec<InputDigest>) -> Provenance {
        let seconds =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs());
        Provenance {
            tool: format!("careplan-conformance {}", env!("CARGO_PKG_VERSION")),
            git_commit: option_env!("CAREPLAN_GIT_COMMIT").unwrap_or("unknown").to_string(),
            spec_edition: format!("ケアプランデータ連携標準仕様 {}", current_csv_version().edition),
            csv_version: current_csv_version().value.clone(),
            generated_at: conformance::calendar::utc_timestamp(seconds),
            product,
            profile,
            inputs,
        }
    }

    /// What a person reads, as (label in Japanese and English, value): the text report's lines, the HTML's rows.
    pub fn entries(&self) -> Vec<(&'static str, String)> {
        let mut entries = vec![
            ("ツール tool", format!("{} ({})", self.tool, self.git_commit)),
            ("仕様 spec", format!("{}, CSVバージョン {}", self.spec_edition, self.csv_version)),
            ("日時 generated", self.generated_at.clone()),
        ];
        if let Some(product) = &self.product {
            entries.push(("製品 product", product.clone()));
        }
        if let Some(profile) = &self.profile {
            entries.push(("製品の種類 profile", profile.clone()));
        }
        entries.push(("入力 inputs", format!("{} files (SHA-256 of each in the JSON report)", self.inputs.len())));
        entries
    }
}

/// What became of one input when a report was checked against the files in hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputCheck {
    Same,
    Changed { sha256: String },
    Missing,
}

/// Checks every input of `provenance` against the file at the same path below `base` (absolute paths as they are).
pub fn verify(provenance: &Provenance, base: &Path) -> Vec<(String, InputCheck)> {
    provenance
        .inputs
        .iter()
        .map(|input| {
            let check = match std::fs::read(base.join(&input.path)) {
                Err(_) => InputCheck::Missing,
                Ok(bytes) => {
                    let sha256 = conformance::hex::encode(&Sha256::digest(&bytes));
                    if sha256 == input.sha256 {
                        InputCheck::Same
                    } else {
                        InputCheck::Changed { sha256 }
                    }
                }
            };
            (input.path.clone(), check)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_or_missing_input_is_found() {
        let dir = std::env::temp_dir().join(format!("provenance-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_default();
        std::fs::write(dir.join("A.CSV"), b"1,2\r\n").unwrap_or_default();
        std::fs::write(dir.join("B.CSV"), b"3,4\r\n").unwrap_or_default();
        let inputs = vec![
            InputDigest::of("A.CSV", b"1,2\r\n"),
            InputDigest::of("B.CSV", b"3,4\r\n"),
            InputDigest::of("C.CSV", b""),
        ];
        let provenance = Provenance::now(Some("Vendor 1.0".into()), None, inputs);
        std::fs::write(dir.join("B.CSV"), b"3,5\r\n").unwrap_or_default();
        let checks = verify(&provenance, &dir);
        assert_eq!(checks[0].1, InputCheck::Same);
        assert!(matches!(checks[1].1, InputCheck::Changed { .. }));
        assert_eq!(checks[2].1, InputCheck::Missing);
        assert!(provenance.entries().iter().any(|(_, value)| value == "Vendor 1.0"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
