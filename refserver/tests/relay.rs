//! The relay over real mutual TLS on loopback: the exchange care manager → provider → acknowledgement, the
//! authorization matrix, every negative certificate, validation at upload, idempotent retry, restart, licences
//! and limits. Every server listens on 127.0.0.1 with a port from the OS and is shut down by its test.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

mod common;

use refserver::pki;
use refserver::sandbox::{CARE_MANAGER, HOME_HELP};
use refserver::store::{SqliteStore, Store};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use transport::PkiPaths;

use common::*;

#[tokio::test]
async fn full_exchange_from_care_manager_to_provider_and_back() {
    let relay = Relay::start().await;
    let files = plan_unit();
    let (status, sent) = relay.send(CARE_MANAGER, HOME_HELP, &files, None).await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!(sent["status"], "sent");
    let id = sent["id"].as_str().expect("id").to_string();

    let (status, inbox) = relay.get(HOME_HELP, "/v1/inbox").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(inbox["messages"][0]["id"], id.as_str());
    assert_eq!(inbox["messages"][0]["from"], CARE_MANAGER);

    for (name, bytes) in &files {
        let response =
            relay.client(HOME_HELP).get(relay.url(&format!("/v1/messages/{id}/files/{name}"))).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let header = response.headers().get("x-content-sha256").unwrap().to_str().unwrap().to_string();
        let body = response.bytes().await.unwrap();
        assert_eq!(body.as_ref(), bytes.as_slice(), "{name} comes back byte for byte");
        assert_eq!(header, conformance::hex::encode(&Sha256::digest(bytes)));
    }
    let (_, message) = relay.get(HOME_HELP, &format!("/v1/messages/{id}")).await;
    assert_eq!(message["status"], "downloaded");

    let response = relay.client(HOME_HELP).post(relay.url(&format!("/v1/messages/{id}/ack"))).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let (_, outbox) = relay.get(CARE_MANAGER, "/v1/outbox").await;
    assert_eq!(outbox["messages"][0]["status"], "acknowledged");
    assert!(outbox["messages"][0]["acknowledged_at"].is_string());
    relay.stop().await;
}

#[tokio::test]
async fn only_sender_and_recipient_see_a_message() {
    let relay = Relay::start().await;
    let (_, sent) = relay.send(CARE_MANAGER, HOME_HELP, &plan_unit(), None).await;
    let id = sent["id"].as_str().unwrap().to_string();
    let name = plan_unit()[0].0.clone();
    for path in [format!("/v1/messages/{id}"), format!("/v1/messages/{id}/files/{name}")] {
        let (status, body) = relay.get(DAY_SERVICE, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: a third office learns nothing");
        assert_eq!(body["error"], "not_found");
    }
    let response = relay.client(DAY_SERVICE).post(relay.url(&format!("/v1/messages/{id}/ack"))).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let (_, inbox) = relay.get(DAY_SERVICE, "/v1/inbox").await;
    assert_eq!(inbox["messages"].as_array().unwrap().len(), 0);
    let (status, _) = relay.get(CARE_MANAGER, &format!("/v1/messages/{id}")).await;
    assert_eq!(status, StatusCode::OK, "the sender sees its message");
    let response = relay.client(CARE_MANAGER).post(relay.url(&format!("/v1/messages/{id}/ack"))).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "only the recipient acknowledges");
    relay.stop().await;
}

