//! The relay-protocol suite: numbered cases that any relay claiming the protocol (`refserver/openapi.yaml`) must
//! pass, run over real mutual TLS with the offices' certificates. Payloads come from the generator, addressed
//! between the offices given, so every valid upload is a valid standard-spec send unit.

use std::sync::Mutex;
use std::time::Instant;

use protocol::{Directory, ErrorBody, ErrorCode, Message, Page, Status};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::report::{CaseInfo, CaseResult, Outcome, SuiteReport};
use conformance::i18n::{Lang, Text};
use conformance::synth::corpus::scale_addressed;
use conformance::synth::people::Office;

pub use protocol::CLIENT_HEADER;

/// An office the suite acts as: its number and its certificate + key (PEM).
pub struct OfficeIdentity {
    pub number: String,
    pub identity_pem: Vec<u8>,
}

/// What the suite runs against.
pub struct RelayTarget {
    /// e.g. `https://127.0.0.1:8443`
    pub url: String,
    pub ca_pem: Vec<u8>,
    /// at least three registered offices: a care manager (sender), a provider (recipient), a third office
    pub offices: Vec<OfficeIdentity>,
    /// certificates the relay must refuse, by name (expired, not-yet-valid, other-ca, revoked, no-client-auth)
    pub negative: Vec<(String, Vec<u8>)>,
    /// the relay's body limit, to check 413 (skipped when unknown)
    pub max_body: Option<usize>,
}

macro_rules! case {
    ($id:literal, $title_ja:literal, $title_en:literal, $req_ja:literal, $req_en:literal) => {
        CaseInfo {
            id: $id,
            title: Text { ja: $title_ja, en: $title_en },
            requirement: Text { ja: $req_ja, en: $req_en },
        }
    };
}

