//! Conformance suites that vendors run against their software or relay: numbered cases, each with the
//! requirement it checks and the evidence of its outcome, reported for people and for CI.

pub mod client;
pub mod export;
pub mod html;
pub mod provenance;
pub mod relay;
mod report;
pub mod roundtrip;

pub use report::{CaseInfo, CaseResult, Outcome, SuiteReport, Summary};
