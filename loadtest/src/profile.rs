//! The load profiles (`--scenario`): how often offices act and how the user count moves.

use std::time::Duration;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// 平常日: a normal weekday — each care manager sends a round every one to three seconds (plan changes, a few
    /// tickets); providers wait at the relay for what arrives
    Steady,
    /// 月初: the first working days of the month — care managers send each provider its monthly tickets as fast
    /// as the previous ones are acknowledged, providers download, acknowledge and return actuals at once
    MonthStart,
    /// 段階増加: the month-start mix while users are added one by one; reports the knee where p99 send-to-ack
    /// latency passes the threshold
    Ramp,
    /// 長時間: a moderate load (a round every 0.1–0.4 s per care manager) for the whole run while the relay's
    /// memory and open files are watched
    Soak,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Steady => "steady",
            Profile::MonthStart => "month-start",
            Profile::Ramp => "ramp",
            Profile::Soak => "soak",
        }
    }

    /// The care manager's pause (least, most) between sending one round and the next, if any. Only sending is
    /// paced: every office keeps looking at its inbox, so latency is the relay's, not the think time's.
    pub fn send_pause(self) -> Option<(Duration, Duration)> {
        match self {
            Profile::Steady => Some((Duration::from_secs(1), Duration::from_secs(3))),
            Profile::Soak => Some((Duration::from_millis(100), Duration::from_millis(400))),
            Profile::MonthStart | Profile::Ramp => None,
        }
    }

    /// Users started per second when `--hatch-rate` is not given: all at once, except while ramping, where
    /// users arrive one by one over the whole `--run-time`.
    pub fn default_hatch_rate(self, users: usize, run_time: Duration) -> f64 {
        match self {
            Profile::Ramp => users as f64 / run_time.as_secs_f64().max(1.0),
            _ => users as f64,
        }
    }

    /// Care managers simulated when `--care-managers` is not given (three goose users each): a ramp needs more
    /// users than the relay can serve within the latency threshold, to find where that is.
    pub fn default_care_managers(self) -> usize {
        match self {
            Profile::Ramp => 96,
            _ => 32,
        }
    }

    /// How long goose keeps all users running (goose counts its run time from the last user's start): a ramp
    /// holds its peak for a quarter of `--run-time` after rising through all of it.
    pub fn goose_run_time(self, run_time: Duration) -> Duration {
        match self {
            Profile::Ramp => (run_time / 4).max(Duration::from_secs(5)),
            _ => run_time,
        }
    }
}
