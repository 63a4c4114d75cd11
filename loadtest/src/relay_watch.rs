//! Watches the relay process from outside (Linux `/proc`): resident memory and open file descriptors, sampled
//! once a second, so a soak run shows whether either grows.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Sample {
    pub at_s: f64,
    pub rss_mb: f64,
    pub fds: usize,
    /// CPU time the relay has used so far (user + system), in seconds
    pub cpu_s: f64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RelayUsage {
    /// the kernel's high-water mark of the relay's resident memory (VmHWM)
    pub peak_rss_mb: f64,
    pub first: Sample,
    pub last: Sample,
    pub peak_fds: usize,
    pub samples: usize,
    /// mean cores the relay kept busy between the first and last sample
    pub cores_busy: f64,
}

pub struct RelayWatch {
    pid: u32,
    stop: Arc<AtomicBool>,
    samples: Arc<Mutex<Vec<Sample>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn proc_path(pid: u32, what: &str) -> PathBuf {
    PathBuf::from(format!("/proc/{pid}/{what}"))
}

/// A `kB` line of `/proc/PID/status`, in MiB.
fn status_mb(pid: u32, key: &str) -> Option<f64> {
    let status = std::fs::read_to_string(proc_path(pid, "status")).ok()?;
    let line = status.lines().find(|line| line.starts_with(key))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// utime + stime of `/proc/PID/stat` (fields 14 and 15, after the parenthesised command name), with `children`
/// also cutime + cstime (16 and 17: the children it waited for), in seconds.
pub fn cpu_seconds(pid: u32, children: bool) -> Option<f64> {
    let stat = std::fs::read_to_string(proc_path(pid, "stat")).ok()?;
    let wanted = if children { 4 } else { 2 };
    let fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11).take(wanted);
    let ticks: Vec<f64> = fields.map(|field| field.parse().ok()).collect::<Option<_>>()?;
    // USER_HZ is 100 on every Linux architecture this runs on.
    (ticks.len() == wanted).then(|| ticks.iter().sum::<f64>() / 100.0)
}

fn sample(pid: u32, at_s: f64) -> Option<Sample> {
    let rss_mb = status_mb(pid, "VmRSS:")?;
    let fds = std::fs::read_dir(proc_path(pid, "fd")).ok()?.count();
    Some(Sample { at_s, rss_mb, fds, cpu_s: cpu_seconds(pid, false)? })
}

impl RelayWatch {
    /// Starts sampling process `pid`; `None` when it cannot be read (not on this machine, not Linux).
    pub fn start(pid: u32) -> Option<RelayWatch> {
        let first = sample(pid, 0.0)?;
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(Mutex::new(vec![first]));
        let thread = {
            let (stop, samples) = (stop.clone(), samples.clone());
            std::thread::spawn(move || {
                let started = std::time::Instant::now();
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_secs(1));
                    match sample(pid, started.elapsed().as_secs_f64()) {
                        Some(s) => samples.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(s),
                        None => break,
                    }
                }
            })
        };
        Some(RelayWatch { pid, stop, samples, thread: Some(thread) })
    }

    pub fn finish(mut self) -> RelayUsage {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        let samples = self.samples.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        let peak_seen = samples.iter().map(|s| s.rss_mb).fold(0.0, f64::max);
        let (first, last) = (samples.first().copied().unwrap_or_default(), samples.last().copied().unwrap_or_default());
        RelayUsage {
            cores_busy: ((last.cpu_s - first.cpu_s) / (last.at_s - first.at_s).max(0.001) * 100.0).round() / 100.0,
            peak_rss_mb: status_mb(self.pid, "VmHWM:").unwrap_or(peak_seen).max(peak_seen),
            first,
            last,
            peak_fds: samples.iter().map(|s| s.fds).max().unwrap_or_default(),
            samples: samples.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watches_this_process() {
        let watch = RelayWatch::start(std::process::id()).expect("/proc is readable on Linux");
        let usage = watch.finish();
        assert!(usage.peak_rss_mb > 0.0 && usage.peak_fds > 0, "{usage:?}");
    }
}