/// Every case, in the order they run.
pub static CASES: &[CaseInfo] = &[
    case!(
        "R01",
        "クライアント証明書なしの接続を拒否",
        "Connection without a client certificate is refused",
        "すべての接続で、中継サーバーの CA が発行したクライアント証明書を要求すること。",
        "Every connection must present a client certificate from the relay's CA."
    ),
    case!(
        "R02",
        "不正な証明書を拒否",
        "Invalid certificates are refused",
        "期限切れ・有効期間前・他の CA・失効済み・clientAuth なしの証明書での接続を TLS で拒否すること。",
        "Expired, not-yet-valid, other-CA, revoked and non-client-auth certificates are refused at the TLS handshake."
    ),
    case!(
        "R03",
        "事業所の検索",
        "Office directory search",
        "事業所番号で登録事業所を検索でき、サービス種類コードが分かること。",
        "Registered offices can be found by number, with their service kinds."
    ),
    case!(
        "R10",
        "正しい送信単位の送信",
        "Sending a valid send unit",
        "正しい送信単位は 201 で受け付けられ、id と status \"sent\" が返ること。",
        "A valid send unit is accepted with 201, an id and status \"sent\"."
    ),
    case!(
        "R11",
        "受信一覧に表示",
        "The message appears in the recipient's inbox",
        "送信したメッセージが送信先の受信一覧に表示されること。",
        "The sent message is listed in the recipient's inbox."
    ),
    case!(
        "R12",
        "受信したファイルが送信したものと同一",
        "Downloaded bytes equal the sent bytes",
        "各ファイルが送信したバイト列のまま（SHA-256 一致）受信できること。",
        "Every file downloads byte for byte as sent (SHA-256 equal)."
    ),
    case!(
        "R13",
        "受信後の状態",
        "Status after download",
        "送信先がファイルを受信すると状態が downloaded になること。",
        "After the recipient downloads, the status is \"downloaded\"."
    ),
    case!(
        "R14",
        "受領確認",
        "Acknowledgement",
        "送信先の受領確認で状態が acknowledged になり、送信元の送信一覧にも反映されること。",
        "The recipient's ack makes the status \"acknowledged\", and the sender's outbox shows it."
    ),
    case!(
        "R20",
        "誤りのあるファイルを拒否",
        "Invalid files are rejected",
        "検査規則に反するファイルは 422 と規則コード付きの報告で拒否され、保存されないこと。",
        "Files breaking a rule are rejected with 422 and a report naming the rule; nothing is stored."
    ),
    case!(
        "R21",
        "再送の冪等性",
        "Idempotent retry",
        "同じ Idempotency-Key での再送は、最初のメッセージを返し、2件目を作らないこと。",
        "A retry with the same Idempotency-Key returns the first message instead of creating a second."
    ),
    case!(
        "R22",
        "同じ Idempotency-Key での別の送信を拒否",
        "An Idempotency-Key reused for another send is refused",
        "同じ Idempotency-Key で送信先やファイルの違う送信は 409 で拒否され保存されないこと。保持できない長さのキーは無視せず 400 で拒否すること。",
        "A send that reuses an Idempotency-Key with another recipient or other files gets 409 and nothing is stored; a key too long to keep gets 400 instead of being ignored."
    ),
    case!(
        "R30",
        "第三者からは見えない",
        "A third office sees nothing",
        "送信元・送信先以外の事業所には、メッセージ・ファイル・受領確認とも 404 となること。",
        "An office that is neither sender nor recipient gets 404 for the message, its files and its ack."
    ),
    case!(
        "R31",
        "他の事業所になりすました送信を拒否",
        "Sending as another office is refused",
        "ファイル名の送信元が認証された事業所でない送信は 403 で拒否されること。",
        "A send whose file names carry another office as sender is refused with 403."
    ),
    case!(
        "R32",
        "他のサイトから送らされた要求を拒否",
        "Requests another site makes a browser send are refused",
        "ブラウザーが他のサイトの指示で送る要求（Sec-Fetch-Site: cross-site、他の Origin、Origin: null）では、送信・ダウンロード・受領確認をせず 403 とし、状態も変えないこと。",
        "Requests a browser sends on another site's behalf (Sec-Fetch-Site: cross-site, a foreign Origin, Origin: null) neither send, download nor acknowledge: 403, and the status stays."
    ),
    case!(
        "R33",
        "クライアントヘッダーのない要求を拒否",
        "Requests without the client header are refused",
        "X-Careplan-Client ヘッダーのない送信・ダウンロード・受領確認は 403 とし、状態も変えないこと（古いブラウザーは Sec-Fetch-Site も Origin も送らないため）。",
        "Sends, downloads and acks without the X-Careplan-Client header get 403 and change nothing (old browsers send neither Sec-Fetch-Site nor Origin)."
    ),
    case!(
        "R34",
        "見えない文字を含むファイル名を拒否",
        "File names with invisible characters are refused",
        "単語結合子（U+2060）、ソフトハイフン（U+00AD）、双方向制御（U+202E）など見えない文字・書式文字を含むファイル名の送信は、保存も表示もせず 400 bad_file_name で拒否すること（画面・記録・受信側で別の名前に見えるため）。",
        "A send whose file name holds an invisible or format character (word joiner U+2060, soft hyphen U+00AD, bidi override U+202E, …) is refused with 400 bad_file_name, neither stored nor shown: on a screen, in a record or at the recipient it reads as another name."
    ),
    case!(
        "R40",
        "一覧のページ分割",
        "Pagination",
        "受信一覧は新しい順で、limit と next で続きを取得できること。",
        "The inbox lists newest first and pages with limit and next."
    ),
    case!(
        "R41",
        "送信順の受信一覧",
        "The inbox in sending order",
        "order=asc の受信一覧は送信された順（古い順）で、after と next で続きを取得できること。受信側は送信単位をファイル連番の順に取り込むため（本体 2.5「ファイル連番毎に処理」）、変更が変更前より先に、削除が削除対象より先に届いてはならない。",
        "The inbox with order=asc lists in sending order (oldest first) and pages with after and next: a recipient imports send units in order (S1 §2.5), so a change must not come before what it changes, nor a delete before what it deletes."
    ),
    case!(
        "R50",
        "エラーの形式",
        "Error body format",
        "エラーは {\"error\": コード, \"message\": 文} の JSON で返ること。",
        "Errors are JSON {\"error\": code, \"message\": text}."
    ),
    case!(
        "R51",
        "大きすぎる本文を 413 で拒否",
        "Bodies over the limit get 413",
        "上限を超える本文は 413 で拒否されること。",
        "A body over the relay's limit is refused with 413."
    ),
];

struct Context<'a> {
    target: &'a RelayTarget,
    clients: Vec<reqwest::Client>,
    /// the same offices as a browser would present them: no API client header
    browsers: Vec<reqwest::Client>,
    kinds: Vec<String>,
    sent: Mutex<Option<Sent>>,
}

#[derive(Clone)]
struct Sent {
    id: String,
    files: Vec<(String, Vec<u8>)>,
}

type Files = Vec<(String, Vec<u8>)>;

