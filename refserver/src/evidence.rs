//! 送受信記録 (exchange record): what one office sent and received in a period — counterpart, files and their
//! SHA-256, when each message was sent, first downloaded and acknowledged — and which of its sends were refused,
//! with the rules. What an inspector (運営指導) used to read from the FAX journal. Only file names and digests: no
//! content, no 利用者.
//!
//! The record is signed by the relay with its document-signing key from the PKI ([`pki::ensure_signing`]):
//! ECDSA P-256 with SHA-256 over the exact bytes served, the signature DER-encoded (RFC 3279), detached. Anyone
//! with the PKI's CA certificate checks it: [`verify`], `careplan-refserver evidence verify`.

use std::fmt::Write as _;

use base64::prelude::{Engine as _, BASE64_STANDARD};
use protocol::{EvidenceFile, EvidenceMessage, EvidenceRecord, EvidenceRefusal, FileEntry};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING};
use sha2::Digest as _;
use time::{Date, OffsetDateTime, UtcOffset};

use crate::checks::shown;
use crate::model::{AuditEntry, MessageMeta, Office};
use crate::store::{Store, StoreError};
use transport::PkiPaths;

/// How the relay signs records, as the record and the documentation say it.
pub const ALGORITHM: &str = "ECDSA P-256 SHA-256 (DER, RFC 3279), detached, over the exact bytes of the record";

/// The longest period one record covers.
const MAX_DAYS: i64 = 366;

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("{0}")]
    Period(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {message}")]
    Key { path: String, message: String },
    #[error("the signature does not match the record: it was changed after the relay signed it, or belongs to another record")]
    BadSignature,
    #[error("the signing certificate is not one the PKI's CA issued: {0}")]
    Untrusted(String),
    #[error("署名用証明書が中継サーバーの文書署名用ではありません / the signing certificate is not the relay's document-signing certificate: {0}")]
    NotASigner(String),
    #[error("記録が別の署名用証明書を指しています / the record does not name the signing certificate (SHA-256 {0}) as its signer")]
    OtherSigner(String),
}

/// Japan time, the time of the offices' records.
fn japan() -> UtcOffset {
    UtcOffset::from_hms(9, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// First and last day of a record, Japan time, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    /// `from` and `to` as `YYYY-MM-DD`; `to` not before `from`, at most [`MAX_DAYS`] days.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Period, EvidenceError> {
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let day = |name: &str, value: Option<&str>| {
            let value = value.ok_or_else(|| EvidenceError::Period(format!("`{name}` (YYYY-MM-DD) is required")))?;
            Date::parse(value, &format)
                .map_err(|_| EvidenceError::Period(format!("`{name}` must be a date YYYY-MM-DD, not {value:?}")))
        };
        let (from, to) = (day("from", from)?, day("to", to)?);
        let days = (to - from).whole_days();
        if !(0..MAX_DAYS).contains(&days) {
            return Err(EvidenceError::Period(format!(
                "`to` must be on or after `from`, and a record covers at most {MAX_DAYS} days"
            )));
        }
        Ok(Period { from, to })
    }

    /// The period as UTC bounds `[start, end)` in the store's time format, without the zone letter, so that any
    /// stored time (with or without fractions of a second) compares as text.
    fn utc_bounds(&self) -> (String, String) {
        let bound = |date: Date| {
            let utc = date.midnight().assume_offset(japan()).to_offset(UtcOffset::UTC);
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                utc.year(),
                u8::from(utc.month()),
                utc.day(),
                utc.hour(),
                utc.minute(),
                utc.second()
            )
        };
        (bound(self.from), bound(self.to.next_day().unwrap_or(self.to)))
    }
}

