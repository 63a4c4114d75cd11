//! `cargo xtask reliability`: evidence that the relay loses nothing and keeps hostile clients out, as one table.
//!
//! The crash test runs a real relay process under send and ack load and kills it with SIGKILL at random moments,
//! restarting it on the same store after every kill (the last one included) and checking: every send answered 201
//! is in the recipient's inbox, the bytes of the new ones (and a sample of older ones) download unchanged, nothing
//! acknowledged reverted, and the inbox holds no message the client does not know (a duplicate or an invention).
//! The embedded store's files folder is checked against its rows too: no row without its file, none torn, no file
//! no row names. The same test against a store that loses its last commits, alters a file or invents a message
//! must fail, and, on the embedded store, against a torn file, a missing file and an orphan file; the same check
//! runs on two relay nodes sharing one PostgreSQL, one of them killed while the other serves. The other rows run the relay's hostile-client, durability and security tests, measure its peak
//! memory under a burst of large uploads, and run the codec property tests, the request-parsing property harness
//! over TLS, and 60 s of each `cargo fuzz` target (libFuzzer).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use refserver::sandbox::{Sandbox, CARE_MANAGER, HOME_HELP};
use suites::relay::send_form;

use crate::relay_process::{inbox_messages, xorshift};
use crate::root;

struct Row {
    test: String,
    tries: usize,
    passed: usize,
    lost: usize,
    seconds: f64,
}

/// What the client has been told: message id per idempotency key, and the ids it saw acknowledged.
#[derive(Default)]
struct Ledger {
    accepted: BTreeMap<String, String>,
    acked: BTreeSet<String>,
    /// keys sent whose answer never came (the relay died first)
    in_flight: BTreeSet<String>,
}

async fn send(client: &reqwest::Client, base: &str, key: &str, files: &[(String, Vec<u8>)]) -> Option<String> {
    let form = send_form(HOME_HELP, files);
    let response =
        client.post(format!("{base}/v1/messages")).header("Idempotency-Key", key).multipart(form).send().await.ok()?;
    if response.status().as_u16() != 201 {
        return None;
    }
    response.json::<protocol::Message>().await.ok().map(|message| message.id)
}

/// Sends and acks until aborted, recording every answer in the ledger. With several relay nodes, sends go to
/// them in turn and each acknowledgement through the next one.
async fn load(
    bases: Vec<String>,
    sender: reqwest::Client,
    receiver: reqwest::Client,
    files: Vec<(String, Vec<u8>)>,
    ledger: Arc<Mutex<Ledger>>,
    round: usize,
) {
    for i in 0.. {
        let key = format!("r{round}-{i}");
        if let Ok(mut l) = ledger.lock() {
            l.in_flight.insert(key.clone());
        }
        let (base, ack_base) = (&bases[i % bases.len()], &bases[(i + 1) % bases.len()]);
        let id = send(&sender, base, &key, &files).await;
        let Some(id) = id else { continue };
        if let Ok(mut l) = ledger.lock() {
            l.in_flight.remove(&key);
            l.accepted.insert(key, id.clone());
        }
        if i % 3 == 0 {
            let ack = receiver.post(format!("{ack_base}/v1/messages/{id}/ack")).send().await;
            if ack.is_ok_and(|r| r.status().is_success()) {
                if let Ok(mut l) = ledger.lock() {
                    l.acked.insert(id);
                }
            }
        }
    }
}

/// What one restart's check found (and, summed, a whole crash test's checks: [`Counts`]).
#[derive(Default, Debug, Clone, Copy, PartialEq, Eq)]
struct Check {
    /// sends answered 201 that are missing from the recipient's inbox
    lost: usize,
    /// sends answered 201 whose downloaded bytes differ from those sent (or that no longer download)
    altered: usize,
    /// acknowledgements that reverted
    reverted: usize,
    /// messages in the inbox that no answered send (or retried key) accounts for: duplicates or inventions
    invented: usize,
    /// embedded store: rows whose file on disk is of another size than the row records
    torn: usize,
    /// embedded store: rows whose file is not on disk
    missing: usize,
    /// embedded store: files on disk that no row names, after the relay's start-up
    orphans: usize,
}

/// What the checks of a whole crash test found, counter by counter.
type Counts = Check;

impl Check {
    fn total(&self) -> usize {
        self.lost + self.altered + self.reverted + self.invented + self.torn + self.missing + self.orphans
    }

    fn add(&mut self, other: &Check) {
        *self = Check {
            lost: self.lost + other.lost,
            altered: self.altered + other.altered,
            reverted: self.reverted + other.reverted,
            invented: self.invented + other.invented,
            torn: self.torn + other.torn,
            missing: self.missing + other.missing,
            orphans: self.orphans + other.orphans,
        };
    }
}

