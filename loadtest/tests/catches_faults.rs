//! The load test's own mutation check: against a relay with a planted fault that loses, alters, invents or forgets,
//! a short run must fail and say why; against the same relay without the fault it must pass. A checker that has
//! never failed has not been tested. The same for the clients drive (one reference client per office, through
//! their folders): a healthy relay and clients pass, a relay that drops a file and a client that sends twice fail.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

use std::time::Duration;

use loadtest::clients::{run_clients, ClientsOptions};
use loadtest::population::Population;
use loadtest::run::{run, RunOptions};
use loadtest::summary::Summary;
use refserver::faults::Faults;
use refserver::sandbox::{Sandbox, SandboxOffice};
use refserver::server::{self, ServerConfig};

const CARE_MANAGERS: usize = 2;

/// Whether a failed run failed for the fault's own count (not merely for some other reason).
type CaughtBy = fn(&Summary) -> bool;

/// The first run is this long; a run that has not yet shown what it must is repeated, twice as long, up to
/// [`LONGEST_RUN`]: the test waits for the state (enough exchanges, the fault's own count), and the ceiling only
/// catches a relay that never gets there — not a 2-core machine that was busy for the first three seconds.
const FIRST_RUN: Duration = Duration::from_secs(3);
const LONGEST_RUN: Duration = Duration::from_secs(24);

/// Load runs against a relay with `faults` until `shown` holds of one, or the run time would pass [`LONGEST_RUN`];
/// the last run's summary.
async fn load_run_until(faults: Faults, shown: impl Fn(&Summary) -> bool) -> Summary {
    let mut run_time = FIRST_RUN;
    loop {
        let summary = load_run(faults, run_time).await;
        if shown(&summary) || run_time * 2 > LONGEST_RUN {
            return summary;
        }
        run_time *= 2;
    }
}

/// A relay in this process on 127.0.0.1 with the load population registered and `faults` planted; its folder, its
/// sandbox and the relay.
async fn relay_with(faults: Faults) -> (tempfile::TempDir, Sandbox, server::RunningServer) {
    let dir = tempfile::tempdir().expect("temp dir");
    let population = Population::new(CARE_MANAGERS);
    let offices: Vec<SandboxOffice<'_>> = population.offices().map(SandboxOffice::from).collect();
    let sandbox = Sandbox::create(dir.path(), &offices).expect("sandbox");
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), sandbox.data.clone(), sandbox.pki.clone());
    config.api.faults = faults;
    let relay = server::start(config).await.expect("relay starts");
    (dir, sandbox, relay)
}

async fn load_run(faults: Faults, run_time: Duration) -> Summary {
    let (_dir, sandbox, relay) = relay_with(faults).await;
    let host = format!("https://{}", relay.local_addr);
    let mut options = RunOptions::new(&host, sandbox.pki.clone(), run_time);
    options.care_managers = Some(CARE_MANAGERS);
    options.units_per_pair = 2;
    options.goose = vec!["--no-print-metrics".into(), "--quiet".into()];
    let summary = run(&options).await.expect("the run completes");
    relay.shutdown().await;
    summary
}

/// A clients-drive run of `run_time` against a relay with `faults`, every client with `client_faults` planted.
async fn clients_run(faults: Faults, client_faults: &str, run_time: Duration) -> Summary {
    let (dir, sandbox, relay) = relay_with(faults).await;
    let options = ClientsOptions {
        host: format!("https://{}", relay.local_addr),
        pki: sandbox.pki.clone(),
        care_managers: CARE_MANAGERS,
        run_time,
        users_per_unit: 1,
        units_per_pair: 2,
        relay_pids: Vec::new(),
        dir: dir.path().join("clients"),
        faults: client::faults::Faults::parse(client_faults),
        // What has not arrived 5 s after a short run is not coming: a planted loss need not wait longer.
        drain: Duration::from_secs(5),
    };
    let summary = run_clients(&options).await.expect("the run completes");
    relay.shutdown().await;
    summary
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_planted_fault_fails_the_load_test() {
    let healthy = load_run_until(Faults::default(), Summary::clean).await;
    assert!(healthy.clean(), "the relay without faults must pass: {}", healthy.human());

    let cases: [(&str, Faults, CaughtBy); 5] = [
        ("drops the last file of a send", Faults { drop_last_file: true, ..Faults::default() }, |s| s.lost > 0),
        ("stores every send twice", Faults { duplicate_sends: true, ..Faults::default() }, |s| s.invented > 0),
        ("alters downloaded bytes", Faults { alter_bytes: true, ..Faults::default() }, |s| s.corrupted > 0),
        ("answers acks without recording them", Faults { lose_acks: true, ..Faults::default() }, |s| s.unacked > 0),
        ("lists nothing in inboxes", Faults { hide_inbox: true, ..Faults::default() }, |s| {
            s.exchanges == 0 && s.problems.iter().any(|p| p.contains("too few exchanges"))
        }),
    ];
    for (fault, faults, caught_by_its_count) in cases {
        let summary = load_run_until(faults, caught_by_its_count).await;
        assert!(!summary.clean(), "the load test passed a relay that {fault}: {}", summary.human());
        assert!(caught_by_its_count(&summary), "a relay that {fault} failed for another reason: {}", summary.human());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clients_drive_passes_healthy_clients_and_catches_a_lost_file_and_a_double_send() {
    let mut run_time = FIRST_RUN;
    let healthy = loop {
        let summary = clients_run(Faults::default(), "", run_time).await;
        if summary.clean() || run_time * 2 > LONGEST_RUN {
            break summary;
        }
        run_time *= 2;
    };
    assert!(healthy.clean() && healthy.tickets > 0 && healthy.actuals > 0, "{}", healthy.human());
    eprintln!("{}", healthy.human());

    let dropped = clients_run(Faults { drop_last_file: true, ..Faults::default() }, "", FIRST_RUN).await;
    assert!(dropped.lost > 0, "a relay that drops a file passed the clients drive: {}", dropped.human());
    let twice = clients_run(Faults::default(), "send_twice", FIRST_RUN).await;
    assert!(twice.invented > 0, "clients that send twice passed the clients drive: {}", twice.human());
}
