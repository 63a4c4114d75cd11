//! One module per command, each a `run` that takes the command's parsed options and returns the exit status.

pub mod anonymise;
pub mod client_check;
pub mod coverage;
pub mod explain;
pub mod export_check;
pub mod relay;
pub mod roundtrip;
pub mod rules;
pub mod validate;
pub mod verify_report;
