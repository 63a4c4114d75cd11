//! The committed corpus under `fixtures/` is exactly what the generator makes, and the validator finds in each
//! folder exactly what `manifest.json` says.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use conformance::i18n::Lang;
use conformance::synth::fixtures::corpus;
use conformance::validate::{validate_files, validate_readers, Options};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// The generated corpus (spec-examples/ and hand-written/ are written by hand from the spec, not generated:
/// tests/spec_examples.rs).
fn committed() -> BTreeMap<PathBuf, Vec<u8>> {
    fixture_files(false)
}

fn fixture_files(with_hand_written: bool) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, with_hand_written: bool, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("fixtures/ is readable") {
            let path = entry.expect("entry").path();
            let hand_written = path.file_name().is_some_and(|n| n == "spec-examples" || n == "hand-written");
            if path.is_dir() && hand_written && !with_hand_written {
                continue;
            }
            if path.is_dir() {
                walk(base, &path, with_hand_written, out);
            } else if path.file_name().is_some_and(|n| n != "README.md") {
                let relative = path.strip_prefix(base).expect("below fixtures/").to_path_buf();
                out.insert(relative, std::fs::read(&path).expect("readable fixture"));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&fixtures_dir(), &fixtures_dir(), with_hand_written, &mut out);
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

/// Reading files in pieces and keeping only what the file and set rules read changes nothing a report says: over
/// every committed file (generated, hand-written and the spec's examples), pieces from one byte (each widened
/// until a record fits) to the default, read ahead on a second thread or on the checking one, give the JSON report — rules, lines, columns, items, values, messages,
/// suppressed counts, encodings, record counts — that reading each file whole and keeping every value gives.
#[test]
fn reading_in_pieces_reports_what_reading_whole_reports() {
    let files = fixture_files(true);
    let inputs: Vec<(String, &[u8])> =
        files.iter().map(|(path, bytes)| (path.to_string_lossy().to_string(), bytes.as_slice())).collect();
    let run = |options: &Options| validate_files(inputs.iter().map(|(path, bytes)| (path.as_str(), *bytes)), options);
    let whole = run(&Options { keep_documents: true, ..Options::default() });
    // What a report says of a file's kind is the kind its records were read as, when they were.
    for file in &whole.files {
        if let Some(document) = &file.document {
            assert_eq!(file.kind_code(), Some(document.kind.code.as_str()), "{}", file.path);
        }
    }
    assert!(whole.files.iter().filter(|file| file.document.is_some()).count() > 300, "the corpus has documents");
    assert!(whole.files.iter().map(|file| file.records()).sum::<usize>() > 1000, "the corpus has records");
    let expected = conformance::report::json::render(&whole, Lang::En);
    // Several pieces are read on a second thread while the earlier ones are checked, unless one thread is asked for.
    let cases = [(None, None), (Some(1), None), (Some(100), None), (Some(1000), Some(1)), (Some(64 * 1024), None)];
    for (piece_bytes, threads) in cases {
        let pieces = run(&Options { piece_bytes, threads, ..Options::default() });
        assert!(pieces.files.iter().all(|file| file.document.is_none()), "kept items are let go after the unit");
        let got = conformance::report::json::render(&pieces, Lang::En);
        if got != expected {
            let first = got.lines().zip(expected.lines()).position(|(a, b)| a != b).unwrap_or(0);
            let context =
                |text: &str| text.lines().skip(first.saturating_sub(20)).take(25).collect::<Vec<_>>().join("\n");
            panic!(
                "pieces of {piece_bytes:?} bytes differ at line {first}:\n{}\n--- whole:\n{}",
                context(&got),
                context(&expected)
            );
        }
    }
}

/// A reader that hands out at most a few bytes per call, as a pipe may.
struct Trickle(std::io::Cursor<Vec<u8>>, usize);

impl Trickle {
    fn new(bytes: &[u8], most: usize) -> Box<Trickle> {
        Box::new(Trickle(std::io::Cursor::new(bytes.to_vec()), most))
    }
}

impl std::io::Read for Trickle {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let most = self.1.min(buffer.len());
        self.0.read(&mut buffer[..most])
    }
}

/// Files opened when their unit's turn comes and read a piece at a time, even a few bytes per read, give the
/// report that validating the same bytes in memory gives; an input that cannot be opened or read stops the run
/// and names the input.
#[test]
fn reading_from_readers_reports_what_reading_bytes_reports() {
    let files = committed();
    let paths: Vec<String> = files.keys().map(|path| path.to_string_lossy().to_string()).collect();
    let contents: Vec<&[u8]> = files.values().map(Vec::as_slice).collect();
    let sizes: Vec<u64> = contents.iter().map(|bytes| bytes.len() as u64).collect();
    let render = |report: &conformance::validate::Report| conformance::report::json::render(report, Lang::En);
    let in_memory = validate_files(paths.iter().map(String::as_str).zip(contents.iter().copied()), &Options::default());
    for (trickle, piece_bytes) in [(7, Some(512)), (1 << 20, None)] {
        let opened = std::sync::atomic::AtomicUsize::new(0);
        let options = Options { piece_bytes, ..Options::default() };
        let from_readers = validate_readers(
            &paths,
            &sizes,
            |index| {
                opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Ok(Trickle::new(contents[index], trickle))
            },
            &options,
            |_| {},
        )
        .unwrap();
        assert_eq!(opened.into_inner(), paths.len(), "each input opened once");
        assert_eq!(render(&from_readers), render(&in_memory), "reads of {trickle} bytes, pieces of {piece_bytes:?}");
    }
    let unopenable = validate_readers(
        &paths,
        &sizes,
        |index| {
            if index == 7 {
                Err(std::io::Error::new(std::io::ErrorKind::NotFound, "gone"))
            } else {
                Ok(Trickle::new(contents[index], 1 << 20))
            }
        },
        &Options::default(),
        |_| {},
    );
    assert_eq!(unopenable.err().map(|(index, error)| (index, error.to_string())), Some((7, "gone".to_string())));
    struct Broken;
    impl std::io::Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk error"))
        }
    }
    let unreadable = validate_readers(
        &paths,
        &sizes,
        |index| if index == 3 { Ok(Box::new(Broken)) } else { Ok(Trickle::new(contents[index], 1 << 20)) },
        &Options::default(),
        |_| {},
    );
    assert_eq!(unreadable.err().map(|(index, error)| (index, error.to_string())), Some((3, "disk error".to_string())));
}
