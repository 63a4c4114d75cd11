//! `cargo xtask fuzz`: every `cargo fuzz` target (fuzz/) for a bounded time, seeded from the fixture corpus and
//! replaying the saved regressions first. The stable toolchain runs libFuzzer with `RUSTC_BOOTSTRAP=1` (cargo
//! fuzz asks for `-Z` flags); without a sanitizer, since the fuzzed crates forbid `unsafe` and a panic is the
//! failure looked for.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context, Result};

pub const TARGETS: [&str; 3] = ["codec_validator", "mutated_records", "request_parsing"];

/// Installs cargo-fuzz from crates.io when this machine does not have it.
fn ensure_cargo_fuzz() -> Result<()> {
    let installed = crate::cargo_command().args(["fuzz", "--version"]).output().is_ok_and(|o| o.status.success());
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

/// How the fuzz targets are compiled.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// optimised (`-O`): many more inputs a second, for `cargo xtask fuzz` and `reliability`
    Optimised,
    /// unoptimised, with debug assertions and overflow checks (`--dev`): compiled in well under half the CPU time
    /// (measured cold: 2 m 38 s of CPU against 5 m 45 s), for CI's short run, whose point is the saved regressions
    /// and the seeds (each input checked harder, far fewer a second: codec_validator 130/s, mutated_records 65/s in a
    /// CI run on a busy machine, against 3,563/s and 1,940/s optimised)
    Checked,
}

/// Runs each target for `seconds`; returns (target, seconds taken) rows, failing on the first crash.
pub fn run(seconds: u64, build: Build) -> Result<Vec<(String, f64)>> {
    ensure_cargo_fuzz()?;
    let mut rows = Vec::new();
    for target in TARGETS {
        let corpus = crate::target_dir().join("fuzz-corpus").join(target);
        seed(target, &corpus)?;
        let regressions = crate::root().join("fuzz/regressions").join(target);
        let logs = crate::target_dir().join("fuzz-logs");
        std::fs::create_dir_all(&logs)?;
        let log_path = logs.join(format!("{target}.log"));
        let log = std::fs::File::create(&log_path).with_context(|| format!("cannot write {}", log_path.display()))?;
        eprintln!("$ cargo fuzz run {target} ({seconds} s; output in {})", log_path.display());
        let started = Instant::now();
        let mode = if build == Build::Optimised { "-O" } else { "--dev" };
        let status = crate::cargo_command()
            .args(["fuzz", "run", "--sanitizer", "none", mode, target])
            .arg(&corpus)
            .arg(&regressions)
            .arg("--")
            .arg(format!("-max_total_time={seconds}"))
            .arg("-rss_limit_mb=2048")
            .env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_TARGET_DIR", crate::target_dir().join("fuzz"))
            .stdout(log.try_clone()?)
            .stderr(log)
            .status()
            .context("cannot run cargo fuzz")?;
        let output = std::fs::read_to_string(&log_path).unwrap_or_default();
        if !status.success() {
            let tail: Vec<&str> = output.lines().rev().take(40).collect::<Vec<_>>().into_iter().rev().collect();
            eprintln!("{}", tail.join("\n"));
            bail!(
                "fuzz target {target} found a crash: see fuzz/artifacts/{target}/, fuzz/regressions/README.md and {}",
                log_path.display()
            );
        }
        eprintln!("fuzz {target}: {} — no crash", summary_line(&output));
        rows.push((target.to_string(), started.elapsed().as_secs_f64()));
    }
    Ok(rows)
}

/// libFuzzer's closing figures from its output: runs, coverage and corpus size ("#1234 DONE cov: … corp: …").
fn summary_line(output: &str) -> String {
    // A status line is `#<runs>\t<EVENT> cov: …`; the last one is DONE when the run ended by its time limit.
    let status_lines = || {
        output
            .lines()
            .rev()
            .filter(|line| line.strip_prefix('#').is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit())))
    };
    let done =
        status_lines().find(|line| line.split_whitespace().nth(1) == Some("DONE")).or_else(|| status_lines().next());
    let Some(line) = done else { return "no libFuzzer figures in the log".to_string() };
    let field = |name: &str| line.split_whitespace().skip_while(|w| *w != name).nth(1).unwrap_or("?").to_string();
    let runs = line.split_whitespace().next().unwrap_or("#?").trim_start_matches('#').to_string();
    format!("{runs} runs, coverage {}, corpus {}, {} exec/s", field("cov:"), field("corp:"), field("exec/s:"))
}

#[cfg(test)]
mod tests {
    use super::summary_line;

    #[test]
    fn reads_libfuzzers_closing_line() {
        let log = "INFO: seed\n#658177\tREDUCE cov: 1813 ft: 7510 corp: 2749/1117Kb exec/s: 47012 rss: 77Mb\n\
                   #940000\tDONE   cov: 1820 ft: 7600 corp: 2760/1120Kb lim: 4096 exec/s: 47000 rss: 78Mb\n\
                   ###### Recommended dictionary. ######\n\"\\x08\" # Uses: 0\n###### End of recommended dictionary. ######\n\
                   Done 940000 runs in 21 second(s)\n";
        assert_eq!(summary_line(log), "940000 runs, coverage 1820, corpus 2760/1120Kb, 47000 exec/s");
        assert_eq!(summary_line("nothing"), "no libFuzzer figures in the log");
    }
}
