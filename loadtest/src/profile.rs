//! The load profiles (`--scenario`): how often offices act and how the user count moves.

use std::time::Duration;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profile {
    /// 平常日: a normal weekday — offices act every one to three seconds (plan changes, a few tickets)
    Steady,
    /// 月初: the first working days of the month — care managers send each provider its monthly tickets as fast
    /// as the previous ones are acknowledged, providers download, acknowledge and return actuals at once
    MonthStart,
    /// 段階増加: the month-start mix while users are added one by one; reports the knee where p99 send-to-ack
    /// latency passes the threshold
    Ramp,
    /// 長時間: a steady moderate load for the whole run while the relay's memory and open files are watched
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

    /// Pause between one user's rounds (goose's wait time), if any.
    pub fn wait(self) -> Option<(Duration, Duration)> {
        match self {
            Profile::Steady => Some((Duration::from_secs(1), Duration::from_secs(3))),
            Profile::Soak => Some((Duration::from_millis(50), Duration::from_millis(250))),
            Profile::MonthStart | Profile::Ramp => None,
        }
    }

    /// Seconds an inbox request may wait for a message (the relay's long poll): idle offices wait at the
    /// relay instead of polling it.
    pub fn inbox_wait_s(self) -> u64 {
        1
    }

    /// Pause after a round that found messages but could acknowledge none (their senders had not yet seen
    /// the `201`), so such a round does not spin.
    pub fn idle_pause(self) -> Duration {
        Duration::from_millis(5)
    }

    /// Users started per second when `--hatch-rate` is not given: all at once, except while ramping, where
    /// users arrive over the first 80 % of the run.
    pub fn default_hatch_rate(self, users: usize, run_time: Duration) -> f64 {
        match self {
            Profile::Ramp => users as f64 / (run_time.as_secs_f64() * 0.8).max(1.0),
            _ => users as f64,
        }
    }
}
