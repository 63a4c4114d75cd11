//! The run's result in end-to-end terms: exchanges per second, send-to-acknowledgement latency, and everything
//! that went wrong. Written as `summary.json` and printed for people.

use std::time::Duration;

use serde::Serialize;

use crate::relay_watch::RelayUsage;
use crate::tracker::{Completed, Direction};

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Latency {
    /// Percentiles in milliseconds (nearest rank) of `latencies`.
    pub fn of(latencies: &[Duration]) -> Latency {
        let mut sorted: Vec<Duration> = latencies.to_vec();
        sorted.sort();
        let at = |p: f64| -> f64 {
            if sorted.is_empty() {
                return 0.0;
            }
            let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            millis(sorted[rank - 1])
        };
        Latency { p50: at(0.50), p95: at(0.95), p99: at(0.99), max: at(1.0) }
    }
}

fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1e4).round() / 10.0
}

/// One second of the run.
#[derive(Debug, Clone, Serialize)]
pub struct Second {
    pub at_s: u64,
    pub users: usize,
    pub exchanges: usize,
    pub p99_ms: f64,
}

/// Where p99 first passed the threshold while users were rising.
#[derive(Debug, Clone, Serialize)]
pub struct Knee {
    pub threshold_ms: f64,
    /// `None` when p99 stayed below the threshold up to the last user
    pub at_s: Option<u64>,
    pub users: usize,
    /// best exchanges/s of a second before the knee
    pub exchanges_per_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub scenario: &'static str,
    pub exchanges_per_s: f64,
    pub latency_ms: Latency,
    pub errors: u64,
    /// requests goose counted as failed (a TLS connect that failed, an error status)
    pub failed_requests: u64,
    pub lost: u64,
    /// messages in an inbox that no sender of the run sent
    pub invented: u64,
    /// messages the relay still offers after answering their acknowledgement
    pub unacked: u64,
    pub relay_peak_rss_mb: Option<f64>,
    /// altered downloads (also counted in `errors`)
    pub corrupted: u64,
    pub exchanges: usize,
    pub tickets: usize,
    pub actuals: usize,
    /// exchanges acknowledged only by the drain after the run (not in the rate or the latencies)
    pub drained: usize,
    /// every exchange acknowledged while the load ran, in the measured window or not, plus the drained: what the
    /// relay's CPU over the whole run is divided by (`cargo xtask loadtest --capacity`)
    pub acknowledged: usize,
    pub measured_s: f64,
    pub users: usize,
    pub mean_ticket_bytes: usize,
    pub knee: Option<Knee>,
    /// each relay node's use of the machine (none when no process was watched)
    pub relay: Vec<RelayUsage>,
    /// CPU of validating one unit, measured before the load (`--measure-validation`)
    pub validation_ms: Option<crate::capacity::ValidationCost>,
    pub timeline: Vec<Second>,
    /// why the run failed, in Japanese and English; empty when it passed
    pub problems: Vec<String>,
}

pub struct RunFacts<'a> {
    pub scenario: &'static str,
    pub completed: &'a [Completed],
    pub users: &'a [(Duration, usize)],
    /// the window the rate and latencies are taken over (since the tracker started)
    pub measured: (Duration, Duration),
    pub errors: u64,
    pub failed_requests: u64,
    pub corrupted: u64,
    pub lost: u64,
    pub invented: u64,
    pub unacked: u64,
    pub drained: usize,
    pub mean_ticket_bytes: usize,
    pub knee_threshold_ms: Option<f64>,
    pub relay: Vec<RelayUsage>,
}

/// Seconds with fewer completions than this do not decide the knee (p99 of a handful is noise).
const KNEE_MIN_SAMPLES: usize = 20;

/// Exchanges acknowledged only by the drain after the run that a run tolerates: the last round of a run in flight
/// when it stops, at most this share of the exchanges in the run (and at least 10).
const DRAINED_SHARE: f64 = 0.01;

