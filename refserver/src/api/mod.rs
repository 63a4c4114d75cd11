//! The HTTP API (see `refserver/openapi.yaml`), one module per concern: `state` (what every endpoint shares),
//! `http` (errors, responses, query strings), `access` (who may see what, and its audit), and the endpoints —
//! `directory`, `upload` (send, dry run), `mailbox` (inbox, outbox, long poll, ack), `messages` (downloads) and
//! `evidence`. The caller's office number comes from its client certificate, never from the request. Every error
//! is `{"error": code, "message": text}` with a stable code.

pub(crate) mod access;
mod directory;
mod evidence;
pub(crate) mod http;
mod mailbox;
mod messages;
pub mod state;
pub mod upload;

pub(crate) use access::registered_office;
pub(crate) use directory::{directory, metrics, whoami};
pub(crate) use evidence::evidence;
pub use http::{error_response, ApiError, Body};
pub(crate) use mailbox::{acknowledge, mailbox};
pub(crate) use messages::{anonymised, download};
pub use state::{ApiConfig, AppState, Recorder};
pub(crate) use upload::{dry_run, send, UploadDigest};
pub use upload::{parse_upload, Upload};
