//! `careplan-refserver`: the reference relay for ケアプランデータ連携 (mutual TLS, office registry and licences,
//! send / inbox / download / acknowledge, validation at upload, durable store, audit log, web page).
//!
//! Not built yet: this binary only says what it will do, so that the workspace layout and the commands are fixed
//! before the implementation lands.

use clap::Parser;

/// ケアプランデータ連携 reference relay (planned)
///
/// Planned commands: `pki init --out DIR` (test CA, server and office certificates), `office add|list|renew`
/// (registry and yearly licences), `serve --data DIR --pki DIR --listen ADDR` (hyper + rustls with client
/// certificates, HTTP API POST /v1/messages, GET /v1/inbox, /v1/outbox, /v1/messages/{id}, …, /ack), `audit`.
#[derive(Parser)]
#[command(name = "careplan-refserver", version)]
struct Cli {}

fn main() -> std::process::ExitCode {
    let _ = Cli::parse();
    eprintln!("careplan-refserver is not implemented yet; `careplan-refserver --help` lists what it will do.");
    std::process::ExitCode::from(2)
}
