//! `careplan-refserver`: the reference relay for ケアプランデータ連携.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use refserver::model::Office;
use refserver::pki;
use refserver::server::{self, ServerConfig};
use refserver::store::{Opener, Store, StoreLocation};
use transport::PkiPaths;

/// ケアプランデータ連携 reference relay: mutual-TLS exchange of standard-spec CSV files between offices.
///
/// Typical start: `pki init --out pki`, `office add` for each office, then `serve`. See README.md.
#[derive(Parser)]
#[command(name = "careplan-refserver", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a test PKI (CA, server certificate, CRL, negative-test certificates). For tests and demos only.
    Pki {
        #[command(subcommand)]
        command: PkiCommand,
    },
    /// Register offices, list them, renew their licences.
    Office {
        #[command(subcommand)]
        command: OfficeCommand,
    },
    /// Run the relay.
    Serve {
        #[command(flatten)]
        store: StoreArgs,
        /// PKI folder made by `pki init`
        #[arg(long, env = "CAREPLAN_PKI")]
        pki: PathBuf,
        /// Address to listen on
        #[arg(long, env = "CAREPLAN_LISTEN", default_value = "127.0.0.1:8443")]
        listen: SocketAddr,
        /// Largest request body, in bytes
        #[arg(long, env = "CAREPLAN_MAX_BODY", default_value_t = 64 * 1024 * 1024)]
        max_body: usize,
        /// Request bodies read and validated at once, in MiB: further uploads wait (bounds memory under bursts)
        #[arg(long, env = "CAREPLAN_UPLOAD_BUDGET_MB", default_value_t = 128)]
        upload_budget_mb: usize,
        /// Purge messages older than this many days
        #[arg(long, env = "CAREPLAN_RETENTION_DAYS", default_value_t = 400)]
        retention_days: u64,
        /// Record every request (one JSON line each) for `careplan-conformance client-check`
        #[arg(long)]
        record: Option<PathBuf>,
        /// Largest size of the embedded store in MiB (its database and files together); sends that would exceed it
        /// get 507 (nothing is lost)
        #[arg(long, env = "CAREPLAN_MAX_STORE_MB")]
        max_store_mb: Option<u64>,
        /// Addresses that may read /metrics (the relay-wide counters); loopback addresses when none is given
        #[arg(long, value_delimiter = ',')]
        metrics_from: Vec<std::net::IpAddr>,
        /// Where client certificates carry the office number: cn (default), subject:<name or OID> (serialNumber,
        /// OU, UID, 2.5.4.5 …) or san:<dns|email|uri>[:<prefix>] — for an operator's CA that puts it elsewhere
        #[arg(long, env = "CAREPLAN_OFFICE_FROM", default_value = "cn")]
        office_from: refserver::identity::OfficeFrom,
    },
    /// Check an office's exchange record (送受信記録) against the relay's signature. 送受信記録の署名を検証します。
    Evidence {
        #[command(subcommand)]
        command: EvidenceCommand,
    },
    /// Create the store's schema or bring it up to date, then exit (the relay and the tools also do it when they
    /// open the store); refuses a database whose schema is newer than this binary.
    Migrate {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Show the audit log.
    Audit {
        #[command(flatten)]
        store: StoreArgs,
        /// Only this office's entries
        #[arg(long)]
        office: Option<String>,
        /// Only entries at or after this time (RFC 3339, or a date YYYY-MM-DD)
        #[arg(long)]
        since: Option<String>,
    },
}

#[derive(Subcommand)]
enum PkiCommand {
    /// Write a new test PKI into OUT.
    Init {
        #[arg(long)]
        out: PathBuf,
    },
    /// Revoke every certificate issued to an office (rewrites crl.pem; a running relay refuses them from its next
    /// connection on, or at once on SIGHUP).
    Revoke {
        #[arg(long, env = "CAREPLAN_PKI")]
        pki: PathBuf,
        /// 事業所番号 (10 digits)
        #[arg(long)]
        number: String,
    },
}

#[derive(Subcommand)]
enum EvidenceCommand {
    /// Check that a record is exactly what the relay signed: FILE is a record (.csv or .json) with its detached
    /// signature SIG (default FILE.sig), or the .zip the page downloads (each record in it with its .sig). The
    /// signing certificate (signing.pem) must be one the PKI's CA (ca.pem) issued. Exit status 0 when every
    /// signature holds.
    Verify {
        /// The record, or the downloaded .zip
        file: PathBuf,
        /// The detached signature (base64 or DER); default: FILE.sig
        signature: Option<PathBuf>,
        /// The PKI folder with ca.pem and signing.pem (the relay's public certificates are enough)
        #[arg(long, env = "CAREPLAN_PKI")]
        pki: PathBuf,
    },
}