/// The embedded store in `data`, its files folder against its rows: (torn, missing, orphans) as [`Check`] counts
/// them. Read straight from the disk and the database, not through the relay.
fn files_against_rows(data: &std::path::Path) -> Result<(usize, usize, usize)> {
    use refserver::store::sqlite::files;
    let database = rusqlite::Connection::open(data.join("relay.sqlite3"))?;
    let folder = data.join(files::FOLDER);
    let mut named = BTreeSet::new();
    let (mut torn, mut missing) = (0, 0);
    let mut rows = database.prepare("SELECT message_id, position, size FROM files")?;
    let rows =
        rows.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?, row.get::<_, u64>(2)?)))?;
    for row in rows {
        let (id, position, size) = row?;
        let name = files::disk_name(&id, position).with_context(|| format!("message id {id:?} names no file"))?;
        match std::fs::metadata(folder.join(&name)) {
            Ok(metadata) => torn += usize::from(metadata.len() != size),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => missing += 1,
            Err(error) => return Err(error.into()),
        }
        named.insert(name);
    }
    let mut orphans = 0;
    for entry in std::fs::read_dir(&folder)? {
        orphans += usize::from(!named.contains(entry?.file_name().to_string_lossy().as_ref()));
    }
    Ok((torn, missing, orphans))
}

/// The recipient's whole inbox after a restart: message id → status.
async fn inbox(receiver: &reqwest::Client, base: &str) -> Result<BTreeMap<String, String>> {
    let messages = inbox_messages(receiver, base).await?;
    Ok(messages.into_iter().map(|message| (message.id, message.status.as_str().to_string())).collect())
}

/// After a restart: retries the keys whose answer never came (the relay may have stored them), then checks that
/// every message answered 201 is listed with its acknowledgement kept, that the inbox holds nothing else, and that
/// the bytes of every message not `verified` before (retried ones included) and of 20 `verified` ones picked by
/// `pick` download unchanged. Adds the messages checked to `verified`. With `embedded` (the relay's data folder),
/// also the store's files against its rows ([`files_against_rows`]).
#[allow(clippy::too_many_arguments)]
async fn check_after_restart(
    embedded: Option<&std::path::Path>,
    base: &str,
    sender: &reqwest::Client,
    receiver: &reqwest::Client,
    files: &[(String, Vec<u8>)],
    ledger: &Mutex<Ledger>,
    verified: &mut BTreeSet<String>,
    mut pick: impl FnMut() -> u64,
) -> Result<Check> {
    let retries: Vec<String> = ledger.lock().map(|l| l.in_flight.iter().cloned().collect()).unwrap_or_default();
    for key in retries {
        if let Some(id) = send(sender, base, &key, files).await {
            if let Ok(mut l) = ledger.lock() {
                l.in_flight.remove(&key);
                l.accepted.insert(key, id);
            }
        }
    }
    let (accepted, acked): (BTreeSet<String>, BTreeSet<String>) =
        ledger.lock().map(|l| (l.accepted.values().cloned().collect(), l.acked.clone())).unwrap_or_default();
    let listed = inbox(receiver, base).await?;
    let mut check = Check {
        lost: accepted.iter().filter(|id| !listed.contains_key(*id)).count(),
        reverted: acked.iter().filter(|id| listed.get(*id).is_some_and(|status| status != "acknowledged")).count(),
        invented: listed.keys().filter(|id| !accepted.contains(*id)).count(),
        ..Check::default()
    };
    let older: Vec<&String> = verified.iter().collect();
    let sample: Vec<String> = (0..older.len().min(20)).map(|_| older[pick() as usize % older.len()].clone()).collect();
    let mut to_download: Vec<String> = accepted.iter().filter(|id| !verified.contains(*id)).cloned().collect();
    to_download.extend(sample);
    verified.extend(accepted);
    let (name, bytes) = (&files[0].0, &files[0].1);
    for id in to_download.iter().filter(|id| listed.contains_key(*id)) {
        let response = receiver.get(format!("{base}/v1/messages/{id}/files/{name}")).send().await?;
        let intact = response.status().is_success() && response.bytes().await?.as_ref() == bytes.as_slice();
        check.altered += usize::from(!intact);
    }
    if let Some(data) = embedded {
        (check.torn, check.missing, check.orphans) = files_against_rows(data)?;
    }
    Ok(check)
}

/// A fault planted in the store between a kill and the restart, to see the crash test catch what a broken relay
/// would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mutation {
    None,
    /// the last commits are gone: the five newest messages vanish (deleting the write-ahead log no longer models
    /// this: the store checkpoints it into the database file right after commits)
    LoseLastCommits,
    /// the newest stored file's bytes are changed
    AlterBytes,
    /// a message nobody sent appears in the recipient's inbox
    Invent,
    /// embedded store: the newest message's file is cut to half its length (a write torn by the kill)
    TornFile,
    /// embedded store: the newest message's file is gone (a row committed before its file was written)
    MissingFile,
    /// embedded store: a file no row names stays after the restart (a start-up that did not sweep); planted once the
    /// relay is up, since the relay's own start-up removes one planted before
    Orphan,
}

/// The store a [`Mutation`] is planted in.
enum Planted<'a> {
    /// the single relay's SQLite store, in its data folder
    Sqlite(&'a std::path::Path),
    /// the PostgreSQL database the relay nodes share
    Postgres(&'a refserver::store::pgcluster::PgCluster, &'a str),
}

impl Mutation {
    /// The one counter of [`Check`] this fault must move: a fault counts as caught only when its own counter
    /// moved, not when the check found anything at all.
    fn counter(self, counts: &Counts) -> usize {
        match self {
            Mutation::None => 0,
            Mutation::LoseLastCommits => counts.lost,
            Mutation::AlterBytes => counts.altered,
            Mutation::Invent => counts.invented,
            Mutation::TornFile => counts.torn,
            Mutation::MissingFile => counts.missing,
            Mutation::Orphan => counts.orphans,
        }
    }

