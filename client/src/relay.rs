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