/// Where the relay keeps everything: the embedded store's folder, or a PostgreSQL database.
#[derive(clap::Args)]
struct StoreArgs {
    /// Folder of the embedded store (SQLite; created if missing)
    #[arg(long, env = "CAREPLAN_DATA", required_unless_present = "store")]
    data: Option<PathBuf>,
    /// A PostgreSQL database instead (it wins over --data), for several relay nodes:
    /// postgres://user@host:port/database (the schema is created or brought up to date when the relay or a tool
    /// opens it). TLS as libpq: ?sslmode=disable|require|verify-ca|verify-full&sslrootcert=CA.pem, and
    /// &sslcert=…&sslkey=… for a client certificate; a host other than loopback defaults to verify-full
    #[arg(long, env = "CAREPLAN_STORE")]
    store: Option<String>,
}

impl StoreArgs {
    /// The one place the flags (or their variables) become a location; `max_bytes` limits an embedded store.
    fn location(self, max_bytes: Option<u64>) -> Result<StoreLocation> {
        Ok(match (self.store, self.data) {
            (Some(url), _) => StoreLocation::Postgres { url },
            (None, Some(dir)) => StoreLocation::Embedded { dir, max_bytes },
            (None, None) => bail!("give --data FOLDER or --store postgres://…"),
        })
    }

    /// Opens the store for a tool.
    fn open(self) -> Result<Arc<dyn Store>> {
        self.location(None)?.open(Opener::Tool).context("cannot open the store")
    }
}

/// An office and the relay's store and PKI it is registered in.
#[derive(clap::Args)]
struct OfficeFolders {
    #[command(flatten)]
    store: StoreArgs,
    #[arg(long, env = "CAREPLAN_PKI")]
    pki: PathBuf,
    /// 事業所番号 (10 digits)
    #[arg(long)]
    number: String,
}

