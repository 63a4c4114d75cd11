//! The client's errors.

use std::path::{Path, PathBuf};

/// What can go wrong in the client; each message in Japanese with English beside it.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("ファイル操作に失敗しました / file operation failed: {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("設定が読めません / bad configuration: {0}")]
    Config(String),
    #[error("状態データベースのエラー / state database error: {0}")]
    State(#[from] rusqlite::Error),
    #[error("中継サーバーに接続できません / cannot reach the relay: {0}")]
    Http(#[from] reqwest::Error),
    #[error("中継サーバーが拒否しました / the relay refused: {status} {code}: {message}")]
    Relay { status: u16, code: String, message: String, report: Option<Box<protocol::ValidationReport>> },
    #[error("受信したファイルの内容がハッシュと一致しません / a received file does not match its SHA-256: {0}")]
    Digest(String),
}

impl ClientError {
    pub fn io(path: &Path, source: std::io::Error) -> ClientError {
        ClientError::Io { path: path.to_path_buf(), source }
    }
}
