//! The relay's PostgreSQL connection over TLS (#37), on throw-away clusters on 127.0.0.1 that take TLS connections
//! only: the store opens under `verify-full` and carries an exchange; a server certificate for another name or from
//! another CA stops it at start-up with the host and the reason; `require` against a server without TLS refuses
//! rather than talk plain; a client certificate is presented where the cluster demands one (`hostssl … cert`).
//! Where PostgreSQL is missing these fail, or are reported skipped under `CAREPLAN_SKIP_POSTGRES` (as
//! `tests/store.rs`).

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{param, pki, tls_cluster, verify_full, with};
use refserver::sandbox::{CARE_MANAGER as A, HOME_HELP as B};
use refserver::store::PgStore;
use refserver::store::Store;

/// Every test's bound: a hung connection fails it instead of hanging the run.
const BOUND: Duration = Duration::from_secs(60);

/// Why opening the store at `url` fails (it must).
fn refusal(url: &str) -> String {
    match PgStore::open(url) {
        Ok(_) => panic!("the store opened at {url}"),
        Err(error) => error.to_string(),
    }
}

#[tokio::test]
async fn two_nodes_open_the_store_over_verify_full_and_carry_an_exchange() {
    let dir = tempfile::tempdir().unwrap();
    let ours = pki(dir.path(), "db-pki");
    let Some(cluster) = tls_cluster(&ours, None) else { return };
    let plain = cluster.database("tls_exchange").unwrap();
    let url = verify_full(&plain, &ours);
    // The cluster takes TLS only: the same database without TLS is turned away by the server.
    let turned_away = tokio::task::spawn_blocking(move || refusal(&with(&plain, "sslmode=disable"))).await.unwrap();
    assert!(turned_away.contains("no encryption"), "{turned_away}");

    // Two nodes on the database over verify-full: A takes the send, B lists it in the inbox and serves the file.
    let exchange = async {
        let mut second = None;
        let a = common::Relay::start_with(|config| {
            common::on_postgresql(config, &url);
            second = Some(config.clone());
        })
        .await;
        let b = refserver::server::start(second.unwrap()).await.expect("node B starts over TLS");
        let on_b = |path: &str| format!("https://127.0.0.1:{}{path}", b.local_addr.port());
        let files = common::plan_unit();
        let (status, sent) = a.send(A, B, &files, Some("tls-1")).await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{sent}");
        let id = sent["id"].as_str().unwrap().to_string();
        let inbox: serde_json::Value = a.client(B).get(on_b("/v1/inbox")).send().await.unwrap().json().await.unwrap();
        assert_eq!(inbox["messages"][0]["id"], id.as_str(), "{inbox}");
        let download = on_b(&format!("/v1/messages/{id}/files/{}", files[0].0));
        let bytes = a.client(B).get(download).send().await.unwrap().bytes().await.unwrap();
        assert_eq!(bytes.as_ref(), files[0].1.as_slice());
        b.shutdown().await;
        a.stop().await;
    };
    tokio::time::timeout(BOUND, exchange).await.expect("the exchange over TLS ends in time");
}