impl Summary {
    pub fn new(facts: RunFacts<'_>) -> Summary {
        let (start, end) = facts.measured;
        let in_run: Vec<&Completed> = facts.completed.iter().filter(|c| c.at >= start && c.at <= end).collect();
        let latencies: Vec<Duration> = in_run.iter().map(|c| c.latency).collect();
        let measured_s = (end.saturating_sub(start)).as_secs_f64().max(0.001);
        let timeline = timeline(&in_run, facts.users, end);
        let users = facts.users.last().map(|u| u.1).unwrap_or_default();
        let mut problems = Vec::new();
        if facts.errors + facts.corrupted > 0 || facts.lost > 0 {
            problems.push(format!(
                "消失 {} 件・改変 {} 件・エラー {} 件 / {} lost, {} altered, {} errors",
                facts.lost, facts.corrupted, facts.errors, facts.lost, facts.corrupted, facts.errors
            ));
        }
        if facts.invented + facts.unacked > 0 {
            problems.push(format!(
                "送信されていないメッセージ {} 件・受領後も未受領のメッセージ {} 件 / messages sent by nobody: {}, acknowledged but still offered: {}",
                facts.invented, facts.unacked, facts.invented, facts.unacked
            ));
        }
        if facts.failed_requests > 0 {
            let n = facts.failed_requests;
            problems.push(format!("失敗した要求 {n} 件 / {n} requests failed (goose)"));
        }
        // A run that exchanged (almost) nothing proves nothing: every office must have completed an exchange.
        if in_run.len() < users.max(1) {
            problems.push(format!(
                "交換が少なすぎます（{} 件、事業所 {users} 件） / too few exchanges ({} for {users} offices)",
                in_run.len(),
                in_run.len()
            ));
        }
        let drained_limit = ((in_run.len() as f64 * DRAINED_SHARE) as usize).max(10);
        if facts.drained > drained_limit {
            problems.push(format!(
                "実行中に受領されなかった交換 {} 件（上限 {drained_limit}） / {} exchanges acknowledged only after the run (limit {drained_limit})",
                facts.drained, facts.drained
            ));
        }
        Summary {
            scenario: facts.scenario,
            exchanges_per_s: (in_run.len() as f64 / measured_s * 10.0).round() / 10.0,
            latency_ms: Latency::of(&latencies),
            errors: facts.errors + facts.corrupted,
            failed_requests: facts.failed_requests,
            lost: facts.lost,
            invented: facts.invented,
            unacked: facts.unacked,
            relay_peak_rss_mb: facts.relay.iter().map(|r| (r.peak_rss_mb * 10.0).round() / 10.0).reduce(f64::max),
            corrupted: facts.corrupted,
            exchanges: in_run.len(),
            tickets: in_run.iter().filter(|c| c.direction == Direction::Ticket).count(),
            actuals: in_run.iter().filter(|c| c.direction == Direction::Actuals).count(),
            drained: facts.drained,
            acknowledged: facts.completed.len() + facts.drained,
            measured_s: (measured_s * 10.0).round() / 10.0,
            users,
            mean_ticket_bytes: facts.mean_ticket_bytes,
            knee: facts.knee_threshold_ms.map(|threshold| knee(&timeline, threshold)),
            relay: facts.relay,
            validation_ms: None,
            timeline,
            problems,
        }
    }

