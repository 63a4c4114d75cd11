//! The load through the office's reference client instead of raw HTTP (`careplan-loadtest --drive clients`): one
//! `client::run::run` per office in this process — its own folders, state database and certificate, the pace of the
//! client crash row (`--poll-interval 0.1 --settle-ms 100`) — and a stand-in for the care software that drops units
//! into the senders' outboxes and takes what lands in the recipients' inboxes. Goose has no place here: the client
//! makes its own requests, so there is no request for a goose user to time.
//!
//! Month-start pacing, as the raw-HTTP scenario's: each care manager drops one ticket unit for each of its
//! providers and drops the next round when all of them were taken; a provider's care software returns the actuals
//! of each ticket it takes. An exchange starts when a unit's files are in the sender's outbox and ends when the
//! recipient's care software has taken every file with the bytes the sender dropped (the client acknowledges the
//! message on its next round). Every unit has names of its own (its ファイル連番 follows the turn), since a client
//! rightly sends identical names and bytes only once.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use client::config::Config;
use sha2::{Digest, Sha256};
use transport::PkiPaths;

use crate::payloads::Payloads;
use crate::population::Population;
use crate::profile::Profile;
use crate::relay_watch::RelayWatch;
use crate::roles::World;
use crate::summary::{RunFacts, Summary};
use crate::tracker::{Completed, Direction};
use crate::LoadError;

/// What to run.
#[derive(Debug, Clone)]
pub struct ClientsOptions {
    pub host: String,
    pub pki: PathBuf,
    pub care_managers: usize,
    pub run_time: Duration,
    pub users_per_unit: usize,
    pub units_per_pair: usize,
    /// the relay process, to watch its CPU, memory and open files
    pub relay_pids: Vec<u32>,
    /// where each office's client keeps its folders and state (`<dir>/<office>/`)
    pub dir: PathBuf,
    /// faults planted in every client (a client built with the `faults` feature; for the load test's own tests)
    pub faults: client::faults::Faults,
    /// how long the units still in flight when the run ends may take to arrive; what has not by then is lost
    pub drain: Duration,
}

/// The usual [`ClientsOptions::drain`].
pub const DRAIN: Duration = Duration::from_secs(30);

/// How long the clients get after the drain to acknowledge what was taken (a client acknowledges within a round).
const ACK_GRACE: Duration = Duration::from_secs(10);

/// How often the care software looks at every inbox.
const TAKE_EVERY: Duration = Duration::from_millis(25);

/// The clients' pace: the crash row's (`run --poll-interval 0.1 --settle-ms 100`), with the default wait at the
/// relay while the care software has not taken anything.
fn client_options(faults: client::faults::Faults) -> client::run::RunOptions {
    client::run::RunOptions {
        ack_on_receive: false,
        poll_interval: Duration::from_millis(100),
        settle: Duration::from_millis(100),
        idle_look: Duration::from_secs(1),
        page: None,
        faults,
    }
}

/// A unit dropped into an outbox and not yet taken whole.
#[derive(Debug)]
struct Unit {
    direction: Direction,
    care_manager: usize,
    provider: usize,
    turn: usize,
    begun: Instant,
    missing: usize,
    /// a file arrived with other bytes: counted altered, not lost
    altered: bool,
}

/// The care software's view of every unit: what each recipient should find, and what it found.
#[derive(Debug, Default)]
struct Ledger {
    units: Vec<Unit>,
    /// (recipient, file name) → (unit, SHA-256 dropped) of every file not yet taken
    expected: HashMap<(String, String), (usize, [u8; 32])>,
    completed: Vec<Completed>,
    altered: u64,
    /// files taken that nobody dropped, or taken a second time
    invented: u64,
}

struct Shared {
    world: World,
    configs: HashMap<String, Config>,
    ledger: Mutex<Ledger>,
    /// tickets of each care manager's current round not yet taken, and the wake-up when that reaches zero
    pending: Vec<AtomicUsize>,
    round_done: Vec<tokio::sync::Notify>,
    started: Instant,
    /// no new unit is dropped once the run time is over
    sending: AtomicBool,
    errors: AtomicU64,
}

