//! The outbox: files grouped into send units by their names (the conformance crate's parser: recipient and
//! ファイル連番), a unit taken once it is stable (the same files, sizes and modification times on two looks in a
//! row: the care software has finished writing it), validated with the conformance engine, and sent under an
//! Idempotency-Key derived from its content — so a resend after a crash is recognised by the relay as the same send.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use conformance::i18n::Lang;
use conformance::validate::{validate_files, Options};

use crate::config::Config;
use crate::error::ClientError;
use crate::faults::Faults;
use crate::relay::Relay;
use crate::state::{Departure, Outcome, State};

/// One file in the outbox as last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    name: String,
    size: u64,
    modified: Option<std::time::SystemTime>,
}

/// A send unit of the outbox: the files sharing one ファイル連番, sender and recipient, grouped as the validator
/// groups them ([`conformance::filename::FileName::send_unit`]; a file whose name does not parse is a unit of its
/// own, refused with the name findings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// `<ファイル連番>_<送信元>_<種類>_<送信先>_<種類>`, or the file name when it does not parse: the folder it moves to
    pub name: String,
    pub recipient: Option<String>,
    files: Vec<Seen>,
}

impl Unit {
    pub fn file_names(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(|f| f.name.as_str())
    }
}

/// The outbox's units, each with its files sorted by name.
pub fn units(outbox: &Path) -> Result<Vec<Unit>, ClientError> {
    let mut units: BTreeMap<String, Unit> = BTreeMap::new();
    let entries = std::fs::read_dir(outbox).map_err(|source| ClientError::io(outbox, source))?;
    for entry in entries {
        let entry = entry.map_err(|source| ClientError::io(outbox, source))?;
        let Ok(metadata) = entry.metadata() else { continue }; // removed meanwhile
        let name = entry.file_name().to_string_lossy().to_string();
        // Hidden files are the care software's own temporary files, not part of a unit.
        if !metadata.is_file() || name.starts_with('.') {
            continue;
        }
        let (unit, recipient) = match conformance::filename::parse(&name) {
            Ok(parsed) => (parsed.send_unit(), Some(parsed.recipient.office)),
            Err(_) => (name.clone(), None),
        };
        let seen = Seen { name, size: metadata.len(), modified: metadata.modified().ok() };
        units.entry(unit.clone()).or_insert_with(|| Unit { name: unit, recipient, files: Vec::new() }).files.push(seen);
    }
    let mut units: Vec<Unit> = units.into_values().collect();
    for unit in &mut units {
        unit.files.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(units)
}

/// Remembers the last look at the outbox; a unit is ready when a look finds it as the one before did.
#[derive(Default)]
pub struct Settling {
    last: Vec<Unit>,
}

impl Settling {
    /// The units unchanged since the previous look, and whether any other unit is still settling.
    pub fn look(&mut self, now: Vec<Unit>) -> (Vec<Unit>, bool) {
        let (ready, settling): (Vec<Unit>, Vec<Unit>) = now.iter().cloned().partition(|unit| self.last.contains(unit));
        self.last = now;
        (ready, !settling.is_empty())
    }
}

/// What became of a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// sent; `replayed` when the relay already had it (a resend after a crash)
    Sent { message_id: String, replayed: bool },
    /// refused before sending (or by the relay), with the number of errors
    Refused { errors: usize },
    /// files that had left already (a move a crash interrupted) were moved on
    Finished,
    /// not now (a file of it vanished meanwhile): looked at again with the outbox
    Later,
    /// the relay unreachable, failing, or refusing the office rather than the unit (a lapsed licence): the unit
    /// stays, the reason is recorded for `status` and the page, and the loop waits longer before each try
    Waiting { reason: String },
}

pub struct Outgoing<'a> {
    pub config: &'a Config,
    pub state: &'a State,
    pub relay: &'a Relay,
    pub faults: Faults,
}

