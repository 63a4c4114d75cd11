//! `careplan-client status`: what waits in the outbox, what was sent or refused, what arrived and what the care
//! software has not yet taken — from the folders and the state, without the relay.

use crate::config::Config;
use crate::error::ClientError;
use crate::state::{Arrived, Departed, State};

/// What `status` shows.
#[derive(Debug)]
pub struct Overview {
    /// units in the outbox: name and file names
    pub waiting: Vec<(String, Vec<String>)>,
    pub sent: Vec<Departed>,
    pub refused: Vec<Departed>,
    pub received: Vec<Arrived>,
    /// written into the inbox folder, not yet taken by the care software (so not acknowledged)
    pub not_taken: Vec<Arrived>,
}

pub fn overview(config: &Config, limit: usize) -> Result<Overview, ClientError> {
    let state = State::open(&config.state)?;
    let waiting = crate::outgoing::units(&config.outbox)?
        .into_iter()
        .map(|unit| (unit.name.clone(), unit.file_names().map(String::from).collect()))
        .collect();
    let (sent, refused) = state.departed(limit)?.into_iter().partition(|d| d.outcome == "sent");
    Ok(Overview {
        waiting,
        sent,
        refused,
        received: state.arrived(false, limit)?,
        not_taken: state.arrived(true, limit)?,
    })
}

impl Overview {
    /// The lists, each with its heading in Japanese and English: what the text and the page show.
    pub fn sections(&self) -> Vec<(&'static str, Vec<String>)> {
        let departed =
            |d: &Departed| format!("{} → {} {} {}", d.unit, d.recipient, d.message_id.as_deref().unwrap_or(""), d.at);
        let arrived = |a: &Arrived| {
            let state = match (&a.written_at, &a.acked_at) {
                (_, Some(_)) => "受領確認済み / acknowledged",
                (Some(_), None) => "取り込み待ち / not yet taken",
                (None, None) => "受信中 / receiving",
            };
            format!("{} ← {} {} [{state}] ({})", a.message_id, a.sender, a.serial, a.files.join(", "))
        };
        vec![
            (
                "送信待ち / waiting in the outbox",
                self.waiting.iter().map(|(unit, files)| format!("{unit} ({})", files.join(", "))).collect(),
            ),
            ("送信済み / sent", self.sent.iter().map(departed).collect()),
            (
                "送信不可 / refused",
                self.refused.iter().map(|d| format!("{} ({} エラー / errors)", d.unit, d.errors)).collect(),
            ),
            ("受信 / received", self.received.iter().map(arrived).collect()),
            ("取り込み待ち / not yet taken", self.not_taken.iter().map(arrived).collect()),
        ]
    }

    /// The overview as a clerk reads it in a terminal.
    pub fn render(&self) -> String {
        let mut text = String::new();
        for (title, lines) in self.sections() {
            text.push_str(&format!("{title}: {}\n", lines.len()));
            for line in lines {
                text.push_str(&format!("  {line}\n"));
            }
        }
        text
    }
}
