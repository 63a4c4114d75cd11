//! The office's settings (`careplan-client.toml`): the relay, the certificate, and the folders. Relative paths are
//! read from the config file's folder, so a whole office setup moves as one folder.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ClientError;

/// What `careplan-client init` writes and `run` / `status` read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// the relay's base URL, `https://host:port`
    pub relay: String,
    /// the CA certificate (PEM) the relay's certificate must chain to
    pub ca: PathBuf,
    /// the office's certificate (PEM)
    pub certificate: PathBuf,
    /// the office's private key (PEM)
    pub key: PathBuf,
    /// where the care software exports send units
    pub outbox: PathBuf,
    /// where received files appear for the care software to import
    pub inbox: PathBuf,
    /// where sent units are moved, one folder per unit
    pub sent: PathBuf,
    /// where refused units are moved with their report, one folder per unit
    pub refused: PathBuf,
    /// received files are written here first, then renamed into the inbox: it must be on the inbox's volume
    pub work: PathBuf,
    /// the client's state (SQLite)
    pub state: PathBuf,
}

/// The folders the care software and a clerk see, each with its name on the local page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Folder {
    Outbox,
    Inbox,
    /// one folder per unit inside
    Sent,
    /// one folder per unit inside, each with the unit's `report.txt`
    Refused,
}

impl Folder {
    pub const ALL: [Folder; 4] = [Folder::Outbox, Folder::Inbox, Folder::Sent, Folder::Refused];

    /// Its name in the page's addresses.
    pub fn as_str(self) -> &'static str {
        match self {
            Folder::Outbox => "outbox",
            Folder::Inbox => "inbox",
            Folder::Sent => "sent",
            Folder::Refused => "refused",
        }
    }

    /// Whether its files sit in one folder per send unit.
    pub fn has_units(self) -> bool {
        matches!(self, Folder::Sent | Folder::Refused)
    }
}

/// The file name `init` writes beside the folders.
pub const FILE_NAME: &str = "careplan-client.toml";

impl Config {
    /// A configuration whose folders sit beside `dir`'s config file.
    pub fn beside(dir: &Path, relay: String, ca: PathBuf, certificate: PathBuf, key: PathBuf) -> Config {
        Config {
            relay,
            ca,
            certificate,
            key,
            outbox: dir.join("outbox"),
            inbox: dir.join("inbox"),
            sent: dir.join("sent"),
            refused: dir.join("refused"),
            work: dir.join("work"),
            state: dir.join("state.sqlite3"),
        }
    }

    /// Reads `path`, resolving relative paths against its folder.
    pub fn load(path: &Path) -> Result<Config, ClientError> {
        let text = std::fs::read_to_string(path).map_err(|source| ClientError::io(path, source))?;
        let mut config: Config =
            toml::from_str(&text).map_err(|e| ClientError::Config(format!("{}: {e}", path.display())))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for folder in config.paths_mut() {
            if folder.is_relative() {
                *folder = base.join(&*folder);
            }
        }
        Ok(config)
    }

    pub fn save(&self, path: &Path) -> Result<(), ClientError> {
        let text = toml::to_string_pretty(self).map_err(|e| ClientError::Config(e.to_string()))?;
        std::fs::write(path, text).map_err(|source| ClientError::io(path, source))
    }

    pub fn folder(&self, folder: Folder) -> &Path {
        match folder {
            Folder::Outbox => &self.outbox,
            Folder::Inbox => &self.inbox,
            Folder::Sent => &self.sent,
            Folder::Refused => &self.refused,
        }
    }

    /// Creates the folders that do not exist yet.
    pub fn create_folders(&self) -> Result<(), ClientError> {
        for folder in [&self.outbox, &self.inbox, &self.sent, &self.refused, &self.work] {
            std::fs::create_dir_all(folder).map_err(|source| ClientError::io(folder, source))?;
        }
        Ok(())
    }

    fn paths_mut(&mut self) -> [&mut PathBuf; 9] {
        [
            &mut self.ca,
            &mut self.certificate,
            &mut self.key,
            &mut self.outbox,
            &mut self.inbox,
            &mut self.sent,
            &mut self.refused,
            &mut self.work,
            &mut self.state,
        ]
    }
}
