//! `cargo xtask capacity`: the month-start load against a small registry and against one of 20,000 offices, each
//! split per component by `capacity.rs`, side by side, with the country's table made from the measured costs.

use anyhow::{bail, Result};
use serde_json::json;

use crate::capacity::sizing_table;
use crate::loadtest::{Drive, Options, StoreKind};
use loadtest::capacity::Sizing;

/// Care managers taking part in `cargo xtask capacity`: 96, with their 192 providers 288 offices, 1.4 % of a
/// registry of 20,000 — the share of offices at work in the peak minute if each does its month-start sending in
/// one sitting of about ten minutes within the first three working days (27 hours) and the peak hour holds three
/// times the mean: 10 / (27 × 60) × 3 ≈ 1.9 %, rounded down to what the two cores here serve without a knee.
pub const ACTIVE_CARE_MANAGERS: usize = 96;

/// `cargo xtask capacity`: the month-start load against a registry of only its own offices, then against one of
/// `registry` offices, each split per component; the two side by side and the country's table.
pub fn run(store: StoreKind, run_time: &str, care_managers: usize, registry: usize, release: bool) -> Result<()> {
    let options = |registry| Options {
        scenario: loadtest::profile::Profile::MonthStart,
        run_time: run_time.to_string(),
        care_managers,
        release,
        store,
        nodes: 1,
        drive: Drive::Http,
        capacity: true,
        registry,
    };
    let bin = crate::relay_process::build(release)?;
    let out = crate::target_dir().join("loadtest");
    std::fs::create_dir_all(&out)?;
    let mut runs = Vec::new();
    for (name, registry) in [("small", None), ("registry", Some(registry))] {
        let summary = out.join(format!("capacity-{name}.json"));
        let status = crate::loadtest::run_once(&options(registry), false, &bin, "http", &summary)?;
        if !status.success() {
            bail!("the {name} registry's load run failed ({status}): see {}", summary.display());
        }
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&summary)?)?;
        runs.push(json);
    }
    let [small, large] = [&runs[0], &runs[1]];
    let figure = |run: &serde_json::Value, path: &[&str]| -> f64 {
        path.iter().fold(run, |value, key| &value[*key]).as_f64().unwrap_or(f64::NAN)
    };
    let mut text = format!(
        "\n同じセッション same session: registry {} vs {} offices, {} active, month-start {run_time}, store {store:?}\n\n\
         | per exchange | registry {} | registry {} | change |\n|---|---|---|---|\n",
        small["capacity"]["registry_offices"],
        large["capacity"]["registry_offices"],
        small["capacity"]["active_offices"],
        small["capacity"]["registry_offices"],
        large["capacity"]["registry_offices"],
    );
    let rows: [(&str, &[&str]); 8] = [
        ("relay CPU (ms)", &["capacity", "per_exchange", "relay_ms"]),
        ("  TLS (ms)", &["capacity", "per_exchange", "tls_ms"]),
        ("  validation (ms)", &["capacity", "per_exchange", "validation_ms"]),
        ("  the rest (ms)", &["capacity", "per_exchange", "relay_rest_ms"]),
        ("PostgreSQL CPU (ms)", &["capacity", "per_exchange", "database_ms"]),
        ("wire (bytes)", &["capacity", "per_exchange", "wire_bytes"]),
        ("at rest (bytes)", &["capacity", "per_exchange", "store_bytes"]),
        ("exchanges/s", &["exchanges_per_s"]),
    ];
    for (label, path) in rows {
        let (a, b) = (figure(small, path), figure(large, path));
        if a.is_nan() && b.is_nan() {
            continue;
        }
        text.push_str(&format!("| {label} | {a:.3} | {b:.3} | {:+.1} % |\n", (b / a - 1.0) * 100.0));
    }
    text.push_str(&format!(
        "| load average (before → after) | {} → {} | {} → {} | |\n",
        small["capacity"]["load_average"]["before"].as_str().unwrap_or_default(),
        small["capacity"]["load_average"]["after"].as_str().unwrap_or_default(),
        large["capacity"]["load_average"]["before"].as_str().unwrap_or_default(),
        large["capacity"]["load_average"]["after"].as_str().unwrap_or_default(),
    ));
    println!("{text}");
    let sizing: Vec<Sizing> = serde_json::from_value(large["capacity"]["sizing"].clone()).unwrap_or_default();
    println!("国全体 the country, from the large registry's costs:\n{}", sizing_table(&sizing));
    let path = out.join("capacity.json");
    std::fs::write(
        &path,
        serde_json::to_string_pretty(&json!({ "small": small["capacity"], "registry": large["capacity"],
            "exchanges_per_s": [small["exchanges_per_s"], large["exchanges_per_s"]],
            "latency_ms": [small["latency_ms"], large["latency_ms"]] }))?,
    )?;
    eprintln!("xtask: {}", path.display());
    Ok(())
}
