//! The relay's wire format, shared by the relay (`refserver`) and every client of its API (the relay-protocol
//! suite, the load test, `xtask`): the route table, the bodies of requests and answers, and the error codes.
//! `refserver/openapi.yaml` documents the same; a test in the relay checks the two agree.

mod bodies;
mod errors;
mod routes;

pub use bodies::{
    Directory, EvidenceFile, EvidenceMessage, EvidenceRecord, EvidenceRefusal, FileEntry, Health, Me, Message, Office,
    Page, RecordedRequest, ReportFile, ReportFinding, Status, Subject, ValidationReport,
};
pub use errors::{ErrorBody, ErrorCode};
pub use routes::Route;

/// The header every API client sends (any value). A page on another site cannot make a browser send it without
/// CORS, which the relay never grants, so a request without it may not act (send, dry run, download, ack).
pub const CLIENT_HEADER: &str = "x-careplan-client";

/// The response header carrying the relay's detached signature of an evidence record (base64 of the DER ECDSA
/// signature over the body's bytes).
pub const SIGNATURE_HEADER: &str = "careplan-signature";