#[tokio::test]
async fn every_negative_certificate_is_refused_at_the_handshake() {
    let relay = Relay::start().await;
    let paths = PkiPaths::new(relay.dir.path().join("pki"));
    for (name, _) in pki::NEGATIVE {
        let (cert, key) = paths.negative(name);
        let result = relay.client_with(&cert, &key).get(relay.url("/healthz")).send().await;
        assert!(result.is_err(), "{name} certificate was accepted: {:?}", result.map(|r| r.status()));
    }
    let ca = std::fs::read(paths.ca_cert()).unwrap();
    let anonymous = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .build()
        .unwrap();
    assert!(anonymous.get(relay.url("/healthz")).send().await.is_err(), "no certificate, no connection");
    let (status, _) = relay.get(CARE_MANAGER, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    relay.stop().await;
}

#[tokio::test]
async fn invalid_files_are_rejected_with_rule_codes_and_not_stored() {
    let relay = Relay::start().await;
    let files = unit("invalid/FLD008-hour-25", "_2025");
    let (status, body) = relay.send(CARE_MANAGER, HOME_HELP, &files, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "validation_failed");
    let rules: Vec<&str> = body["report"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["findings"].as_array().unwrap().iter().map(|x| x["rule"].as_str().unwrap()))
        .collect();
    assert_eq!(rules, vec!["FLD008"]);
    let (_, outbox) = relay.get(CARE_MANAGER, "/v1/outbox").await;
    assert_eq!(outbox["messages"].as_array().unwrap().len(), 0, "nothing stored");
    relay.stop().await;
}

#[tokio::test]
async fn a_retried_send_with_the_same_key_returns_the_first_message() {
    let relay = Relay::start().await;
    let (first_status, first) = relay.send(CARE_MANAGER, HOME_HELP, &plan_unit(), Some("retry-42")).await;
    let (second_status, second) = relay.send(CARE_MANAGER, HOME_HELP, &plan_unit(), Some("retry-42")).await;
    assert_eq!((first_status, second_status), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(first["id"], second["id"]);
    let (_, outbox) = relay.get(CARE_MANAGER, "/v1/outbox").await;
    assert_eq!(outbox["messages"].as_array().unwrap().len(), 1);
    relay.stop().await;
}

#[tokio::test]
async fn a_restart_keeps_messages_and_their_bytes() {
    let mut relay = Relay::start().await;
    let files = plan_unit();
    let (_, sent) = relay.send(CARE_MANAGER, HOME_HELP, &files, None).await;
    let id = sent["id"].as_str().unwrap().to_string();
    relay.restart().await;
    let (status, message) = relay.get(HOME_HELP, &format!("/v1/messages/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(message["files"].as_array().unwrap().len(), files.len());
    // whose unit it is was read at send time and kept (a plan unit: no 対象年月)
    assert_eq!(message["subject"]["user_name"], "加藤　和子");
    assert_eq!(message["subject"]["insured_number"], "0241149189");
    assert!(message["subject"]["target_month"].is_null(), "{message}");
    let body = relay
        .client(HOME_HELP)
        .get(relay.url(&format!("/v1/messages/{id}/files/{}", files[0].0)))
        .send()
        .await
        .unwrap();
    assert_eq!(body.bytes().await.unwrap().as_ref(), files[0].1.as_slice());
    relay.stop().await;
}

#[tokio::test]
async fn a_lapsed_licence_can_receive_but_not_send() {
    let relay = Relay::start().await;
    let files = unit("valid/withdrawals", "DLT1KYO_");
    let lapsed_files: Vec<(String, Vec<u8>)> =
        files.iter().map(|(n, b)| (n.replace(CARE_MANAGER, LAPSED), b.clone())).collect();
    let (status, body) = relay.send(LAPSED, HOME_HELP, &lapsed_files, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "licence_lapsed");

    let actuals: Vec<(String, Vec<u8>)> =
        unit("valid/withdrawals", "DLTJSK_").into_iter().map(|(n, b)| (n.replace(CARE_MANAGER, LAPSED), b)).collect();
    let (status, sent) = relay.send(HOME_HELP, LAPSED, &actuals, None).await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let (status, inbox) = relay.get(LAPSED, "/v1/inbox").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(inbox["messages"][0]["id"], sent["id"]);
    relay.stop().await;
}

#[tokio::test]
async fn senders_cannot_claim_other_offices_or_unknown_recipients() {
    let relay = Relay::start().await;
    // Files that name the care manager as sender, sent with the home-help office's certificate.
    let (status, body) = relay.send(HOME_HELP, DAY_SERVICE, &plan_unit(), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["error"], "sender_mismatch");
    let (status, body) = relay.send(CARE_MANAGER, "1379999999", &plan_unit(), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "unknown_recipient");
    let (status, body) = relay.send(CARE_MANAGER, DAY_SERVICE, &plan_unit(), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "names say 1370002058, form says another office");
    assert_eq!(body["error"], "recipient_mismatch");
    let mut escaping = plan_unit();
    escaping[0].0 = "../../etc/passwd".into();
    let (status, body) = relay.send(CARE_MANAGER, HOME_HELP, &escaping, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "bad_file_name");
    relay.stop().await;
}

#[tokio::test]
async fn bodies_over_the_limit_get_413() {
    let relay = Relay::start_with(|config| config.api.max_body = 2048).await;
    let (status, body) = relay.send(CARE_MANAGER, HOME_HELP, &plan_unit(), None).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"], "payload_too_large");
    relay.stop().await;
}

#[tokio::test]
async fn inbox_pages_newest_first_or_in_sending_order_and_filters_by_status() {
    let relay = Relay::start().await;
    let mut ids = Vec::new();
    for key in ["a", "b", "c"] {
        let (_, sent) = relay.send(CARE_MANAGER, HOME_HELP, &plan_unit(), Some(key)).await;
        ids.push(sent["id"].as_str().unwrap().to_string());
    }
    let (_, first) = relay.get(HOME_HELP, "/v1/inbox?limit=2").await;
    let page: Vec<&str> = first["messages"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(page, vec![ids[2].as_str(), ids[1].as_str()]);
    let next = first["next"].as_i64().expect("a next cursor");
    let (_, second) = relay.get(HOME_HELP, &format!("/v1/inbox?limit=2&before={next}")).await;
    assert_eq!(second["messages"][0]["id"], ids[0].as_str());
    assert!(second["next"].is_null());
    relay.client(HOME_HELP).post(relay.url(&format!("/v1/messages/{}/ack", ids[1]))).send().await.unwrap();
    let (_, acked) = relay.get(HOME_HELP, "/v1/inbox?status=acknowledged").await;
    assert_eq!(acked["messages"].as_array().unwrap().len(), 1);
    let (status, body) = relay.get(HOME_HELP, "/v1/inbox?status=lost").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "bad_request");
    // Oldest first, in the order sent, paged with after=.
    let (_, first) = relay.get(HOME_HELP, "/v1/inbox?order=asc&limit=2").await;
    let page: Vec<&str> = first["messages"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(page, vec![ids[0].as_str(), ids[1].as_str()]);
    let next = first["next"].as_i64().expect("a next cursor");
    let (_, second) = relay.get(HOME_HELP, &format!("/v1/inbox?order=asc&limit=2&after={next}")).await;
    assert_eq!(second["messages"][0]["id"], ids[2].as_str());
    assert!(second["next"].is_null());
    // A cursor of the other direction, or an order that is neither, is refused rather than guessed at.
    for path in ["/v1/inbox?order=asc&before=1", "/v1/inbox?after=1", "/v1/inbox?order=oldest"] {
        let (status, body) = relay.get(HOME_HELP, path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(body["error"], "bad_request", "{path}");
    }
    relay.stop().await;
}

/// A long poll is answered by the send's wake-up, not by looking again: the relay here never looks again by itself
/// within the poll's wait (`look_again` beyond it), and the send starts only once the relay counts the poll as
/// parked (`careplan_inbox_waiting`: it has looked, found nothing and waits). Without the wake-up the poll can only
/// end at its deadline, `wait` seconds after the relay got it, so an answer before then is the wake-up's; the one
/// way a working relay fails this is a send that takes the whole 20 s. Planted: the send without
/// `arrivals.arrived` — the poll ends at its deadline (20.0 s) and this fails.
#[tokio::test]
async fn a_waiting_inbox_request_returns_when_a_message_arrives() {
    const WAIT: std::time::Duration = std::time::Duration::from_secs(20);
    let relay = Relay::start_with(|config| config.api.look_again = std::time::Duration::from_secs(3600)).await;
    let (status, empty) = relay.get(HOME_HELP, "/v1/inbox?wait=1").await;
    assert_eq!((status, empty["messages"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{empty}");

    let waiting = {
        let url = relay.url(&format!("/v1/inbox?status=sent&wait={}", WAIT.as_secs()));
        let request = relay.client(HOME_HELP).get(url);
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let page = request.send().await.unwrap().json::<serde_json::Value>().await.unwrap();
            (started.elapsed(), page)
        })
    };
    common::wait_until_parked(&relay.client(CARE_MANAGER), &relay.url("/metrics"), 1).await;
    assert!(!waiting.is_finished(), "the poll is still waiting when the send starts");
    let (sent_status, sent) = relay.send(CARE_MANAGER, HOME_HELP, &plan_unit(), None).await;
    assert_eq!(sent_status, StatusCode::CREATED, "{sent}");
    let (waited, inbox) = common::within_ceiling(waiting).await;
    assert_eq!(inbox["messages"][0]["id"], sent["id"], "the waiting request returns the new message: {inbox}");
    assert!(waited < WAIT, "woken by the send, not ended by its {WAIT:?} deadline: {waited:?}");

    let (status, error) = relay.get(HOME_HELP, "/v1/inbox?wait=soon").await;
    assert_eq!((status, error["error"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")));
    relay.stop().await;
}

#[tokio::test]
async fn directory_metrics_and_audit() {
    let relay = Relay::start().await;
    let (_, offices) = relay.get(HOME_HELP, "/v1/offices?q=%E3%81%95%E3%81%8F%E3%82%89").await;
    assert_eq!(offices["offices"][0]["number"], CARE_MANAGER, "search by name (さくら)");
    let (_, by_number) = relay.get(HOME_HELP, "/v1/offices?q=1370003").await;
    assert_eq!(by_number["offices"][0]["number"], DAY_SERVICE);
    relay.send(CARE_MANAGER, HOME_HELP, &plan_unit(), None).await;
    let metrics = relay.client(CARE_MANAGER).get(relay.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("careplan_requests_total{route=\"send\",status=\"201\"} 1"), "{metrics}");
    assert!(metrics.contains("careplan_messages{status=\"sent\"} 1"));
    let store = SqliteStore::open(&relay.dir.path().join("data")).unwrap();
    let actions: Vec<String> =
        store.audit_log(Some(CARE_MANAGER), None).wait().unwrap().into_iter().map(|e| e.action).collect();
    assert!(actions.contains(&"send".to_string()), "{actions:?}");
    relay.stop().await;
}

#[tokio::test]
async fn the_page_and_its_assets_come_with_a_policy_that_allows_nothing_from_elsewhere() {
    let relay = Relay::start().await;
    let client = relay.client(CARE_MANAGER);
    for (path, content_type) in
        [("/", "text/html"), ("/assets/app.js", "text/javascript"), ("/assets/app.css", "text/css")]
    {
        let response = client.get(relay.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers();
        assert!(headers["content-type"].to_str().unwrap().starts_with(content_type), "{path}");
        assert!(headers["content-security-policy"].to_str().unwrap().starts_with("default-src 'none'"));
        assert_eq!(headers["cache-control"], "no-store");
    }
    let page = client.get(relay.url("/")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(r#""UP2KYO":{"table":"第2表","title":"居宅サービス計画書（2）"}"#), "kinds from the spec");
    assert!(!page.contains("http://") && !page.contains("https://"), "no external asset");
    let missing = client.get(relay.url("/no/such/page")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.text().await.unwrap().contains("このページはありません"));
    let (status, me) = relay.get(CARE_MANAGER, "/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["name"], "ケアプランセンターさくら");
    relay.stop().await;
}

#[tokio::test]
async fn a_dry_run_reports_findings_in_both_languages_and_stores_nothing() {
    let relay = Relay::start().await;
    let validate = |files: Vec<(String, Vec<u8>)>| {
        let mut form = reqwest::multipart::Form::new();
        for (name, bytes) in files {
            form = form.part("file", reqwest::multipart::Part::bytes(bytes).file_name(name));
        }
        relay.client(CARE_MANAGER).post(relay.url("/v1/validate")).multipart(form).send()
    };
    let response = validate(unit("invalid/FLD006-february-30", "_20250425090000.")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["errors"], 1, "{report}");
    let finding = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["findings"].as_array().unwrap())
        .find(|f| f["rule"] == "FLD006")
        .expect("the FLD006 finding");
    assert_eq!(finding["line"], 1);
    assert_eq!(finding["item"], "第1表 No.18 認定日");
    assert!(finding["message"].as_str().unwrap().contains("20250230"));
    assert!(finding["message_en"].as_str().unwrap().contains("not a valid"));

    let clean: Value = validate(plan_unit()).await.unwrap().json().await.unwrap();
    assert_eq!(clean["errors"], 0, "{clean}");
    assert_eq!(clean["files"].as_array().unwrap().len(), 4);
    let (_, outbox) = relay.get(CARE_MANAGER, "/v1/outbox").await;
    assert_eq!(outbox["messages"].as_array().unwrap().len(), 0, "a dry run stores nothing");
    relay.stop().await;
}

#[tokio::test]
async fn a_preview_shows_the_form_to_sender_and_recipient_only_and_is_audited() {
    let relay = Relay::start().await;
    let (_, sent) = relay.send(CARE_MANAGER, HOME_HELP, &plan_unit(), None).await;
    let id = sent["id"].as_str().expect("id").to_string();
    let name = "UP2KYO_1370001002_43_1370002058_11_20250425090000.CSV";
    let path = format!("/preview/{id}/{name}");
    for office in [HOME_HELP, CARE_MANAGER] {
        let response = relay.client(office).get(relay.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.unwrap();
        assert!(html.contains("居宅サービス計画書（2）"));
        assert!(html.contains("加藤"), "the person's name comes from the 利用者補足情報 of the same message");
        assert!(html.contains("見守りのもとで浴槽をまたげる"), "a short-term goal of the file");
    }
    let outsider = relay.client(DAY_SERVICE).get(relay.url(&path)).send().await.unwrap();
    assert_eq!(outsider.status(), StatusCode::NOT_FOUND);
    let (_, message) = relay.get(CARE_MANAGER, &format!("/v1/messages/{id}")).await;
    assert_eq!(message["status"], "sent", "a preview is not a download");
    let store = SqliteStore::open(&relay.dir.path().join("data")).unwrap();
    let previews = store
        .audit_log(Some(HOME_HELP), None)
        .wait()
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "preview" && e.message_id.as_deref() == Some(id.as_str()))
        .count();
    assert_eq!(previews, 1);
    relay.stop().await;
}

/// One office number may hold several services (S1 更新履歴 4.0 「複数サービス提供事業所への対応」): its 居宅介護支援
/// sends a ticket to its own 訪問介護, which finds it in the office's inbox; a kind never sends to itself.
#[tokio::test]
async fn one_office_number_sends_between_its_own_service_kinds_only() {
    let relay = Relay::start().await;
    let store = SqliteStore::open(&relay.dir.path().join("data")).unwrap();
    let mut office = store.office(CARE_MANAGER).wait().unwrap().unwrap();
    office.kinds.push("11".into());
    store.put_office(&office).wait().unwrap();
    let files = unit("valid/multi-service-office-reduction", "_20250425110000.");
    assert_eq!(files.len(), 3, "{files:?}");
    let (status, sent) = relay.send(CARE_MANAGER, CARE_MANAGER, &files, None).await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let (_, inbox) = relay.get(CARE_MANAGER, "/v1/inbox").await;
    assert_eq!(inbox["messages"][0]["id"], sent["id"]);
    let to_itself: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(name, bytes)| {
            (name.replace(&format!("_{CARE_MANAGER}_11_"), &format!("_{CARE_MANAGER}_43_")), bytes.clone())
        })
        .collect();
    let (status, body) = relay.send(CARE_MANAGER, CARE_MANAGER, &to_itself, None).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("same_office")), "{body}");
    relay.stop().await;
}
