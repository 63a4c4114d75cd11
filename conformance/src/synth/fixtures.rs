//! The committed fixture corpus (`fixtures/`): the valid scenarios, one folder per invalid case, and
//! `manifest.json` listing every file with its scenario, kind, encoding and the exact findings expected.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::codec::{decode, EncodingChoice};
use crate::filename::parse;
use crate::synth::corpus::valid_scenarios;
use crate::synth::invalid::{cases, Expected};
use crate::synth::SynthError;

/// The seed of the committed corpus. Changing it changes every generated person.
pub const SEED: u64 = 20250401;

#[derive(Debug, Serialize)]
pub struct Manifest {
    pub seed: u64,
    pub spec: &'static str,
    pub fixtures: Vec<ManifestEntry>,
}

#[derive(Debug, Serialize)]
pub struct ManifestEntry {
    /// below `fixtures/`
    pub path: String,
    /// the scenario (valid) or case (invalid) folder
    pub scenario: String,
    pub description: String,
    /// the rule an invalid case exists for
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
    pub kind: Option<String>,
    pub encoding: &'static str,
    pub expected: Vec<ExpectedFinding>,
}

#[derive(Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpectedFinding {
    pub rule: &'static str,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

/// Every file of the corpus (path below `fixtures/` → bytes), `manifest.json` included.
pub fn corpus() -> Result<BTreeMap<PathBuf, Vec<u8>>, SynthError> {
    let mut files = BTreeMap::new();
    let mut entries = Vec::new();
    let mut add = |folder: &str,
                   scenario: &str,
                   description: &str,
                   rule: Option<&'static str>,
                   name: &str,
                   bytes: Vec<u8>,
                   expected: &[Expected]| {
        let path = format!("{folder}/{scenario}/{name}");
        let mut own: Vec<ExpectedFinding> = expected
            .iter()
            .filter(|e| e.file == name)
            .map(|e| ExpectedFinding { rule: e.rule, line: e.line, column: e.column })
            .collect();
        own.sort();
        entries.push(ManifestEntry {
            path: path.clone(),
            scenario: scenario.to_string(),
            description: description.to_string(),
            rule,
            kind: parse(name).ok().map(|n| n.kind),
            encoding: if bytes.is_empty() { "empty" } else { decode(&bytes, EncodingChoice::Auto).encoding.name() },
            expected: own,
        });
        files.insert(PathBuf::from(path), bytes);
    };
    for scenario in valid_scenarios(SEED)? {
        let description = format!("{} / {}", scenario.title_ja, scenario.title_en);
        for file in &scenario.files {
            let bytes = file.bytes().map_err(|e| SynthError::Encode(e.to_string()))?;
            add("valid", scenario.id, &description, None, &file.name, bytes, &[]);
        }
    }
    for case in cases(SEED)? {
        for file in &case.files {
            add("invalid", &case.id, case.description, Some(case.rule), &file.name, file.bytes.clone(), &case.expected);
        }
    }
    let manifest =
        Manifest {
            seed: SEED, spec: "ケアプランデータ連携標準仕様 第4.1版 (CSVバージョン 202407)", fixtures: entries
        };
    let json = serde_json::to_string_pretty(&manifest).map_err(|e| SynthError::Encode(e.to_string()))? + "\n";
    files.insert(PathBuf::from("manifest.json"), json.into_bytes());
    Ok(files)
}