/// A stored time (RFC 3339, UTC) in Japan time, `YYYY-MM-DDTHH:MM:SS+09:00`; as stored when it does not parse.
fn japan_time(stored: &str) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
    );
    OffsetDateTime::parse(stored, &time::format_description::well_known::Rfc3339)
        .ok()
        .and_then(|t| t.to_offset(japan()).format(&format).ok())
        .unwrap_or_else(|| stored.to_string())
}

/// The office's record for the period, as the store holds it now.
pub async fn build(
    store: &dyn Store,
    office: &Office,
    period: Period,
    generated_at: &str,
    signer: &Signer,
) -> Result<EvidenceRecord, EvidenceError> {
    let (start, end) = period.utc_bounds();
    let mut messages = Vec::new();
    // An office exchanges with a few counterparts many times: each name is looked up once.
    let mut names: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for message in store.exchanged(&office.number, &start, &end).await? {
        let MessageMeta { id, from, to, serial, unit, created_at, downloaded_at, acknowledged_at, files, .. } = message;
        let (direction, counterpart) = if from == office.number { ("sent", to) } else { ("received", from) };
        let counterpart_name = match names.get(&counterpart) {
            Some(name) => name.clone(),
            None => {
                let name = store.office(&counterpart).await?.map(|office| shown(&office.name).into_owned());
                let name = name.unwrap_or_default();
                names.insert(counterpart.clone(), name.clone());
                name
            }
        };
        messages.push(EvidenceMessage {
            id,
            direction: direction.to_string(),
            counterpart_name,
            counterpart,
            serial,
            unit,
            sent_at: japan_time(&created_at),
            downloaded_at: downloaded_at.as_deref().map(japan_time),
            acknowledged_at: acknowledged_at.as_deref().map(japan_time),
            files: files
                .into_iter()
                .map(|f| FileEntry { name: shown(&f.name).into_owned(), kind: f.kind, size: f.size, sha256: f.sha256 })
                .collect(),
        });
    }
    let refusals = store
        .audit_log(Some(&office.number), Some(&start))
        .await?
        .into_iter()
        .filter(|entry| entry.action == "reject" && entry.at.as_str() < end.as_str())
        .filter_map(|entry| refusal(&entry))
        .collect();
    Ok(EvidenceRecord {
        relay: format!("careplan-refserver {}", env!("CARGO_PKG_VERSION")),
        // Names from the registry and the store are shown like any outside text (the record is printed and opened
        // in spreadsheets).
        office: protocol::Office { name: shown(&office.name).into_owned(), ..protocol::Office::from(office) },
        from: period.from.to_string(),
        to: period.to.to_string(),
        generated_at: japan_time(generated_at),
        signer: signer.subject.clone(),
        signer_sha256: signer.sha256.clone(),
        signature_algorithm: ALGORITHM.to_string(),
        messages,
        refusals,
    })
}

/// What a refused send's audit entry says (its detail is the JSON [`refusal_detail`] wrote): a send refused with
/// 422 for what its files hold (not conforming, not one send unit, a `.JPG` that is no JPEG); other refusals (a bad
/// name, an unknown recipient, a lapsed licence) are about the request, not the files.
fn refusal(entry: &AuditEntry) -> Option<EvidenceRefusal> {
    let detail: serde_json::Value = serde_json::from_str(entry.detail.as_deref()?).ok()?;
    let error = detail["error"].as_str()?.to_string();
    if protocol::ErrorCode::parse(&error)?.status() != 422 {
        return None;
    }
    let strings = |key: &str| -> Vec<String> {
        detail[key].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(String::from)).collect()
    };
    let files = detail["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|file| {
            Some(EvidenceFile {
                name: file["name"].as_str()?.to_string(),
                sha256: file["sha256"].as_str()?.to_string(),
            })
        })
        .collect();
    Some(EvidenceRefusal {
        at: japan_time(&entry.at),
        to: detail["to"].as_str().map(String::from),
        error,
        rules: strings("rules"),
        files,
    })
}

