//! The capacity measurement: what one exchange costs per component (`cargo xtask loadtest --capacity`); the
//! runs side by side and the country's table are `country.rs` (`cargo xtask capacity`).
//!
//! How each figure is taken:
//! - relay CPU: utime + stime of each relay process (`/proc/<pid>/stat`) before and after the load process;
//! - database CPU: the same for PostgreSQL's postmaster and its children, with the CPU of the children it reaped
//!   (cutime + cstime), so a backend that ends during the run still counts;
//! - TLS: not separable inside the relay's figure, so measured apart with the relay's own server configuration
//!   (`refserver::tls::server_config`) on an in-memory connection: the server thread's CPU (`schedstat`) per full
//!   mutual-TLS handshake and per MB of records, times the run's connections and wire bytes;
//! - validation: `conformance::validate::validate_files` as the relay calls it, on the run's own units, in the
//!   optimised load process before the load (`careplan-loadtest --measure-validation`), per ticket and actuals unit;
//! - wire bytes and connections: a counting TCP relay on loopback in front of each node (its CPU is xtask's, not
//!   the relay's);
//! - at rest: growth of the store's folder (database files and the files folder; SQLite's `-wal` and `-shm`,
//!   which are reused after each checkpoint, left out) and of PostgreSQL's `base/` (tables, indexes, TOAST; not
//!   the WAL).

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use loadtest::capacity::{Country, Headroom, PerExchange, RunTotals, Sizing, TlsCost, ValidationCost};
use loadtest::population::Population;
use loadtest::relay_watch::cpu_seconds;
use refserver::sandbox::{Sandbox, SandboxOffice};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The parent of a process.
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}

/// CPU of a process and its children, those alive and those it reaped.
fn tree_cpu_s(root: u32) -> Option<f64> {
    let mut total = cpu_seconds(root, true)?;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|name| name.parse::<u32>().ok()) else { continue };
        if parent_of(pid) == Some(root) {
            total += cpu_seconds(pid, true).unwrap_or(0.0);
        }
    }
    Some(total)
}

/// Bytes of the files below `dir`, SQLite's `-wal` and `-shm` left out.
fn folder_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => folder_bytes(&entry.path()),
            Ok(meta) => {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.ends_with("-wal") || name.ends_with("-shm") {
                    0
                } else {
                    meta.len()
                }
            }
            Err(_) => 0,
        })
        .sum()
}

/// The 1-, 5- and 15-minute load averages (`/proc/loadavg`), as `uptime` prints them.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The postmaster of the cluster xtask started under `dir` (`pg-<xtask's pid>-<n>/postmaster.pid`, first line).
pub fn postmaster(dir: &Path) -> Option<(u32, PathBuf)> {
    let prefix = format!("pg-{}-", std::process::id());
    std::fs::read_dir(dir).ok()?.flatten().find_map(|entry| {
        if !entry.file_name().to_string_lossy().starts_with(&prefix) {
            return None;
        }
        let pid: u32 =
            std::fs::read_to_string(entry.path().join("postmaster.pid")).ok()?.lines().next()?.parse().ok()?;
        Path::new(&format!("/proc/{pid}")).exists().then(|| (pid, entry.path()))
    })
}

/// Bytes through the counting front of the relay nodes, and its connections.
#[derive(Default)]
pub struct Wire {
    bytes: AtomicU64,
    connections: AtomicU64,
}

/// Listens on a free port of 127.0.0.1 and passes every connection on to `target`, counting bytes both ways;
/// the port.
pub fn start_front(runtime: &tokio::runtime::Runtime, target: SocketAddr, wire: Arc<Wire>) -> Result<u16> {
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let port = listener.local_addr()?.port();
    runtime.spawn(async move {
        while let Ok((inbound, _)) = listener.accept().await {
            wire.connections.fetch_add(1, Ordering::Relaxed);
            let wire = wire.clone();
            tokio::spawn(async move {
                let Ok(outbound) = tokio::net::TcpStream::connect(target).await else { return };
                let _ = (inbound.set_nodelay(true), outbound.set_nodelay(true));
                let ((in_read, in_write), (out_read, out_write)) = (inbound.into_split(), outbound.into_split());
                tokio::join!(pass(in_read, out_write, &wire), pass(out_read, in_write, &wire));
            });
        }
    });
    Ok(port)
}