#[test]
fn a_certificate_for_another_name_or_from_another_ca_stops_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let (ours, theirs) = (pki(dir.path(), "db-pki"), pki(dir.path(), "other-pki"));

    // Another name: the server's certificate is for localhost / 127.0.0.1, the URL asks for db.example.jp (reached
    // at 127.0.0.1 through libpq's hostaddr).
    let Some(cluster) = tls_cluster(&ours, None) else { return };
    let elsewhere = format!("postgres://relay@db.example.jp:{}/postgres", cluster.port);
    let root = format!("sslrootcert={}&hostaddr=127.0.0.1", param(&ours.ca_cert()));
    let refused = refusal(&with(&elsewhere, &format!("sslmode=verify-full&{root}")));
    assert!(refused.contains("PostgreSQL サーバー db.example.jp の証明書を受け入れません"), "{refused}");
    assert!(refused.contains("証明書が db.example.jp のものではありません"), "{refused}");
    assert!(refused.contains("certificate not valid for name"), "{refused}");
    // verify-full is what a host other than loopback gets without sslmode.
    assert_eq!(refusal(&with(&elsewhere, &root)), refused);
    // The name was the only fault: verify-ca, which leaves it out, connects.
    PgStore::open(&with(&elsewhere, &format!("sslmode=verify-ca&{root}"))).expect("verify-ca ignores the name");

    // Another CA: the server's certificate is from a CA the URL does not trust, under any verifying mode. Both test
    // CAs bear the same name, so the chain is tried against the trusted one and its signature does not match.
    let Some(stranger) = tls_cluster(&theirs, None) else { return };
    let url = stranger.url();
    let ca = param(&ours.ca_cert());
    for mode in ["verify-full", "verify-ca", "require"] {
        let refused = refusal(&with(&url, &format!("sslmode={mode}&sslrootcert={ca}")));
        assert!(refused.contains("PostgreSQL サーバー 127.0.0.1 の証明書を受け入れません"), "{mode}: {refused}");
        assert!(refused.contains("署名が sslrootcert の CA のものと合いません"), "{mode}: {refused}");
        assert!(refused.ends_with("is refused: BadSignature"), "{mode}: {refused}");
    }
    // libpq's require without a root certificate encrypts and trusts the network: it connects.
    PgStore::open(&with(&url, "sslmode=require")).expect("require alone does not check the certificate");
    // With the right CA all is well.
    PgStore::open(&verify_full(&url, &theirs)).expect("verify-full with the server's CA");
}

#[test]
fn require_against_a_server_without_tls_refuses() {
    let Some(cluster) = common::postgres() else { return };
    let dir = tempfile::tempdir().unwrap();
    let ours = pki(dir.path(), "db-pki");
    for (mode, url) in
        [("require", with(&cluster.url(), "sslmode=require")), ("verify-full", verify_full(&cluster.url(), &ours))]
    {
        let refused = refusal(&url);
        assert!(
            refused.contains(&format!(
                "PostgreSQL server 127.0.0.1 does not accept TLS (sslmode={mode}; the relay does not fall back"
            )),
            "{refused}"
        );
    }
    // The plain default stays for loopback.
    PgStore::open(&cluster.url()).expect("loopback without sslmode is plain");
}

/// A client CA and a certificate from it for the database user `relay` (`cert` authentication compares the CN).
fn client_identity(dir: &Path) -> (String, PathBuf, PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.distinguished_name.push(DnType::CommonName, "relay nodes' client CA (test)");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut node = CertificateParams::new(Vec::<String>::new()).unwrap();
    node.distinguished_name.push(DnType::CommonName, "relay");
    let node = node.signed_by(&key, &ca, &ca_key).unwrap();
    let (cert_path, key_path) = (dir.join("node.pem"), dir.join("node.key"));
    std::fs::write(&cert_path, node.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (ca.pem(), cert_path, key_path)
}

#[test]
fn a_client_certificate_is_presented_where_the_cluster_demands_one() {
    let dir = tempfile::tempdir().unwrap();
    let ours = pki(dir.path(), "db-pki");
    let (client_ca, cert, key) = client_identity(dir.path());
    let Some(cluster) = tls_cluster(&ours, Some(client_ca)) else { return };
    let url = verify_full(&cluster.database("nodes").unwrap(), &ours);
    let refused = refusal(&url);
    assert!(refused.contains("PostgreSQL サーバー 127.0.0.1 に接続できません"), "{refused}");
    assert!(refused.contains("certificate"), "without a client certificate the server refuses: {refused}");
    let identified = format!("{url}&sslcert={}&sslkey={}", param(&cert), param(&key));
    let store = PgStore::open(&identified).expect("the node's certificate is accepted");
    let office = refserver::model::Office {
        number: A.into(),
        name: "ケアプランセンターさくら".into(),
        kinds: vec!["43".into()],
        licence_until: "2099-12-31".into(),
    };
    store.put_office(&office).wait().unwrap();
    assert_eq!(store.office(A).wait().unwrap(), Some(office));
}
