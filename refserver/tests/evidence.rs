//! The exchange record (送受信記録) and the anonymised download, over real mutual TLS: what each office's record
//! lists, that its signature holds and fails when one byte changes, that it names no 利用者, and that the
//! anonymised copy of a received unit shows the findings of the original and none of its personal values.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

mod common;

use common::{plan_unit, unit, Relay, DAY_SERVICE};
use protocol::EvidenceRecord;
use refserver::evidence::{verify, EvidenceError};
use refserver::sandbox::{CARE_MANAGER, HOME_HELP};
use refserver::store::Store;
use reqwest::StatusCode;
use sha2::Digest;
use transport::PkiPaths;

/// A period around today in Japan time: yesterday to tomorrow.
fn period() -> String {
    let today = time::OffsetDateTime::now_utc().to_offset(time::UtcOffset::from_hms(9, 0, 0).unwrap()).date();
    format!("from={}&to={}", today.previous_day().unwrap(), today.next_day().unwrap())
}

async fn fetch_record(relay: &Relay, office: &str, format: &str) -> (StatusCode, Vec<u8>, Option<String>) {
    let url = relay.url(&format!("/v1/evidence?{}&format={format}", period()));
    let response = relay.client(office).get(url).send().await.unwrap();
    let status = response.status();
    let signature = response.headers().get(protocol::SIGNATURE_HEADER).map(|value| value.to_str().unwrap().to_string());
    (status, response.bytes().await.unwrap().to_vec(), signature)
}

/// The answer to a GET another site makes `office`'s browser send (its certificate, a foreign Origin).
async fn cross_site_get(relay: &Relay, office: &str, url: &str) -> StatusCode {
    let request = relay.client(office).get(url).header("Origin", "https://evil.example");
    request.header("Sec-Fetch-Site", "cross-site").send().await.unwrap().status()
}