#[derive(Subcommand)]
enum OfficeCommand {
    /// Register an office and issue its client certificate (pki/offices/<number>.pem).
    Add {
        #[command(flatten)]
        office: OfficeFolders,
        /// サービス種類コード the office operates (43 = 居宅介護支援, 11 = 訪問介護, …); repeat for several
        #[arg(long = "service-kind", required = true)]
        service_kinds: Vec<String>,
        /// Office name
        #[arg(long)]
        name: String,
        /// Last day of the licence (YYYY-MM-DD; default: one year from today)
        #[arg(long)]
        licence_until: Option<String>,
        /// Register only: the office's certificate comes from the operator's own CA (see README, "Bring your own CA")
        #[arg(long)]
        no_certificate: bool,
    },
    /// Take an office out of the registry and revoke its certificates: it can no longer send, receive or see
    /// anything (its messages stay until retention purges them).
    Remove {
        #[command(flatten)]
        office: OfficeFolders,
    },
    /// List registered offices and their licences.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Extend an office's licence by a year (from today, or from its end if later), or to --until.
    Renew {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        number: String,
        #[arg(long)]
        until: Option<String>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("careplan-refserver: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn date_in_a_year(from: time::Date) -> String {
    let next = from.replace_year(from.year() + 1).unwrap_or(from + time::Duration::days(365));
    next.to_string()
}

fn valid_date(text: &str) -> Result<String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, format).map(|d| d.to_string()).with_context(|| format!("{text} is not a date YYYY-MM-DD"))
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Pki { command: PkiCommand::Init { out } } => {
            pki::init(&out)?;
            println!("test PKI written to {} (see its README.md; for tests and demos only)", out.display());
        }
        Command::Office {
            command:
                OfficeCommand::Add {
                    office: OfficeFolders { store, pki, number },
                    service_kinds,
                    name,
                    licence_until,
                    no_certificate,
                },
        } => {
            for kind in &service_kinds {
                if conformance::spec::spec().service_kind(kind).is_none() {
                    bail!("{kind} is not a サービス種類コード (see docs/codes.md, サービス種類コード)");
                }
            }
            let shown = refserver::checks::shown(&name);
            if shown != name {
                bail!(
                    "事業所名に見えない文字があります / the office name holds invisible or deceptive characters: {shown}"
                );
            }
            let today = time::OffsetDateTime::now_utc().date();
            let licence_until = match licence_until {
                Some(date) => valid_date(&date)?,
                None => date_in_a_year(today),
            };
            let store = store.open()?;
            let issued = match no_certificate {
                true => None,
                false => Some(pki::issue_office(&PkiPaths::new(&pki), &number, &name)?),
            };
            store
                .put_office(&Office {
                    number: number.clone(),
                    name,
                    kinds: service_kinds,
                    licence_until: licence_until.clone(),
                })
                .wait()?;
            println!("office {number} registered (licence until {licence_until})");
            if let Some((cert, key)) = issued {
                println!("  certificate: {}\n  key:         {}", cert.display(), key.display());
            }
        }
        Command::Pki { command: PkiCommand::Revoke { pki, number } } => {
            let serials = pki::revoke_office(&PkiPaths::new(&pki), &number)?;
            println!(
                "office {number}: {} certificate(s) revoked (serials {serials:?}); crl.pem rewritten",
                serials.len()
            );
        }
        Command::Office { command: OfficeCommand::Remove { office: OfficeFolders { store, pki, number } } } => {
            let location = store.location(None)?;
            let store = location.open(Opener::Tool).context("cannot open the store")?;
            let entry = refserver::model::AuditEntry {
                at: refserver::clock::now(),
                office: Some(number.clone()),
                action: "office_removed".into(),
                message_id: None,
                detail: None,
            };
            let removed = store.remove_office(&number, entry).wait()?;
            let serials = pki::revoke_office(&PkiPaths::new(&pki), &number)?;
            if !removed && serials.is_empty() {
                bail!("office {number} is neither registered nor holds a certificate");
            }
            // Done means no relay node serves the office any more, not only that the registry says so.
            let settles = location.registry_settles();
            if removed && !settles.is_zero() {
                eprintln!("waiting {} s until every relay node has dropped office {number} …", settles.as_secs());
                std::thread::sleep(settles);
            }
            println!(
                "office {number}: {}; {} certificate(s) revoked",
                if removed { "removed from the registry" } else { "was not registered" },
                serials.len()
            );
        }
        Command::Office { command: OfficeCommand::List { store } } => {
            let store = store.open()?;
            for office in store.offices(None, None).wait()? {
                println!(
                    "{}  {:<12} licence until {}  {}",
                    office.number,
                    office.kinds.join(","),
                    office.licence_until,
                    office.name
                );
            }
        }
        Command::Office { command: OfficeCommand::Renew { store, number, until } } => {
            let store = store.open()?;
            let Some(mut office) = store.office(&number).wait()? else { bail!("no office {number}") };
            office.licence_until = match until {
                Some(date) => valid_date(&date)?,
                None => {
                    let format = time::macros::format_description!("[year]-[month]-[day]");
                    let today = time::OffsetDateTime::now_utc().date();
                    let end = time::Date::parse(&office.licence_until, format).unwrap_or(today);
                    date_in_a_year(end.max(today))
                }
            };
            store.put_office(&office).wait()?;
            println!("office {number}: licence until {}", office.licence_until);
        }
        Command::Evidence { command: EvidenceCommand::Verify { file, signature, pki } } => {
            let read =
                |path: &std::path::Path| std::fs::read(path).with_context(|| format!("cannot read {}", path.display()));
            let bytes = read(&file)?;
            let pki = PkiPaths::new(&pki);
            let checked = match refserver::evidence::verify_bundle(&bytes, &pki) {
                Err(refserver::evidence::EvidenceError::NotABundle) => {
                    let signature = signature.unwrap_or_else(|| {
                        let mut path = file.clone().into_os_string();
                        path.push(".sig");
                        PathBuf::from(path)
                    });
                    let name = refserver::checks::shown(&file.display().to_string()).into_owned();
                    match refserver::evidence::verify(&bytes, &read(&signature)?, &pki) {
                        Ok(verified) => vec![(name, verified)],
                        Err(error) => bail!("{name}: 署名が合いません / {error}"),
                    }
                }
                checked => checked.with_context(|| format!("{}", file.display()))?,
            };
            for (name, verified) in &checked {
                println!(
                    "{name}: 署名は正しく、中継サーバーが署名したときのままです / the signature holds: the record is as the relay signed it\n  \
                     署名者 signer: {} (certificate SHA-256 {}, valid {} – {})",
                    verified.signer, verified.sha256, verified.valid_from, verified.valid_until
                );
            }
        }
        Command::Migrate { store } => {
            store.open()?;
            println!("the store's schema is up to date");
        }
        Command::Audit { store, office, since } => {
            let store = store.open()?;
            for entry in store.audit_log(office.as_deref(), since.as_deref()).wait()? {
                println!(
                    "{}  {:<12} {:<10} {:<24} {}",
                    entry.at,
                    entry.action,
                    entry.office.unwrap_or_else(|| "-".into()),
                    entry.message_id.unwrap_or_else(|| "-".into()),
                    refserver::checks::shown(&entry.detail.unwrap_or_default())
                );
            }
        }
        Command::Serve {
            store,
            pki,
            listen,
            max_body,
            upload_budget_mb,
            retention_days,
            record,
            max_store_mb,
            metrics_from,
            office_from,
        } => {
            let mut config = ServerConfig::new(listen, store.location(max_store_mb.map(|mb| mb * 1024 * 1024))?, pki);
            config.record = record;
            config.api.max_body = max_body;
            config.api.upload_budget = upload_budget_mb * 1024 * 1024;
            config.api.metrics_from = metrics_from;
            config.retention = Duration::from_secs(retention_days * 24 * 3600);
            config.office_from = office_from;
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(async move {
                let running = server::start(config).await?;
                eprintln!("careplan-refserver listening on https://{} (Ctrl-C or SIGTERM to stop)", running.local_addr);
                wait_for_signal().await;
                eprintln!("shutting down: finishing in-flight requests");
                running.shutdown().await;
                Ok::<_, anyhow::Error>(())
            })?;
        }
    }
    Ok(())
}

async fn wait_for_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}
