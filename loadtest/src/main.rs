//! `careplan-loadtest`: goose scenarios measuring end-to-end plan exchange (send → download → acknowledge)
//! against the relay, with payloads from the scale generator (`cargo xtask fixtures --scale N`).
//!
//! Not built yet: this binary only says what it will do.

use clap::Parser;

/// ケアプランデータ連携 relay load test (planned)
///
/// Planned scenarios: steady, month-start, ramp, soak; reports exchanges per second and send-to-ack latency
/// (p50/p95/p99/max) next to goose's per-request metrics, and fails on any lost or altered message.
#[derive(Parser)]
#[command(name = "careplan-loadtest", version)]
struct Cli {}

fn main() -> std::process::ExitCode {
    let _ = Cli::parse();
    eprintln!("careplan-loadtest is not implemented yet; `careplan-loadtest --help` lists what it will do.");
    std::process::ExitCode::from(2)
}
