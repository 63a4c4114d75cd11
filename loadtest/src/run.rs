//! One load run, start to verdict: payloads, goose against the relay, then the checks that do not trust the relay —
//! the drain fetches by id every message a sender recorded and nobody acknowledged, and the inbox audit finds what
//! the relay holds that no sender sent (invented) or that it was told was received and still offers (unacked).

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::payloads::Payloads;
use crate::population::Population;
use crate::profile::Profile;
use crate::relay_watch::RelayWatch;
use crate::roles::{attack, World};
use crate::summary::{RunFacts, Summary};
use crate::tracker::Outstanding;
use crate::LoadError;
use transport::PkiPaths;

/// What to run (the CLI's options, see `careplan-loadtest --help`).
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub host: String,
    /// further relay nodes on the same database: offices are spread over `host` and these
    pub nodes: Vec<String>,
    pub pki: PathBuf,
    pub scenario: Profile,
    pub care_managers: Option<usize>,
    pub users: Option<usize>,
    pub hatch_rate: Option<f64>,
    pub run_time: Duration,
    pub report_file: Option<PathBuf>,
    pub users_per_unit: usize,
    pub units_per_pair: usize,
    /// the relay processes (one per node), to watch their CPU, memory and open files
    pub relay_pids: Vec<u32>,
    pub knee_ms: f64,
    /// measure the CPU of validating the run's units before the load, for the capacity split
    pub measure_validation: bool,
    /// further goose options
    pub goose: Vec<String>,
}

impl RunOptions {
    /// A run of `run_time` against `host` with every other option at its default.
    pub fn new(host: &str, pki: PathBuf, run_time: Duration) -> RunOptions {
        RunOptions {
            host: host.to_string(),
            nodes: Vec::new(),
            pki,
            scenario: Profile::MonthStart,
            care_managers: None,
            users: None,
            hatch_rate: None,
            run_time,
            report_file: None,
            users_per_unit: 1,
            units_per_pair: 8,
            relay_pids: Vec::new(),
            knee_ms: 250.0,
            measure_validation: false,
            goose: Vec::new(),
        }
    }
}

/// `30s`, `2m`, `1h30m`, or plain seconds, as goose reads `--run-time`.
pub fn parse_run_time(text: &str) -> Result<Duration, String> {
    let bad = || format!("bad --run-time {text:?}: use e.g. 30s, 2m, 1h30m");
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        match c {
            '0'..='9' => number.push(c),
            'h' | 'm' | 's' => {
                let value: u64 = number.parse().map_err(|_| bad())?;
                total += value
                    * match c {
                        'h' => 3600,
                        'm' => 60,
                        _ => 1,
                    };
                number.clear();
            }
            _ => return Err(bad()),
        }
    }
    if !number.is_empty() {
        total += number.parse::<u64>().map_err(|_| bad())?;
    }
    Ok(Duration::from_secs(total))
}

