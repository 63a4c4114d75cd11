//! Prometheus text metrics: requests by route and status, bytes in and out, messages by status, latency histogram.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    latency_count: AtomicU64,
    latency_micros: AtomicU64,
    received_bytes: AtomicU64,
    sent_bytes: AtomicU64,
    tls_rejected: AtomicU64,
    inbox_waiting: AtomicI64,
}

/// One inbox long poll parked until a wake-up (or its next look); counted until dropped.
pub struct Waiting<'a>(&'a AtomicI64);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    pub fn observe(&self, route: &'static str, status: u16, elapsed: Duration) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests.entry((route, status)).or_default() += 1;
        }
        let seconds = elapsed.as_secs_f64();
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS) {
            if seconds <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_micros.fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    pub fn add_received_bytes(&self, bytes: usize) {
        self.received_bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub fn add_sent_bytes(&self, bytes: usize) {
        self.sent_bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    pub fn tls_rejected(&self) {
        self.tls_rejected.fetch_add(1, Ordering::Relaxed);
    }

    /// An inbox long poll parks: `careplan_inbox_waiting` counts it while the value lives (what a test waits for
    /// before it sends, to know the poll is waiting and only a wake-up can answer it).
    pub fn inbox_waiting(&self) -> Waiting<'_> {
        self.inbox_waiting.fetch_add(1, Ordering::Relaxed);
        Waiting(&self.inbox_waiting)
    }

    /// `store_round_trips`: the store's waits on its database so far (PostgreSQL's; `None` for the embedded store).
    pub fn render(&self, messages_by_status: &[(String, i64)], store_round_trips: Option<u64>) -> String {
        let mut out = String::new();
        out.push_str("# HELP careplan_requests_total HTTP requests by route and status.\n# TYPE careplan_requests_total counter\n");
        if let Ok(requests) = self.requests.lock() {
            for ((route, status), count) in requests.iter() {
                let _ = writeln!(out, "careplan_requests_total{{route=\"{route}\",status=\"{status}\"}} {count}");
            }
        }
        out.push_str("# HELP careplan_request_duration_seconds Request latency.\n# TYPE careplan_request_duration_seconds histogram\n");
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS) {
            let _ = writeln!(
                out,
                "careplan_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "careplan_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "careplan_request_duration_seconds_sum {}",
            self.latency_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "careplan_request_duration_seconds_count {count}");
        let _ = writeln!(
            out,
            "# TYPE careplan_received_bytes_total counter\ncareplan_received_bytes_total {}",
            self.received_bytes.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# TYPE careplan_sent_bytes_total counter\ncareplan_sent_bytes_total {}",
            self.sent_bytes.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# TYPE careplan_tls_rejected_total counter\ncareplan_tls_rejected_total {}",
            self.tls_rejected.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP careplan_inbox_waiting Inbox long polls parked until a message arrives.\n\
             # TYPE careplan_inbox_waiting gauge\ncareplan_inbox_waiting {}",
            self.inbox_waiting.load(Ordering::Relaxed)
        );
        out.push_str("# HELP careplan_messages Messages held, by status.\n# TYPE careplan_messages gauge\n");
        for (status, count) in messages_by_status {
            let _ = writeln!(out, "careplan_messages{{status=\"{status}\"}} {count}");
        }
        if let Some(trips) = store_round_trips {
            let _ = writeln!(
                out,
                "# HELP careplan_store_round_trips_total Waits on the database's answer (a pipeline counts once).\n\
                 # TYPE careplan_store_round_trips_total counter\ncareplan_store_round_trips_total {trips}"
            );
        }
        out
    }
}
