//! The layers of the workspace's crates and of the modules of `conformance`, `suites`, `cli`, `refserver` and
//! `client`, as ARCHITECTURE.md draws them, and the core library's dependencies: every crate and every module of a
//! crate sits in a layer, and a crate may depend on (a module may name, `crate::…`) only crates (modules) of lower
//! layers. Read from the source text, so an import that runs back up — the start of an import loop — fails here before
//! anyone has to find it in a picture.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot read the tree must fail loudly

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The workspace's crates (by folder), bottom up: the wire format and the core library, how a client reaches the relay,
/// the suites, the binaries, the project's automation. Only `[dependencies]` count: a test may link a higher crate.
const CRATES: &[&[&str]] = &[
    &["protocol", "conformance"],
    &["transport", "forms"],
    &["suites", "client"],
    &["refserver", "cli", "loadtest"],
    &["xtask"],
];

/// conformance, bottom up: data flows bytes → records → typed model → findings → report.
const CONFORMANCE: &[&[&str]] = &[
    &["i18n", "fasthash", "calendar", "hex"],
    &["spec"],
    &["codec", "filename", "rule_meta"],
    &["document", "finding"],
    &["billing"],
    &["rules"],
    &["validate", "synth"],
    &["report", "coverage", "anonymise"],
    &["docs"],
];

/// suites, bottom up: what a report certifies, the report model, its page, then the suites.
const SUITES: &[&[&str]] = &[&["provenance"], &["report"], &["html"], &["client", "export", "relay", "roundtrip"]];

/// cli, bottom up: the command line, what is printed, the files read, the commands (`main.rs` only dispatches).
const CLI: &[&[&str]] = &[&["args"], &["output"], &["inputs"], &["commands"]];

/// refserver, bottom up: values and helpers, storage and TLS, the endpoints, the page, the router, the server.
const REFSERVER: &[&[&str]] = &[
    &["private", "model", "arrivals", "metrics", "checks", "zip", "clock", "identity"],
    &["pki"],
    &["store", "tls"],
    &["faults", "sandbox", "evidence"],
    &["api"],
    &["web", "guard"],
    &["router"],
    &["server"],
];

/// client, bottom up: errors and digests, settings and faults; the state and the relay's API; the outbox and the inbox;
/// the overview, the local page, the loops.
const CLIENT: &[&[&str]] = &[
    &["error", "digest"],
    &["config", "faults"],
    &["state", "relay"],
    &["outgoing", "incoming"],
    &["status"],
    &["page"],
    &["run"],
];

/// `(module, module it names, file)` for every `crate::` path in the non-test code of the library under `src`.
fn imports(src: &Path) -> Vec<(String, String, PathBuf)> {
    let mut found = Vec::new();
    for file in rust_files(src) {
        let relative = file.strip_prefix(src).unwrap();
        let first = relative.components().next().unwrap().as_os_str().to_string_lossy().to_string();
        if first == "bin" || first == "main.rs" || first == "lib.rs" {
            continue; // crate roots of their own, or the list of modules
        }
        let module = first.trim_end_matches(".rs").to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for named in named_modules(code) {
            if named != module {
                found.push((module.clone(), named, relative.to_path_buf()));
            }
        }
    }
    found
}

/// The top-level modules a piece of source names through `crate::` (also `$crate::` in macros and
/// `use crate::{a, b::c}`), comments left out.
fn named_modules(code: &str) -> BTreeSet<String> {
    let ident =
        |text: &str| -> String { text.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect() };
    let mut named = BTreeSet::new();
    for line in code.lines().filter(|line| !line.trim_start().starts_with("//")) {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or_default();
                named.extend(inner.split(',').map(|part| ident(part.trim())).filter(|m| !m.is_empty() && m != "self"));
            } else {
                named.insert(ident(rest));
            }
        }
    }
    named.retain(|m| !m.is_empty());
    named
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Every import that does not point to a lower layer, and every module the table does not place.
fn violations(imports: &[(String, String, PathBuf)], layers: &[&[&str]]) -> Vec<String> {
    let layer_of = |module: &str| layers.iter().position(|layer| layer.contains(&module));
    let mut found = BTreeSet::new();
    for (from, to, file) in imports {
        match (layer_of(from), layer_of(to)) {
            (Some(a), Some(b)) if b < a => {}
            (Some(a), Some(b)) => {
                found.insert(format!("{} names crate::{to} (layer {b}) from {from} (layer {a})", file.display()));
            }
            (None, _) => {
                found.insert(format!("module {from} is in no layer: place it in the table of tests/layers.rs"));
            }
            (_, None) => {
                found.insert(format!("module {to} is in no layer: place it in the table of tests/layers.rs"));
            }
        }
    }
    found.into_iter().collect()
}

fn crate_src(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name).join("src")
}

/// The workspace crates (folders) a manifest's `[dependencies]` name by path.
fn path_dependencies(manifest: &str) -> Vec<String> {
    let section = manifest.split("\n[dependencies]").nth(1).unwrap_or_default().split("\n[").next().unwrap_or_default();
    section
        .lines()
        .filter_map(|line| line.split("path = \"../").nth(1))
        .map(|rest| rest.split('"').next().unwrap_or_default().to_string())
        .collect()
}

