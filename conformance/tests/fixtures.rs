//! The committed corpus under `fixtures/` is exactly what the generator makes, and the validator finds in each
//! folder exactly what `manifest.json` says.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use conformance::i18n::Lang;
use conformance::synth::fixtures::corpus;
use conformance::validate::{validate_files, validate_read_on_demand, Options};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn committed() -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("fixtures/ is readable") {
            let path = entry.expect("entry").path();
            // spec-examples/ and hand-written/ are written by hand from the spec, not generated (tests/spec_examples.rs).
            if path.is_dir() && path.file_name().is_some_and(|n| n == "spec-examples" || n == "hand-written") {
                continue;
            }
            if path.is_dir() {
                walk(base, &path, out);
            } else if path.file_name().is_some_and(|n| n != "README.md") {
                let relative = path.strip_prefix(base).expect("below fixtures/").to_path_buf();
                out.insert(relative, std::fs::read(&path).expect("readable fixture"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&fixtures_dir(), &fixtures_dir(), &mut out);
    out
}

#[test]
fn committed_corpus_equals_a_fresh_generation() {
    let fresh = corpus().expect("corpus generates");
    let on_disk = committed();
    let differing: Vec<String> = fresh
        .keys()
        .chain(on_disk.keys())
        .filter(|path| fresh.get(*path) != on_disk.get(*path))
        .map(|path| path.display().to_string())
        .collect();
    assert!(differing.is_empty(), "run `cargo xtask fixtures`; these differ: {differing:?}");
}

#[test]
fn validator_findings_match_the_manifest() {
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures_dir().join("manifest.json")).expect("manifest"))
            .expect("manifest is JSON");
    let entries = manifest["fixtures"].as_array().expect("fixtures array");
    let mut folders: BTreeMap<String, Vec<&serde_json::Value>> = BTreeMap::new();
    for entry in entries {
        let path = entry["path"].as_str().expect("path");
        let folder = path.rsplit_once('/').map(|(dir, _)| dir.to_string()).expect("folder");
        folders.entry(folder).or_default().push(entry);
    }
    let mut failures = Vec::new();
    for (folder, entries) in folders {
        let files: Vec<(String, Vec<u8>)> = entries
            .iter()
            .map(|e| {
                let path = e["path"].as_str().expect("path");
                (path.to_string(), std::fs::read(fixtures_dir().join(path)).expect("fixture file"))
            })
            .collect();
        let report = validate_files(files.iter().map(|(p, b)| (p.as_str(), b.as_slice())), &Options::default());
        for entry in entries {
            let path = entry["path"].as_str().expect("path");
            let mut expected: Vec<(String, Option<u64>, Option<u64>)> = entry["expected"]
                .as_array()
                .expect("expected")
                .iter()
                .map(|f| (f["rule"].as_str().unwrap_or("").to_string(), f["line"].as_u64(), f["column"].as_u64()))
                .collect();
            let file = report.files.iter().find(|f| f.path == path).expect("validated");
            let mut found: Vec<(String, Option<u64>, Option<u64>)> = file
                .findings
                .iter()
                .chain(report.set_findings.iter().filter(|f| f.file.as_deref() == Some(path)))
                .map(|f| (f.rule.code.to_string(), f.line.map(u64::from), f.column.map(u64::from)))
                .collect();
            expected.sort();
            found.sort();
            if expected != found {
                failures.push(format!("{folder}: {path}\n  expected {expected:?}\n  found    {found:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn scale_exchanges_validate_clean_in_both_directions() {
    use conformance::synth::corpus::scale_exchanges;
    use conformance::synth::people::Office;
    let care_manager = Office::new("43", "ケアプランセンター", "13", 900);
    let provider = Office::new("11", "訪問介護", "13", 901);
    let units = scale_exchanges(7, 2, 11, |_| (care_manager.clone(), provider.clone())).expect("generates");
    assert_eq!(units.len(), 4, "7 users, 2 to a unit");
    for unit in &units {
        for files in [unit.ticket.clone(), vec![unit.actuals.clone()]] {
            let bytes: Vec<(String, Vec<u8>)> =
                files.iter().map(|f| (f.name.clone(), f.bytes().expect("encodes"))).collect();
            let report = validate_files(bytes.iter().map(|(n, b)| (n.as_str(), b.as_slice())), &Options::default());
            let findings: Vec<String> = report
                .files
                .iter()
                .flat_map(|f| {
                    f.findings
                        .iter()
                        .map(move |x| format!("{}: {} {}", f.path, x.rule.code, x.message(conformance::i18n::Lang::En)))
                })
                .chain(
                    report
                        .set_findings
                        .iter()
                        .map(|x| format!("set: {} {}", x.rule.code, x.message(conformance::i18n::Lang::En))),
                )
                .collect();
            assert!(findings.is_empty(), "{:?}: {findings:#?}", files.iter().map(|f| &f.name).collect::<Vec<_>>());
        }
    }
    assert!(units[0]
        .actuals
        .name
        .starts_with(&format!("UPJSK_202505_{}_11_{}_43_", provider.number, care_manager.number)));
}

/// Letting records go after each unit (`drop_documents`, what `validate` does) changes nothing a report says:
/// over the whole committed corpus, valid and invalid, the same kinds, encodings, findings, suppressed counts and
/// record counts.
#[test]
fn dropping_documents_after_each_unit_reports_the_same() {
    let files = committed();
    let inputs: Vec<(String, &[u8])> =
        files.iter().map(|(path, bytes)| (path.to_string_lossy().to_string(), bytes.as_slice())).collect();
    let run = |drop_documents: bool| {
        let options = Options { drop_documents, ..Options::default() };
        validate_files(inputs.iter().map(|(path, bytes)| (path.as_str(), *bytes)), &options)
    };
    let (kept, dropped) = (run(false), run(true));
    assert!(kept.files.iter().any(|file| file.document.is_some()));
    // What a report says of a file's kind is the kind its records were read as, when they were.
    for file in &kept.files {
        if let Some(document) = &file.document {
            assert_eq!(file.kind_code(), Some(document.kind.code.as_str()), "{}", file.path);
        }
    }
    assert!(dropped.files.iter().all(|file| file.document.is_none()));
    let summary = |report: &conformance::validate::Report| -> Vec<String> {
        let files = report.files.iter().map(|file| {
            let findings: Vec<String> =
                file.findings.iter().map(|f| format!("{}:{:?}:{:?}", f.rule.code, f.line, f.column)).collect();
            format!(
                "{} {:?} {:?} {} {:?} {}",
                file.path,
                file.kind_code(),
                file.encoding,
                file.records(),
                file.suppressed,
                findings.join(",")
            )
        });
        files.chain(report.set_findings.iter().map(|f| format!("set {} {:?}", f.rule.code, f.file))).collect()
    };
    assert!(kept.files.iter().map(|file| file.records()).sum::<usize>() > 1000, "the corpus has records");
    assert_eq!(summary(&kept), summary(&dropped));
}

/// Reading inputs only when their unit's turn comes, in batches as small as one unit or as large as everything,
/// gives the report `validate_files` gives; a read error stops the run and names the input.
#[test]
fn reading_on_demand_reports_what_reading_everything_reports() {
    let files = committed();
    let paths: Vec<String> = files.keys().map(|path| path.to_string_lossy().to_string()).collect();
    let contents: Vec<&[u8]> = files.values().map(Vec::as_slice).collect();
    let sizes: Vec<u64> = contents.iter().map(|bytes| bytes.len() as u64).collect();
    let options = Options { drop_documents: true, ..Options::default() };
    let everything = validate_files(paths.iter().map(String::as_str).zip(contents.iter().copied()), &options);
    let render = |report: &conformance::validate::Report| conformance::report::json::render(report, Lang::En);
    for batch_bytes in [1, 64 * 1024, u64::MAX] {
        let reads = std::sync::atomic::AtomicUsize::new(0);
        let on_demand = validate_read_on_demand(
            &paths,
            &sizes,
            batch_bytes,
            |index| {
                reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Ok::<_, std::io::Error>(contents[index].to_vec())
            },
            &options,
            |_| {},
        )
        .unwrap();
        assert_eq!(reads.into_inner(), paths.len(), "each input read once");
        assert_eq!(render(&on_demand), render(&everything), "batches of {batch_bytes} bytes");
    }
    let failing = validate_read_on_demand(
        &paths,
        &sizes,
        1,
        |index| if index == 7 { Err("unreadable") } else { Ok(contents[index].to_vec()) },
        &options,
        |_| {},
    );
    assert_eq!(failing.err(), Some((7, "unreadable")));
}