/// The body of `POST /v1/messages` (refserver/openapi.yaml): the recipient office number in `to` and one `file`
/// part per CSV, named as the standard spec names it.
pub fn send_form(to: &str, files: &[(String, Vec<u8>)]) -> Form {
    files.iter().fold(Form::new().text("to", to.to_string()), |form, (name, bytes)| {
        form.part("file", Part::bytes(bytes.clone()).file_name(name.clone()))
    })
}

/// Why a case did not pass: failed (with the mismatch) or skipped (with the reason).
enum NotPassed {
    Fail(String),
    Skip(String),
}

type CaseRun = Result<(), NotPassed>;

fn fail(message: impl Into<String>) -> NotPassed {
    NotPassed::Fail(message.into())
}

fn expect_status(evidence: &mut Vec<String>, what: &str, status: StatusCode, expected: StatusCode) -> CaseRun {
    evidence.push(format!("{what} → {status}"));
    if status == expected {
        Ok(())
    } else {
        Err(fail(format!("expected {expected}, got {status}")))
    }
}

/// An error with every cause it wraps, for the evidence.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// An HTTPS client of the relay; `api_client` adds the [`CLIENT_HEADER`] to every request (as the office's
/// software does), without it the client acts like a browser made to send by another site.
fn client(ca: &[u8], identity: Option<&[u8]>, api_client: bool) -> reqwest::Result<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    if api_client {
        headers.insert(CLIENT_HEADER, reqwest::header::HeaderValue::from_static("1"));
    }
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(ca)?)
        .default_headers(headers)
        .timeout(std::time::Duration::from_secs(60));
    if let Some(identity) = identity {
        builder = builder.identity(reqwest::Identity::from_pem(identity)?);
    }
    builder.build()
}

impl Context<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.target.url.trim_end_matches('/'))
    }

    fn number(&self, index: usize) -> &str {
        &self.target.offices[index].number
    }

    /// A valid monthly ticket unit from office 0 to office 1, with a ファイル連番 unique to `index`.
    fn unit(&self, index: usize, mutate: impl Fn(&mut conformance::synth::GeneratedFile)) -> Result<Files, NotPassed> {
        let office = |i: usize| Office {
            number: self.number(i).to_string(),
            kind: static_kind(&self.kinds[i]),
            name: String::new(),
            postal: String::new(),
            address: String::new(),
        };
        let mut files =
            scale_addressed(1, 1, 7 + index as u64, |_| (office(0), office(1))).map_err(|e| fail(e.to_string()))?;
        let serial = format!("20250430{:06}", 100_000 + index % 100_000);
        files
            .iter_mut()
            .map(|file| {
                mutate(file);
                let name = format!("{}_{serial}.CSV", file.name.rsplit_once('_').map_or("", |(head, _)| head));
                Ok((name, file.bytes().map_err(|e| fail(e.to_string()))?))
            })
            .collect()
    }

    async fn send(
        &self,
        from: usize,
        to: &str,
        files: &Files,
        key: Option<&str>,
    ) -> Result<(StatusCode, Value), NotPassed> {
        let form = send_form(to, files);
        let mut request = self.clients[from].post(self.url("/v1/messages")).multipart(form);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await.map_err(|e| fail(format!("POST /v1/messages: {e}")))?;
        let status = response.status();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    async fn get(&self, as_office: usize, path: &str) -> Result<(StatusCode, Value), NotPassed> {
        let response =
            self.clients[as_office].get(self.url(path)).send().await.map_err(|e| fail(format!("GET {path}: {e}")))?;
        let status = response.status();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    /// An answer read as the protocol's `T`: a body of another shape fails the case, saying what came instead.
    fn body_as<T: serde::de::DeserializeOwned>(body: &Value, what: &str) -> Result<T, NotPassed> {
        serde_json::from_value(body.clone())
            .map_err(|error| fail(format!("the answer is not a {what} ({error}): {body}")))
    }

    /// The relay answers `/healthz` to office 0: a refusal seen just before was the relay's, not an outage.
    async fn expect_up(&self, evidence: &mut Vec<String>) -> CaseRun {
        let (status, _) = self.get(0, "/healthz").await?;
        expect_status(evidence, "GET /healthz with a valid certificate", status, StatusCode::OK)
    }

    /// How many messages office 0 has sent (its outbox, up to 100).
    async fn outbox_count(&self) -> Result<usize, NotPassed> {
        let (_, outbox) = self.get(0, "/v1/outbox?limit=100").await?;
        Ok(Self::body_as::<Page>(&outbox, "Page")?.messages.len())
    }

    /// Sends a fresh unit from office 0 to office 1: its id and first file name.
    async fn fresh_message(&self, index: usize) -> Result<(String, String), NotPassed> {
        let files = self.unit(index, |_| {})?;
        let (status, body) = self.send(0, self.number(1), &files, None).await?;
        if status != StatusCode::CREATED {
            return Err(NotPassed::Skip(format!("a valid send was not accepted ({status}): {body}")));
        }
        let id = Self::body_as::<Message>(&body, "Message")?.id;
        Ok((id, files.first().map(|(name, _)| name.clone()).unwrap_or_default()))
    }

    /// The status of a message, as its recipient sees it.
    async fn status_of(&self, id: &str) -> Result<Status, NotPassed> {
        let (_, body) = self.get(1, &format!("/v1/messages/{id}")).await?;
        Ok(Self::body_as::<Message>(&body, "Message")?.status)
    }

    /// Sends `request` (built on a browser client) and requires 403.
    async fn expect_refused(
        &self,
        evidence: &mut Vec<String>,
        what: &str,
        request: reqwest::RequestBuilder,
    ) -> CaseRun {
        let response = request.send().await.map_err(|e| fail(format!("{what}: {e}")))?;
        expect_status(evidence, what, response.status(), StatusCode::FORBIDDEN)
    }

    fn sent(&self) -> Result<Sent, NotPassed> {
        self.sent
            .lock()
            .ok()
            .and_then(|s| s.clone())
            .ok_or_else(|| NotPassed::Skip("R10 did not send a message".into()))
    }
}

/// Kinds are few and fixed: keep them as static strings for the generator's `Office`.
fn static_kind(kind: &str) -> &'static str {
    conformance::spec::spec().service_kind(kind).map_or("43", |value| value.code.as_str())
}

