//! `careplan-client`, the office's reference client: the care software exports send units into the outbox folder;
//! the client validates each complete unit with the conformance engine, sends it under an Idempotency-Key derived
//! from its content, and moves it to `sent/` (or, refused, to `refused/` with its report); it long-polls the
//! relay's inbox, writes each received file into the inbox folder atomically, and acknowledges a message once the
//! care software has taken its files. Its state (SQLite) makes a restart after `kill -9` carry on where it stopped:
//! nothing is sent twice, lost, or acknowledged before it was written.

pub mod config;
pub mod digest;
pub mod error;
pub mod faults;
pub mod incoming;
pub mod outgoing;
pub mod page;
pub mod relay;
pub mod run;
pub mod state;
pub mod status;

pub use error::ClientError;