#[tokio::test]
async fn an_offices_record_lists_its_sends_receipts_and_refusals_and_its_signature_holds() {
    let relay = Relay::start().await;
    let pki = PkiPaths::new(relay.dir.path().join("pki"));
    let files = plan_unit();
    let (status, sent) = relay.send(CARE_MANAGER, HOME_HELP, &files, None).await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let id = sent["id"].as_str().unwrap().to_string();
    let user_name = sent["subject"]["user_name"].as_str().unwrap().to_string();
    let refused = unit("invalid/FLD008-hour-25", "_2025");
    let (status, _) = relay.send(CARE_MANAGER, HOME_HELP, &refused, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let download = relay.url(&format!("/v1/messages/{id}/files/{}", files[0].0));
    assert_eq!(relay.client(HOME_HELP).get(download).send().await.unwrap().status(), StatusCode::OK);
    let ack = relay.url(&format!("/v1/messages/{id}/ack"));
    assert_eq!(relay.client(HOME_HELP).post(ack).send().await.unwrap().status(), StatusCode::OK);

    let (status, body, signature) = fetch_record(&relay, CARE_MANAGER, "json").await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let record: EvidenceRecord = serde_json::from_slice(&body).unwrap();
    assert_eq!(record.office.number, CARE_MANAGER);
    assert_eq!(record.messages.len(), 1);
    let message = &record.messages[0];
    assert_eq!((message.direction.as_str(), message.counterpart.as_str()), ("sent", HOME_HELP));
    assert_eq!(message.counterpart_name, "ヘルパーステーションひまわり");
    assert!(message.sent_at.ends_with("+09:00"), "{}", message.sent_at);
    assert!(message.downloaded_at.is_some() && message.acknowledged_at.is_some(), "{message:?}");
    let listed: Vec<(&str, &str)> = message.files.iter().map(|f| (f.name.as_str(), f.sha256.as_str())).collect();
    let digests: Vec<(String, String)> = files
        .iter()
        .map(|(name, bytes)| (name.clone(), conformance::hex::encode(&sha2::Sha256::digest(bytes))))
        .collect();
    let expected: Vec<(&str, &str)> = digests.iter().map(|(n, d)| (n.as_str(), d.as_str())).collect();
    assert_eq!(listed, expected);
    assert_eq!(record.refusals.len(), 1, "{:?}", record.refusals);
    assert_eq!(record.refusals[0].rules, vec!["FLD008".to_string()]);
    assert_eq!(record.refusals[0].to.as_deref(), Some(HOME_HELP));
    assert_eq!(record.refusals[0].files.len(), refused.len());
    assert!(!String::from_utf8_lossy(&body).contains(&user_name), "no 利用者 in the record");

    // The signature holds for these bytes, and for no others.
    let signature = signature.expect("the JSON form is signed");
    let verified = verify(&body, signature.as_bytes(), &pki).unwrap();
    assert!(verified.signer.contains(refserver::pki::SIGNING_NAME), "{verified:?}");
    let mut edited = body.clone();
    let at = edited.windows(5).position(|w| w == b"FLD00").unwrap();
    edited[at + 5] = b'9';
    assert!(matches!(verify(&edited, signature.as_bytes(), &pki), Err(EvidenceError::BadSignature)));

    // The CSV for Excel is Shift_JIS, signed likewise; the ZIP carries both forms with their signatures.
    let (status, csv, signature) = fetch_record(&relay, CARE_MANAGER, "csv").await;
    assert_eq!(status, StatusCode::OK);
    let (text, _, malformed) = encoding_rs::SHIFT_JIS.decode(&csv);
    assert!(
        !malformed && text.contains("送受信記録") && text.contains(&files[0].0) && text.contains("FLD008"),
        "{text}"
    );
    assert!(!text.contains(&user_name));
    verify(&csv, signature.unwrap().as_bytes(), &pki).unwrap();
    let (status, archive, _) = fetch_record(&relay, CARE_MANAGER, "zip").await;
    assert_eq!(status, StatusCode::OK);
    let entries = refserver::zip::entries(&archive).unwrap();
    assert_eq!(entries.len(), 4);
    for (name, bytes) in entries.iter().filter(|(name, _)| !name.ends_with(".sig")) {
        let signature = &entries.iter().find(|(n, _)| *n == format!("{name}.sig")).unwrap().1;
        verify(bytes, signature, &pki).unwrap_or_else(|e| panic!("{name}: {e}"));
    }

    // The command line checks the saved ZIP, and refuses it once a byte of a record changed.
    let saved = relay.dir.path().join("record.zip");
    std::fs::write(&saved, &archive).unwrap();
    let check = |path: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_careplan-refserver"))
            .args(["evidence", "verify", path.to_str().unwrap(), "--pki", pki.dir.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let output = check(&saved);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("the signature holds"));
    let mut entries = entries;
    let json = entries.iter_mut().find(|(name, _)| name.ends_with(".json")).unwrap();
    let at = json.1.windows(5).position(|w| w == b"FLD00").unwrap();
    json.1[at + 5] = b'9';
    let tampered = refserver::zip::stored(entries.iter().map(|(n, b)| (n.as_str(), b.as_slice()))).unwrap();
    std::fs::write(&saved, tampered).unwrap();
    let output = check(&saved);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("署名が合いません"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // Each office sees its own side only.
    let (_, body, _) = fetch_record(&relay, HOME_HELP, "json").await;
    let theirs: EvidenceRecord = serde_json::from_slice(&body).unwrap();
    assert_eq!(theirs.messages.len(), 1);
    assert_eq!(
        (theirs.messages[0].direction.as_str(), theirs.messages[0].counterpart.as_str()),
        ("received", CARE_MANAGER)
    );
    assert!(theirs.refusals.is_empty(), "another office's refusals are not listed");
    let (_, body, _) = fetch_record(&relay, DAY_SERVICE, "json").await;
    let none: EvidenceRecord = serde_json::from_slice(&body).unwrap();
    assert!(none.messages.is_empty() && none.refusals.is_empty());

    // The printable page shows the same, in both languages.
    let page = relay.client(CARE_MANAGER).get(relay.url(&format!("/evidence?{}", period()))).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("送受信記録") && html.contains("Exchange record") && html.contains(&files[0].0));
    assert!(html.contains("FLD008") && !html.contains(&user_name));
    relay.stop().await;
}

#[tokio::test]
async fn a_bad_period_or_a_request_another_site_made_gets_no_record() {
    let relay = Relay::start().await;
    let (status, body) = relay.get(CARE_MANAGER, "/v1/evidence?from=2025-05-31&to=2025-05-01").await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")), "{body}");
    let (status, _) = relay.get(CARE_MANAGER, "/v1/evidence?from=2025-05-01").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let url = relay.url(&format!("/v1/evidence?{}", period()));
    assert_eq!(cross_site_get(&relay, CARE_MANAGER, &url).await, StatusCode::FORBIDDEN);
    relay.stop().await;
}

/// The unit sent has a finding in a personal item (ENC007: 利用者氏名フリガナ in half-width katakana, a warning, so
/// the relay takes it): the copies must show it at the same place. Of a unit without findings, 0 would be compared
/// with 0, and copies that lost a finding would pass (planted: the relay turning the copies' half-width katakana
/// into full-width after its check — "the copies show the originals' findings" fails, ENC007 missing).
#[tokio::test]
async fn an_anonymised_unit_shows_the_originals_findings_and_none_of_its_personal_values() {
    let relay = Relay::start().await;
    let files = unit("invalid/ENC007-halfwidth-kana", "_20250425090000.");
    let (status, sent) = relay.send(CARE_MANAGER, HOME_HELP, &files, None).await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let id = sent["id"].as_str().unwrap();
    let insured = sent["subject"]["insured_number"].as_str().unwrap().to_string();
    let url = relay.url(&format!("/v1/messages/{id}/anonymised"));
    let response = relay.client(HOME_HELP).get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let entries = refserver::zip::entries(&response.bytes().await.unwrap()).unwrap();
    let names: Vec<&str> = entries.iter().map(|(name, _)| name.as_str()).collect();
    let mut expected: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    expected.push("anonymised-report.txt");
    assert_eq!(names, expected);
    let options = conformance::validate::Options::default();
    let validate = |files: &[(String, Vec<u8>)]| {
        conformance::validate::validate_files(files.iter().map(|(n, b)| (n.as_str(), b.as_slice())), &options)
    };
    let copies: Vec<(String, Vec<u8>)> = entries.iter().filter(|(name, _)| name.ends_with(".CSV")).cloned().collect();
    let (originals, copied) = (validate(&files), validate(&copies));
    let rules: Vec<&str> = originals.all_findings().map(|finding| finding.rule.code).collect();
    assert_eq!(rules, ["ENC007"], "the unit sent has its one finding, in a personal item");
    let difference = conformance::anonymise::first_difference(&originals, &copied);
    assert!(difference.is_none(), "the copies show the originals' findings: {difference:?}");
    for (name, bytes) in &entries {
        assert!(!bytes.windows(insured.len()).any(|w| w == insured.as_bytes()), "{name} keeps {insured}");
    }
    // Another site cannot make the recipient's browser take it (and the refusal is on record).
    assert_eq!(cross_site_get(&relay, HOME_HELP, &url).await, StatusCode::FORBIDDEN);
    // Taking the copy moves nothing; a third office cannot take it.
    let (_, message) = relay.get(HOME_HELP, &format!("/v1/messages/{id}")).await;
    assert_eq!(message["status"], "sent");
    assert_eq!(relay.client(DAY_SERVICE).get(&url).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let log = refserver::store::SqliteStore::open(&relay.dir.path().join("data")).unwrap();
    let entries = log.audit_log(None, None).wait().unwrap();
    let took = entries.iter().filter(|e| e.action == "download_anonymised").count();
    let refused: Vec<&str> =
        entries.iter().filter(|e| e.action == "refused").filter_map(|e| e.detail.as_deref()).collect();
    assert_eq!(took, 1, "the one copy taken is on record");
    assert!(refused.iter().any(|d| d.contains("/anonymised") && d.contains("403 cross_site_refused")), "{refused:?}");
    assert!(refused.iter().any(|d| d.contains("/anonymised") && d.contains("404")), "{refused:?}");
    relay.stop().await;
}