async fn run_case(id: &str, ctx: &Context<'_>, evidence: &mut Vec<String>) -> CaseRun {
    let (a, b, c) = (ctx.number(0).to_string(), ctx.number(1).to_string(), ctx.number(2).to_string());
    match id {
        "R01" => {
            let anonymous = client(&ctx.target.ca_pem, None, true).map_err(|e| fail(e.to_string()))?;
            let error = match anonymous.get(ctx.url("/healthz")).send().await {
                Ok(response) => {
                    return Err(fail(format!("answered {} without a client certificate", response.status())))
                }
                Err(error) => error,
            };
            evidence.push(format!("refused: {}", error_chain(&error)));
            // The refusal counts only from a relay that is up. (Whether the TLS alert or the closed connection
            // reaches the client first is a race under TLS 1.3, so the error itself cannot tell more.)
            ctx.expect_up(evidence).await
        }
        "R02" => {
            if ctx.target.negative.is_empty() {
                return Err(NotPassed::Skip("no negative certificates given (--negative-dir)".into()));
            }
            let mut accepted = Vec::new();
            for (name, identity) in &ctx.target.negative {
                let attempt =
                    client(&ctx.target.ca_pem, Some(identity), true).map_err(|e| fail(format!("{name}: {e}")))?;
                match attempt.get(ctx.url("/healthz")).send().await {
                    Ok(response) => accepted.push(format!("{name}: accepted ({})", response.status())),
                    Err(error) => evidence.push(format!("{name}: refused ({})", error_chain(&error))),
                }
            }
            if !accepted.is_empty() {
                return Err(fail(accepted.join("; ")));
            }
            ctx.expect_up(evidence).await
        }
        "R03" => {
            let (status, body) = ctx.get(0, &format!("/v1/offices?q={b}")).await?;
            expect_status(evidence, "GET /v1/offices", status, StatusCode::OK)?;
            let found = Context::body_as::<Directory>(&body, "Directory")?.offices.iter().any(|o| o.number == b);
            found.then_some(()).ok_or_else(|| fail(format!("office {b} not in the directory: {body}")))
        }
        "R10" => {
            let files = ctx.unit(10, |_| {})?;
            let (status, body) = ctx.send(0, &b, &files, None).await?;
            expect_status(
                evidence,
                &format!("POST /v1/messages ({} files to {b})", files.len()),
                status,
                StatusCode::CREATED,
            )?;
            let message: Message = Context::body_as(&body, "Message")?;
            if message.status != Status::Sent {
                return Err(fail(format!("status {} instead of sent", message.status.as_str())));
            }
            evidence.push(format!("id {}", message.id));
            if let Ok(mut sent) = ctx.sent.lock() {
                *sent = Some(Sent { id: message.id, files });
            }
            Ok(())
        }
        "R11" => {
            let sent = ctx.sent()?;
            let (status, body) = ctx.get(1, "/v1/inbox").await?;
            expect_status(evidence, "GET /v1/inbox (recipient)", status, StatusCode::OK)?;
            let listed = Context::body_as::<Page>(&body, "Page")?.messages.iter().any(|m| m.id == sent.id);
            listed.then_some(()).ok_or_else(|| fail(format!("{} not in the inbox", sent.id)))
        }
        "R12" => {
            let sent = ctx.sent()?;
            for (name, bytes) in &sent.files {
                let path = format!("/v1/messages/{}/files/{name}", sent.id);
                let response = ctx.clients[1].get(ctx.url(&path)).send().await.map_err(|e| fail(e.to_string()))?;
                expect_status(evidence, &format!("GET {path}"), response.status(), StatusCode::OK)?;
                let body = response.bytes().await.map_err(|e| fail(e.to_string()))?;
                let (got, want) = (Sha256::digest(&body), Sha256::digest(bytes));
                if got != want {
                    return Err(fail(format!("{name}: SHA-256 {got:x} differs from the sent {want:x}")));
                }
            }
            Ok(())
        }
        "R13" => {
            let sent = ctx.sent()?;
            let (status, body) = ctx.get(1, &format!("/v1/messages/{}", sent.id)).await?;
            expect_status(evidence, "GET /v1/messages/{id}", status, StatusCode::OK)?;
            let status = Context::body_as::<Message>(&body, "Message")?.status;
            (status == Status::Downloaded).then_some(()).ok_or_else(|| fail(format!("status {}", status.as_str())))
        }
        "R14" => {
            let sent = ctx.sent()?;
            let path = format!("/v1/messages/{}/ack", sent.id);
            let response = ctx.clients[1].post(ctx.url(&path)).send().await.map_err(|e| fail(e.to_string()))?;
            expect_status(evidence, &format!("POST {path}"), response.status(), StatusCode::OK)?;
            let (_, outbox) = ctx.get(0, "/v1/outbox").await?;
            let outbox: Page = Context::body_as(&outbox, "Page")?;
            match outbox.messages.iter().find(|m| m.id == sent.id).map(|m| m.status) {
                Some(Status::Acknowledged) => Ok(()),
                other => Err(fail(format!("sender's outbox shows {other:?}"))),
            }
        }
        "R20" => {
            let files = ctx.unit(20, |file| {
                if file.kind.code == "UPPLAN" {
                    if let Some(column) = file.kind.index_of("start_time") {
                        file.records[0][column] = "2561".into();
                    }
                }
            })?;
            let (_, before) = ctx.get(0, "/v1/outbox?limit=100").await?;
            let (status, body) = ctx.send(0, &b, &files, None).await?;
            expect_status(
                evidence,
                "POST /v1/messages (サービス開始時刻 2561)",
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
            )?;
            let error: ErrorBody = Context::body_as(&body, "validation_failed error")?;
            let report = error.report.ok_or_else(|| fail("the 422 carries no report"))?;
            let rules: Vec<&str> = report.findings().map(|f| f.rule.as_str()).collect();
            evidence.push(format!("rules reported: {rules:?}"));
            if !rules.contains(&"FLD008") {
                return Err(fail("the report does not name FLD008"));
            }
            let (_, after) = ctx.get(0, "/v1/outbox?limit=100").await?;
            let count = |page: &Value| Context::body_as::<Page>(page, "Page").map(|page| page.messages.len());
            (count(&before)? == count(&after)?).then_some(()).ok_or_else(|| fail("the rejected send was stored"))
        }
        "R21" => {
            let files = ctx.unit(21, |_| {})?;
            let key = format!("conformance-{}", std::process::id());
            let (first_status, first) = ctx.send(0, &b, &files, Some(&key)).await?;
            let (second_status, second) = ctx.send(0, &b, &files, Some(&key)).await?;
            if !first_status.is_success() || !second_status.is_success() {
                return Err(fail(format!("a send failed: {first_status}, then {second_status}")));
            }
            let (first, second): (Message, Message) =
                (Context::body_as(&first, "Message")?, Context::body_as(&second, "Message")?);
            evidence.push(format!("first {first_status} id {}, retry {second_status} id {}", first.id, second.id));
            (first.id == second.id).then_some(()).ok_or_else(|| fail("the retry created a second message"))
        }
        "R22" => {
            let key = format!("conformance-reuse-{}", std::process::id());
            let (first_status, _) = ctx.send(0, &b, &ctx.unit(22, |_| {})?, Some(&key)).await?;
            expect_status(evidence, "POST /v1/messages (first use of the key)", first_status, StatusCode::CREATED)?;
            let before = ctx.outbox_count().await?;
            let (status, body) = ctx.send(0, &b, &ctx.unit(220, |_| {})?, Some(&key)).await?;
            expect_status(evidence, "POST /v1/messages (same key, other files)", status, StatusCode::CONFLICT)?;
            let error: ErrorBody = Context::body_as(&body, "error")?;
            if error.error != ErrorCode::IdempotencyKeyConflict {
                return Err(fail(format!("error code {} instead of idempotency_key_conflict", error.error)));
            }
            if ctx.outbox_count().await? != before {
                return Err(fail("the refused send was stored"));
            }
            let long = "k".repeat(201);
            let (status, _) = ctx.send(0, &b, &ctx.unit(221, |_| {})?, Some(&long)).await?;
            expect_status(evidence, "POST /v1/messages (a 201-character key)", status, StatusCode::BAD_REQUEST)
        }
        "R32" => {
            let before = ctx.outbox_count().await?;
            let form = send_form(&b, &ctx.unit(32, |_| {})?);
            let cross_site = |request: reqwest::RequestBuilder| {
                request.header("Origin", "https://evil.example").header("Sec-Fetch-Site", "cross-site")
            };
            let send = cross_site(ctx.browsers[0].post(ctx.url("/v1/messages")).multipart(form));
            ctx.expect_refused(evidence, "POST /v1/messages from https://evil.example", send).await?;
            if ctx.outbox_count().await? != before {
                return Err(fail("the cross-site send was stored"));
            }
            let (id, name) = ctx.fresh_message(320).await?;
            let image = ctx.browsers[1]
                .get(ctx.url(&format!("/v1/messages/{id}/files/{name}")))
                .header("Sec-Fetch-Site", "cross-site")
                .header("Sec-Fetch-Dest", "image");
            ctx.expect_refused(evidence, "GET …/files/{name} as a cross-site <img>", image).await?;
            let ack = ctx.browsers[1]
                .post(ctx.url(&format!("/v1/messages/{id}/ack")))
                .header("Origin", "null")
                .header("Content-Type", "text/plain")
                .body("x");
            ctx.expect_refused(evidence, "POST …/ack with Origin: null", ack).await?;
            let status = ctx.status_of(&id).await?.as_str();
            evidence.push(format!("status afterwards: {status}"));
            (status == "sent").then_some(()).ok_or_else(|| fail(format!("the refused requests moved it to {status}")))
        }
        "R33" => {
            let (id, name) = ctx.fresh_message(330).await?;
            let download = ctx.browsers[1].get(ctx.url(&format!("/v1/messages/{id}/files/{name}")));
            ctx.expect_refused(evidence, "GET …/files/{name} without X-Careplan-Client", download).await?;
            let ack = ctx.browsers[1].post(ctx.url(&format!("/v1/messages/{id}/ack")));
            ctx.expect_refused(evidence, "POST …/ack without X-Careplan-Client", ack).await?;
            let status = ctx.status_of(&id).await?.as_str();
            evidence.push(format!("status afterwards: {status}"));
            (status == "sent").then_some(()).ok_or_else(|| fail(format!("the refused requests moved it to {status}")))
        }
        "R30" => {
            let sent = ctx.sent()?;
            let name = sent.files.first().map(|(n, _)| n.clone()).unwrap_or_default();
            for path in [format!("/v1/messages/{}", sent.id), format!("/v1/messages/{}/files/{name}", sent.id)] {
                let (status, _) = ctx.get(2, &path).await?;
                expect_status(evidence, &format!("GET {path} as {c}"), status, StatusCode::NOT_FOUND)?;
            }
            let path = format!("/v1/messages/{}/ack", sent.id);
            let response = ctx.clients[2].post(ctx.url(&path)).send().await.map_err(|e| fail(e.to_string()))?;
            expect_status(evidence, &format!("POST {path} as {c}"), response.status(), StatusCode::NOT_FOUND)?;
            let (_, inbox) = ctx.get(2, "/v1/inbox").await?;
            let leaked = Context::body_as::<Page>(&inbox, "Page")?.messages.iter().any(|m| m.id == sent.id);
            (!leaked).then_some(()).ok_or_else(|| fail("the third office's inbox lists the message"))
        }
        "R31" => {
            // Office 1 sends files whose names say office 0 sent them.
            let files = ctx.unit(31, |_| {})?;
            let (status, _) = ctx.send(1, &c, &files, None).await?;
            expect_status(
                evidence,
                &format!("POST /v1/messages as {b} with files naming {a}"),
                status,
                StatusCode::FORBIDDEN,
            )
        }
        "R34" => {
            for (index, invisible) in [(340, '\u{2060}'), (341, '\u{00AD}'), (342, '\u{202E}')] {
                let mut files = ctx.unit(index, |_| {})?;
                if let Some((name, _)) = files.first_mut() {
                    // After the prefix, where a reader sees nothing: UPPLAN⁠_202505_… still reads as UPPLAN_202505_….
                    let at = name.find('_').unwrap_or(0);
                    name.insert(at, invisible);
                }
                let what = format!("POST /v1/messages with U+{:04X} in a file name", u32::from(invisible));
                let (status, body) = ctx.send(0, &b, &files, None).await?;
                expect_status(evidence, &what, status, StatusCode::BAD_REQUEST)?;
                let error: ErrorBody = Context::body_as(&body, "error {\"error\", \"message\"}")?;
                if error.error != ErrorCode::BadFileName {
                    return Err(fail(format!("{what}: error code {} instead of bad_file_name", error.error)));
                }
            }
            Ok(())
        }
        "R40" => {
            let mut ids = Vec::new();
            for i in 0..3 {
                let (status, body) = ctx.send(0, &b, &ctx.unit(400 + i, |_| {})?, None).await?;
                expect_status(evidence, "POST /v1/messages", status, StatusCode::CREATED)?;
                ids.push(Context::body_as::<Message>(&body, "Message")?.id);
            }
            let (_, first) = ctx.get(1, "/v1/inbox?limit=2").await?;
            let first: Page = Context::body_as(&first, "Page")?;
            let page: Vec<&str> = first.messages.iter().map(|m| m.id.as_str()).collect();
            if page != [ids[2].as_str(), ids[1].as_str()] {
                return Err(fail(format!("first page {page:?}, expected the two newest {:?}", [&ids[2], &ids[1]])));
            }
            let next = first.next.ok_or_else(|| fail("no next cursor"))?;
            let (_, second) = ctx.get(1, &format!("/v1/inbox?limit=2&before={next}")).await?;
            let second: Page = Context::body_as(&second, "Page")?;
            (second.messages.first().map(|m| m.id.as_str()) == Some(ids[0].as_str()))
                .then_some(())
                .ok_or_else(|| fail("the second page does not continue the first"))
        }
        "R41" => {
            let mut ids = Vec::new();
            for i in 0..3 {
                let (status, body) = ctx.send(0, &b, &ctx.unit(410 + i, |_| {})?, None).await?;
                expect_status(evidence, "POST /v1/messages", status, StatusCode::CREATED)?;
                ids.push(Context::body_as::<Message>(&body, "Message")?.id);
            }
            // One message a page, oldest first, from the first of the three on: each page continues with the next.
            let mut offered = Vec::new();
            let mut after: Option<i64> = None;
            while offered.len() < 200 {
                let path = match after {
                    Some(after) => format!("/v1/inbox?order=asc&limit=1&after={after}"),
                    None => "/v1/inbox?order=asc&limit=1".to_string(),
                };
                let (status, body) = ctx.get(1, &path).await?;
                expect_status(evidence, &format!("GET {path}"), status, StatusCode::OK)?;
                let page: Page = Context::body_as(&body, "Page")?;
                offered.extend(page.messages.into_iter().map(|m| m.id).filter(|id| ids.contains(id)));
                match page.next {
                    Some(next) if offered.len() < ids.len() => after = Some(next),
                    _ => break,
                }
            }
            (offered == ids)
                .then_some(())
                .ok_or_else(|| fail(format!("offered {offered:?}, sent in the order {ids:?}")))
        }
        "R50" => {
            let (status, body) = ctx.get(0, "/v1/messages/no-such-message").await?;
            expect_status(evidence, "GET /v1/messages/no-such-message", status, StatusCode::NOT_FOUND)?;
            let error: ErrorBody = Context::body_as(&body, "error {\"error\", \"message\"}")?;
            (error.error == ErrorCode::NotFound)
                .then_some(())
                .ok_or_else(|| fail(format!("error code {} instead of not_found", error.error)))
        }
        "R51" => {
            let Some(limit) = ctx.target.max_body else {
                return Err(NotPassed::Skip("the relay's body limit was not given (--max-body)".into()));
            };
            let big = vec![(
                format!("UPPLAN_202505_{a}_{}_{b}_{}_20250430235959.CSV", ctx.kinds[0], ctx.kinds[1]),
                vec![b'0'; limit + 1],
            )];
            let form = send_form(&b, &big);
            match ctx.clients[0].post(ctx.url("/v1/messages")).multipart(form).send().await {
                Ok(response) => {
                    let what = format!("POST /v1/messages with {} bytes", limit + 1);
                    expect_status(evidence, &what, response.status(), StatusCode::PAYLOAD_TOO_LARGE)
                }
                // Refusing before reading the body may close the connection while the client is still sending.
                Err(error) if (error.is_request() || error.is_body()) && !error.is_connect() => {
                    evidence
                        .push(format!("the relay closed the connection during the upload (refused unread): {error}"));
                    Ok(())
                }
                Err(error) => Err(fail(format!("POST /v1/messages: {error}"))),
            }?;
            // A relay that is down also "refuses" the upload.
            ctx.expect_up(evidence).await
        }
        _ => Err(NotPassed::Skip(format!("unknown case {id}"))),
    }
}

