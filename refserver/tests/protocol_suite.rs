//! The reference relay passes every case of the relay-protocol suite (`careplan-conformance relay`).

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

mod common;

use conformance::i18n::Lang;
use refserver::faults::Faults;
use refserver::sandbox::{Sandbox, SandboxOffice};
use refserver::server::{self, ServerConfig};
use refserver::store::StoreLocation;
use suites::relay::{self, OfficeIdentity, RelayTarget};
use suites::Outcome;

const OFFICES: [(&str, &str); 3] = [("1370001002", "43"), ("1370002058", "11"), ("1370003183", "15")];

struct Setup {
    _dir: tempfile::TempDir,
    sandbox: Sandbox,
    running: server::RunningServer,
}

async fn setup(max_body: usize) -> Setup {
    setup_with(max_body, Faults::default()).await
}

async fn setup_with(max_body: usize, faults: Faults) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let office =
        |number, kind| SandboxOffice {
            number, kinds: vec![kind], name: "テスト事業所", licence_until: "2099-12-31"
        };
    let sandbox = Sandbox::create(dir.path(), &OFFICES.map(|(n, k)| office(n, k))).unwrap();
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), sandbox.data.clone(), sandbox.pki.clone());
    config.api.max_body = max_body;
    config.api.faults = faults;
    let running = server::start(config).await.unwrap();
    Setup { _dir: dir, sandbox, running }
}

fn target(setup: &Setup, negative: Vec<(String, Vec<u8>)>, max_body: usize) -> RelayTarget {
    RelayTarget {
        url: format!("https://127.0.0.1:{}", setup.running.local_addr.port()),
        ca_pem: std::fs::read(setup.sandbox.paths().ca_cert()).unwrap(),
        offices: OFFICES
            .iter()
            .map(|(number, _)| OfficeIdentity {
                number: number.to_string(),
                identity_pem: setup.sandbox.identity_pem(number).unwrap(),
            })
            .collect(),
        negative,
        max_body: Some(max_body),
    }
}