async fn pass(mut from: tokio::net::tcp::OwnedReadHalf, mut to: tokio::net::tcp::OwnedWriteHalf, wire: &Wire) {
    let mut buffer = vec![0; 64 * 1024];
    while let Ok(n @ 1..) = from.read(&mut buffer).await {
        if to.write_all(&buffer[..n]).await.is_err() {
            break;
        }
        wire.bytes.fetch_add(n as u64, Ordering::Relaxed);
    }
    let _ = to.shutdown().await;
}

/// Everything read before the load process starts, to subtract afterwards.
pub struct Before {
    relay_cpu_s: f64,
    database_cpu_s: Option<f64>,
    store_bytes: u64,
    load_average: String,
}

/// What a capacity run watches: the relay processes, PostgreSQL (when used), the store's folders, the wire.
pub struct Watch {
    pub relay_pids: Vec<u32>,
    pub postmaster: Option<u32>,
    pub store_dirs: Vec<PathBuf>,
    pub wire: Arc<Wire>,
}

impl Watch {
    fn relay_cpu_s(&self) -> Result<f64> {
        self.relay_pids
            .iter()
            .map(|pid| cpu_seconds(*pid, false).ok_or_else(|| anyhow!("cannot read /proc/{pid}/stat")))
            .sum()
    }

    fn database_cpu_s(&self) -> Result<Option<f64>> {
        self.postmaster
            .map(|pid| tree_cpu_s(pid).ok_or_else(|| anyhow!("cannot read PostgreSQL's processes (postmaster {pid})")))
            .transpose()
    }

    fn store_bytes(&self) -> u64 {
        self.store_dirs.iter().map(|dir| folder_bytes(dir)).sum()
    }

    pub fn before(&self) -> Result<Before> {
        Ok(Before {
            relay_cpu_s: self.relay_cpu_s()?,
            database_cpu_s: self.database_cpu_s()?,
            store_bytes: self.store_bytes(),
            load_average: load_average(),
        })
    }

    /// The run's totals since `before`; `exchanges` from the load's summary.
    fn totals(&self, before: &Before, exchanges: u64) -> Result<RunTotals> {
        Ok(RunTotals {
            exchanges,
            relay_cpu_s: self.relay_cpu_s()? - before.relay_cpu_s,
            database_cpu_s: match (self.database_cpu_s()?, before.database_cpu_s) {
                (Some(after), Some(before)) => Some(after - before),
                _ => None,
            },
            wire_bytes: self.wire.bytes.load(Ordering::Relaxed),
            connections: self.wire.connections.load(Ordering::Relaxed),
            store_bytes: self.store_bytes() as i64 - before.store_bytes as i64,
        })
    }
}

/// Full handshakes timed; record rounds of [`RECORD_CHUNK`] each way.
const HANDSHAKES: usize = 1000;
const RECORD_ROUNDS: usize = 2000;
const RECORD_CHUNK: usize = 16 * 1024;

/// Feeds what the peer sent to `connection` and takes every plaintext byte out; the plaintext bytes.
fn feed<D>(connection: &mut rustls::ConnectionCommon<D>, mut flight: &[u8]) -> Result<usize> {
    let mut plaintext = 0;
    let mut buffer = vec![0; RECORD_CHUNK];
    while !flight.is_empty() {
        connection.read_tls(&mut flight)?;
        connection.process_new_packets()?;
        loop {
            match connection.reader().read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => plaintext += n,
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(error) => return Err(error.into()),
            }
        }
    }
    Ok(plaintext)
}

/// What `connection` has to send.
fn flight<D>(connection: &mut rustls::ConnectionCommon<D>) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    while connection.wants_write() {
        connection.write_tls(&mut out)?;
    }
    Ok(out)
}

type Channel = (std::sync::mpsc::Sender<Vec<u8>>, std::sync::mpsc::Receiver<Vec<u8>>);