impl Shared {
    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Drops the ticket (care manager → provider) or the actuals (back) of `turn` into the sender's outbox: each file
    /// written under a hidden name, then renamed, as care software should.
    fn drop_unit(&self, direction: Direction, care_manager: usize, provider: usize, turn: usize) {
        let population = &self.world.population;
        let (manager, home_help) = (&population.care_managers[care_manager], &population.providers[provider]);
        let units = self.world.payloads.between(&manager.number, &home_help.number);
        let Some(unit) = units.get(turn % units.len().max(1)) else { return };
        let (payload, from, to) = match direction {
            Direction::Ticket => (&unit.ticket, manager, home_help),
            Direction::Actuals => (&unit.actuals, home_help, manager),
        };
        let files: Vec<(String, &[u8], [u8; 32])> = payload
            .files
            .iter()
            .zip(&payload.digests)
            .map(|((name, bytes), digest)| (with_serial(name, turn), bytes.as_slice(), *digest))
            .collect();
        {
            let mut ledger = self.ledger();
            let id = ledger.units.len();
            ledger.units.push(Unit {
                direction,
                care_manager,
                provider,
                turn,
                begun: Instant::now(),
                missing: files.len(),
                altered: false,
            });
            for (name, _, digest) in &files {
                ledger.expected.insert((to.number.clone(), name.clone()), (id, *digest));
            }
        }
        let Some(outbox) = self.configs.get(&from.number).map(|config| &config.outbox) else { return };
        for (name, bytes, _) in &files {
            let hidden = outbox.join(format!(".{name}.part"));
            if std::fs::write(&hidden, bytes).and_then(|()| std::fs::rename(&hidden, outbox.join(name))).is_err() {
                self.errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The care software of every office takes what its inbox holds; a ticket taken whole sends its actuals back.
    fn take_all(&self) {
        for (office, config) in &self.configs {
            let Ok(entries) = std::fs::read_dir(&config.inbox) else { continue };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().to_string();
                if name.starts_with('.') {
                    continue;
                }
                let Ok(bytes) = std::fs::read(entry.path()) else { continue };
                if std::fs::remove_file(entry.path()).is_err() {
                    continue;
                }
                let Some(unit) = self.taken(office, name, &bytes) else { continue };
                if unit.direction == Direction::Ticket {
                    if let Some(pending) = self.pending.get(unit.care_manager) {
                        if pending.fetch_sub(1, Ordering::SeqCst) == 1 {
                            self.round_done[unit.care_manager].notify_one();
                        }
                    }
                    if self.sending.load(Ordering::SeqCst) {
                        self.drop_unit(Direction::Actuals, unit.care_manager, unit.provider, unit.turn);
                    }
                }
            }
        }
    }

    /// Books a file taken by `office`'s care software; the unit, when this was its last file.
    fn taken(&self, office: &str, name: String, bytes: &[u8]) -> Option<Finished> {
        let mut ledger = self.ledger();
        let Some((id, digest)) = ledger.expected.remove(&(office.to_string(), name)) else {
            ledger.invented += 1;
            return None;
        };
        let altered = <[u8; 32]>::from(Sha256::digest(bytes)) != digest;
        let at = self.started.elapsed();
        let ledger = &mut *ledger;
        let unit = &mut ledger.units[id];
        unit.missing -= 1;
        if altered {
            ledger.altered += 1;
            unit.altered = true;
        }
        if unit.missing > 0 || unit.altered {
            return None;
        }
        ledger.completed.push(Completed { at, latency: unit.begun.elapsed(), direction: unit.direction });
        Some(Finished {
            direction: unit.direction,
            care_manager: unit.care_manager,
            provider: unit.provider,
            turn: unit.turn,
        })
    }

    /// Units neither taken whole nor altered.
    fn lost(&self) -> u64 {
        self.ledger().units.iter().filter(|unit| unit.missing > 0 && !unit.altered).count() as u64
    }
}

/// A unit whose every file was taken.
struct Finished {
    direction: Direction,
    care_manager: usize,
    provider: usize,
    turn: usize,
}

/// `name` with the ファイル連番 of unit `turn`: the scale generator's own (one second apart from 00:00:00 of the 1st
/// of its month), so turns below the pre-generated count keep their names and later ones get new ones.
fn with_serial(name: &str, turn: usize) -> String {
    let Some((head, serial)) = name.strip_suffix(".CSV").and_then(|stem| stem.rsplit_once('_')) else {
        return name.to_string();
    };
    if serial.len() != 14 || !serial.is_ascii() {
        return name.to_string();
    }
    let (day, second) = (turn / 86_400 % 28 + 1, turn % 86_400);
    format!("{head}_{}{day:02}{:02}{:02}{:02}.CSV", &serial[..6], second / 3600, second / 60 % 60, second % 60)
}

/// One care manager's rounds until the run time is over.
async fn care_manager(shared: Arc<Shared>, care_manager: usize, until: tokio::time::Instant) {
    let providers = shared.world.population.providers_of(care_manager);
    let mut turn = 0;
    while tokio::time::Instant::now() < until {
        shared.pending[care_manager].store(providers.len(), Ordering::SeqCst);
        for &provider in &providers {
            shared.drop_unit(Direction::Ticket, care_manager, provider, turn);
        }
        while shared.pending[care_manager].load(Ordering::SeqCst) > 0 {
            if tokio::time::timeout_at(until, shared.round_done[care_manager].notified()).await.is_err() {
                return;
            }
        }
        turn += 1;
    }
}

/// Runs the clients under load and judges the run like the raw-HTTP one (nothing lost, altered or invented,
/// everything acknowledged, every office exchanging).
pub async fn run_clients(options: &ClientsOptions) -> Result<Summary, LoadError> {
    let population = Population::new(options.care_managers);
    eprintln!(
        "準備 preparing: {} care managers, {} providers, one client each, {} units per pair…",
        population.care_managers.len(),
        population.providers.len(),
        options.units_per_pair
    );
    let payloads = Payloads::generate(&population, options.units_per_pair.max(1), options.users_per_unit.max(1))?;
    let mean_ticket_bytes = payloads.mean_ticket_bytes();
    let host = options.host.trim_end_matches('/').to_string();
    let pki = PkiPaths::new(&options.pki);
    let world = World::new(population, payloads, Profile::MonthStart, &pki, vec![host.clone()])?;
    let earlier: HashSet<String> = crate::run::unfinished(&world, &host).await?.into_iter().map(|(_, id)| id).collect();
    let mut configs = HashMap::new();
    for office in world.population.offices() {
        let config = Config::beside(
            &options.dir.join(&office.number),
            host.clone(),
            pki.ca_cert(),
            pki.office_cert(&office.number),
            pki.office_key(&office.number),
        );
        config.create_folders().map_err(|error| LoadError::Relay(error.to_string()))?;
        configs.insert(office.number.clone(), config);
    }
    let offices = configs.len();
    let care_managers = world.population.care_managers.len();
    let shared = Arc::new(Shared {
        world,
        configs,
        ledger: Mutex::new(Ledger::default()),
        pending: (0..care_managers).map(|_| AtomicUsize::new(0)).collect(),
        round_done: (0..care_managers).map(|_| tokio::sync::Notify::new()).collect(),
        started: Instant::now(),
        sending: AtomicBool::new(true),
        errors: AtomicU64::new(0),
    });

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let clients: Vec<_> = shared
        .configs
        .values()
        .map(|config| {
            let (config, options, mut stopped) = (config.clone(), client_options(options.faults), stopped.clone());
            tokio::spawn(async move {
                client::run::run(&config, &options, async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                })
                .await
            })
        })
        .collect();
    let taking = Arc::new(AtomicBool::new(true));
    let taker = {
        let (shared, taking) = (shared.clone(), taking.clone());
        tokio::spawn(async move {
            while taking.load(Ordering::SeqCst) {
                shared.take_all();
                tokio::time::sleep(TAKE_EVERY).await;
            }
        })
    };
    let watches: Vec<RelayWatch> = options.relay_pids.iter().filter_map(|pid| RelayWatch::start(*pid)).collect();
    let until = tokio::time::Instant::now() + options.run_time;
    let managers: Vec<_> = (0..care_managers).map(|k| tokio::spawn(care_manager(shared.clone(), k, until))).collect();
    for manager in managers {
        let _ = manager.await;
    }
    shared.sending.store(false, Ordering::SeqCst);
    let ended = shared.started.elapsed();

    eprintln!("確認 waiting for the units in flight…");
    let drain_until = Instant::now() + options.drain;
    while shared.lost() > 0 && Instant::now() < drain_until {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Every message taken is acknowledged by its client within a round or two.
    let ack_until = Instant::now() + ACK_GRACE;
    let mut unacked = unacknowledged(&shared.world, &host, &earlier).await?;
    while unacked > 0 && Instant::now() < ack_until {
        tokio::time::sleep(Duration::from_millis(250)).await;
        unacked = unacknowledged(&shared.world, &host, &earlier).await?;
    }
    taking.store(false, Ordering::SeqCst);
    let _ = taker.await;
    let _ = stop.send(true);
    for client in clients {
        if !matches!(client.await, Ok(Ok(()))) {
            shared.errors.fetch_add(1, Ordering::Relaxed);
        }
    }
    let relay: Vec<_> = watches.into_iter().map(RelayWatch::finish).collect();
    // A valid unit a client refused is an error of the run.
    let refused: usize = shared
        .configs
        .values()
        .map(|config| std::fs::read_dir(&config.refused).map(|entries| entries.count()).unwrap_or(0))
        .sum();
    let lost = shared.lost();
    let ledger = shared.ledger();
    // Units in flight at the end (a round per care manager, the actuals of the last tickets) arrive through the
    // clients themselves after it: outside the rate and the latencies, but not "acknowledged only by the drain",
    // which is the checker's own doing in the raw-HTTP run. What never arrives is lost.
    let after = ledger.completed.iter().filter(|c| c.at > ended).count();
    eprintln!("終了時に送信中で後から届いた交換 {after} 件 / {after} exchanges in flight at the end arrived after it");
    Ok(Summary::new(RunFacts {
        scenario: "clients",
        completed: &ledger.completed,
        users: &[(Duration::ZERO, offices)],
        measured: (Duration::ZERO, ended),
        errors: shared.errors.load(Ordering::Relaxed) + refused as u64,
        failed_requests: 0,
        corrupted: ledger.altered,
        lost,
        invented: ledger.invented,
        unacked,
        drained: 0,
        mean_ticket_bytes,
        knee_threshold_ms: None,
        relay,
    }))
}

/// Messages of this run the relay still offers as not received.
async fn unacknowledged(world: &World, host: &str, earlier: &HashSet<String>) -> Result<u64, LoadError> {
    let waiting = crate::run::unfinished(world, host).await?;
    Ok(waiting.iter().filter(|(_, id)| !earlier.contains(id)).count() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_turn_has_a_serial_of_its_own_and_early_turns_keep_the_generators() {
        let ticket = "UPPLAN_202505_1000100000_43_1000500000_11_20250401000001.CSV";
        assert_eq!(with_serial(ticket, 1), ticket);
        assert_eq!(with_serial(ticket, 86_400 + 3_723), "UPPLAN_202505_1000100000_43_1000500000_11_20250402010203.CSV");
        let actuals = "UPJSK_202505_1000500000_11_1000100000_43_20250601000001.CSV";
        assert_eq!(with_serial(actuals, 2), "UPJSK_202505_1000500000_11_1000100000_43_20250601000002.CSV");
        let names: HashSet<String> = (0..5000).map(|turn| with_serial(ticket, turn)).collect();
        assert_eq!(names.len(), 5000);
        for name in &names {
            assert!(conformance::filename::parse(name).is_ok(), "{name}");
        }
        assert_eq!(with_serial("odd.CSV", 3), "odd.CSV");
    }
}