/// The audit detail of a refused send: JSON, so the record can read it back. Text from outside (names, the
/// message quoting them) is made [`shown`] first: the audit log escapes deceptive characters as `\u{…}`, which
/// inside a JSON string would no longer parse.
pub fn refusal_detail(
    error: &str,
    message: &str,
    to: Option<&str>,
    files: &[(String, String)],
    rules: &[String],
) -> String {
    let files: Vec<serde_json::Value> =
        files.iter().map(|(name, sha256)| serde_json::json!({"name": shown(name), "sha256": sha256})).collect();
    let (message, to) = (shown(message), to.map(shown));
    serde_json::json!({"error": error, "message": message, "to": to, "files": files, "rules": rules}).to_string()
}

pub fn json(record: &EvidenceRecord) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(record).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The record as a Shift_JIS CSV for Excel: a heading block (office, period, when and by whom it was made), then
/// one row per file of each message and per refused send.
pub fn csv(record: &EvidenceRecord) -> Vec<u8> {
    let mut text = String::new();
    let mut row = |cells: &[&str]| {
        let quoted: Vec<String> = cells
            .iter()
            .map(|cell| format!("\"{}\"", crate::checks::spreadsheet_text(cell).replace('"', "\"\"")))
            .collect();
        let _ = write!(text, "{}\r\n", quoted.join(","));
    };
    row(&["送受信記録 Exchange record", &record.relay]);
    row(&["事業所 Office", &record.office.number, &record.office.name]);
    row(&["期間 Period", &record.from, &record.to]);
    row(&["作成日時 Generated", &record.generated_at]);
    row(&["署名者 Signer", &record.signer, &record.signature_algorithm]);
    row(&["署名用証明書 SHA-256 Signing certificate", &record.signer_sha256]);
    row(&[]);
    row(&[
        "区分 Direction",
        "送信日時 Sent",
        "相手事業所番号 Counterpart",
        "相手事業所名 Counterpart name",
        "ファイル連番 Serial",
        "ファイル名 File",
        "種別 Kind",
        "サイズ Size",
        "SHA-256",
        "初回ダウンロード Downloaded",
        "受領確認 Acknowledged",
        "規則 Rules",
        "メッセージID Message",
    ]);
    for message in &record.messages {
        let direction = if message.direction == "sent" { "送信 sent" } else { "受信 received" };
        for file in &message.files {
            let size = file.size.to_string();
            row(&[
                direction,
                &message.sent_at,
                &message.counterpart,
                &message.counterpart_name,
                &message.serial,
                &file.name,
                file.kind.as_deref().unwrap_or(""),
                &size,
                &file.sha256,
                message.downloaded_at.as_deref().unwrap_or(""),
                message.acknowledged_at.as_deref().unwrap_or(""),
                "",
                &message.id,
            ]);
        }
    }
    for refusal in &record.refusals {
        let rules = refusal.rules.join(" ");
        for file in &refusal.files {
            row(&[
                "不適合で受付拒否 refused",
                &refusal.at,
                refusal.to.as_deref().unwrap_or(""),
                "",
                "",
                &file.name,
                "",
                "",
                &file.sha256,
                "",
                "",
                &rules,
                "",
            ]);
        }
    }
    // Excel reads a CSV as Shift_JIS. A directory name with a character outside it is written as a numeric
    // reference (`&#…;`) rather than failing the record.
    encoding_rs::SHIFT_JIS.encode(&text).0.into_owned()
}

/// The relay's signing key, and the subject and SHA-256 of the certificate it signs as.
pub struct Signer {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    pub subject: String,
    pub sha256: String,
    /// SHA-256 of the private key, from which [`Signer::derived_key`] derives the relay's other keys
    secret: [u8; 32],
}

