//! What one exchange costs, per component, and what that makes of the country: the arithmetic behind
//! `cargo xtask loadtest --capacity` and `cargo xtask capacity` (which measure; see xtask/src/capacity.rs).
//!
//! The relay's CPU is measured whole (its process, `/proc`); TLS and validation run inside it and are measured
//! apart (their own CPU per handshake, per byte and per unit), so they are shares of the relay's figure, not
//! additions to it. The database's backends are processes of their own: added. A split whose shares exceed the
//! whole is refused — it means one of the side measurements is wrong.

use serde::{Deserialize, Serialize};

/// This thread's CPU so far, in nanoseconds (`/proc/thread-self/schedstat`: time on a CPU).
pub fn thread_cpu_ns() -> std::io::Result<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat")?;
    text.split_whitespace().next().and_then(|ns| ns.parse().ok()).ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("/proc/thread-self/schedstat: {text:?}"))
    })
}

/// CPU of validating one unit as the relay does on every send (`validate_files`, default options).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct ValidationCost {
    pub ticket_unit_ms: f64,
    pub actuals_unit_ms: f64,
}

impl ValidationCost {
    /// Measured on `units` (the run's own), in this process: the optimised build the relay is measured with, not
    /// xtask's unoptimised one. At least half a second of CPU each, so a cold cache does not show.
    pub fn measure(units: &[&crate::payloads::ExchangePayloads]) -> std::io::Result<ValidationCost> {
        let options = conformance::validate::Options::default();
        let mut per_unit = [0.0; 2];
        for (which, cost) in per_unit.iter_mut().enumerate() {
            let (start, mut count) = (thread_cpu_ns()?, 0u64);
            while thread_cpu_ns()? - start < 500_000_000 && !units.is_empty() {
                for unit in units {
                    let payload = if which == 0 { &unit.ticket } else { &unit.actuals };
                    let files = payload.files.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice()));
                    std::hint::black_box(conformance::validate::validate_files(files, &options));
                    count += 1;
                }
            }
            *cost = (thread_cpu_ns()? - start) as f64 / 1e6 / count.max(1) as f64;
        }
        Ok(ValidationCost { ticket_unit_ms: per_unit[0], actuals_unit_ms: per_unit[1] })
    }

    /// Per exchange, with the run's mix of tickets and actuals.
    pub fn per_exchange(&self, tickets: u64, actuals: u64) -> f64 {
        let total = (tickets + actuals) as f64;
        if total == 0.0 {
            return (self.ticket_unit_ms + self.actuals_unit_ms) / 2.0;
        }
        (self.ticket_unit_ms * tickets as f64 + self.actuals_unit_ms * actuals as f64) / total
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CapacityError {
    #[error("no exchange was acknowledged: nothing to divide by")]
    NoExchanges,
    #[error(
        "TLS ({tls_ms:.3} ms) and validation ({validation_ms:.3} ms) per exchange exceed the relay's whole CPU \
         ({relay_ms:.3} ms): a side measurement is wrong"
    )]
    SharesExceedWhole { tls_ms: f64, validation_ms: f64, relay_ms: f64 },
    #[error("a negative or non-finite measurement: {0}")]
    Invalid(&'static str),
}

/// What one load run measured, whole-run totals (before → after the load process).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunTotals {
    /// exchanges acknowledged (in the run and by the check after it)
    pub exchanges: u64,
    /// the relay processes' utime + stime
    pub relay_cpu_s: f64,
    /// PostgreSQL's processes' CPU (postmaster, backends, and the children it reaped), `None` on the embedded store
    pub database_cpu_s: Option<f64>,
    /// bytes through the relay's TCP connections, both ways (TLS records, handshakes included)
    pub wire_bytes: u64,
    /// TCP connections to the relay (each a full TLS handshake)
    pub connections: u64,
    /// growth of the store on disk (database files + files folder)
    pub store_bytes: i64,
}

