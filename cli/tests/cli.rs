//! `careplan-conformance validate` as a vendor runs it: exit status, the JSON contract, folders, usage errors.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use conformance::i18n::Lang;
use conformance::report;
use conformance::validate::{validate_files, Options};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_careplan-conformance"))
        .args(["--lang", "en"])
        .args(args)
        .current_dir(repo())
        .output()
        .expect("the binary runs")
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON object")
}

/// The .CSV/.JPG files below `dir` (relative to the repository), in the order the CLI reads a folder.
fn files_below(dir: &str) -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("readable folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("jpg")) {
                out.push(path);
            }
        }
    }
    let mut found = Vec::new();
    walk(&repo().join(dir), &mut found);
    found.sort();
    found.iter().map(|path| path.strip_prefix(repo()).unwrap().to_string_lossy().to_string()).collect()
}

#[test]
fn a_valid_folder_exits_0_and_reports_every_file() {
    let output = cli(&["validate", "--format", "json", "fixtures/valid"]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stdout));
    let report = json(&output);
    let expected = files_below("fixtures/valid");
    let paths: Vec<&str> = report["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert_eq!(paths, expected);
    assert_eq!(report["summary"]["files"], expected.len());
    assert_eq!(report["summary"]["errors"], 0);
    for file in report["files"].as_array().unwrap() {
        assert!(file["kind"].is_string(), "{file}");
        let is_csv = file["path"].as_str().unwrap().to_ascii_uppercase().ends_with(".CSV");
        assert_eq!(file["encoding"].is_string(), is_csv, "an encoding is reported for text files only: {file}");
    }
}

#[test]
fn a_bad_date_exits_1_with_its_line_column_item_and_value() {
    let output = cli(&["validate", "--format", "json", "fixtures/invalid/FLD006-february-30"]);
    assert_eq!(output.status.code(), Some(1));
    let report = json(&output);
    let findings: Vec<&serde_json::Value> =
        report["files"].as_array().unwrap().iter().flat_map(|f| f["findings"].as_array().unwrap()).collect();
    assert_eq!(findings.len(), 1, "{findings:?}");
    let finding = findings[0];
    assert_eq!(finding["rule"], "FLD006");
    assert_eq!(finding["severity"], "error");
    assert_eq!((finding["line"].as_u64(), finding["column"].as_u64()), (Some(1), Some(18)));
    assert_eq!(finding["field"], "certification_date");
    assert_eq!(finding["value"], "20250230");
    assert_eq!(report["summary"]["errors"], 1);
}

/// The CLI opens each file when its send unit's turn comes and reads it in pieces; what it prints must be exactly the
/// library's report of the same files in the same order, set findings included.
#[test]
fn the_whole_corpus_reports_exactly_what_the_library_reports() {
    let output = cli(&["validate", "--format", "json", "fixtures"]);
    assert_eq!(output.status.code(), Some(1), "the corpus holds invalid files");
    let paths = files_below("fixtures");
    let contents: Vec<Vec<u8>> = paths.iter().map(|path| std::fs::read(repo().join(path)).unwrap()).collect();
    let expected = validate_files(
        paths.iter().zip(&contents).map(|(path, bytes)| (path.as_str(), bytes.as_slice())),
        &Options::default(),
    );
    assert!(!expected.set_findings.is_empty(), "the corpus has set-rule cases");
    assert_eq!(String::from_utf8(output.stdout).unwrap(), report::json::render(&expected, Lang::En) + "\n");
}

#[test]
fn usage_and_read_errors_exit_2_and_say_what_is_wrong() {
    let missing = cli(&["validate", "no/such/folder"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no/such/folder"));

    let unknown_kind = cli(&["validate", "--kind", "UP9KYO", "fixtures/valid"]);
    assert_eq!(unknown_kind.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown_kind.stderr);
    assert!(stderr.contains("UP9KYO") && stderr.contains("UP1KYO"), "{stderr}");

    assert_eq!(cli(&["validate"]).status.code(), Some(2), "no PATH is a usage error");
}

/// A run that checked nothing is no pass: a folder without .CSV/.JPG files is exit 2 for `validate` (unless
/// `--allow-empty`) and for `export-check`.
#[test]
fn nothing_to_check_is_an_error_not_a_pass() {
    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("README.txt"), "not an export").unwrap();
    let path = empty.path().to_str().unwrap();
    let validate = cli(&["validate", path]);
    assert_eq!(validate.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&validate.stderr).contains("no file to check"), "{validate:?}");
    assert_eq!(cli(&["validate", "--allow-empty", path]).status.code(), Some(0));
    let export = cli(&["export-check", path]);
    assert_eq!(export.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&export.stderr).contains("no file to check"));
}

/// `--profile` sets the kinds a product must export: a care-manager product that exported only actuals fails for
/// each kind it lacks; an unknown profile is a usage error that lists the known ones.
#[test]
fn a_product_profile_requires_its_kinds() {
    let actuals = "fixtures/valid/kaigo2-new-plan/UPJSK_202505_1370002058_11_1370001002_43_20250601100000.CSV";
    let provider = cli(&["export-check", "--profile", "provider", "--format", "json", actuals]);
    assert_eq!(provider.status.code(), Some(0), "{}", String::from_utf8_lossy(&provider.stdout));
    let care_manager = cli(&["export-check", "--profile", "care-manager", "--format", "json", actuals]);
    assert_eq!(care_manager.status.code(), Some(1));
    let report = json(&care_manager);
    let failed: Vec<&str> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "fail")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["UPHOSOKU", "UP1KYO", "UP2KYO", "UP3KYO", "UPPLAN", "UPSIKYU"]);
    let unknown = cli(&["export-check", "--profile", "pharmacy", actuals]);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("pharmacy") && stderr.contains("care-manager"), "{stderr}");
}