impl Signer {
    pub fn load(pki: &PkiPaths) -> Result<Signer, EvidenceError> {
        let key_error =
            |path: &std::path::Path, message: String| EvidenceError::Key { path: path.display().to_string(), message };
        let pem = std::fs::read(pki.signing_key()).map_err(|e| key_error(&pki.signing_key(), e.to_string()))?;
        let der = match rustls_pemfile::private_key(&mut pem.as_slice()) {
            Ok(Some(rustls::pki_types::PrivateKeyDer::Pkcs8(der))) => der,
            _ => return Err(key_error(&pki.signing_key(), "no PKCS#8 private key".into())),
        };
        let rng = SystemRandom::new();
        let der_key = der.secret_pkcs8_der();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, der_key, &rng)
            .map_err(|e| key_error(&pki.signing_key(), format!("not an ECDSA P-256 key: {e}")))?;
        let der = certificate_der(&pki.signing_cert())?;
        let (_, certificate) =
            x509_parser::parse_x509_certificate(&der).map_err(|e| key_error(&pki.signing_cert(), e.to_string()))?;
        let subject = certificate.subject().to_string();
        let secret = sha2::Sha256::digest(der_key).into();
        Ok(Signer { key, rng, subject, sha256: fingerprint(&der), secret })
    }

    /// A key for `purpose` derived from the signing key: the same on every relay node that shares the PKI, and
    /// unknown to anyone without the key.
    pub fn derived_key(&self, purpose: &str) -> ring::hmac::Key {
        let tag = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &self.secret), purpose.as_bytes());
        ring::hmac::Key::new(ring::hmac::HMAC_SHA256, tag.as_ref())
    }

    pub fn sign(&self, bytes: &[u8]) -> Result<Vec<u8>, EvidenceError> {
        self.key
            .sign(&self.rng, bytes)
            .map(|signature| signature.as_ref().to_vec())
            .map_err(|_| EvidenceError::Key { path: "signing key".into(), message: "signing failed".into() })
    }
}

fn certificate_der(path: &std::path::Path) -> Result<Vec<u8>, EvidenceError> {
    let pem = std::fs::read(path)
        .map_err(|e| EvidenceError::Key { path: path.display().to_string(), message: e.to_string() })?;
    let first = rustls_pemfile::certs(&mut pem.as_slice()).next().and_then(Result::ok).map(|der| der.to_vec());
    first.ok_or_else(|| EvidenceError::Key { path: path.display().to_string(), message: "no certificate".into() })
}

/// SHA-256 of a certificate's DER, lower-case hex: how a record names the certificate that signed it.
fn fingerprint(der: &[u8]) -> String {
    conformance::hex::encode(&sha2::Sha256::digest(der))
}

/// What a verified signature says: who signed (subject and SHA-256 of the certificate), and that certificate's
/// validity.
#[derive(Debug)]
pub struct Verified {
    pub signer: String,
    pub sha256: String,
    pub valid_from: String,
    pub valid_until: String,
}

/// Checks a detached signature (DER, or its base64 as the relay's header and the bundle carry it) over `document`
/// with the PKI's signing certificate; that certificate against the PKI's CA and as a relay's signing certificate
/// ([`pki::signing_certificate_refusal`]: an office's certificate never passes); and that the record names it by
/// its SHA-256.
pub fn verify(document: &[u8], signature: &[u8], pki: &PkiPaths) -> Result<Verified, EvidenceError> {
    let ca_der = certificate_der(&pki.ca_cert())?;
    let signing_der = certificate_der(&pki.signing_cert())?;
    fn parse(der: &[u8]) -> Result<x509_parser::certificate::X509Certificate<'_>, EvidenceError> {
        x509_parser::parse_x509_certificate(der)
            .map(|(_, cert)| cert)
            .map_err(|e| EvidenceError::Untrusted(e.to_string()))
    }
    let (ca, signing) = (parse(&ca_der)?, parse(&signing_der)?);
    signing.verify_signature(Some(ca.public_key())).map_err(|e| EvidenceError::Untrusted(e.to_string()))?;
    if let Some(refusal) = crate::pki::signing_certificate_refusal(&signing) {
        return Err(EvidenceError::NotASigner(refusal));
    }
    let sha256 = fingerprint(&signing_der);
    if !document.windows(sha256.len()).any(|window| window == sha256.as_bytes()) {
        return Err(EvidenceError::OtherSigner(sha256));
    }
    let signature = decode_signature(signature);
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, signing.public_key().subject_public_key.data.as_ref())
        .verify(document, &signature)
        .map_err(|_| EvidenceError::BadSignature)?;
    Ok(Verified {
        signer: signing.subject().to_string(),
        sha256,
        valid_from: signing.validity().not_before.to_string(),
        valid_until: signing.validity().not_after.to_string(),
    })
}