impl Outgoing<'_> {
    /// Handles one ready unit.
    pub async fn handle(&self, unit: &Unit) -> Result<Handled, ClientError> {
        let mut files = Vec::new();
        for name in unit.file_names() {
            let path = self.config.outbox.join(name);
            match std::fs::read(&path) {
                Ok(bytes) => files.push((name.to_string(), bytes)),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Handled::Later),
                Err(source) => return Err(ClientError::io(&path, source)),
            }
        }
        let digests: Vec<(String, String)> =
            files.iter().map(|(name, bytes)| (name.clone(), crate::digest::sha256_hex(bytes))).collect();
        // Files recorded as gone are the rest of a move a crash cut short: finish it, never send them again.
        let mut finished = false;
        for (name, sha256) in &digests {
            if let Some((departed_unit, outcome)) = self.state.departed_file(name, sha256)? {
                self.move_file(name, &departed_unit, outcome)?;
                finished = true;
            }
        }
        if finished {
            return Ok(Handled::Finished);
        }
        let key = crate::digest::content_key(&files);
        let key = if self.faults.fresh_key { format!("{key}-{}", unique()) } else { key };
        let report = {
            let inputs = files.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice()));
            validate_files(inputs, &Options { threads: Some(1), ..Options::default() })
        };
        let recipient = unit.recipient.clone().unwrap_or_default();
        if report.errors() > 0 || unit.recipient.is_none() {
            let text = [
                conformance::report::human::render(&report, Lang::Ja),
                conformance::report::human::render(&report, Lang::En),
            ]
            .join("\n");
            return self.refuse(unit, &key, &recipient, report.errors().max(1), &text, &digests);
        }
        match self.relay.send(&recipient, &key, &files).await {
            Ok(accepted) => {
                if self.faults.send_twice {
                    let _ = self.relay.send(&recipient, &format!("{key}-{}", unique()), &files).await;
                }
                let id = accepted.message.id;
                let departure = Departure {
                    key: &key,
                    unit: &unit.name,
                    recipient: &recipient,
                    outcome: Outcome::Sent,
                    message_id: Some(&id),
                    errors: 0,
                };
                self.state.record_departure(&departure, &digests)?;
                for (name, _) in &digests {
                    self.move_file(name, &unit.name, Outcome::Sent)?;
                }
                Ok(Handled::Sent { message_id: id, replayed: accepted.replayed })
            }
            // A send the relay will never take as it is (its own validation, a wrong recipient, a sender the
            // certificate does not name): the unit is refused with the relay's words.
            Err(ClientError::Relay { status, code, message, report })
                if (400..500).contains(&status) && crate::relay::refuses_the_unit(&code) =>
            {
                let errors = report.as_ref().map_or(1, |r| r.errors.max(1));
                let text = relay_refusal_text(status, &code, &message, report.as_deref());
                self.refuse(unit, &key, &recipient, errors, &text, &digests)
            }
            Err(error) => {
                let reason = crate::relay::waiting_reason(&error);
                tracing::warn!(unit = %unit.name, "送信できませんでした / not sent: {reason}");
                self.state.set_waiting(&unit.name, &reason)?;
                Ok(Handled::Waiting { reason })
            }
        }
    }

    fn refuse(
        &self,
        unit: &Unit,
        key: &str,
        recipient: &str,
        errors: usize,
        report: &str,
        digests: &[(String, String)],
    ) -> Result<Handled, ClientError> {
        let folder = self.config.refused.join(&unit.name);
        create_dir(&folder)?;
        let report_path = folder.join("report.txt");
        std::fs::write(&report_path, report).map_err(|source| ClientError::io(&report_path, source))?;
        let departure =
            Departure { key, unit: &unit.name, recipient, outcome: Outcome::Refused, message_id: None, errors };
        self.state.record_departure(&departure, digests)?;
        for (name, _) in digests {
            self.move_file(name, &unit.name, Outcome::Refused)?;
        }
        Ok(Handled::Refused { errors })
    }

    /// Moves an outbox file into `sent/<unit>/` or `refused/<unit>/`.
    fn move_file(&self, name: &str, unit: &str, outcome: Outcome) -> Result<(), ClientError> {
        let folder: PathBuf = match outcome {
            Outcome::Sent => self.config.sent.join(unit),
            Outcome::Refused => self.config.refused.join(unit),
        };
        create_dir(&folder)?;
        let (from, to) = (self.config.outbox.join(name), folder.join(name));
        match std::fs::rename(&from, &to) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()), // moved already
            Err(source) => Err(ClientError::io(&from, source)),
        }
    }
}

fn create_dir(folder: &Path) -> Result<(), ClientError> {
    std::fs::create_dir_all(folder).map_err(|source| ClientError::io(folder, source))
}

/// The relay's refusal as the report a clerk reads: its error, then each finding in Japanese and in English.
fn relay_refusal_text(status: u16, code: &str, message: &str, report: Option<&protocol::ValidationReport>) -> String {
    let mut text =
        format!("中継サーバーが受け付けませんでした / The relay refused the unit: {status} {code}\n{message}\n");
    for finding in report.iter().flat_map(|r| r.findings()) {
        text.push_str(&format!(
            "\n[{}] {} {}\n  {}\n  {}\n  直し方: {}\n  Fix: {}\n",
            finding.severity,
            finding.rule,
            finding.file.as_deref().unwrap_or(""),
            finding.message,
            finding.message_en,
            finding.fix,
            finding.fix_en
        ));
    }
    text
}

/// A value no earlier call returned (for the planted faults' keys).
fn unique() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a test that cannot set up must fail loudly

    /// Care software that exports a month's tickets for every provider at once gives them one ファイル連番: each
    /// recipient (office and kind: one number may hold several services) is a send unit of its own.
    #[test]
    fn one_serial_to_several_recipients_is_several_units() {
        let outbox = tempfile::tempdir().unwrap();
        let serial = "20250601090000";
        for (kind, recipient) in [("UPPLAN_202506", "1370002058_11"), ("UPSIKYU_202506", "1370002058_11")]
            .into_iter()
            .chain([("UPPLAN_202506", "1370002058_13"), ("UPPLAN_202506", "1370003183_15")])
        {
            let name = format!("{kind}_1370001002_43_{recipient}_{serial}.CSV");
            std::fs::write(outbox.path().join(name), b"x").unwrap();
        }
        let units = super::units(outbox.path()).unwrap();
        let sizes: Vec<(String, usize)> = units.iter().map(|u| (u.name.clone(), u.file_names().count())).collect();
        assert_eq!(
            sizes,
            [
                (format!("{serial}_1370001002_43_1370002058_11"), 2),
                (format!("{serial}_1370001002_43_1370002058_13"), 1),
                (format!("{serial}_1370001002_43_1370003183_15"), 1),
            ]
        );
    }
}
