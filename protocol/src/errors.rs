//! Error answers: `{"error": code, "message": text}` (and the validator's report for `validation_failed`), with a
//! stable code per cause and one HTTP status per code.

use serde::{Deserialize, Serialize};

/// Declares the error codes once: the enum, its wire names, its statuses and the list of all of them.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal, $status:literal;)+) => {
        /// Why the relay refused or failed a request. Serialised as its snake_case name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)+
        }

        impl ErrorCode {
            /// Every code, in the order of the table.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)+];

            /// The name on the wire, e.g. `not_found`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)+
                }
            }

            /// The HTTP status the relay answers with this code.
            pub fn status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)+
                }
            }

            pub fn parse(name: &str) -> Option<ErrorCode> {
                match name {
                    $($name => Some(ErrorCode::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    /// the request is malformed (a parameter, the form, the body)
    BadRequest = "bad_request", 400;
    /// `to` is not a 10-digit office number
    BadRecipient = "bad_recipient", 400;
    /// an office sends to its own number only from one of its service kinds to another
    SameOffice = "same_office", 400;
    /// a file name is not one the relay can store safely
    BadFileName = "bad_file_name", 400;
    /// two files of a send have the same name
    DuplicateFile = "duplicate_file", 400;
    /// the file names address another recipient than `to`
    RecipientMismatch = "recipient_mismatch", 400;
    /// the `Idempotency-Key` header is not a usable key
    BadIdempotencyKey = "bad_idempotency_key", 400;
    /// the file names carry another office or kind as sender
    SenderMismatch = "sender_mismatch", 403;
    /// the office's licence has lapsed: it may read, not send
    LicenceLapsed = "licence_lapsed", 403;
    /// the certificate names no registered office
    UnknownOffice = "unknown_office", 403;
    /// the client certificate was revoked while its connection was open (the connection is closed)
    CertificateRevoked = "certificate_revoked", 403;
    /// only the relay's operator reads this (`/metrics`: from the operator's addresses)
    OperatorOnly = "operator_only", 403;
    /// only the recipient acknowledges a message
    NotRecipient = "not_recipient", 403;
    /// a request another site may have made the browser send may not act
    CrossSiteRefused = "cross_site_refused", 403;
    /// no such endpoint, message or file (also for another office's message: existence does not leak)
    NotFound = "not_found", 404;
    /// `to` is no registered office
    UnknownRecipient = "unknown_recipient", 404;
    /// the path exists with another method
    MethodNotAllowed = "method_not_allowed", 405;
    /// the request took too long to arrive
    RequestTimeout = "request_timeout", 408;
    /// the key was used before for another recipient or other files: nothing stored
    IdempotencyKeyConflict = "idempotency_key_conflict", 409;
    /// the body is larger than the relay accepts
    PayloadTooLarge = "payload_too_large", 413;
    /// more files than the relay accepts in one send
    TooManyFiles = "too_many_files", 413;
    /// the files have error findings (the report says which): nothing stored
    ValidationFailed = "validation_failed", 422;
    /// the files of a send do not share one ファイル連番
    NotOneSendUnit = "not_one_send_unit", 422;
    /// a family-structure image (.JPG) is not a JPEG
    NotAJpeg = "not_a_jpeg", 422;
    /// the relay failed; nothing was changed
    Internal = "internal", 500;
    /// the relay is stopping: try again shortly
    ShuttingDown = "shutting_down", 503;
    /// the relay's disk is full: nothing stored
    InsufficientStorage = "insufficient_storage", 507;
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ErrorCode, D::Error> {
        let name = String::deserialize(deserializer)?;
        ErrorCode::parse(&name).ok_or_else(|| serde::de::Error::custom(format!("unknown error code {name:?}")))
    }
}

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorCode,
    pub message: String,
    /// the validator's report (`validation_failed` only)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<crate::ValidationReport>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut names = std::collections::BTreeSet::new();
        for code in ErrorCode::ALL {
            assert!(names.insert(code.as_str()), "{} twice", code.as_str());
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
            let json = serde_json::to_string(code).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert!((400..600).contains(&code.status()));
        }
        assert!(serde_json::from_str::<ErrorCode>("\"no_such_code\"").is_err());
    }
}