/// A signature as given: base64 text (trimmed) when it reads as such, else the DER bytes themselves.
fn decode_signature(given: &[u8]) -> Vec<u8> {
    std::str::from_utf8(given)
        .ok()
        .and_then(|text| BASE64_STANDARD.decode(text.trim()).ok())
        .filter(|der| !der.is_empty())
        .unwrap_or_else(|| given.to_vec())
}

/// Standard base64 with padding (RFC 4648 §4), as the `Careplan-Signature` header and the bundle's `.sig` files
/// carry a signature.
pub fn base64_encode(bytes: &[u8]) -> String {
    BASE64_STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the audit log stores of a refused send (escaped once more) reads back, deceptive names too.
    #[test]
    fn a_refusal_reads_back_from_its_audit_entry() {
        let files = [("UP1KYO\u{202E}.CSV".to_string(), "ab12".to_string())];
        let detail = refusal_detail("validation_failed", "bad", Some("1370002058"), &files, &["FLD008".into()]);
        let entry = AuditEntry {
            at: "2025-04-30T15:00:00Z".into(),
            office: Some("1370001002".into()),
            action: "reject".into(),
            message_id: None,
            detail: Some(shown(&detail).into_owned()),
        };
        let read = refusal(&entry).unwrap();
        assert_eq!(read.files, vec![EvidenceFile { name: "UP1KYO\\u{202E}.CSV".into(), sha256: "ab12".into() }]);
        assert_eq!(
            (read.rules, read.to.as_deref(), read.at.as_str()),
            (vec!["FLD008".to_string()], Some("1370002058"), "2025-05-01T00:00:00+09:00")
        );
        let other = refusal_detail("bad_recipient", "no", None, &[], &[]);
        assert!(
            refusal(&AuditEntry { detail: Some(other), ..entry }).is_none(),
            "only non-conforming files are listed"
        );
    }

    #[test]
    fn signatures_read_as_base64_or_as_der() {
        let der: Vec<u8> = (0..71u8).map(|i| i.wrapping_mul(37).wrapping_add(11)).collect();
        assert_eq!(decode_signature(base64_encode(&der).as_bytes()), der);
        assert_eq!(decode_signature(format!("{}\r\n", base64_encode(&der)).as_bytes()), der, "a trailing line break");
        assert_eq!(decode_signature(&der), der, "DER bytes are not base64 text");
        assert_eq!(base64_encode(b"Ma"), "TWE=");
    }

    #[test]
    fn a_period_is_days_of_japan_time() {
        let period = Period::parse(Some("2025-05-01"), Some("2025-05-31")).unwrap();
        assert_eq!(period.utc_bounds(), ("2025-04-30T15:00:00".into(), "2025-05-31T15:00:00".into()));
        assert!(Period::parse(Some("2025-05-02"), Some("2025-05-01")).is_err());
        assert!(Period::parse(Some("2025-05-01"), None).is_err());
        assert!(Period::parse(Some("2024-01-01"), Some("2025-12-31")).is_err(), "more than a year");
        assert_eq!(japan_time("2025-04-30T15:00:00.5Z"), "2025-05-01T00:00:00+09:00");
    }
}