/// `(crate, crate it depends on, manifest)` for every workspace member.
fn crate_dependencies() -> Vec<(String, String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let workspace = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let members = workspace.split("members = [").nth(1).unwrap().split(']').next().unwrap();
    let mut found = Vec::new();
    for member in members.split(',').map(|m| m.trim().trim_matches('"')).filter(|m| !m.is_empty()) {
        let manifest = Path::new(member).join("Cargo.toml");
        let text = std::fs::read_to_string(root.join(&manifest)).unwrap();
        found.extend(path_dependencies(&text).into_iter().map(|dep| (member.to_string(), dep, manifest.clone())));
    }
    found
}

/// The crate's imports point down `layers`; `at_least` imports must be found, or the walk read nothing.
fn assert_layered(name: &str, layers: &[&[&str]], at_least: usize) {
    let imports = imports(&crate_src(name));
    assert!(imports.len() >= at_least, "the walk found too few imports in {name} to mean anything: {}", imports.len());
    let wrong = violations(&imports, layers);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn crate_dependencies_point_down_the_workspace_layers() {
    let dependencies = crate_dependencies();
    assert!(dependencies.len() >= 15, "read too few crate dependencies to mean anything: {dependencies:?}");
    let wrong = violations(&dependencies, CRATES);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A client crate that links the relay back, written into a manifest, must fail.
#[test]
fn a_dependency_that_runs_back_up_is_caught() {
    let manifest = "[package]\nname = \"transport\"\n\n[dependencies]\nprotocol = { path = \"../protocol\" }\n\
                    refserver = { path = \"../refserver\", features = [\"sandbox\"] }\n\n\
                    [dev-dependencies]\nxtask = { path = \"../xtask\" }\n";
    let planted: Vec<_> = path_dependencies(manifest)
        .into_iter()
        .map(|dep| ("transport".to_string(), dep, PathBuf::from("transport/Cargo.toml")))
        .collect();
    assert_eq!(
        violations(&planted, CRATES),
        vec!["transport/Cargo.toml names crate::refserver (layer 3) from transport (layer 1)".to_string()]
    );
}

#[test]
fn conformance_imports_point_down_its_layers() {
    assert_layered("conformance", CONFORMANCE, 100);
}

/// The crate a vendor embeds pulls in no async runtime, network client or command-line machinery (clap only behind
/// its opt-in feature): those belong to `suites` and `cli` above it.
#[test]
fn the_core_library_has_no_runtime_network_or_cli_dependency() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance/Cargo.toml")).unwrap();
    let dependencies = manifest.split("[dependencies]").nth(1).unwrap().split("\n[").next().unwrap();
    let names: Vec<&str> = dependencies
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .filter(|line| !line.contains("optional = true"))
        .map(|line| line.split(['=', '.']).next().unwrap().trim())
        .collect();
    assert!(names.len() >= 4, "read too few dependencies to mean anything: {names:?}");
    for heavy in ["tokio", "reqwest", "hyper", "clap", "indicatif", "anyhow", "tracing-subscriber", "protocol"] {
        assert!(!names.contains(&heavy), "conformance depends on {heavy}: {names:?}");
    }
    // Every dependency a vendor inherits is named here and in ARCHITECTURE.md's list: adding one is a decision.
    let known = ["encoding_rs", "hmac", "memchr", "serde", "serde_json", "sha2", "thiserror", "toml"];
    let unnamed: Vec<&&str> = names.iter().filter(|name| !known.contains(name)).collect();
    assert!(unnamed.is_empty(), "conformance depends on {unnamed:?}, which this test and ARCHITECTURE.md do not name");
}

#[test]
fn suites_imports_point_down_its_layers() {
    assert_layered("suites", SUITES, 6);
}

#[test]
fn cli_imports_point_down_its_layers() {
    assert_layered("cli", CLI, 15);
}

#[test]
fn refserver_imports_point_down_its_layers() {
    assert_layered("refserver", REFSERVER, 20);
}

#[test]
fn client_imports_point_down_its_layers() {
    assert_layered("client", CLIENT, 10);
}

/// The loops this project had (finding ↔ rules, api ↔ web), written back in, must fail.
#[test]
fn an_import_that_runs_back_up_is_caught() {
    let finding = "use crate::i18n::Lang;\nuse crate::rules::RuleMeta;\n";
    let web = "use crate::api::{self, ApiError};\n// crate::router in a comment names nothing\n";
    let api = "pub fn route() { crate::web::serve(); }\n$crate::web::page!();\n";
    let as_imports = |module: &str, code: &str| -> Vec<(String, String, PathBuf)> {
        named_modules(code).into_iter().map(|named| (module.to_string(), named, PathBuf::from(module))).collect()
    };
    let planted = [as_imports("finding", finding), as_imports("web", web), as_imports("api", api)].concat();
    let wrong = violations(&planted, &[&["i18n"], &["finding"], &["rules"], &["api"], &["web"]]);
    assert_eq!(
        wrong,
        vec![
            "api names crate::web (layer 4) from api (layer 3)".to_string(),
            "finding names crate::rules (layer 2) from finding (layer 1)".to_string(),
        ]
    );
}