    /// The faults planted in the database two relay nodes share; the other ones are of the embedded store's files.
    const SHARED: [Mutation; 3] = [Mutation::LoseLastCommits, Mutation::AlterBytes, Mutation::Invent];
    const EMBEDDED: [Mutation; 6] = [
        Mutation::LoseLastCommits,
        Mutation::AlterBytes,
        Mutation::Invent,
        Mutation::TornFile,
        Mutation::MissingFile,
        Mutation::Orphan,
    ];

    fn plant(self, store: &Planted<'_>) -> Result<()> {
        match store {
            Planted::Sqlite(data) => self.apply(data),
            Planted::Postgres(cluster, url) => {
                let sql = match self {
                    Mutation::None => return Ok(()),
                    Mutation::TornFile | Mutation::MissingFile | Mutation::Orphan => {
                        bail!("{self:?}: PostgreSQL keeps file bytes in the database, not in files")
                    }
                    Mutation::LoseLastCommits => "DELETE FROM messages WHERE seq > (SELECT max(seq) - 5 FROM messages)",
                    Mutation::AlterBytes => {
                        "UPDATE files SET bytes = '\\x00'::bytea WHERE message_id = \
                         (SELECT id FROM messages ORDER BY seq DESC LIMIT 1)"
                    }
                    Mutation::Invent => {
                        "INSERT INTO messages (id, sender, recipient, serial, status, created_at) \
                         SELECT 'm_invented_' || seq, sender, recipient, serial, 'sent', created_at \
                         FROM messages WHERE seq = (SELECT max(seq) FROM messages)"
                    }
                };
                cluster.execute(url, sql)?;
                Ok(())
            }
        }
    }