/// Server-side CPU of the relay's TLS, measured apart with its own configuration.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct TlsCost {
    /// one full mutual-TLS handshake (ECDHE, server signature, client certificate chain and CRL checked)
    pub handshake_ms: f64,
    /// record protection (encrypt what is sent, decrypt what arrives), per MB of TLS traffic
    pub record_ms_per_mb: f64,
}

/// One exchange's cost, per component.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PerExchange {
    /// the relay's CPU, whole (milliseconds of one core)
    pub relay_ms: f64,
    /// of which TLS: handshakes and record protection
    pub tls_ms: f64,
    /// of which validation of the unit (the conformance library, as the relay calls it)
    pub validation_ms: f64,
    /// of which everything else: HTTP, multipart, the store's client side, hashing, scheduling, the kernel
    pub relay_rest_ms: f64,
    /// PostgreSQL's CPU, `None` on the embedded store (its work is inside the relay's figure)
    pub database_ms: Option<f64>,
    pub handshakes: f64,
    pub wire_bytes: f64,
    pub store_bytes: f64,
}

fn finite(value: f64, what: &'static str) -> Result<f64, CapacityError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(CapacityError::Invalid(what))
    }
}

impl PerExchange {
    /// Splits a run's totals over its exchanges; `validation_ms` is the measured CPU of validating one
    /// exchange's unit.
    pub fn split(run: &RunTotals, tls: TlsCost, validation_ms: f64) -> Result<PerExchange, CapacityError> {
        if run.exchanges == 0 {
            return Err(CapacityError::NoExchanges);
        }
        let n = run.exchanges as f64;
        let relay_ms = finite(run.relay_cpu_s, "relay CPU")? * 1000.0 / n;
        let handshakes = run.connections as f64 / n;
        let wire_bytes = run.wire_bytes as f64 / n;
        let tls_ms = finite(tls.handshake_ms, "TLS handshake")? * handshakes
            + finite(tls.record_ms_per_mb, "TLS records")? * wire_bytes / 1e6;
        let validation_ms = finite(validation_ms, "validation")?;
        if tls_ms + validation_ms > relay_ms {
            return Err(CapacityError::SharesExceedWhole { tls_ms, validation_ms, relay_ms });
        }
        let database_ms = match run.database_cpu_s {
            Some(cpu) => Some(finite(cpu, "database CPU")? * 1000.0 / n),
            None => None,
        };
        Ok(PerExchange {
            relay_ms,
            tls_ms,
            validation_ms,
            relay_rest_ms: relay_ms - tls_ms - validation_ms,
            database_ms,
            handshakes,
            wire_bytes,
            store_bytes: run.store_bytes as f64 / n,
        })
    }

    /// The split as a table for people.
    pub fn table(&self) -> String {
        let share = |ms: f64| if self.relay_ms > 0.0 { ms / self.relay_ms * 100.0 } else { 0.0 };
        let mut text = String::from("構成要素 component                     per exchange\n");
        text.push_str(&format!("中継サーバ relay process, CPU          {:.3} ms (core-ms)\n", self.relay_ms));
        text.push_str(&format!(
            "  of which TLS (handshakes, records)  {:.3} ms ({:.0} %; {:.4} handshakes per exchange)\n",
            self.tls_ms,
            share(self.tls_ms),
            self.handshakes
        ));
        text.push_str(&format!(
            "  of which validation                 {:.3} ms ({:.0} %)\n",
            self.validation_ms,
            share(self.validation_ms)
        ));
        text.push_str(&format!(
            "  of which the rest (HTTP, store, …)  {:.3} ms ({:.0} %)\n",
            self.relay_rest_ms,
            share(self.relay_rest_ms)
        ));
        match self.database_ms {
            Some(ms) => text.push_str(&format!("PostgreSQL processes, CPU             {ms:.3} ms (core-ms)\n")),
            None => text.push_str("PostgreSQL                            — (embedded store: inside the relay's CPU)\n"),
        }
        text.push_str(&format!("通信量 bytes on the wire (both ways)   {:.0} B\n", self.wire_bytes));
        text.push_str(&format!("保存量 bytes at rest (store growth)    {:.0} B\n", self.store_bytes));
        text
    }
}