/// Runs the load test and judges it. The summary's `problems` say why a run failed.
pub async fn run(options: &RunOptions) -> Result<Summary, LoadError> {
    let population = Population::new(options.care_managers.unwrap_or_else(|| options.scenario.default_care_managers()));
    let users = options.users.unwrap_or(population.len());
    let hatch_rate = options.hatch_rate.unwrap_or_else(|| options.scenario.default_hatch_rate(users, options.run_time));
    eprintln!(
        "準備 preparing: {} care managers, {} providers, {} units per pair ({} persons each)…",
        population.care_managers.len(),
        population.providers.len(),
        options.units_per_pair,
        options.users_per_unit
    );
    let payloads = Payloads::generate(&population, options.units_per_pair.max(1), options.users_per_unit.max(1))?;
    let mean_ticket_bytes = payloads.mean_ticket_bytes();
    let validation = if options.measure_validation {
        let pairs: Vec<_> = population
            .pairs()
            .into_iter()
            .map(|(k, p)| payloads.between(&population.care_managers[k].number, &population.providers[p].number))
            .collect();
        let units: Vec<&crate::payloads::ExchangePayloads> = pairs.iter().flat_map(|units| units.iter()).collect();
        Some(crate::capacity::ValidationCost::measure(&units)?)
    } else {
        None
    };
    let host = options.host.trim_end_matches('/').to_string();
    let nodes = std::iter::once(host.clone()).chain(options.nodes.iter().map(|n| n.trim_end_matches('/').to_string()));
    let world =
        Arc::new(World::new(population, payloads, options.scenario, &PkiPaths::new(&options.pki), nodes.collect())?);
    let probe = world.client(&world.population.care_managers[0].number)?;
    probe.get(format!("{host}/healthz")).send().await.and_then(|r| r.error_for_status()).map_err(|error| {
        LoadError::Relay(format!("the relay at {host} does not answer /healthz over mutual TLS: {error}"))
    })?;
    // Messages already waiting belong to an earlier run: the audit after this one leaves them out.
    let earlier: HashSet<String> = unfinished(&world, &host).await?.into_iter().map(|(_, id)| id).collect();

    let mut goose_args: Vec<String> = vec![
        "--host".into(),
        host.clone(),
        "--users".into(),
        users.to_string(),
        "--hatch-rate".into(),
        format!("{hatch_rate:.3}"),
        "--run-time".into(),
        format!("{}s", options.scenario.goose_run_time(options.run_time).as_secs()),
        // A request failed while users were still starting is a failure too; our own rate and latencies are
        // measured from the last start (the tracker), so goose's counts may cover the whole run.
        "--no-reset-metrics".into(),
    ];
    if let Some(report) = &options.report_file {
        goose_args.extend(["--report-file".into(), report.display().to_string()]);
    }
    goose_args.extend(options.goose.iter().cloned());
    let configuration = <goose::config::GooseConfiguration as gumdrop::Options>::parse_args_default(&goose_args)
        .map_err(|error| LoadError::Relay(format!("goose options {goose_args:?}: {error}")))?;

    let watches: Vec<RelayWatch> = options.relay_pids.iter().filter_map(|pid| RelayWatch::start(*pid)).collect();
    let started = world.tracker.elapsed();
    let metrics = attack(&world, configuration).map_err(Box::new)?.execute().await.map_err(Box::new)?;
    let failed_requests: u64 = metrics.requests.values().map(|request| request.fail_count as u64).sum();
    let ended = world.tracker.elapsed();
    let outstanding = world.tracker.outstanding();
    eprintln!("確認 checking the {} messages still unacknowledged…", outstanding.len());
    let (drained, lost, altered_in_drain) = tokio::time::timeout(
        Duration::from_secs(120),
        drain(&world, &host, outstanding.clone()),
    )
    .await
    .unwrap_or((0, outstanding.len() as u64, 0));
    let audit = audit_inboxes(&world, &host, &earlier).await?;
    let relay: Vec<_> = watches.into_iter().map(RelayWatch::finish).collect();
    let completed = world.tracker.completed();
    let users_started = world.tracker.users();
    // Measured once every user runs (goose, too, resets its metrics then); a ramp is measured from its start.
    let measured_from = match options.scenario {
        Profile::Ramp => users_started.first(),
        _ => users_started.last(),
    }
    .map_or(started, |u| u.0);
    let mut summary = Summary::new(RunFacts {
        scenario: options.scenario.name(),
        completed: &completed,
        users: &users_started,
        measured: (measured_from, ended),
        errors: world.tracker.failures(),
        failed_requests,
        corrupted: world.tracker.altered() + altered_in_drain,
        lost,
        invented: audit.invented,
        unacked: audit.unacked,
        drained,
        mean_ticket_bytes,
        knee_threshold_ms: (options.scenario == Profile::Ramp).then_some(options.knee_ms),
        relay,
    });
    summary.validation_ms = validation;
    Ok(summary)
}

/// Messages of one kind of defect named on the terminal; the summary counts them all.
const SHOWN: u64 = 5;

