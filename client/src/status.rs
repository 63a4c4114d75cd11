//! `careplan-client status`: what waits in the outbox, what was sent or refused, what arrived and what the care
//! software has not yet taken — from the folders and the state, without the relay.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::{Config, Folder};
use crate::error::ClientError;
use crate::state::{Arrived, Departed, Missing, State};

/// What `status` shows.
#[derive(Debug)]
pub struct Overview {
    /// units in the outbox: name and file names
    pub waiting: Vec<(String, Vec<String>)>,
    /// why a unit of the outbox was not sent at its last try (the relay unreachable, a lapsed licence …), by unit
    pub reasons: BTreeMap<String, String>,
    pub sent: Vec<Departed>,
    pub refused: Vec<Departed>,
    pub received: Vec<Arrived>,
    /// written into the inbox folder, not yet taken by the care software (so not acknowledged)
    pub not_taken: Vec<Arrived>,
    /// messages given up because the relay had no file they list
    pub missing: Vec<Missing>,
    /// the files each listed unit of `sent/` and `refused/` holds now
    unit_files: BTreeMap<(Folder, String), Vec<String>>,
    /// the names the inbox folder holds now
    inbox: BTreeSet<String>,
}

/// A file the overview names, and where it lies under the client's folders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub folder: Folder,
    /// the unit's folder, in `sent/` and `refused/`
    pub unit: Option<String>,
    pub name: String,
    /// whether it is there now (a received file the care software took is not)
    pub present: bool,
}

/// One line of a list: what it is, and its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub text: String,
    pub files: Vec<Place>,
}

pub fn overview(config: &Config, limit: usize) -> Result<Overview, ClientError> {
    let state = State::open(&config.state)?;
    let waiting = crate::outgoing::units(&config.outbox)?
        .into_iter()
        .map(|unit| (unit.name.clone(), unit.file_names().map(String::from).collect()))
        .collect();
    let (sent, refused): (Vec<Departed>, Vec<Departed>) =
        state.departed(limit)?.into_iter().partition(|d| d.outcome == "sent");
    let mut unit_files = BTreeMap::new();
    for (folder, departed) in [(Folder::Sent, &sent), (Folder::Refused, &refused)] {
        for unit in departed {
            let names = file_names(&config.folder(folder).join(&unit.unit));
            unit_files.insert((folder, unit.unit.clone()), names);
        }
    }
    Ok(Overview {
        waiting,
        reasons: state.waiting()?,
        sent,
        refused,
        received: state.arrived(false, limit)?,
        not_taken: state.arrived(true, limit)?,
        missing: state.missing(crate::incoming::MISSES_BEFORE_GIVING_UP)?,
        unit_files,
        inbox: file_names(&config.inbox).into_iter().collect(),
    })
}

/// The names of the regular files in a folder (no links, no folders), sorted; none when it cannot be read (a unit
/// folder moved away).
pub fn file_names(folder: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
                .map(|entry| entry.file_name().to_string_lossy().to_string())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

impl Overview {
    /// The lists, each with its heading in Japanese and English: what the text and the page show.
    pub fn sections(&self) -> Vec<(&'static str, Vec<Entry>)> {
        let unit = |folder: Folder, d: &Departed| -> Vec<Place> {
            let names = self.unit_files.get(&(folder, d.unit.clone())).cloned().unwrap_or_default();
            names.into_iter().map(|name| Place { folder, unit: Some(d.unit.clone()), name, present: true }).collect()
        };
        let departed = |d: &Departed| Entry {
            text: format!("{} → {} {} {}", d.unit, d.recipient, d.message_id.as_deref().unwrap_or(""), d.at),
            files: unit(Folder::Sent, d),
        };
        let arrived = |a: &Arrived| {
            let state = match (&a.written_at, &a.acked_at) {
                (_, Some(_)) => "受領確認済み / acknowledged",
                (Some(_), None) => "取り込み待ち / not yet taken",
                (None, None) => "受信中 / receiving",
            };
            let files = a
                .files
                .iter()
                .map(|name| Place {
                    folder: Folder::Inbox,
                    unit: None,
                    name: name.clone(),
                    present: self.inbox.contains(name),
                })
                .collect();
            Entry { text: format!("{} ← {} {} [{state}]", a.message_id, a.sender, a.serial), files }
        };
        let waiting = |(unit, files): &(String, Vec<String>)| Entry {
            text: self.reasons.get(unit).map_or_else(|| unit.clone(), |reason| format!("{unit} — {reason}")),
            files: files
                .iter()
                .map(|name| Place { folder: Folder::Outbox, unit: None, name: name.clone(), present: true })
                .collect(),
        };
        let missing = |m: &Missing| Entry {
            text: format!(
                "{} ← {} {}: {} が中継サーバーにありません（{} 回）/ the relay has no such file ({} times); not \
                 acknowledged",
                m.message_id, m.sender, m.serial, m.name, m.misses, m.misses
            ),
            files: Vec::new(),
        };
        let refused = |d: &Departed| Entry {
            text: format!("{} ({} エラー / errors)", d.unit, d.errors),
            files: unit(Folder::Refused, d),
        };
        vec![
            ("送信待ち / waiting in the outbox", self.waiting.iter().map(waiting).collect()),
            ("送信済み / sent", self.sent.iter().map(departed).collect()),
            ("送信不可 / refused", self.refused.iter().map(refused).collect()),
            ("受信 / received", self.received.iter().map(arrived).collect()),
            ("取り込み待ち / not yet taken", self.not_taken.iter().map(arrived).collect()),
            ("受信できなかったもの / could not be received", self.missing.iter().map(missing).collect()),
        ]
    }

    /// The overview as a clerk reads it in a terminal.
    pub fn render(&self) -> String {
        let mut text = String::new();
        for (title, entries) in self.sections() {
            text.push_str(&format!("{title}: {}\n", entries.len()));
            for Entry { text: line, files } in entries {
                let names: Vec<&str> = files.iter().map(|place| place.name.as_str()).collect();
                let names = if names.is_empty() { String::new() } else { format!(" ({})", names.join(", ")) };
                text.push_str(&format!("  {line}{names}\n"));
            }
        }
        text
    }
}