/// The country: how exchanges follow offices, and when they come (README, "The national peak").
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Country {
    /// offices at full adoption (19,283 offices in 2026-01 were 7.6 % of care offices)
    pub all_offices: f64,
    /// exchanges a month at full adoption (3.5 million people × 2.5 providers × ticket and actuals)
    pub exchanges_a_month: f64,
    /// share of the month's exchanges in the first working days
    pub month_start_share: f64,
    /// those days' working hours (3 days × 9 h)
    pub month_start_hours: f64,
    /// the peak hour against those days' mean
    pub peak_hour_factor: f64,
}

impl Country {
    pub const JAPAN: Country = Country {
        all_offices: 19_283.0 / 0.076,
        exchanges_a_month: 3_500_000.0 * 2.5 * 2.0,
        month_start_share: 0.8,
        month_start_hours: 27.0,
        peak_hour_factor: 3.0,
    };

    /// Exchanges per second in the peak hour with `offices` on the system, exchanges taken as proportional to
    /// offices (as if each adopting office's partners had adopted too: the upper bound).
    pub fn peak_per_s(&self, offices: f64) -> f64 {
        let month = self.exchanges_a_month * (offices / self.all_offices).min(1.0);
        month * self.month_start_share / (self.month_start_hours * 3600.0) * self.peak_hour_factor
    }
}

/// How much of a machine a plan may use: the rest is headroom for bursts above the peak hour.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Headroom {
    /// cores per relay node
    pub node_cores: f64,
    /// share of its cores a node (or the database) may be busy at the peak hour
    pub utilisation: f64,
    /// nodes added so the peak is still served with one node down
    pub spare_nodes: u64,
}

/// One row of the capacity table.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Sizing {
    pub offices: f64,
    pub peak_per_s: f64,
    /// relay cores busy at the peak (measured CPU per exchange × peak rate)
    pub relay_cores: f64,
    /// relay nodes: enough cores at the allowed utilisation, plus the spare
    pub relay_nodes: u64,
    /// database cores at the allowed utilisation, `None` on the embedded store
    pub database_cores: Option<f64>,
    pub wire_mbit_s: f64,
    /// store growth in a month (GB), before retention
    pub store_gb_a_month: f64,
}