async fn run(target: RelayTarget) -> Vec<(&'static str, Outcome, String)> {
    // The suite runs its own runtime: keep it off this test's async workers.
    let report = tokio::task::spawn_blocking(move || relay::run(&target, Lang::En, &|_| {})).await.unwrap();
    report.results.into_iter().map(|r| (r.id, r.outcome, r.evidence.join(" | "))).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_suite_fails_when_the_relay_accepts_what_it_should_refuse() {
    let setup = setup(1024 * 1024).await;
    // A valid office certificate presented as one the relay "must refuse", and a body limit the relay does not have.
    let valid = vec![("actually-valid".to_string(), setup.sandbox.identity_pem(OFFICES[0].0).unwrap())];
    let results = run(target(&setup, valid, 512)).await;
    let failed: Vec<&str> = results.iter().filter(|(_, o, _)| *o == Outcome::Fail).map(|(id, _, _)| *id).collect();
    assert_eq!(failed, vec!["R02", "R51"], "{results:#?}");
    setup.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_reference_relay_passes_the_protocol_suite() {
    let setup = setup(1024 * 1024).await;
    let results = run(target(&setup, negative_certificates(&setup), 1024 * 1024)).await;
    let not_passed: Vec<_> = results.iter().filter(|(_, o, _)| *o != Outcome::Pass).collect();
    assert!(not_passed.is_empty(), "{not_passed:#?}");
    assert_eq!(results.len(), relay::CASES.len());
    setup.running.shutdown().await;
}

/// A relay that is down passes nothing: not the refusal cases either (R01, R51).
#[tokio::test(flavor = "multi_thread")]
async fn a_relay_that_is_down_passes_no_case() {
    let setup = setup(1024 * 1024).await;
    let mut target = target(&setup, negative_certificates(&setup), 1024 * 1024);
    setup.running.shutdown().await;
    target.url = format!(
        "https://127.0.0.1:{}",
        std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
    );
    let results = run(target).await;
    let passed: Vec<&str> = results.iter().filter(|(_, o, _)| *o == Outcome::Pass).map(|(id, _, _)| *id).collect();
    assert!(passed.is_empty(), "{results:#?}");
}

fn negative_certificates(setup: &Setup) -> Vec<(String, Vec<u8>)> {
    refserver::pki::NEGATIVE
        .iter()
        .map(|(name, _)| {
            let (cert, key) = setup.sandbox.paths().negative(name);
            (name.to_string(), [std::fs::read(cert).unwrap(), std::fs::read(key).unwrap()].concat())
        })
        .collect()
}

/// Each deliberate fault fails exactly the case that guards against it.
#[tokio::test(flavor = "multi_thread")]
async fn each_planted_fault_fails_its_case() {
    let cases: [(&str, Faults, &[&str]); 18] = [
        (
            "refuses every send",
            Faults { refuse_sends: true, ..Faults::default() },
            &["R10", "R20", "R21", "R22", "R31", "R34", "R40", "R41"],
        ),
        (
            "completes the handshake without a client certificate",
            Faults { allow_anonymous: true, ..Faults::default() },
            &["R01"],
        ),
        ("lists nobody in the directory", Faults { hide_offices: true, ..Faults::default() }, &["R03"]),
        ("lists nothing in inboxes", Faults { hide_inbox: true, ..Faults::default() }, &["R11", "R40", "R41"]),
        ("leaves downloads at sent", Faults { forget_downloads: true, ..Faults::default() }, &["R13"]),
        ("ignores Idempotency-Key", Faults { ignore_idempotency: true, ..Faults::default() }, &["R21", "R22"]),
        ("accepts files naming another sender", Faults { allow_impersonation: true, ..Faults::default() }, &["R31"]),
        (
            "pages oldest first without a cursor",
            Faults { break_pagination: true, ..Faults::default() },
            &["R40", "R41"],
        ),
        ("answers order=asc newest first", Faults { ignore_order: true, ..Faults::default() }, &["R41"]),
        (
            "answers errors as plain text",
            Faults { plain_errors: true, ..Faults::default() },
            &["R20", "R22", "R34", "R50"],
        ),
        ("accepts invalid CSV", Faults { accept_invalid: true, ..Faults::default() }, &["R20"]),
        ("lets other sites act", Faults { allow_cross_site: true, ..Faults::default() }, &["R32", "R33"]),
        ("replays a reused key with other files", Faults { replay_conflicts: true, ..Faults::default() }, &["R22"]),
        ("leaks another office's message", Faults { leak_messages: true, ..Faults::default() }, &["R30"]),
        ("loses the ack", Faults { lose_acks: true, ..Faults::default() }, &["R14"]),
        ("returns altered bytes", Faults { alter_bytes: true, ..Faults::default() }, &["R12"]),
        ("accepts an expired certificate", Faults { accept_expired: true, ..Faults::default() }, &["R02"]),
        (
            "takes names with invisible characters",
            Faults { accept_invisible_names: true, ..Faults::default() },
            &["R34"],
        ),
    ];
    // Every case has a fault that fails it (R51 fails on a relay whose limit is not the declared one, above).
    let covered: std::collections::BTreeSet<&str> =
        cases.iter().flat_map(|(_, _, expected)| expected.iter().copied()).chain(["R51"]).collect();
    let all: std::collections::BTreeSet<&str> = relay::CASES.iter().map(|case| case.id).collect();
    assert_eq!(covered, all, "a suite case without a planted fault that fails it");
    for (fault, faults, expected) in cases {
        let setup = setup_with(1024 * 1024, faults).await;
        let negative = negative_certificates(&setup);
        let results = run(target(&setup, negative, 1024 * 1024)).await;
        let failed: Vec<&str> = results
            .iter()
            .filter(|(_, o, _)| *o == Outcome::Fail)
            .map(|(id, _, _)| *id)
            // A relay that refuses every send answers R51's oversized upload before reading it, like a 413 would: the
            // client then sees either the answer (500: R51 fails) or the connection closed mid-upload, which R51
            // rightly takes as a refusal unread (passes). Which one is a race (seen both ways in CI), so R51 is not
            // judged under this fault; it has a fault of its own (a limit other than the declared one, above).
            .filter(|id| !(faults.refuse_sends && *id == "R51"))
            .collect();
        assert_eq!(failed, expected, "relay that {fault}: {results:#?}");
        setup.running.shutdown().await;
    }
}

/// Two relay nodes on one PostgreSQL database pass the whole suite through either node (issue #20): the suite runs
/// against node A, then against node B on the same data.
#[tokio::test(flavor = "multi_thread")]
async fn two_nodes_on_postgresql_pass_the_protocol_suite_through_either() {
    let Some(cluster) = common::postgres() else { return };
    let url = cluster.database("suite").unwrap();
    let first = setup(1024 * 1024).await;
    let postgres = StoreLocation::Postgres { url: url.clone() };
    refserver::store::copy_offices(&StoreLocation::embedded(first.sandbox.data.clone()), &postgres).unwrap();
    let node = || {
        let mut config =
            ServerConfig::new("127.0.0.1:0".parse().unwrap(), first.sandbox.data.clone(), first.sandbox.pki.clone());
        config.api.max_body = 1024 * 1024;
        config.store = postgres.clone();
        server::start(config)
    };
    let (a, b) = (node().await.unwrap(), node().await.unwrap());
    for running in [&a, &b] {
        let mut target = target(&first, negative_certificates(&first), 1024 * 1024);
        target.url = format!("https://127.0.0.1:{}", running.local_addr.port());
        let results = run(target).await;
        let not_passed: Vec<_> = results.iter().filter(|(_, o, _)| *o != Outcome::Pass).collect();
        assert!(not_passed.is_empty(), "node {}: {not_passed:#?}", running.local_addr);
        assert_eq!(results.len(), relay::CASES.len());
    }
    a.shutdown().await;
    b.shutdown().await;
    first.running.shutdown().await;
}
