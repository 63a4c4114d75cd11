//! The anonymiser's two guarantees, over every folder of the corpus (generated valid and invalid exchanges, the
//! hand-written files and the spec's own examples), under keys proptest chooses:
//! - the anonymised files give exactly the findings of the originals (rule, file, line, column, item), so a file
//!   that shows a bug still shows it (`first_difference`, tested against the CLI's JSON in cli/tests/cli.rs);
//! - no value of a personal item of the originals is left anywhere in the output;
//! - every value of every other item is as it was, and every file keeps its length.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use conformance::anonymise::{anonymise_files, first_difference, Key};
use conformance::codec::{decode, EncodingChoice};
use conformance::validate::{validate_files, Options, Report};
use proptest::prelude::*;

/// Folders of the corpus with their files (name, bytes).
type Folders = BTreeMap<PathBuf, Vec<(String, Vec<u8>)>>;

/// Every folder of the corpus that holds files.
fn folders() -> &'static Folders {
    static FOLDERS: std::sync::OnceLock<Folders> = std::sync::OnceLock::new();
    FOLDERS.get_or_init(|| {
        fn walk(dir: &Path, out: &mut Folders) {
            let mut entries: Vec<PathBuf> =
                std::fs::read_dir(dir).expect("fixtures/ is readable").map(|e| e.expect("entry").path()).collect();
            entries.sort();
            for path in entries {
                if path.is_dir() {
                    walk(&path, out);
                } else if path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("jpg"))
                {
                    let name = path.file_name().unwrap().to_string_lossy().to_string();
                    out.entry(dir.to_path_buf()).or_default().push((name, std::fs::read(&path).unwrap()));
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures"), &mut out);
        out
    })
}

fn validate(files: &[(String, Vec<u8>)], options: &Options) -> Report {
    validate_files(files.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice())), options)
}

/// The values of personal items in the originals worth searching for: at least three letters, digits, kana or
/// kanji (a shorter value, 「無」 or 「1」, would be found by chance in any text), and not also part of an item
/// that is not personal (「訪問介護」 is a 第3表 介護サービス内容 and a 第2表 サービス種別: the word is no secret).
fn personal_values(files: &[(String, Vec<u8>)]) -> Vec<(String, String, String)> {
    let whole = validate(files, &Options { keep_documents: true, ..Options::default() });
    let (mut personal, mut public) = (Vec::new(), String::new());
    for file in &whole.files {
        let Some(doc) = &file.document else { continue };
        for (column, item) in doc.kind.items.iter().enumerate() {
            for row in doc.rows() {
                let value = doc.value(row, column).trim();
                if !item.personal.is_some_and(|p| p.is_personal()) {
                    public.push_str(value);
                    public.push('\n');
                } else if value.chars().filter(|c| c.is_alphanumeric()).count() >= 3 {
                    personal.push((file.path.clone(), item.name.clone(), value.to_string()));
                }
            }
        }
    }
    personal.retain(|(_, _, value)| !public.contains(value.as_str()));
    personal
}

