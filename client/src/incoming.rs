//! The inbox: each received file is downloaded, checked against its SHA-256, written and synced under a temporary
//! name in the work folder, recorded as staged, renamed into the inbox folder (which is then synced) and recorded
//! as written. A restart finds every file in one of those states and finishes it: a staged file whose temporary
//! copy is gone was renamed (the care software may even have taken it already), so it is never written twice.
//! A message is acknowledged only once all its files are written — when the care software has taken them from the
//! inbox folder, or at once with `--ack-on-receive`.

use std::path::Path;

use protocol::{Message, Status};

use crate::config::Config;
use crate::error::ClientError;
use crate::faults::Faults;
use crate::relay::Relay;
use crate::state::{FileState, State};

/// How many times a listed file may be answered 404 (gone from the relay, or never there) before its message is given
/// up: no more downloads, no acknowledgement, and `status` lists it as not received. A few tries, not one: a relay
/// being restored or a listing a moment ahead of its store may answer 404 briefly.
pub const MISSES_BEFORE_GIVING_UP: u32 = 3;

pub struct Incoming<'a> {
    pub config: &'a Config,
    pub state: &'a State,
    pub relay: &'a Relay,
    pub faults: Faults,
    pub ack_on_receive: bool,
}

/// What receiving a message came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// every file is in the inbox folder (and, with `--ack-on-receive`, the message acknowledged)
    Written,
    /// a file of the same name from another message is still in the inbox folder: waits until it is taken
    Blocked,
    /// a file the message lists is not at the relay (404): tried again in later rounds until
    /// [`MISSES_BEFORE_GIVING_UP`], then left alone
    Missing,
}

impl Incoming<'_> {
    /// Receives one message (again, after a crash: what was done is not redone).
    pub async fn receive(&self, message: &Message) -> Result<Received, ClientError> {
        if self.state.is_written(&message.id)? {
            return Ok(Received::Written);
        }
        if self.state.given_up(&message.id, MISSES_BEFORE_GIVING_UP)? {
            return Ok(Received::Missing);
        }
        self.state.begin_message(&message.id, &message.from, &message.serial)?;
        if self.faults.ack_before_write {
            self.relay.ack(&message.id).await?;
            self.state.mark_acked(&message.id)?;
            // A slow disk after the acknowledgement: the window a crash falls into.
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
        for file in &message.files {
            match self.state.file_state(&message.id, &file.name)? {
                Some(FileState::Written) => continue,
                Some(FileState::Staged) => self.finish_rename(&message.id, &file.name, &file.sha256)?,
                None => {
                    if self.config.inbox.join(&file.name).exists() {
                        tracing::warn!(
                            message = %message.id, file = %file.name,
                            "同名のファイルが受信フォルダーに残っているため、取り込まれるまで待ちます / a file of this \
                             name is still in the inbox folder: waiting until the care software takes it"
                        );
                        return Ok(Received::Blocked);
                    }
                    let bytes = match self.relay.download(&message.id, &file.name).await {
                        Err(ClientError::Relay { status: 404 | 410, .. }) => {
                            let misses = self.state.note_missing(&message.id, &file.name)?;
                            let given_up = if misses >= MISSES_BEFORE_GIVING_UP {
                                "。受信をあきらめます / giving the message up"
                            } else {
                                ""
                            };
                            tracing::warn!(
                                message = %message.id, file = %file.name, misses,
                                "中継サーバーにファイルがありません / the relay has no such file{given_up}"
                            );
                            return Ok(Received::Missing);
                        }
                        other => other?,
                    };
                    if crate::digest::sha256_hex(&bytes) != file.sha256 {
                        return Err(ClientError::Digest(file.name.clone()));
                    }
                    self.stage(&message.id, &file.name, &bytes)?;
                    self.state.set_file_state(&message.id, &file.name, &file.sha256, FileState::Staged)?;
                    self.finish_rename(&message.id, &file.name, &file.sha256)?;
                }
            }
        }
        self.state.mark_written(&message.id)?;
        tracing::info!(
            message = %message.id, from = %message.from, serial = %message.serial, files = message.files.len(),
            "受信フォルダーに書き込みました / written into the inbox folder"
        );
        if self.ack_on_receive {
            self.acknowledge(&message.id).await?;
        }
        Ok(Received::Written)
    }

    /// Acknowledges, then records it; a crash between the two acknowledges again (the relay takes a second ack).
    pub async fn acknowledge(&self, message_id: &str) -> Result<(), ClientError> {
        self.relay.ack(message_id).await?;
        self.state.mark_acked(message_id)?;
        tracing::info!(message = %message_id, "受領確認を送りました / acknowledged");
        Ok(())
    }

    /// Acknowledges every written message whose files the care software has taken from the inbox folder.
    pub async fn acknowledge_taken(&self) -> Result<usize, ClientError> {
        let mut acknowledged = 0;
        for message in self.state.arrived(true, 1000)? {
            if message.files.iter().all(|name| !self.config.inbox.join(name).exists()) {
                self.acknowledge(&message.message_id).await?;
                acknowledged += 1;
            }
        }
        Ok(acknowledged)
    }

    /// Every message of the inbox in `status`, oldest first (each page of 50 in turn).
    pub async fn listed(&self, status: Status) -> Result<Vec<Message>, ClientError> {
        let mut messages = Vec::new();
        let mut after = None;
        loop {
            let page = self.relay.inbox(status, after, 0).await?;
            messages.extend(page.messages);
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(messages),
            }
        }
    }

    fn temporary(&self, message_id: &str, name: &str) -> std::path::PathBuf {
        self.config.work.join(format!("{message_id}__{name}"))
    }

    /// Writes and syncs the bytes under the temporary name (and syncs the work folder, so the name survives).
    fn stage(&self, message_id: &str, name: &str, bytes: &[u8]) -> Result<(), ClientError> {
        use std::io::Write;
        let path = self.temporary(message_id, name);
        let mut file = std::fs::File::create(&path).map_err(|source| ClientError::io(&path, source))?;
        file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|source| ClientError::io(&path, source))?;
        sync_dir(&self.config.work)
    }

    /// Renames a staged file into the inbox (unless that happened before a crash) and records it written.
    fn finish_rename(&self, message_id: &str, name: &str, sha256: &str) -> Result<(), ClientError> {
        let temporary = self.temporary(message_id, name);
        if self.faults.lose_received {
            let _ = std::fs::remove_file(&temporary);
        } else if temporary.exists() {
            let target = self.config.inbox.join(name);
            std::fs::rename(&temporary, &target).map_err(|source| ClientError::io(&target, source))?;
            sync_dir(&self.config.inbox)?;
        }
        self.state.set_file_state(message_id, name, sha256, FileState::Written)
    }
}

/// Makes a folder's entries (a new name, a rename) durable. Windows has no such call: there a rename is
/// journaled by NTFS itself.
fn sync_dir(dir: &Path) -> Result<(), ClientError> {
    if cfg!(unix) {
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|source| ClientError::io(dir, source))?;
    }
    Ok(())
}
