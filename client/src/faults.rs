//! Deliberate faults, compiled in only with the `faults` feature and chosen at run time by
//! `CAREPLAN_CLIENT_FAULT` (comma-separated names): each breaks one promise of the client, so the tests and the
//! crash row can be seen to catch it.

/// The faults a run plants; all off in a client built without the feature.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// `fresh_key`: a new Idempotency-Key on every attempt, so a resend after a crash is a second message
    pub fresh_key: bool,
    /// `send_twice`: every unit sent a second time under another key, as a client that retries a send it wrongly
    /// believes failed
    pub send_twice: bool,
    /// `ack_before_write`: acknowledge a message before its files are written (then write them, slowly)
    pub ack_before_write: bool,
    /// `lose_received`: record a received file as written, and acknowledge it, without putting it in the inbox
    pub lose_received: bool,
}

/// The variable naming the faults.
pub const VARIABLE: &str = "CAREPLAN_CLIENT_FAULT";

impl Faults {
    /// The faults `CAREPLAN_CLIENT_FAULT` names; none without the `faults` feature.
    pub fn from_env() -> Faults {
        Faults::parse(&std::env::var(VARIABLE).unwrap_or_default()).effective()
    }

    /// These faults in a client built with the feature; none otherwise, whatever was asked.
    pub fn effective(self) -> Faults {
        if cfg!(feature = "faults") {
            self
        } else {
            Faults::default()
        }
    }

    pub fn parse(names: &str) -> Faults {
        let named = |name: &str| names.split(',').any(|n| n.trim() == name);
        Faults {
            fresh_key: named("fresh_key"),
            send_twice: named("send_twice"),
            ack_before_write: named("ack_before_write"),
            lose_received: named("lose_received"),
        }
    }
}