fn check_folder(folder: &Path, files: &[(String, Vec<u8>)], key: &Key) -> Result<(), TestCaseError> {
    let options = Options::default();
    let anonymised: Vec<(String, Vec<u8>)> =
        anonymise_files(files.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice())), key, &options)
            .into_iter()
            .map(|file| (file.path, file.bytes))
            .collect();
    let (before, after) = (validate(files, &options), validate(&anonymised, &options));
    let difference = first_difference(&before, &after);
    prop_assert!(difference.is_none(), "{}: {}", folder.display(), difference.unwrap_or_default());
    prop_assert!(before.files.len() == files.len());
    // Everything that is not personal is there as it was: every code, date and amount, value for value.
    let keep = Options { keep_documents: true, ..Options::default() };
    let (before, after) = (validate(files, &keep), validate(&anonymised, &keep));
    for (original, copy) in before.files.iter().zip(&after.files) {
        prop_assert_eq!(original.path.as_str(), copy.path.as_str());
        // A file no layout reads (a photo, an unknown kind: every field of it is replaced) has no items to compare
        // on either side; any other file without its document on both sides would skip the comparison unseen.
        let (a, b) = match (&original.document, &copy.document) {
            (Some(a), Some(b)) => (a, b),
            (None, None) if original.read_as.is_none() => continue,
            (a, b) => {
                return Err(TestCaseError::fail(format!(
                    "{}: read as {:?}, but its document is there for the original: {}, for the copy: {}",
                    original.path,
                    original.read_as.map(|kind| kind.code.as_str()),
                    a.is_some(),
                    b.is_some()
                )))
            }
        };
        prop_assert_eq!(a.kind.code.as_str(), b.kind.code.as_str(), "{} reads as another kind", original.path);
        for (column, item) in
            a.kind.items.iter().enumerate().filter(|(_, item)| !item.personal.is_some_and(|p| p.is_personal()))
        {
            for row in a.rows() {
                prop_assert!(
                    a.value(row, column) == b.value(row, column),
                    "{} line {} {} changed",
                    original.path,
                    a.line(row),
                    item.name
                );
            }
        }
    }
    for ((name, original), (_, copy)) in files.iter().zip(&anonymised) {
        if !name.to_ascii_uppercase().ends_with(".JPG") {
            prop_assert_eq!(original.len(), copy.len(), "{} changed its length", name);
        }
    }
    let texts: Vec<String> = anonymised.iter().map(|(_, bytes)| decode(bytes, EncodingChoice::Auto).text).collect();
    for (file, item, value) in personal_values(files) {
        let left = texts.iter().any(|text| text.contains(&value));
        prop_assert!(!left, "{} {file} {item} 「{value}」 is still in the output", folder.display());
    }
    Ok(())
}

/// Folders of more than a megabyte (the 5 MB free-text one) are checked under one key: the keyed walk over every
/// character costs seconds in a debug build.
fn is_large(files: &[(String, Vec<u8>)]) -> bool {
    files.iter().map(|(_, bytes)| bytes.len()).sum::<usize>() > 1 << 20
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn anonymised_units_show_the_same_findings_and_none_of_the_personal_values(
        secret in proptest::collection::vec(any::<u8>(), 0..80)
    ) {
        let key = Key::new(&secret);
        for (folder, files) in folders().iter().filter(|(_, files)| !is_large(files)) {
            check_folder(folder, files, &key)?;
        }
    }
}

#[test]
fn large_files_are_anonymised_alike() {
    let large: Vec<_> = folders().iter().filter(|(_, files)| is_large(files)).collect();
    assert!(!large.is_empty(), "the corpus has its 5 MB free text");
    for (folder, files) in large {
        check_folder(folder, files, &Key::new(b"large")).unwrap();
    }
}

#[test]
fn the_corpus_has_personal_values_to_replace() {
    let values: usize = folders().values().map(|files| personal_values(files).len()).sum();
    assert!(folders().len() > 100, "{} folders", folders().len());
    assert!(values > 1000, "{values} personal values");
}

#[test]
fn one_key_gives_one_output_and_another_key_another() {
    let (_, files) = folders().iter().find(|(path, _)| path.ends_with("valid/kaigo2-new-plan")).unwrap();
    let run = |secret: &[u8]| {
        anonymise_files(files.iter().map(|(n, b)| (n.as_str(), b.as_slice())), &Key::new(secret), &Options::default())
            .into_iter()
            .map(|file| file.bytes)
            .collect::<Vec<_>>()
    };
    assert_eq!(run(b"a"), run(b"a"));
    assert_ne!(run(b"a"), run(b"b"));
}

/// The comparison the guarantee rests on sees a finding that moved (a planted fault: one date broken in a copy).
#[test]
fn a_finding_that_differs_is_seen() {
    let (_, files) = folders().iter().find(|(path, _)| path.ends_with("valid/kaigo2-new-plan")).unwrap();
    let mut copies: Vec<(String, Vec<u8>)> =
        anonymise_files(files.iter().map(|(n, b)| (n.as_str(), b.as_slice())), &Key::new(b"k"), &Options::default())
            .into_iter()
            .map(|file| (file.path, file.bytes))
            .collect();
    let options = Options::default();
    assert!(first_difference(&validate(files, &options), &validate(&copies, &options)).is_none());
    let plan = copies.iter_mut().find(|(name, _)| name.starts_with("UPPLAN")).unwrap();
    let at = plan.1.windows(8).position(|w| w == b"20250425").unwrap();
    plan.1[at + 6..at + 8].copy_from_slice(b"32");
    let difference = first_difference(&validate(files, &options), &validate(&copies, &options));
    assert!(difference.is_some_and(|d| d.contains("FLD006")));
}
