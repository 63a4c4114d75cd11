//! The sentence inventory: every normative sentence of the two sources, quoted as extracted, with where it stands
//! and what the project does about it (spec/sentences/*.toml). It is transcribed from the text, not from the
//! model, so it can show what the model leaves out: a sentence no rule enforces is said to be so.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::spec::{assumptions, SpecError};

macro_rules! sentence_sources {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../spec/sentences/", $name, ".toml")))),*]
    };
}

/// Every inventory file: S1, the sentences every S2 table repeats, then S2 table by table.
const SENTENCE_SOURCES: &[(&str, &str)] = sentence_sources![
    "S1",
    "S2-common",
    "HOSOKU",
    "T1",
    "T1D",
    "T2",
    "T3",
    "T6",
    "T6D",
    "T7",
    "KIHON",
    "KIHOND",
    "KIMG",
    "KSUB1",
    "KSUB2",
    "YOBO",
    "YOBOD",
    "YSUB",
];

/// Which of the two sources a file transcribes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub enum Source {
    S1,
    S2,
}

/// One inventory file: the sentences of one section of a source.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentenceFile {
    #[serde(skip)]
    pub name: &'static str,
    pub source: Source,
    /// the heading the sentences stand under, as a reader would search for it
    pub section: String,
    /// the kinds (file-name prefixes) the sentences govern; empty for S1 sections that govern no one kind
    pub kinds: Vec<String>,
    #[serde(rename = "sentence")]
    pub sentences: Vec<Sentence>,
}

/// A sentence of the specification and its disposition.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sentence {
    pub id: String,
    /// where it stands: item No. and name, or the part of the table; for S1 the section
    pub at: String,
    /// verbatim as extracted
    pub text: String,
    /// the rules whose checks enforce it
    #[serde(default)]
    pub rules: Vec<String>,
    /// the reading chosen where the text is ambiguous or contradicts itself
    pub assumption: Option<String>,
    /// why no file can show it
    pub not_checkable: Option<String>,
    /// a sentence a file can break that no rule checks yet: what a violating file looks like
    pub gap: Option<String>,
    /// where the attribution or the reading is uncertain
    pub doubt: Option<String>,
    /// for sentences every table repeats: the tables it stands in
    pub applies: Option<String>,
}