/// After goose stops: every message that got a `201` but no acknowledgement yet is fetched by its recipient.
/// It must still be there with the sender's bytes; it is then acknowledged (counted as drained). Returns
/// (drained, lost, altered).
async fn drain(world: &World, host: &str, outstanding: Vec<Outstanding>) -> (usize, u64, u64) {
    let (mut drained, mut lost, mut altered) = (0, 0, 0);
    for message in outstanding {
        match drain_one(world, host, &message).await {
            Ok(true) => {
                world.tracker.drained(&message.id);
                drained += 1;
            }
            Ok(false) => altered += 1,
            Err(error) => {
                lost += 1;
                if lost <= SHOWN {
                    eprintln!("消失 lost: message {} to {}: {error}", message.id, message.to);
                }
            }
        }
    }
    (drained, lost, altered)
}

async fn drain_one(world: &World, host: &str, message: &Outstanding) -> Result<bool, LoadError> {
    let client = world.client(&message.to)?;
    let status = client.get(format!("{host}/v1/messages/{}", message.id)).send().await?.status();
    if !status.is_success() {
        return Err(LoadError::Relay(format!("the relay answers {status} for a message it accepted")));
    }
    for (name, digest) in &message.files {
        let response = client.get(format!("{host}/v1/messages/{}/files/{name}", message.id)).send().await?;
        let bytes = response.error_for_status()?.bytes().await?;
        if <[u8; 32]>::from(Sha256::digest(&bytes)) != *digest {
            eprintln!("改変 altered: {name} of message {}", message.id);
            return Ok(false);
        }
    }
    client.post(format!("{host}/v1/messages/{}/ack", message.id)).send().await?.error_for_status()?;
    Ok(true)
}

/// What the inboxes still offer after the drain, judged against the senders' records.
#[derive(Debug, Default, PartialEq, Eq)]
struct InboxAudit {
    /// messages no sender of this run recorded a `201` for
    invented: u64,
    /// messages whose acknowledgement the relay answered, still offered as not received
    unacked: u64,
}

async fn audit_inboxes(world: &World, host: &str, earlier: &HashSet<String>) -> Result<InboxAudit, LoadError> {
    let mut audit = InboxAudit::default();
    for (office, id) in unfinished(world, host).await? {
        if earlier.contains(&id) {
            continue;
        }
        if world.tracker.was_acknowledged(&id) {
            audit.unacked += 1;
            if audit.unacked <= SHOWN {
                eprintln!("未受領 unacked: message {id} to {office} is offered again after its acknowledgement");
            }
        } else if !world.tracker.was_sent(&id) {
            audit.invented += 1;
            if audit.invented <= SHOWN {
                eprintln!("捏造 invented: message {id} in the inbox of {office} was sent by nobody");
            }
        }
        // A message sent but neither acknowledged nor drained was counted lost by the drain.
    }
    Ok(audit)
}

/// Every message in every simulated office's inbox that is not acknowledged: (office, id).
pub(crate) async fn unfinished(world: &World, host: &str) -> Result<Vec<(String, String)>, LoadError> {
    let mut found = Vec::new();
    for office in world.population.offices() {
        let client = world.client(&office.number)?;
        for status in ["sent", "downloaded"] {
            let mut before: Option<i64> = None;
            loop {
                let cursor = before.map(|b| format!("&before={b}")).unwrap_or_default();
                let page: protocol::Page = client
                    .get(format!("{host}/v1/inbox?status={status}&limit=100{cursor}"))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                let last_page = page.messages.is_empty();
                found.extend(page.messages.into_iter().map(|m| (office.number.clone(), m.id)));
                match page.next {
                    Some(next) if !last_page => before = Some(next),
                    _ => break,
                }
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_times_read_like_goose() {
        assert_eq!(parse_run_time("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_run_time("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_run_time("45"), Ok(Duration::from_secs(45)));
        assert!(parse_run_time("soon").is_err());
    }
}
