//! `refserver`: the reference relay for ケアプランデータ連携 — mutual TLS, an office registry with yearly licences,
//! send / inbox / download / acknowledge with validation at upload, a durable embedded store, an audit log,
//! retention, signed exchange records and anonymised downloads.

pub mod api;
pub mod arrivals;
pub mod checks;
pub mod clock;
pub mod evidence;
pub mod faults;
pub mod guard;
pub mod identity;
pub mod metrics;
pub mod model;
pub mod pki;
pub mod private;
pub mod router;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod server;
pub mod store;
pub mod tls;
pub mod web;
pub mod zip;