    /// Nothing lost or altered, no request failed, every office exchanged, and the run acknowledged what it sent.
    pub fn clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// For people: Japanese first, English beside it.
    pub fn human(&self) -> String {
        let l = &self.latency_ms;
        let mut text = format!(
            "シナリオ scenario: {}\n\
             交換数 exchanges: {} (提供票 tickets {}, 実績 actuals {}) in {:.1} s → {:.1} 件/秒 exchanges/s\n\
             {} latency ms: p50 {:.1}, p95 {:.1}, p99 {:.1}, max {:.1}\n\
             エラー errors: {} (改変 corrupted {}), 消失 lost: {}, 捏造 invented: {}, 受領の不記録 unacked: {}, 終了後に受領 drained after the run: {}\n",
            self.scenario,
            self.exchanges,
            self.tickets,
            self.actuals,
            self.measured_s,
            self.exchanges_per_s,
            // Through the clients, an exchange runs from the sender's outbox to the recipient's care software.
            if self.scenario == "clients" { "送信フォルダー→取り込み outbox→taken" } else { "送信→受領 send→ack" },
            l.p50,
            l.p95,
            l.p99,
            l.max,
            self.errors,
            self.corrupted,
            self.lost,
            self.invented,
            self.unacked,
            self.drained,
        );
        for (index, relay) in self.relay.iter().enumerate() {
            let node = if self.relay.len() > 1 { format!(" node {}", index + 1) } else { String::new() };
            text.push_str(&format!(
                "中継サーバ relay{node}: {:.2} cores busy, peak RSS {:.1} MiB (start {:.1}, end {:.1}), open files start {} peak {} end {}\n",
                relay.cores_busy,
                relay.peak_rss_mb,
                relay.first.rss_mb,
                relay.last.rss_mb,
                relay.first.fds,
                relay.peak_fds,
                relay.last.fds
            ));
        }
        if let Some(knee) = &self.knee {
            text.push_str(&match knee.at_s {
                Some(at) => format!(
                    "限界点 knee: p99 passed {:.0} ms at {at} s with {} users; best before it {:.1} exchanges/s\n",
                    knee.threshold_ms, knee.users, knee.exchanges_per_s
                ),
                None => format!(
                    "限界点 knee: not reached — p99 stayed under {:.0} ms up to {} users (best {:.1} exchanges/s)\n",
                    knee.threshold_ms, knee.users, knee.exchanges_per_s
                ),
            });
        }
        if self.clean() {
            text.push_str("判定 verdict: 消失・改変・捏造なし nothing lost, altered or invented\n");
        } else {
            text.push_str("判定 verdict: 失敗 FAILED\n");
            for problem in &self.problems {
                text.push_str(&format!("  - {problem}\n"));
            }
        }
        text
    }
}

fn timeline(completed: &[&Completed], users: &[(Duration, usize)], end: Duration) -> Vec<Second> {
    (0..=end.as_secs())
        .map(|second| {
            let latencies: Vec<Duration> =
                completed.iter().filter(|c| c.at.as_secs() == second).map(|c| c.latency).collect();
            let running = users.iter().take_while(|(at, _)| at.as_secs() <= second).last().map(|u| u.1).unwrap_or(0);
            Second { at_s: second, users: running, exchanges: latencies.len(), p99_ms: Latency::of(&latencies).p99 }
        })
        .collect()
}