/// The relay's side: `HANDSHAKES` handshakes, then records on one more connection, each message answered by one;
/// (handshakes' CPU ns, records' CPU ns, TLS bytes of the records both ways).
fn tls_server(config: Arc<rustls::ServerConfig>, (send, receive): Channel) -> Result<(u64, u64, u64)> {
    let handshake = |send: &std::sync::mpsc::Sender<Vec<u8>>| -> Result<rustls::ServerConnection> {
        let mut connection = rustls::ServerConnection::new(config.clone())?;
        while connection.is_handshaking() {
            feed(&mut connection, &receive.recv()?)?;
            send.send(flight(&mut connection)?)?;
        }
        Ok(connection)
    };
    let start = loadtest::capacity::thread_cpu_ns()?;
    for _ in 0..HANDSHAKES {
        handshake(&send)?;
    }
    let handshakes_ns = loadtest::capacity::thread_cpu_ns()? - start;
    let mut connection = handshake(&send)?;
    let chunk = vec![b'x'; RECORD_CHUNK];
    let (start, mut bytes) = (loadtest::capacity::thread_cpu_ns()?, 0);
    for _ in 0..RECORD_ROUNDS {
        let incoming = receive.recv()?;
        feed(&mut connection, &incoming)?;
        connection.writer().write_all(&chunk)?;
        let outgoing = flight(&mut connection)?;
        bytes += (incoming.len() + outgoing.len()) as u64;
        send.send(outgoing)?;
    }
    Ok((handshakes_ns, loadtest::capacity::thread_cpu_ns()? - start, bytes))
}

/// The office's side of [`tls_server`].
fn tls_client(config: Arc<rustls::ClientConfig>, (send, receive): Channel) -> Result<()> {
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1")?;
    let handshake = || -> Result<rustls::ClientConnection> {
        let mut connection = rustls::ClientConnection::new(config.clone(), name.clone())?;
        loop {
            send.send(flight(&mut connection)?)?;
            feed(&mut connection, &receive.recv()?)?;
            if !connection.is_handshaking() && !connection.wants_write() {
                return Ok(connection);
            }
        }
    };
    for _ in 0..HANDSHAKES {
        handshake()?;
    }
    let mut connection = handshake()?;
    let chunk = vec![b'y'; RECORD_CHUNK];
    for _ in 0..RECORD_ROUNDS {
        connection.writer().write_all(&chunk)?;
        send.send(flight(&mut connection)?)?;
        feed(&mut connection, &receive.recv()?)?;
    }
    Ok(())
}

/// The relay's TLS cost, measured on its own server configuration with an office of `sandbox` as the client
/// (no session resumption: every handshake full, as for a new connection of a new client).
pub fn measure_tls(sandbox: &Sandbox, office: &str) -> Result<TlsCost> {
    let server = refserver::tls::server_config(&sandbox.paths())?;
    let mut client = (*sandbox.tls_client_config(office)?).clone();
    client.resumption = rustls::client::Resumption::disabled();
    let client = Arc::new(client);
    let (to_server, server_inbox) = std::sync::mpsc::channel();
    let (to_client, client_inbox) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || tls_server(server, (to_client, server_inbox)));
    let client_result = tls_client(client, (to_server, client_inbox));
    let (handshakes_ns, records_ns, bytes) = server.join().map_err(|_| anyhow!("the TLS server thread panicked"))??;
    client_result?;
    Ok(TlsCost {
        handshake_ms: handshakes_ns as f64 / 1e6 / HANDSHAKES as f64,
        record_ms_per_mb: records_ns as f64 / 1e6 / (bytes as f64 / 1e6),
    })
}

/// The side measurements of a run, taken before its load (so they do not compete with it).
pub struct Side {
    tls: TlsCost,
}

pub fn side_measurements(sandbox: &Sandbox, population: &Population) -> Result<Side> {
    eprintln!("xtask: capacity: TLS CPU ({HANDSHAKES} handshakes, {} MB of records)…", {
        2 * RECORD_ROUNDS * RECORD_CHUNK / 1_000_000
    });
    Ok(Side { tls: measure_tls(sandbox, &population.care_managers[0].number)? })
}

/// The headroom the README's table is sized with: two-core nodes busy at most half at the peak hour, one spare.
pub const HEADROOM: Headroom = Headroom { node_cores: 2.0, utilisation: 0.5, spare_nodes: 1 };

/// Offices on the system in 2026-01 (7.6 % of care offices).
pub const TODAY_OFFICES: f64 = 19_283.0;