/// A suite report names the tool, its commit, the spec, the time, the product and profile, and the SHA-256 of every
/// input; `verify-report` confirms the files in hand are those, and finds one that changed.
#[test]
fn a_report_carries_its_provenance_and_verify_report_detects_a_changed_input() {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export");
    std::fs::create_dir(&export).unwrap();
    let source = repo().join("fixtures/valid/kaigo2-new-plan");
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, export.join(path.file_name().unwrap())).unwrap();
    }
    let out = dir.path().join("reports");
    let run = Command::new(env!("CARGO_BIN_EXE_careplan-conformance"))
        .args(["--lang", "en", "export-check", "--profile", "care-manager", "--product", "ケアソフトA 3.2.1"])
        .args(["--out-dir", "reports", "export"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stdout));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("export-check.json")).unwrap()).unwrap();
    let provenance = &report["provenance"];
    assert!(provenance["tool"].as_str().unwrap().starts_with("careplan-conformance "));
    assert_eq!(provenance["spec_edition"], "ケアプランデータ連携標準仕様 第4.1版");
    assert_eq!(provenance["csv_version"], "202407");
    assert_eq!(provenance["product"], "ケアソフトA 3.2.1");
    assert_eq!(provenance["profile"], "care-manager");
    assert!(provenance["generated_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(provenance["inputs"].as_array().unwrap().len(), std::fs::read_dir(&source).unwrap().count());
    let text = std::fs::read_to_string(out.join("export-check.txt")).unwrap();
    assert!(text.contains("判定 verdict: 合格 PASSED") && text.contains("ケアソフトA 3.2.1"), "{text}");
    assert!(std::fs::read_to_string(out.join("export-check.html")).unwrap().contains("@page{size:A4"));
    assert!(std::fs::read_to_string(out.join("export-check.junit.xml")).unwrap().contains("name=\"product\""));

    let verify = |base: &Path| {
        Command::new(env!("CARGO_BIN_EXE_careplan-conformance"))
            .args(["verify-report", "reports/export-check.json"])
            .arg(base)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    assert_eq!(verify(dir.path()).status.code(), Some(0));
    let changed = std::fs::read_dir(&export).unwrap().next().unwrap().unwrap().path();
    let mut bytes = std::fs::read(&changed).unwrap();
    bytes.push(b'\n');
    std::fs::write(&changed, bytes).unwrap();
    let after = verify(dir.path());
    assert_eq!(after.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&after.stdout);
    assert!(
        stdout.contains(&changed.file_name().unwrap().to_string_lossy().to_string()) && stdout.contains("changed"),
        "{stdout}"
    );
}

/// Standard input streams like a file: a 第7表 read from `-` gives the findings the library gives for the same
/// bytes without a name (an invalid one, so there is something to find).
#[test]
fn standard_input_reports_what_the_library_reports_for_the_same_bytes() {
    let dir = repo().join("fixtures/invalid/FIL007-amount");
    let path = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.file_name().unwrap().to_string_lossy().starts_with("UPSIKYU_"))
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_careplan-conformance"))
        .current_dir(repo())
        .args(["--lang", "en", "validate", "--format", "json", "--kind", "UPSIKYU", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let output = child.wait_with_output().unwrap();
    let kind = conformance::spec::spec().kind("UPSIKYU");
    let expected = validate_files([("-", bytes.as_slice())], &Options { kind, ..Options::default() });
    assert!(expected.files[0].findings.iter().any(|f| f.rule.code == "FIL007"), "the file shows its fault");
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), report::json::render(&expected, Lang::En) + "\n");
}

#[test]
fn anonymise_writes_copies_with_the_same_findings_and_never_over_a_file() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("anonymise-cli");
    let _ = std::fs::remove_dir_all(&out);
    let folder = "fixtures/invalid/FLD006-february-30";
    let args = ["anonymise", folder, "--out", out.to_str().unwrap(), "--key", "k"];
    let output = cli(&args);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("findings (rule, line, column, item) are the originals'"), "{stdout}");
    let originals = files_below(folder);
    for original in &originals {
        let name = Path::new(original).file_name().unwrap();
        let copy = std::fs::read(out.join(name)).expect("every file is copied");
        assert_eq!(copy.len(), std::fs::read(repo().join(original)).unwrap().len(), "{original}");
    }
    let report = std::fs::read_to_string(out.join("anonymised-report.txt")).unwrap();
    assert!(report.contains("被保険者番号 insured number"), "{report}");
    // The copies report what the originals report, findings for findings.
    let copies = cli(&["validate", "--format", "json", out.to_str().unwrap()]);
    let originals = cli(&["validate", "--format", "json", folder]);
    assert_eq!(copies.status.code(), Some(1));
    let rules = |output: &Output| -> Vec<String> {
        let report = json(output);
        let mut rules: Vec<String> = report["files"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|f| {
                f["findings"].as_array().unwrap().iter().map(|g| format!("{} {} {}", g["rule"], g["line"], g["column"]))
            })
            .collect();
        rules.sort();
        rules
    };
    assert_eq!(rules(&copies), rules(&originals));
    // The same key again writes nothing over the first copies.
    let again = cli(&args);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already exists"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}
