//! `cargo xtask fuzz`: every `cargo fuzz` target (fuzz/) for a bounded time, seeded from the fixture corpus and
//! replaying the saved regressions first. The stable toolchain runs libFuzzer with `RUSTC_BOOTSTRAP=1` (cargo
//! fuzz asks for `-Z` flags); without a sanitizer, since the fuzzed crates forbid `unsafe` and a panic is the
//! failure looked for.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

pub const TARGETS: [&str; 3] = ["codec_validator", "mutated_records", "request_parsing"];

/// Installs cargo-fuzz from crates.io when this machine does not have it.
fn ensure_cargo_fuzz() -> Result<()> {
    let installed = Command::new("cargo").args(["fuzz", "--version"]).output().is_ok_and(|o| o.status.success());
    if !installed {
        crate::cargo(&["install", "--locked", "cargo-fuzz", "--version", "0.13.2"])?;
    }
    Ok(())
}

/// Starting inputs: the corpus's CSV files for the codec, and a real send's form for the request parser.
fn seed(target: &str, corpus: &Path) -> Result<()> {
    std::fs::create_dir_all(corpus)?;
    let valid = crate::root().join("fixtures/valid/kaigo2-new-plan");
    let mut files: Vec<_> = std::fs::read_dir(&valid)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    match target {
        "codec_validator" => {
            for (i, path) in files.iter().enumerate() {
                // The first byte picks the name the bytes are read under.
                std::fs::write(corpus.join(format!("seed-{i}")), [&[i as u8][..], &std::fs::read(path)?].concat())?;
            }
        }
        "request_parsing" => {
            let mut body = b"multipart/form-data; boundary=B\n--B\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\n1370002058\r\n".to_vec();
            for path in files.iter().take(2) {
                let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                body.extend(
                    format!("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n")
                        .bytes(),
                );
                body.extend(std::fs::read(path)?);
                body.extend(b"\r\n");
            }
            body.extend(b"--B--\r\n");
            std::fs::write(corpus.join("seed-send"), body)?;
        }
        _ => std::fs::write(corpus.join("seed-first-field"), [0, 0, 0, 0, b'X'])?,
    }
    Ok(())
}

/// Runs each target for `seconds`; returns (target, seconds taken) rows, failing on the first crash.
pub fn run(seconds: u64) -> Result<Vec<(String, f64)>> {
    ensure_cargo_fuzz()?;
    let mut rows = Vec::new();
    for target in TARGETS {
        let corpus = crate::target_dir().join("fuzz-corpus").join(target);
        seed(target, &corpus)?;
        let regressions = crate::root().join("fuzz/regressions").join(target);
        eprintln!("$ cargo fuzz run {target} ({seconds} s)");
        let started = Instant::now();
        let status = Command::new("cargo")
            .args(["fuzz", "run", "--sanitizer", "none", "-O", target])
            .arg(&corpus)
            .arg(&regressions)
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-rss_limit_mb=2048")
            .current_dir(crate::root())
            .env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_TARGET_DIR", crate::target_dir().join("fuzz"))
            .status()
            .context("cannot run cargo fuzz")?;
        if !status.success() {
            bail!("fuzz target {target} found a crash: see fuzz/artifacts/{target}/ and fuzz/regressions/README.md");
        }
        rows.push((target.to_string(), started.elapsed().as_secs_f64()));
    }
    Ok(rows)
}