/// After the load process: splits the run's cost, prints it, and writes it into the summary as `capacity`.
pub fn finish(
    summary_path: &Path,
    watch: &Watch,
    before: &Before,
    side: &Side,
    registry: usize,
    active: usize,
) -> Result<serde_json::Value> {
    let mut summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(summary_path)?)?;
    let count = |key: &str| summary[key].as_u64().ok_or_else(|| anyhow!("{} has no {key}", summary_path.display()));
    let (exchanges, tickets, actuals) = (count("acknowledged")?, count("tickets")?, count("actuals")?);
    let totals = watch.totals(before, exchanges)?;
    let validation: ValidationCost = serde_json::from_value(summary["validation_ms"].clone()).with_context(|| {
        format!("{} has no validation_ms (careplan-loadtest --measure-validation)", summary_path.display())
    })?;
    let validation_ms = validation.per_exchange(tickets, actuals);
    let cost = PerExchange::split(&totals, side.tls, validation_ms)?;
    let country = Country::JAPAN;
    let rows: Vec<Sizing> =
        [TODAY_OFFICES, country.all_offices].iter().map(|o| Sizing::of(*o, &country, &cost, &HEADROOM)).collect();
    let load_after = load_average();
    println!(
        "\n1 交換あたりの費用 cost of one exchange ({exchanges} exchanges; registry {registry} offices, {active} active; \
         load average {} → {load_after}):\n{}",
        before.load_average,
        cost.table()
    );
    println!("TLS: {:.3} ms per full handshake, {:.3} ms per MB of records; validation: ticket unit {:.3} ms, actuals unit {:.3} ms", side.tls.handshake_ms, side.tls.record_ms_per_mb, validation.ticket_unit_ms, validation.actuals_unit_ms);
    println!("{}", sizing_table(&rows));
    let capacity = json!({
        "registry_offices": registry,
        "active_offices": active,
        "load_average": { "before": before.load_average, "after": load_after },
        "totals": totals,
        "tls": side.tls,
        "validation_ms": validation,
        "per_exchange": cost,
        "country": country,
        "headroom": HEADROOM,
        "sizing": rows,
    });
    summary["capacity"] = capacity.clone();
    std::fs::write(summary_path, serde_json::to_string_pretty(&summary)?)?;
    Ok(capacity)
}

/// The country's table in the README's form.
pub fn sizing_table(rows: &[Sizing]) -> String {
    let mut text = String::from(
        "| offices | peak exchanges/s | relay cores busy | relay nodes (2 cores ≤ 50 %, +1 spare) | database cores (≤ 50 %) | wire at peak | store a month |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for row in rows {
        text.push_str(&format!(
            "| {:.0} | {:.0} | {:.2} | {} | {} | {:.1} Mbit/s | {:.1} GB |\n",
            row.offices,
            row.peak_per_s,
            row.relay_cores,
            row.relay_nodes,
            row.database_cores.map_or("— (embedded)".to_string(), |cores| format!("{cores:.2}")),
            row.wire_mbit_s,
            row.store_gb_a_month
        ));
    }
    text
}

/// A sandbox whose registry holds `registry` offices (at least), `population` among them, and that registry: certificates and the
/// registered store are made once under `target/loadtest/registry-<n>/` and reused (the PKI folder itself; the
/// store copied into `dir`, since the run writes to it).
pub fn registry_sandbox(registry: usize, population: &Population, dir: &Path) -> Result<(Sandbox, Population)> {
    let everyone = Population::new(registry.div_ceil(3));
    if everyone.care_managers.len() < population.care_managers.len() {
        bail!("--registry {registry} is smaller than the {} offices that take part", population.len());
    }
    let cache = crate::target_dir().join("loadtest").join(format!("registry-{}", everyone.len()));
    let complete = cache.join("complete");
    if !complete.exists() {
        let _ = std::fs::remove_dir_all(&cache);
        eprintln!(
            "xtask: registry of {} offices: ECDSA P-256 certificates in {} (once)…",
            everyone.len(),
            cache.display()
        );
        let started = std::time::Instant::now();
        let offices: Vec<SandboxOffice<'_>> = everyone.offices().map(SandboxOffice::from).collect();
        Sandbox::create(&cache, &offices)?;
        std::fs::write(&complete, format!("made in {:.1} s\n", started.elapsed().as_secs_f64()))?;
        eprintln!("xtask: registry made in {:.1} s", started.elapsed().as_secs_f64());
    }
    let data = dir.join("data");
    copy_folder(&cache.join("data"), &data)?;
    Ok((Sandbox { pki: cache.join("pki"), data }, everyone))
}

/// Copies a folder (the relay's store, closed), keeping it owner-only.
fn copy_folder(from: &Path, to: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            copy_folder(&entry.path(), &to.join(entry.file_name()))?;
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    Ok(())
}
