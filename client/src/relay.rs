//! The relay's API as the office uses it: send a unit, list the inbox (long poll), download a file, acknowledge.
//! Paths come from `protocol::Route`, answers are `protocol` bodies.

use std::time::Duration;

use protocol::{ErrorBody, Message, Page, Route, Status};

use crate::config::Config;
use crate::error::ClientError;

/// The longest inbox wait the relay grants (it clamps longer ones).
pub const LONG_POLL_SECONDS: u64 = 20;

pub struct Relay {
    base: String,
    http: reqwest::Client,
}

/// A send the relay answered 201: the message, and whether it was an earlier send replayed for its key.
pub struct Accepted {
    pub message: Message,
    pub replayed: bool,
}

impl Relay {
    pub fn new(config: &Config) -> Result<Relay, ClientError> {
        let read = |path: &std::path::Path| std::fs::read(path).map_err(|source| ClientError::io(path, source));
        let ca = read(&config.ca)?;
        let identity = [read(&config.certificate)?, b"\n".to_vec(), read(&config.key)?].concat();
        // A long poll is held up to LONG_POLL_SECONDS by the relay: the request deadline sits beyond it.
        let http = transport::https_client_builder(&ca, &identity)?
            .timeout(Duration::from_secs(LONG_POLL_SECONDS + 30))
            .build()?;
        Ok(Relay { base: config.relay.trim_end_matches('/').to_string(), http })
    }

    fn url(&self, route: Route, id: &str, name: &str) -> String {
        let path = route.template().replace("{id}", id).replace("{name}", &percent(name));
        format!("{}{path}", self.base)
    }

    /// Sends a unit's files to `to` under `key`.
    pub async fn send(&self, to: &str, key: &str, files: &[(String, Vec<u8>)]) -> Result<Accepted, ClientError> {
        let form =
            files.iter().fold(reqwest::multipart::Form::new().text("to", to.to_string()), |form, (name, bytes)| {
                form.part("file", reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.clone()))
            });
        let response =
            self.http.post(self.url(Route::Send, "", "")).header("Idempotency-Key", key).multipart(form).send().await?;
        let replayed = response.headers().get("idempotent-replayed").is_some();
        let response = refusal(response).await?;
        Ok(Accepted { message: response.json().await?, replayed })
    }

    /// The inbox's messages in `status`, oldest first, from after `after`; with `wait`, an empty page is held by
    /// the relay until a message arrives or the wait ends.
    pub async fn inbox(&self, status: Status, after: Option<i64>, wait: u64) -> Result<Page, ClientError> {
        let mut url =
            format!("{}?status={}&order=asc&limit=50&wait={wait}", self.url(Route::Inbox, "", ""), status.as_str());
        if let Some(after) = after {
            url.push_str(&format!("&after={after}"));
        }
        Ok(refusal(self.http.get(url).send().await?).await?.json().await?)
    }

    pub async fn download(&self, id: &str, name: &str) -> Result<Vec<u8>, ClientError> {
        let response = refusal(self.http.get(self.url(Route::Download, id, name)).send().await?).await?;
        Ok(response.bytes().await?.to_vec())
    }

    pub async fn ack(&self, id: &str) -> Result<(), ClientError> {
        refusal(self.http.post(self.url(Route::Ack, id, "")).send().await?).await?;
        Ok(())
    }
}

/// Whether a send refused with `code` was refused for what the unit is — its files, their names, its recipient:
/// sent again unchanged it would be refused again, so it goes to `refused/` with the relay's words. Anything else
/// (a lapsed licence, an office the relay does not know yet, a revoked certificate, a proxy's page without the
/// relay's error body, a 408) is about the office or the way to the relay: the unit waits in the outbox.
pub fn refuses_the_unit(code: &str) -> bool {
    use protocol::ErrorCode::*;
    matches!(
        protocol::ErrorCode::parse(code),
        Some(
            ValidationFailed
                | NotOneSendUnit
                | NotAJpeg
                | BadFileName
                | DuplicateFile
                | RecipientMismatch
                | BadRecipient
                | SameOffice
                | SenderMismatch
                | UnknownRecipient
                | PayloadTooLarge
                | TooManyFiles
                | IdempotencyKeyConflict
        )
    )
}

/// Why a unit waits in the outbox, in Japanese with English beside it, for a failed send that does not refuse it.
pub fn waiting_reason(error: &ClientError) -> String {
    let code = match error {
        ClientError::Relay { code, .. } => protocol::ErrorCode::parse(code),
        ClientError::Http(_) => {
            return format!("中継サーバーに接続できないため、つながり次第送ります / cannot reach the relay, sending once it answers: {error}");
        }
        _ => None,
    };
    let why = match code {
        Some(protocol::ErrorCode::LicenceLapsed) => {
            "事業所の利用期限が切れています。更新されると送ります / the office's licence has lapsed: sent once it is renewed"
        }
        Some(protocol::ErrorCode::UnknownOffice) => {
            "中継サーバーにこの事業所が登録されていません。登録されると送ります / the relay does not know this office: sent once it is registered"
        }
        Some(protocol::ErrorCode::CertificateRevoked) => {
            "電子証明書が失効しています。新しい証明書を設定してください / the office certificate was revoked: install a new one"
        }
        _ => "中継サーバーが受け付けなかったため、あとで送り直します / the relay did not take it now, will try again",
    };
    format!("{why} ({error})")
}

/// The response if it succeeded, else the relay's error body as a [`ClientError::Relay`].
async fn refusal(response: reqwest::Response) -> Result<reqwest::Response, ClientError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let text = response.text().await.unwrap_or_default();
    Err(match serde_json::from_str::<ErrorBody>(&text) {
        Ok(body) => ClientError::Relay {
            status: status.as_u16(),
            code: body.error.as_str().to_string(),
            message: body.message,
            report: body.report.map(Box::new),
        },
        Err(_) => ClientError::Relay { status: status.as_u16(), code: String::new(), message: text, report: None },
    })
}

/// A file name as one path segment: spec names are ASCII letters, digits, `_` and `.`; anything else is escaped.
fn percent(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