/// Runs every case against `target`; `progress` is called with each case id as it starts.
pub fn run(target: &RelayTarget, lang: Lang, progress: &dyn Fn(&str)) -> SuiteReport {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => return setup_failure(target, lang, format!("cannot start an async runtime: {error}")),
    };
    runtime.block_on(async {
        if target.offices.len() < 3 {
            return setup_failure(target, lang, "three offices are needed: sender, recipient and a third".into());
        }
        let (mut clients, mut browsers) = (Vec::new(), Vec::new());
        for office in &target.offices {
            let identity = Some(office.identity_pem.as_slice());
            match (client(&target.ca_pem, identity, true), client(&target.ca_pem, identity, false)) {
                (Ok(api), Ok(browser)) => {
                    clients.push(api);
                    browsers.push(browser);
                }
                (Err(error), _) | (_, Err(error)) => {
                    return setup_failure(target, lang, format!("office {}: {error}", office.number))
                }
            }
        }
        // The kind each office acts under: the first sends tickets as a care manager, the others receive them. An office number
        // may hold several kinds; take the one that plays the part (parties.toml).
        let mut kinds = Vec::new();
        for office in &target.offices {
            let role = if kinds.is_empty() { "care_manager" } else { "provider" };
            let url = format!("{}/v1/offices?q={}", target.url.trim_end_matches('/'), office.number);
            let registered: Vec<String> = match clients[0].get(url).send().await {
                Ok(response) => response.json::<Directory>().await.ok().and_then(|directory| {
                    directory.offices.into_iter().find(|o| o.number == office.number).map(|o| o.kinds)
                }),
                Err(_) => None,
            }
            .unwrap_or_default();
            let parties = &conformance::spec::spec().parties;
            let kind = registered.iter().find(|kind| parties.plays(role, kind)).or(registered.first());
            kinds.push(kind.cloned().unwrap_or_else(|| if role == "care_manager" { "43".into() } else { "11".into() }));
        }
        let ctx = Context { target, clients, browsers, kinds, sent: Mutex::new(None) };
        let mut results = Vec::new();
        for info in CASES {
            progress(info.id);
            let started = Instant::now();
            let mut evidence = Vec::new();
            let outcome = match run_case(info.id, &ctx, &mut evidence).await {
                Ok(()) => Outcome::Pass,
                Err(NotPassed::Fail(message)) => {
                    evidence.push(format!("✗ {message}"));
                    Outcome::Fail
                }
                Err(NotPassed::Skip(reason)) => {
                    evidence.push(reason);
                    Outcome::Skip
                }
            };
            results.push(CaseResult {
                id: info.id,
                title: info.title.get(lang).to_string(),
                requirement: info.requirement.get(lang).to_string(),
                outcome,
                evidence,
                millis: started.elapsed().as_millis() as u64,
            });
        }
        SuiteReport::new("relay", target.url.clone(), lang, results)
    })
}

fn setup_failure(target: &RelayTarget, lang: Lang, message: String) -> SuiteReport {
    let results = vec![CaseResult {
        id: "R00",
        title: "setup".into(),
        requirement: "the suite can reach the relay with the offices given".into(),
        outcome: Outcome::Fail,
        evidence: vec![message],
        millis: 0,
    }];
    SuiteReport::new("relay", target.url.clone(), lang, results)
}