    fn apply(self, data: &std::path::Path) -> Result<()> {
        let database = || rusqlite::Connection::open(data.join("relay.sqlite3"));
        // The newest message's first file on disk.
        let newest_file = || -> Result<std::path::PathBuf> {
            let (id, position): (String, i64) = database()?.query_row(
                "SELECT message_id, position FROM files JOIN messages ON messages.id = files.message_id
                 ORDER BY messages.seq DESC, position LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?;
            let name = refserver::store::sqlite::files::disk_name(&id, position).context("no file name")?;
            Ok(data.join(refserver::store::sqlite::files::FOLDER).join(name))
        };
        match self {
            Mutation::None | Mutation::Orphan => {}
            Mutation::LoseLastCommits => {
                database()?.execute_batch(
                    "PRAGMA foreign_keys = ON;
                     DELETE FROM messages WHERE seq > (SELECT max(seq) - 5 FROM messages);",
                )?;
            }
            Mutation::AlterBytes => {
                // Its length kept: altered, not torn.
                let path = newest_file()?;
                let mut bytes = std::fs::read(&path)?;
                if let Some(first) = bytes.first_mut() {
                    *first ^= 0x01;
                }
                std::fs::write(&path, bytes)?;
            }
            Mutation::TornFile => {
                let path = newest_file()?;
                let length = std::fs::metadata(&path)?.len();
                std::fs::OpenOptions::new().write(true).open(&path)?.set_len(length / 2)?;
            }
            Mutation::MissingFile => std::fs::remove_file(newest_file()?)?,
            Mutation::Invent => {
                database()?.execute_batch(
                    "INSERT INTO messages (id, sender, recipient, serial, status, created_at)
                     SELECT 'm_invented_' || seq, sender, recipient, serial, 'sent', created_at
                     FROM messages WHERE seq = (SELECT max(seq) FROM messages)",
                )?;
            }
        }
        Ok(())
    }

    /// What is planted once the relay has restarted, before the check: an orphan the start-up did not remove.
    fn plant_after_start(self, data: &std::path::Path) -> Result<()> {
        if self == Mutation::Orphan {
            let name = refserver::store::sqlite::files::disk_name("m_planted_orphan", 0).context("no file name")?;
            // Owner-only, as the store writes its files: the relay refuses to start on a folder others can read.
            let path = data.join(refserver::store::sqlite::files::FOLDER).join(name);
            refserver::private::write(&path, b"no row names this")?;
        }
        Ok(())
    }
}

/// The file every crash round sends (a small 削除 unit: quick to validate, so the load is the store's).
fn crash_files() -> Result<Vec<(String, Vec<u8>)>> {
    let folder = root().join("fixtures/valid/withdrawals");
    let name = std::fs::read_dir(&folder)?
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
        .find(|n| n.starts_with("DLT1KYO_"))
        .context("fixture missing")?;
    Ok(vec![(name.clone(), std::fs::read(folder.join(&name))?)])
}

/// Rounds that passed, and everything the checks after them found lost, altered, reverted or invented.
#[derive(Default)]
struct Tally {
    passed: usize,
    counts: Counts,
}

impl Tally {
    /// A round passes when its load got a send accepted and its check found nothing; a failing one is logged.
    fn score(&mut self, round: usize, check: &Check, accepted_in_round: usize, what: &str) {
        if check.total() == 0 && accepted_in_round > 0 {
            self.passed += 1;
        } else {
            eprintln!(
                "{what} round {round}: {accepted_in_round} accepted, {} lost, {} altered, {} reverted, {} invented or \
                 duplicated, {} torn, {} missing, {} orphan files",
                check.lost, check.altered, check.reverted, check.invented, check.torn, check.missing, check.orphans
            );
        }
        self.counts.add(check);
    }
}

/// Whether a crash test run with `mutation` planted caught it: some round failed, and the check's own counter for
/// that fault moved (a fault "caught" by another counter would hide a checker that misses it).
fn caught(mutation: Mutation, row: &Row, counts: &Counts) -> bool {
    row.passed < row.tries && mutation.counter(counts) > 0
}

/// The crash test: `kills` rounds of load ended by SIGKILL at a random moment, each followed by a restart on the
/// same store and a [`check_after_restart`]. A round passes when its load got at least one send accepted and the
/// check after its kill found nothing lost, reverted or invented; fewer rounds than `kills` within `budget` fail.
/// `mutation` plants a fault in the store after every kill (the checker must then fail).
async fn crash_test(kills: usize, budget: Duration, mutation: Mutation) -> Result<(Row, Counts)> {
    let binary = crate::relay_process::build(false)?.join("careplan-refserver");
    let dir = tempfile::tempdir()?;
    let sandbox = Sandbox::care_manager_and_home_help(dir.path())?;
    let files = crash_files()?;
    let (sender, receiver) = (sandbox.client(CARE_MANAGER)?, sandbox.client(HOME_HELP)?);
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let started = Instant::now();
    let mut next = xorshift(0x9E37_79B9);
    let mut tally = Tally::default();
    let what = if mutation == Mutation::None { "crash".to_string() } else { format!("crash ({mutation:?} planted)") };
    let mut verified: BTreeSet<String> = BTreeSet::new();
    for round in 0..=kills {
        if round > 0 && started.elapsed() > budget {
            break;
        }
        let port = crate::relay_process::free_port()?;
        let base = format!("https://127.0.0.1:{port}");
        let mut relay = crate::relay_process::RelayGuard(sandbox.spawn_relay(&binary, port)?);
        crate::relay_process::wait_ready(&sender, &base).await?;
        if round > 0 {
            mutation.plant_after_start(&sandbox.data)?;
            let before = verified.len();
            let data = Some(sandbox.data.as_path());
            let check =
                check_after_restart(data, &base, &sender, &receiver, &files, &ledger, &mut verified, &mut next).await?;
            tally.score(round, &check, verified.len() - before, &what);
        }
        if round == kills {
            break; // the last restart only checks the last kill
        }
        // Load, then SIGKILL at a random moment.
        let task = tokio::spawn(load(
            vec![base.clone()],
            sender.clone(),
            receiver.clone(),
            files.clone(),
            ledger.clone(),
            round,
        ));
        tokio::time::sleep(Duration::from_millis(50 + next() % 400)).await;
        relay.0.kill()?;
        relay.0.wait()?;
        task.abort();
        let _ = task.await;
        mutation.plant(&Planted::Sqlite(&sandbox.data))?;
    }
    let acknowledged = ledger.lock().map(|l| l.acked.len()).unwrap_or(0);
    let accepted = ledger.lock().map(|l| l.accepted.len()).unwrap_or(0);
    let row = Row {
        test: format!(
            "crash: SIGKILL under load ({accepted} sends answered 201, {acknowledged} acknowledged), each kill followed \
             by a restart that finds every 201 in the inbox with its bytes, no reverted ack, nothing invented, and \
             every stored file on disk whole, none without its row"
        ),
        tries: kills,
        passed: tally.passed,
        lost: tally.counts.total(),
        seconds: started.elapsed().as_secs_f64(),
    };
    Ok((row, tally.counts))
}

/// The crash test on two relay nodes sharing one PostgreSQL database (a throw-away cluster under target/): sends
/// alternate between node A and node B and each acknowledgement goes through the other node; node A is killed with
/// SIGKILL at random moments and restarted on the same database while B keeps serving. After every restart the
/// check of [`crash_test`] runs through B: every send answered 201 (by either node) is in the inbox with its bytes,
/// no acknowledgement reverted, and nothing is invented or duplicated — a send whose answer the kill swallowed is
/// retried under its key and must come back as the same message.
/// `mutation` plants a fault in the shared database after every kill of node A (the checker must then fail).
async fn cluster_crash_test(kills: usize, budget: Duration, mutation: Mutation) -> Result<(Row, Counts)> {
    use refserver::store::pgcluster::PgCluster;
    use refserver::store::StoreLocation;
    let binary = crate::relay_process::build(false)?.join("careplan-refserver");
    crate::install_postgres("the two-node crash test")?;
    let dir = tempfile::tempdir()?;
    let sandbox = Sandbox::care_manager_and_home_help(dir.path())?;
    let cluster = PgCluster::start(&crate::target_dir().join("reliability"))?;
    let url = cluster.database("relay")?;
    refserver::store::copy_offices(
        &StoreLocation::embedded(sandbox.data.clone()),
        &StoreLocation::Postgres { url: url.clone() },
    )?;
    let node = |port: u16| -> Result<crate::relay_process::RelayGuard> {
        let mut command = sandbox.relay_command(&binary, port);
        command.env("CAREPLAN_STORE", &url);
        Ok(crate::relay_process::RelayGuard(command.spawn()?))
    };
    let files = crash_files()?;
    let (sender, receiver) = (sandbox.client(CARE_MANAGER)?, sandbox.client(HOME_HELP)?);
    let port_b = crate::relay_process::free_port()?;
    let base_b = format!("https://127.0.0.1:{port_b}");
    let _node_b = node(port_b)?;
    crate::relay_process::wait_ready(&sender, &base_b).await?;
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let started = Instant::now();
    let mut next = xorshift(0x2545_F491);
    let mut tally = Tally::default();
    let mut verified: BTreeSet<String> = BTreeSet::new();
    for round in 0..=kills {
        if round > 0 && started.elapsed() > budget {
            break;
        }
        let port_a = crate::relay_process::free_port()?;
        let base_a = format!("https://127.0.0.1:{port_a}");
        let mut node_a = node(port_a)?;
        crate::relay_process::wait_ready(&sender, &base_a).await?;
        if round > 0 {
            let before = verified.len();
            let check =
                check_after_restart(None, &base_b, &sender, &receiver, &files, &ledger, &mut verified, &mut next)
                    .await?;
            let what = if mutation == Mutation::None {
                "two-node crash".to_string()
            } else {
                format!("two-node crash ({mutation:?} planted)")
            };
            tally.score(round, &check, verified.len() - before, &what);
        }
        if round == kills {
            break;
        }
        let bases = vec![base_a.clone(), base_b.clone()];
        let task = tokio::spawn(load(bases, sender.clone(), receiver.clone(), files.clone(), ledger.clone(), round));
        tokio::time::sleep(Duration::from_millis(100 + next() % 400)).await;
        node_a.0.kill()?;
        node_a.0.wait()?;
        task.abort();
        let _ = task.await;
        mutation.plant(&Planted::Postgres(&cluster, &url))?;
    }
    let accepted = ledger.lock().map(|l| l.accepted.len()).unwrap_or(0);
    let acknowledged = ledger.lock().map(|l| l.acked.len()).unwrap_or(0);
    let row = Row {
        test: format!(
            "crash, two nodes on PostgreSQL: SIGKILL of node A under load while node B serves ({accepted} sends \
             answered 201, {acknowledged} acknowledged), each followed by a restart of A; every 201 in the inbox with \
             its bytes, no reverted ack, nothing invented or duplicated"
        ),
        tries: kills,
        passed: tally.passed,
        lost: tally.counts.total(),
        seconds: started.elapsed().as_secs_f64(),
    };
    Ok((row, tally.counts))
}

/// Peak memory of a relay process while `uploads` offices' sends of about `megabytes` MB each arrive at once,
/// with the relay's upload budget at `budget_mb`: a row naming the peak resident set (VmHWM), whose `lost` counts
/// sends not answered 201.
async fn upload_memory(budget_mb: usize, uploads: usize, megabytes: usize) -> Result<Row> {
    let binary = crate::relay_process::build(false)?.join("careplan-refserver");
    let dir = tempfile::tempdir()?;
    let sandbox = Sandbox::care_manager_and_home_help(dir.path())?;
    let office = |number: &str, kind: &'static str| conformance::synth::people::Office {
        number: number.to_string(),
        kind,
        name: String::new(),
        postal: String::new(),
        address: String::new(),
    };
    let unit = |users: usize| -> Result<Vec<(String, Vec<u8>)>> {
        let files = conformance::synth::corpus::scale_addressed(users, users, 15, |_| {
            (office(CARE_MANAGER, "43"), office(HOME_HELP, "11"))
        })?;
        files.into_iter().map(|file| Ok((file.name.clone(), file.bytes()?))).collect()
    };
    let size = |files: &[(String, Vec<u8>)]| files.iter().map(|(_, bytes)| bytes.len()).sum::<usize>();
    let users = megabytes * 1_000_000 * 1000 / size(&unit(1000)?).max(1);
    let files = Arc::new(unit(users)?);
    let port = crate::relay_process::free_port()?;
    let base = format!("https://127.0.0.1:{port}");
    let mut command = sandbox.relay_command(&binary, port);
    command.env("CAREPLAN_UPLOAD_BUDGET_MB", budget_mb.to_string());
    let relay = crate::relay_process::RelayGuard(command.spawn()?);
    let pid = relay.0.id();
    let paths = sandbox.paths();
    let client = transport::https_client_builder(&std::fs::read(paths.ca_cert())?, &paths.identity_pem(CARE_MANAGER)?)?
        .timeout(Duration::from_secs(600))
        .build()?;
    crate::relay_process::wait_ready(&client, &base).await?;
    let started = Instant::now();
    let sends: Vec<_> = (0..uploads)
        .map(|i| {
            let (client, base, files) = (client.clone(), base.clone(), files.clone());
            tokio::spawn(async move { send(&client, &base, &format!("large-{i}"), &files).await.is_some() })
        })
        .collect();
    let mut accepted = 0;
    for send in sends {
        accepted += usize::from(send.await.unwrap_or(false));
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let peak_kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc/<pid>/status")?;
    drop(relay);
    let peak_mib = peak_kib / 1024;
    Ok(Row {
        test: format!(
            "memory: {uploads} concurrent uploads of {:.0} MB, upload budget {budget_mb} MiB — relay peak RSS {peak_mib} MiB",
            size(&files) as f64 / 1e6
        ),
        tries: uploads,
        passed: accepted,
        lost: uploads - accepted,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Only the upload-memory measurement (`cargo xtask reliability --memory`).
pub fn memory_only(budget_mb: usize) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let row = runtime.block_on(upload_memory(budget_mb, 8, 60))?;
    print_and_judge(&[row])
}

/// A cargo test target (`-p PACKAGE --test FILE`) as one row, run with `filters` (none: all its tests): passed
/// when the command succeeds, tests ran, every filter matched a test that passed, and none was ignored. `cargo
/// test` itself succeeds when a filter matches nothing, so a renamed test would otherwise read as passed.
fn test_row(test: &str, target: &[&str], filters: &[&str]) -> Row {
    let started = Instant::now();
    let args: Vec<&str> =
        ["test"].into_iter().chain(target.iter().copied()).chain(["--"]).chain(filters.iter().copied()).collect();
    eprintln!("$ cargo {}", args.join(" "));
    let outcome = crate::cargo_command()
        .args(&args)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|error| format!("cannot run cargo: {error}"))
        .and_then(|output| {
            let stdout = String::from_utf8_lossy(&output.stdout);
            if !output.status.success() {
                return Err(format!("cargo {} failed ({}):\n{stdout}", args.join(" "), output.status));
            }
            tests_that_ran(&stdout, filters)
        });
    let passed = match outcome {
        Ok(ran) => {
            eprintln!("{ran} test(s) passed");
            1
        }
        Err(why) => {
            eprintln!("{test}: {why}");
            0
        }
    };
    Row { test: test.to_string(), tries: 1, passed, lost: 0, seconds: started.elapsed().as_secs_f64() }
}

/// How many tests passed in a successful `cargo test` run's output; an error when none ran, when a filter matched
/// no test that passed (a renamed test), or when a test was ignored (a skip is not a pass).
fn tests_that_ran(stdout: &str, filters: &[&str]) -> std::result::Result<usize, String> {
    let result = |outcome: &str| -> Vec<&str> {
        stdout.lines().filter_map(|line| line.strip_prefix("test ")?.strip_suffix(&format!(" ... {outcome}"))).collect()
    };
    let (passed, ignored) = (result("ok"), result("ignored"));
    if passed.is_empty() {
        return Err(format!("no test ran (filters {filters:?}): renamed or removed?\n{stdout}"));
    }
    if let Some(filter) = filters.iter().find(|filter| !passed.iter().any(|name| name.contains(*filter))) {
        return Err(format!("no test matching {filter:?} ran: renamed or removed? ran: {passed:?}"));
    }
    if !ignored.is_empty() {
        return Err(format!("ignored, not passed: {ignored:?}"));
    }
    Ok(passed.len())
}

fn print_and_judge(rows: &[Row]) -> Result<()> {
    println!("\n| test | tries | passed | lost | time |\n|---|---|---|---|---|");
    for row in rows {
        println!("| {} | {} | {} | {} | {:.1} s |", row.test, row.tries, row.passed, row.lost, row.seconds);
    }
    if rows.iter().any(|r| r.passed != r.tries || r.lost > 0) {
        bail!("reliability checks failed");
    }
    Ok(())
}

/// The crash test against a store that loses, alters or invents after each kill, or (embedded) tears, loses or
/// leaves over a file: each must fail the test, through the counter of its own fault (lost, altered, invented,
/// torn, missing, orphans). `two_nodes`: the faults of the database planted in the PostgreSQL database two relay
/// nodes share, against the two-node crash test.
fn crash_checker_catches_planted_faults(runtime: &tokio::runtime::Runtime, two_nodes: bool) -> Result<Row> {
    let started = Instant::now();
    let mutations: &[Mutation] = if two_nodes { &Mutation::SHARED } else { &Mutation::EMBEDDED };
    let mut caught_faults = 0;
    for &mutation in mutations {
        let (row, counts) = if two_nodes {
            runtime.block_on(cluster_crash_test(3, Duration::from_secs(60), mutation))?
        } else {
            runtime.block_on(crash_test(3, Duration::from_secs(60), mutation))?
        };
        if caught(mutation, &row, &counts) {
            caught_faults += 1;
        } else {
            eprintln!(
                "the crash test did not catch {mutation:?} by its own counter: {} of {} rounds passed, found {counts:?}",
                row.passed, row.tries
            );
        }
    }
    let test = if two_nodes {
        "crash checker, two nodes on PostgreSQL: a shared database that loses its last commits, alters a file or \
         invents a message after each kill of node A fails the two-node crash test, each by its own counter (3 kills \
         each)"
    } else {
        "crash checker: a store that loses its last commits, alters a file, invents a message, tears a file, loses a \
         file or keeps a file no row names after each kill fails the crash test, each by its own counter (3 kills \
         each)"
    };
    Ok(Row {
        test: test.into(),
        tries: mutations.len(),
        passed: caught_faults,
        lost: 0,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The client's crash rows: `kills` (at least 20) kills of both clients under a stream of units, and the same test
/// with each planted fault of the client, which must move its own counter.
fn client_rows(runtime: &tokio::runtime::Runtime, kills: usize) -> Result<Vec<Row>> {
    use crate::client_crash::{client_crash_test, ClientFault};
    let programs = crate::client_crash::build()?;
    let started = Instant::now();
    let kills = kills.max(20);
    let counts = runtime.block_on(client_crash_test(&programs, kills, Duration::from_secs(180), None))?;
    let failures = counts.lost + counts.duplicated + counts.acked_unwritten;
    let clean = Row {
        test: format!(
            "client crash: kill -9 of both careplan-client processes {} times under a stream of {} units, the relay \
             up: {} lost, {} duplicated, {} acknowledged before written",
            counts.kills, counts.units, counts.lost, counts.duplicated, counts.acked_unwritten
        ),
        tries: kills,
        passed: if failures == 0 { counts.kills } else { 0 },
        lost: failures,
        seconds: started.elapsed().as_secs_f64(),
    };
    let started = Instant::now();
    let mut caught = 0;
    for fault in ClientFault::ALL {
        let counts = runtime.block_on(client_crash_test(&programs, 5, Duration::from_secs(60), Some(fault)))?;
        if fault.counter(&counts) > 0 {
            caught += 1;
        } else {
            eprintln!("the client crash test did not catch {fault:?} by its own counter: {counts:?}");
        }
        eprintln!("client crash with {fault:?} planted: {counts:?}");
    }
    let planted = Row {
        test:
            "client crash checker: a client that sends every unit twice (under two keys), acknowledges before writing \
               or loses a received file fails the client crash test, each by its own counter (5 kills each)"
                .into(),
        tries: ClientFault::ALL.len(),
        passed: caught,
        lost: 0,
        seconds: started.elapsed().as_secs_f64(),
    };
    Ok(vec![clean, planted])
}

/// Only the client's crash test and its planted faults (`cargo xtask reliability --client`).
pub fn client_only(kills: usize) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    print_and_judge(&client_rows(&runtime, kills)?)
}

/// Only the one relay's crash test on its embedded store and the faults planted in it (`cargo xtask reliability
/// --embedded`).
pub fn embedded_only(kills: usize) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let (row, _) = runtime.block_on(crash_test(kills, Duration::from_secs(240), Mutation::None))?;
    print_and_judge(&[row, crash_checker_catches_planted_faults(&runtime, false)?])
}

/// Only the two-node crash test on PostgreSQL (`cargo xtask reliability --two-nodes`).
pub fn two_nodes_only(kills: usize) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    print_and_judge(&two_node_rows(&runtime, kills, Duration::from_secs(240))?)
}

/// The crash tests and the planted faults, for CI (the other rows are part of `cargo test`): `kills` kills of the
/// one relay, and twenty of one of two nodes on PostgreSQL.
pub fn crash_only(kills: usize) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let (row, _) = runtime.block_on(crash_test(kills, Duration::from_secs(60), Mutation::None))?;
    let planted = crash_checker_catches_planted_faults(&runtime, false)?;
    let mut rows = vec![row, planted];
    rows.extend(two_node_rows(&runtime, 20, Duration::from_secs(120))?);
    rows.extend(client_rows(&runtime, 20)?);
    print_and_judge(&rows)
}

/// The two-node crash test and its planted faults; none, each named as skipped, when the run opted out of
/// PostgreSQL (`CAREPLAN_SKIP_POSTGRES`) and it is not installed.
fn two_node_rows(runtime: &tokio::runtime::Runtime, kills: usize, budget: Duration) -> Result<Vec<Row>> {
    if crate::opted_out(crate::SKIP_POSTGRES) && !refserver::store::pgcluster::PgCluster::installed() {
        for row in ["two-node crash test", "two-node crash checker (planted faults)"] {
            crate::skipped(format!("reliability: {row} ({}: PostgreSQL is not installed)", crate::SKIP_POSTGRES));
        }
        return Ok(Vec::new());
    }
    let (row, _) = runtime.block_on(cluster_crash_test(kills, budget, Mutation::None))?;
    Ok(vec![row, crash_checker_catches_planted_faults(runtime, true)?])
}

pub fn run(kills: usize) -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let mut rows = vec![
        runtime.block_on(crash_test(kills, Duration::from_secs(240), Mutation::None))?.0,
        crash_checker_catches_planted_faults(&runtime, false)?,
    ];
    rows.extend(two_node_rows(&runtime, kills.min(30), Duration::from_secs(120))?);
    rows.extend(client_rows(&runtime, kills.min(30))?);
    rows.push(test_row(
        "hostile clients: slowloris, endless body, 10 000 parts, huge field, TLS 1.0/1.1/SSL 3 and weak-cipher hellos, renegotiation — another office served before the relay cuts a slow attacker off",
        &["-p", "refserver", "--test", "hostile"], &[],
    ));
    rows.push(test_row(
        "durability: SIGKILL after 201, full store → 507 (sends and unauditable downloads), retention",
        &["-p", "refserver", "--test", "durability"],
        &[],
    ));
    rows.push(test_row(
        "certificates: expired, not yet valid, other CA, revoked, no clientAuth",
        &["-p", "refserver", "--test", "relay"],
        &["every_negative"],
    ));
    let security = |test: &str, filters: &[&str]| test_row(test, &["-p", "refserver", "--test", "security"], filters);
    rows.push(test_row(
        "security: cross-site send, download and ack refused; a reused Idempotency-Key gets 409, an over-long one 400 (suite R22, R32, R33, each failing under its planted fault)",
        &["-p", "refserver", "--test", "protocol_suite"], &[],
    ));
    rows.push(security(
        "security: data and PKI folders 0700, files 0600; no start on a key others can read; a purge leaves no bytes behind",
        &["files_at_rest", "will_not_start"],
    ));
    rows.push(security(
        "security: refusals, probes, replays, sender downloads and refused certificates (with their subject) audited; names escaped",
        &["refusals_probes"],
    ));
    rows.push(security(
        "security: re-issue, revocation and office removal take effect without a restart; an unregistered office reaches only /healthz",
        &["a_reissued"],
    ));
    rows.push(security(
        "security: nosniff, no-store, HSTS; a .JPG part must be a JPEG; the recipient's kind is checked; an ack leaves downloaded_at alone",
        &["answers_are"],
    ));
    rows.push(runtime.block_on(upload_memory(128, 8, 60))?);
    rows.push(test_row(
        "codec + validator: arbitrary and mutated bytes never panic (proptest)",
        &["-p", "conformance", "--test", "properties"],
        &[],
    ));
    rows.push(test_row(
        "request parsing: hostile multipart, headers, garbage over TLS — never 5xx (proptest)",
        &["-p", "refserver", "--test", "fuzz_requests"],
        &[],
    ));
    match crate::fuzz::run(60, crate::fuzz::Build::Optimised) {
        Ok(targets) => rows.extend(targets.into_iter().map(|(target, seconds)| Row {
            test: format!("cargo fuzz {target}: 60 s, seeded from the fixtures, regressions replayed"),
            tries: 1,
            passed: 1,
            lost: 0,
            seconds,
        })),
        Err(error) => {
            eprintln!("{error:#}");
            rows.push(Row { test: "cargo fuzz".into(), tries: 1, passed: 0, lost: 0, seconds: 0.0 });
        }
    }
    print_and_judge(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = "\nrunning 2 tests\ntest a_reissued_certificate_takes_effect ... ok\n\
                       test answers_are_hardened ... ok\n\ntest result: ok. 2 passed; 0 failed; 0 ignored\n";

    /// Planted: a filter whose test was renamed matches nothing, and `cargo test` still succeeds — the row fails.
    #[test]
    fn a_renamed_or_ignored_test_is_not_a_passed_row() {
        assert_eq!(tests_that_ran(RUN, &["a_reissued", "answers_are"]), Ok(2));
        let renamed = tests_that_ran(RUN, &["a_reissued", "refusals_probes"]).unwrap_err();
        assert!(renamed.starts_with("no test matching \"refusals_probes\" ran"), "{renamed}");
        let nothing = "\nrunning 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored; 5 filtered out\n";
        assert!(tests_that_ran(nothing, &[]).unwrap_err().starts_with("no test ran"));
        let ignored = format!("{RUN}test slow_one ... ignored\n");
        assert!(tests_that_ran(&ignored, &[]).unwrap_err().starts_with("ignored, not passed"));
    }

    /// Planted: a checker that counts altered bytes as lost (as it did before #32) still fails rounds, but the
    /// fault it must catch is not caught by its own counter.
    #[test]
    fn a_planted_fault_counts_only_through_its_own_counter() {
        let row = |passed| Row { test: String::new(), tries: 3, passed, lost: 0, seconds: 0.0 };
        let altered = Counts { altered: 1, ..Counts::default() };
        let lost = Counts { lost: 4, ..Counts::default() };
        assert!(caught(Mutation::AlterBytes, &row(0), &altered));
        assert!(!caught(Mutation::AlterBytes, &row(0), &lost), "found, but as a loss: not the fault planted");
        assert!(!caught(Mutation::LoseLastCommits, &row(3), &lost), "no round failed");
        assert!(caught(Mutation::LoseLastCommits, &row(2), &lost));
        let every = Counts { lost: 1, altered: 1, reverted: 1, invented: 1, torn: 1, missing: 1, orphans: 1 };
        assert_eq!(every.total(), 7, "every counter fails a round");
        let invented = Counts { lost: 1, altered: 1, reverted: 1, ..Counts::default() };
        assert!(!caught(Mutation::Invent, &row(0), &invented));
        assert!(caught(Mutation::Invent, &row(0), &Counts { invented: 1, ..Counts::default() }));
        // The embedded store's files: a torn or missing file also fails its download (altered), which is not enough.
        for (mutation, own) in [
            (Mutation::TornFile, Counts { torn: 1, ..Counts::default() }),
            (Mutation::MissingFile, Counts { missing: 1, ..Counts::default() }),
            (Mutation::Orphan, Counts { orphans: 1, ..Counts::default() }),
        ] {
            assert!(caught(mutation, &row(0), &own), "{mutation:?}");
            assert!(!caught(mutation, &row(0), &altered), "{mutation:?} found only as altered bytes");
        }
    }
}