impl Sizing {
    pub fn of(offices: f64, country: &Country, cost: &PerExchange, headroom: &Headroom) -> Sizing {
        let peak_per_s = country.peak_per_s(offices);
        let relay_cores = peak_per_s * cost.relay_ms / 1000.0;
        let usable = headroom.node_cores * headroom.utilisation;
        let relay_nodes = ((relay_cores / usable).ceil() as u64).max(1) + headroom.spare_nodes;
        let month = country.exchanges_a_month * (offices / country.all_offices).min(1.0);
        Sizing {
            offices,
            peak_per_s,
            relay_cores,
            relay_nodes,
            database_cores: cost.database_ms.map(|ms| peak_per_s * ms / 1000.0 / headroom.utilisation),
            wire_mbit_s: peak_per_s * cost.wire_bytes * 8.0 / 1e6,
            store_gb_a_month: month * cost.store_bytes / 1e9,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run() -> RunTotals {
        RunTotals {
            exchanges: 10_000,
            relay_cpu_s: 8.0,
            database_cpu_s: Some(3.0),
            wire_bytes: 200_000_000,
            connections: 100,
            store_bytes: 50_000_000,
        }
    }

    const TLS: TlsCost = TlsCost { handshake_ms: 1.0, record_ms_per_mb: 1.5 };

    #[test]
    fn the_relay_is_split_into_tls_validation_and_the_rest() {
        let cost = PerExchange::split(&run(), TLS, 0.1).expect("shares below the whole");
        // 8 s over 10,000 exchanges; 0.01 handshakes × 1 ms + 20 kB × 1.5 ms/MB = 0.04 ms of TLS.
        assert!((cost.relay_ms - 0.8).abs() < 1e-12, "{cost:?}");
        assert!((cost.tls_ms - 0.04).abs() < 1e-12, "{cost:?}");
        assert!((cost.relay_rest_ms - 0.66).abs() < 1e-12, "{cost:?}");
        assert_eq!(cost.database_ms, Some(0.3));
        assert_eq!((cost.wire_bytes, cost.store_bytes, cost.handshakes), (20_000.0, 5_000.0, 0.01));
        assert!(cost.table().contains("0.800 ms") && cost.table().contains("(5 %"), "{}", cost.table());
    }

    #[test]
    fn a_planted_wrong_split_is_refused() {
        // Validation measured ten times too dear (or the relay's CPU read from the wrong process): the shares
        // exceed the whole.
        let error = PerExchange::split(&run(), TLS, 0.8).expect_err("shares above the whole");
        assert!(matches!(error, CapacityError::SharesExceedWhole { .. }), "{error}");
        let dear_tls = TlsCost { handshake_ms: 100.0, ..TLS };
        assert!(PerExchange::split(&run(), dear_tls, 0.1).is_err());
        assert_eq!(
            PerExchange::split(&RunTotals { exchanges: 0, ..run() }, TLS, 0.1).err(),
            Some(CapacityError::NoExchanges)
        );
        assert!(PerExchange::split(&RunTotals { relay_cpu_s: f64::NAN, ..run() }, TLS, 0.1).is_err());
    }

    #[test]
    fn validation_follows_the_runs_mix() {
        let cost = ValidationCost { ticket_unit_ms: 0.3, actuals_unit_ms: 0.1 };
        assert!((cost.per_exchange(3, 1) - 0.25).abs() < 1e-12);
        assert!((cost.per_exchange(0, 0) - 0.2).abs() < 1e-12);
    }

    #[test]
    fn the_national_peak_matches_the_readme() {
        // README: ≈17.5 million exchanges a month, ≈144/s over the first three working days, a peak hour ≈430/s.
        let japan = Country::JAPAN;
        let full = japan.peak_per_s(japan.all_offices);
        assert!((full - 432.1).abs() < 0.1, "{full}");
        assert!((japan.all_offices - 253_724.0).abs() < 1.0, "{}", japan.all_offices);
        // Today's 19,283 offices: 7.6 % of it.
        assert!((japan.peak_per_s(19_283.0) - 0.076 * full).abs() < 0.01);
        assert_eq!(japan.peak_per_s(2.0 * japan.all_offices), full, "no more than every office");
    }

    #[test]
    fn nodes_and_database_cores_follow_the_measured_costs() {
        let cost = PerExchange::split(&run(), TLS, 0.1).expect("shares below the whole");
        let headroom = Headroom { node_cores: 2.0, utilisation: 0.5, spare_nodes: 1 };
        let japan = Country::JAPAN;
        let row = Sizing::of(japan.all_offices, &japan, &cost, &headroom);
        // 432/s × 0.8 ms = 0.35 cores: one node of 2 × 50 %, and the spare.
        assert!((row.relay_cores - 0.3457).abs() < 1e-3, "{row:?}");
        assert_eq!(row.relay_nodes, 2);
        // 432/s × 0.3 ms at 50 % = 0.26 cores.
        assert!((row.database_cores.unwrap_or_default() - 0.2593).abs() < 1e-3, "{row:?}");
        // 432/s × 20 kB × 8 = 69 Mbit/s; 17.5 M × 5 kB = 87.5 GB a month.
        assert!((row.wire_mbit_s - 69.14).abs() < 0.01 && (row.store_gb_a_month - 87.5).abs() < 1e-6, "{row:?}");
        let dear = PerExchange { relay_ms: 10.0, ..cost };
        assert_eq!(Sizing::of(japan.all_offices, &japan, &dear, &headroom).relay_nodes, 5 + 1);
    }
}