/// What the project does about a sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition<'a> {
    /// checked by these rules (under an assumption, where the text needed a reading)
    Enforced {
        rules: &'a [String],
        assumption: Option<&'a str>,
    },
    /// a reading the project states, with no rule of its own
    Assumption(&'a str),
    NotCheckable(&'a str),
    /// a file can break it and nothing checks it yet
    Unenforced(&'a str),
}

impl Sentence {
    /// Its disposition: exactly one of rules (with an optional assumption), assumption, not_checkable and gap.
    pub fn disposition(&self) -> Result<Disposition<'_>, String> {
        let assumption = self.assumption.as_deref();
        match (self.rules.is_empty(), assumption, self.not_checkable.as_deref(), self.gap.as_deref()) {
            (false, _, None, None) => Ok(Disposition::Enforced { rules: &self.rules, assumption }),
            (true, Some(id), None, None) => Ok(Disposition::Assumption(id)),
            (true, None, Some(reason), None) => Ok(Disposition::NotCheckable(reason)),
            (true, None, None, Some(gap)) => Ok(Disposition::Unenforced(gap)),
            (true, None, None, None) => Err(format!("sentence {} has no disposition", self.id)),
            _ => Err(format!("sentence {} has more than one disposition", self.id)),
        }
    }

    /// The part of S1 it stands in: its section (`§2.4`), or `更新履歴`.
    pub fn s1_section(&self) -> &str {
        let at = self.at.strip_prefix("S1 ").unwrap_or(&self.at);
        if let Some(number) = at.strip_prefix('§') {
            let digits = number.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(number.len());
            return at[..'§'.len_utf8() + digits].trim_end_matches('.');
        }
        if at.contains("更新履歴") {
            "更新履歴"
        } else {
            at.split_whitespace().next().unwrap_or(at)
        }
    }
}

/// The inventory, parsed on first use and then kept: it is most of the spec data, and validating files never reads
/// it. The loader's checks hold for the embedded files (`tests::embedded_spec_loads` runs them), so reading it cannot
/// fail in a built binary.
#[derive(Debug)]
pub struct Inventory {
    kinds: Vec<String>,
    files: OnceLock<Vec<SentenceFile>>,
}

impl Inventory {
    pub(crate) fn new(kinds: Vec<String>) -> Inventory {
        Inventory { kinds, files: OnceLock::new() }
    }

    /// Parses the inventory files and runs every check on them, without keeping the result.
    pub fn load(&self) -> Result<Vec<SentenceFile>, SpecError> {
        load(|code| self.kinds.iter().any(|known| known == code))
    }
}

impl std::ops::Deref for Inventory {
    type Target = [SentenceFile];

    fn deref(&self) -> &[SentenceFile] {
        self.files.get_or_init(|| match self.load() {
            Ok(files) => files,
            // Compiled-in data that `embedded_spec_loads` proves loads: no input reaches this.
            Err(error) => panic!("embedded sentence inventory is broken: {error}"),
        })
    }
}

impl<'a> IntoIterator for &'a Inventory {
    type Item = &'a SentenceFile;
    type IntoIter = std::slice::Iter<'a, SentenceFile>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Parses every inventory file and holds each sentence to a disposition.
fn load(known_kind: impl Fn(&str) -> bool) -> Result<Vec<SentenceFile>, SpecError> {
    let mut files = Vec::new();
    let mut ids = std::collections::BTreeSet::new();
    for (name, text) in SENTENCE_SOURCES {
        let mut file: SentenceFile = toml::from_str(text).map_err(|source| SpecError::Toml { file: name, source })?;
        file.name = name;
        let error = |msg: String| SpecError::Inconsistent(format!("sentences/{name}.toml: {msg}"));
        let fail = |msg: String| Err(error(msg));
        if let Some(kind) = file.kinds.iter().find(|kind| !known_kind(kind)) {
            return fail(format!("names unknown kind {kind}"));
        }
        for sentence in &file.sentences {
            if !ids.insert(sentence.id.clone()) {
                return fail(format!("sentence id {} is used twice", sentence.id));
            }
            if sentence.text.trim().is_empty() || sentence.at.trim().is_empty() {
                return fail(format!("sentence {} has no text or no place", sentence.id));
            }
            match sentence.disposition().map_err(error)? {
                Disposition::Enforced { assumption: Some(id), .. } | Disposition::Assumption(id)
                    if assumptions::find(id).is_none() =>
                {
                    return fail(format!("sentence {} names unknown assumption {id}", sentence.id));
                }
                Disposition::NotCheckable(why) | Disposition::Unenforced(why) if why.trim().is_empty() => {
                    return fail(format!("sentence {} gives no reason", sentence.id));
                }
                _ => {}
            }
        }
        files.push(file);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentence(rules: &[&str], assumption: Option<&str>, not_checkable: Option<&str>, gap: Option<&str>) -> Sentence {
        Sentence {
            id: "X-01-a".into(),
            at: "No.1".into(),
            text: "…".into(),
            rules: rules.iter().map(|r| r.to_string()).collect(),
            assumption: assumption.map(str::to_string),
            not_checkable: not_checkable.map(str::to_string),
            gap: gap.map(str::to_string),
            doubt: None,
            applies: None,
        }
    }

    #[test]
    fn a_sentence_has_exactly_one_disposition() {
        assert!(matches!(sentence(&["FIL006"], None, None, None).disposition(), Ok(Disposition::Enforced { .. })));
        assert!(matches!(
            sentence(&["FIL006"], Some("A-LIMIT-KINDS"), None, None).disposition(),
            Ok(Disposition::Enforced { assumption: Some("A-LIMIT-KINDS"), .. })
        ));
        assert_eq!(sentence(&[], Some("A-CRLF"), None, None).disposition(), Ok(Disposition::Assumption("A-CRLF")));
        assert_eq!(sentence(&[], None, Some("office"), None).disposition(), Ok(Disposition::NotCheckable("office")));
        assert_eq!(sentence(&[], None, None, Some("a file…")).disposition(), Ok(Disposition::Unenforced("a file…")));
        assert!(sentence(&[], None, None, None).disposition().is_err());
        assert!(sentence(&["FIL006"], None, None, Some("a file…")).disposition().is_err());
        assert!(sentence(&[], None, Some("office"), Some("a file…")).disposition().is_err());
        assert!(sentence(&[], Some("A-CRLF"), Some("office"), None).disposition().is_err());
    }

    #[test]
    fn s1_sentences_stand_in_a_section() {
        let mut s = sentence(&[], None, Some("x"), None);
        s.at = "§5.1.2.1 実績票作成・更新時".into();
        assert_eq!(s.s1_section(), "§5.1.2.1");
        s.at = "S1 更新履歴 No.4.0".into();
        assert_eq!(s.s1_section(), "更新履歴");
    }

    #[test]
    fn the_inventory_loads() {
        let files = &crate::spec::spec().sentences;
        assert_eq!(files.len(), SENTENCE_SOURCES.len());
        assert!(files.iter().all(|file| !file.sentences.is_empty()));
    }
}