fn knee(timeline: &[Second], threshold_ms: f64) -> Knee {
    let decisive: Vec<&Second> = timeline.iter().filter(|s| s.exchanges >= KNEE_MIN_SAMPLES).collect();
    let crossing = decisive.iter().position(|s| s.p99_ms > threshold_ms);
    let before = &decisive[..crossing.unwrap_or(decisive.len())];
    Knee {
        threshold_ms,
        at_s: crossing.map(|i| decisive[i].at_s),
        users: crossing.map_or_else(|| timeline.last().map(|s| s.users).unwrap_or(0), |i| decisive[i].users),
        exchanges_per_s: before.iter().map(|s| s.exchanges as f64).fold(0.0, f64::max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(at_ms: u64, latency_ms: u64) -> Completed {
        Completed {
            at: Duration::from_millis(at_ms),
            latency: Duration::from_millis(latency_ms),
            direction: Direction::Ticket,
        }
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let latencies: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let l = Latency::of(&latencies);
        assert_eq!((l.p50, l.p95, l.p99, l.max), (50.0, 95.0, 99.0, 100.0));
        assert_eq!(Latency::of(&[]).max, 0.0);
    }

    #[test]
    fn the_knee_is_the_first_busy_second_over_the_threshold() {
        // Second 0: 30 fast exchanges with 2 users; second 1: 40 fast with 4; second 2: 50 slow with 6.
        let mut completed = Vec::new();
        completed.extend((0..30).map(|i| done(i * 10, 20)));
        completed.extend((0..40).map(|i| done(1000 + i * 10, 40)));
        completed.extend((0..50).map(|i| done(2000 + i * 10, 400)));
        let users = [(Duration::ZERO, 2), (Duration::from_millis(1000), 4), (Duration::from_millis(2000), 6)];
        let summary = Summary::new(RunFacts {
            scenario: "ramp",
            completed: &completed,
            users: &users,
            measured: (Duration::ZERO, Duration::from_millis(2999)),
            errors: 0,
            failed_requests: 0,
            corrupted: 0,
            lost: 0,
            invented: 0,
            unacked: 0,
            drained: 0,
            mean_ticket_bytes: 0,
            knee_threshold_ms: Some(250.0),
            relay: Vec::new(),
        });
        let knee = summary.knee.clone().expect("ramp has a knee");
        assert_eq!((knee.at_s, knee.users, knee.exchanges_per_s), (Some(2), 6, 40.0));
        assert_eq!(summary.exchanges, 120);
        assert!(summary.clean());
    }

    fn facts<'a>(completed: &'a [Completed], users: &'a [(Duration, usize)]) -> RunFacts<'a> {
        RunFacts {
            scenario: "month-start",
            completed,
            users,
            measured: (Duration::ZERO, Duration::from_secs(1)),
            errors: 0,
            failed_requests: 0,
            corrupted: 0,
            lost: 0,
            invented: 0,
            unacked: 0,
            drained: 0,
            mean_ticket_bytes: 0,
            knee_threshold_ms: None,
            relay: Vec::new(),
        }
    }

    #[test]
    fn a_lost_message_fails_the_run() {
        let completed = [done(10, 5)];
        let users = [(Duration::ZERO, 1)];
        assert!(Summary::new(facts(&completed, &users)).clean(), "the run below passes without the loss");
        let summary = Summary::new(RunFacts { lost: 1, ..facts(&completed, &users) });
        assert!(!summary.clean());
        assert!(summary.human().contains("FAILED") && summary.human().contains("1 lost"));
    }

    #[test]
    fn no_traffic_failed_requests_and_late_acknowledgements_fail_the_run() {
        let users = [(Duration::ZERO, 3)];
        let none = Summary::new(facts(&[], &users));
        assert!(none.problems.iter().any(|p| p.contains("too few exchanges (0 for 3 offices)")), "{:?}", none.problems);
        let completed: Vec<Completed> = (0..3).map(|i| done(i * 10, 5)).collect();
        let failed = Summary::new(RunFacts { failed_requests: 2, ..facts(&completed, &users) });
        assert_eq!(failed.problems, vec!["失敗した要求 2 件 / 2 requests failed (goose)".to_string()]);
        let late = Summary::new(RunFacts { drained: 11, ..facts(&completed, &users) });
        assert!(late.problems.iter().any(|p| p.contains("11 exchanges acknowledged only after the run (limit 10)")));
        assert!(Summary::new(RunFacts { drained: 10, ..facts(&completed, &users) }).clean());
        let invented = Summary::new(RunFacts { invented: 1, ..facts(&completed, &users) });
        assert!(invented.problems.iter().any(|p| p.contains("sent by nobody: 1,")), "{:?}", invented.problems);
        let unacked = Summary::new(RunFacts { unacked: 2, ..facts(&completed, &users) });
        assert!(unacked.problems.iter().any(|p| p.contains("still offered: 2")));
    }
}
