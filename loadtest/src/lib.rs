//! Load test of plan exchange through the relay (`careplan-loadtest`, run by `cargo xtask loadtest`).
//!
//! Data flow: [`population`] says which offices exist and who sends to whom → [`payloads`] pre-generates valid
//! standard-spec units for every pair (the scale generator) → [`roles`] are goose scenarios that send, poll,
//! download, verify and acknowledge → [`tracker`] turns sends and acknowledgements into end-to-end exchanges →
//! [`summary`] reports them next to goose's per-request metrics. [`run`] ties them together and, after goose stops,
//! checks every inbox against what the senders recorded. [`capacity`] splits a run's
//! cost per exchange over the relay's components and sizes the country with it. [`clients`] drives the same population through the
//! office's reference client (one per office, in this process, through its folders) instead of raw HTTP.

pub mod capacity;
pub mod clients;
pub mod payloads;
pub mod population;
pub mod profile;
pub mod relay_watch;
pub mod roles;
pub mod run;
pub mod summary;
pub mod tracker;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("generating payloads: {0}")]
    Synth(#[from] conformance::synth::SynthError),
    #[error("encoding payloads: {0}")]
    Write(#[from] conformance::codec::WriteError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("goose: {0}")]
    Goose(#[from] Box<goose::GooseError>),
    #[error("{0}")]
    Relay(String),
}
