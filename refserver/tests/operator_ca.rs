//! Certificates from a CA we did not write: the `openssl` command makes an operator's CA (RSA), the relay's server
//! certificate (ECDSA P-384), its document-signing certificate, office certificates with another subject layout —
//! the office number in `serialNumber`, the CN a name in Japanese, O and OU set, extra extensions (certificate
//! policies, CRL distribution point, authority information access, a private extension, URI and e-mail SANs) —
//! with RSA and ECDSA keys, and its CRLs. The relay runs on that folder with `office_from = subject:serialNumber`
//! (offices registered with `office add --no-certificate`), a unit goes from one office to the other (send, inbox,
//! download, ack), and a third office, served until the operator revokes it with `openssl ca` and publishes the new
//! CRL, is then refused on its open connection (403, the relay's per-request look at the CRL) and at a new
//! handshake (rustls reading the openssl CRL). Each of the two CRL checks left out fails this test.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test that cannot set up must fail loudly

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use refserver::identity::OfficeFrom;
use refserver::server::{self, ServerConfig};
use reqwest::StatusCode;
use rustls::pki_types::CertificateDer;
use serde_json::Value;

const CARE_MANAGER: &str = "1370001002";
const HOME_HELP: &str = "1370002058";
const REVOKED: &str = "1370003183";
const URI_PREFIX: &str = "urn:example:kaigo:office:";

fn openssl(dir: &Path, args: &[&str]) {
    // OFFICE: the office number the configuration's office extensions name (any value where none is issued).
    let output = Command::new("openssl")
        .args(args)
        .env("OFFICE", "0")
        .current_dir(dir)
        .output()
        .expect("the openssl command runs");
    assert!(output.status.success(), "openssl {}: {}", args.join(" "), String::from_utf8_lossy(&output.stderr));
}

/// What `openssl ca` needs to revoke and to sign a CRL, and the extensions of each kind of certificate.
const CONFIG: &str = r#"
[ ca ]
default_ca = operator
[ operator ]
database = index.txt
crlnumber = crlnumber
certificate = ca.pem
private_key = ca.key
default_md = sha256
default_crl_days = 30
[ req ]
distinguished_name = dn
string_mask = utf8only
utf8 = yes
[ dn ]
[ server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
certificatePolicies = 1.2.392.200091.100.901.1
crlDistributionPoints = URI:http://crl.example.invalid/operator.crl
[ office ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth, emailProtection
subjectAltName = URI:urn:example:kaigo:office:${ENV::OFFICE}, email:office${ENV::OFFICE}@example.invalid
certificatePolicies = 1.2.392.200091.100.901.1
crlDistributionPoints = URI:http://crl.example.invalid/operator.crl
authorityInfoAccess = OCSP;URI:http://ocsp.example.invalid/, caIssuers;URI:http://ca.example.invalid/ca.der
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
1.2.392.200091.99.1 = ASN1:UTF8String:居宅介護支援
[ signing ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = 1.3.6.1.5.5.7.3.36
"#;

/// The operator's CA in `dir/operator` (its key stays there) and the relay's folder `dir/pki`.
struct OperatorPki {
    operator: PathBuf,
    pki: PathBuf,
}

impl OperatorPki {
    fn create(dir: &Path) -> OperatorPki {
        let operator = dir.join("operator");
        std::fs::create_dir_all(&operator).unwrap();
        std::fs::write(operator.join("openssl.cnf"), CONFIG).unwrap();
        std::fs::write(operator.join("index.txt"), "").unwrap();
        std::fs::write(operator.join("crlnumber"), "1000\n").unwrap();
        let run = |args: &[&str]| openssl(&operator, args);
        run(&[
            "req",
            "-x509",
            "-config",
            "openssl.cnf",
            "-newkey",
            "rsa:3072",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "3650",
            "-utf8",
            "-subj",
            "/C=JP/O=国保連合会 (テスト)/OU=介護給付適正化/CN=Operator Care Exchange CA G2",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        let pki = OperatorPki { operator: operator.clone(), pki: dir.join("pki") };
        pki.issue("server", &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"], "/CN=127.0.0.1", "server", "0");
        pki.issue(
            "signing",
            &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
            "/O=Operator (test)/CN=careplan-interop relay evidence signing",
            "signing",
            "0",
        );
        pki.issue_office(CARE_MANAGER, "rsa:2048", "ケアプランセンターさくら");
        pki.issue_office(HOME_HELP, "ec", "ヘルパーステーションひまわり");
        pki.issue_office(REVOKED, "rsa:2048", "デイサービスあおば");
        // The first CRL revokes nobody; `revoke` below writes the next.
        run(&["ca", "-config", "openssl.cnf", "-gencrl", "-out", "crl.pem"]);

        // The relay's folder holds what the relay needs, private to it; the CA key stays with the operator.
        std::fs::create_dir_all(&pki.pki).unwrap();
        for (from, to) in [
            ("ca.pem", "ca.pem"),
            ("crl.pem", "crl.pem"),
            ("server.pem", "server.pem"),
            ("server.key", "server.key"),
            ("signing.pem", "signing.pem"),
            ("signing.key", "signing.key"),
        ] {
            std::fs::copy(pki.operator.join(from), pki.pki.join(to)).unwrap();
            std::fs::set_permissions(pki.pki.join(to), std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        std::fs::set_permissions(&pki.pki, std::fs::Permissions::from_mode(0o700)).unwrap();
        pki
    }

    /// A key (`key` as `openssl req -newkey` takes it) and a certificate signed by the CA with `extensions`.
    fn issue(&self, name: &str, key: &[&str], subject: &str, extensions: &str, office: &str) {
        let mut request = vec!["req", "-new", "-config", "openssl.cnf", "-nodes", "-utf8", "-subj", subject];
        request.extend_from_slice(key);
        let (key_file, csr) = (format!("{name}.key"), format!("{name}.csr"));
        request.extend_from_slice(&["-keyout", &key_file, "-out", &csr]);
        openssl(&self.operator, &request);
        let serial = format!("0x{:x}", 0x5a00_0000_u64 + self.operator.read_dir().unwrap().count() as u64);
        let output = Command::new("openssl")
            .args(["x509", "-req", "-in", &csr, "-CA", "ca.pem", "-CAkey", "ca.key", "-days", "825"])
            .args(["-set_serial", &serial, "-extfile", "openssl.cnf", "-extensions", extensions])
            .args(["-out", &format!("{name}.pem")])
            .env("OFFICE", office)
            .current_dir(&self.operator)
            .output()
            .unwrap();
        assert!(output.status.success(), "issue {name}: {}", String::from_utf8_lossy(&output.stderr));
    }

    fn issue_office(&self, number: &str, key: &str, name: &str) {
        let key: Vec<&str> = match key {
            "ec" => vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
            rsa => vec!["-newkey", rsa],
        };
        // The number in serialNumber, the CN a name: a layout our own PKI never makes.
        let subject = format!("/C=JP/O=介護事業者 (テスト)/OU=居宅サービス/serialNumber={number}/CN={name}");
        self.issue(number, &key, &subject, "office", number);
    }

    /// The operator revokes an office's certificate and publishes the new CRL into the relay's folder.
    fn revoke(&self, number: &str) {
        let run = |args: &[&str]| openssl(&self.operator, args);
        run(&["ca", "-config", "openssl.cnf", "-revoke", &format!("{number}.pem"), "-crl_reason", "keyCompromise"]);
        run(&["ca", "-config", "openssl.cnf", "-gencrl", "-out", "crl.pem"]);
        // Written whole under another name, then renamed: the relay never reads half a CRL.
        let next = self.pki.join("crl.pem.next");
        std::fs::copy(self.operator.join("crl.pem"), &next).unwrap();
        std::fs::set_permissions(&next, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::rename(next, self.pki.join("crl.pem")).unwrap();
    }

    fn identity(&self, number: &str) -> Vec<u8> {
        [self.read(&format!("{number}.pem")), self.read(&format!("{number}.key"))].concat()
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.operator.join(name)).unwrap()
    }

    fn der(&self, number: &str) -> CertificateDer<'static> {
        rustls_pemfile::certs(&mut self.read(&format!("{number}.pem")).as_slice()).next().unwrap().unwrap()
    }

    fn client(&self, number: &str) -> reqwest::Client {
        transport::https_client(&self.read("ca.pem"), &self.identity(number)).unwrap()
    }
}

#[test]
fn the_office_number_is_read_where_the_operator_put_it() {
    let dir = tempfile::tempdir().unwrap();
    let pki = OperatorPki::create(dir.path());
    let certificate = pki.der(CARE_MANAGER);
    // Read from today's place, the CN (a name here), it names no office: the setting is what makes it work.
    assert_eq!(OfficeFrom::default().office_of(&certificate), None);
    let from = |place: &str| place.parse::<OfficeFrom>().unwrap().office_of(&certificate);
    assert_eq!(from("subject:serialNumber").as_deref(), Some(CARE_MANAGER));
    assert_eq!(from(&format!("san:uri:{URI_PREFIX}")).as_deref(), Some(CARE_MANAGER));
    assert_eq!(from("san:uri").as_deref(), None, "a URI that is not a bare number names no office");
    assert_eq!(from("subject:OU"), None);
}

#[tokio::test]
async fn a_relay_on_an_openssl_ca_exchanges_a_unit_and_refuses_what_its_crl_revokes() {
    let dir = tempfile::tempdir().unwrap();
    let pki = OperatorPki::create(dir.path());
    let data = dir.path().join("data");
    // Registered as an operator does: the office, no certificate (the operator's CA issued it).
    for (number, kind, name) in [
        (CARE_MANAGER, "43", "ケアプランセンターさくら"),
        (HOME_HELP, "11", "ヘルパーステーションひまわり"),
        (REVOKED, "15", "デイサービスあおば"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_careplan-refserver"))
            .args(["office", "add", "--number", number, "--service-kind", kind, "--name", name])
            .args(["--licence-until", "2099-12-31", "--no-certificate", "--data"])
            .arg(&data)
            .arg("--pki")
            .arg(&pki.pki)
            .output()
            .unwrap();
        assert!(output.status.success(), "office add: {}", String::from_utf8_lossy(&output.stderr));
    }
    assert!(!pki.pki.join("offices").exists(), "--no-certificate issued a certificate");

    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), data, pki.pki.clone());
    config.office_from = "subject:serialNumber".parse().unwrap();
    let relay = server::start(config).await.expect("the relay starts on the operator's PKI");
    let url = |path: &str| format!("https://127.0.0.1:{}{path}", relay.local_addr.port());
    let (care_manager, home_help) = (pki.client(CARE_MANAGER), pki.client(HOME_HELP));

    // Each office is the one its serialNumber names (RSA and ECDSA keys alike).
    for (client, number) in [(&care_manager, CARE_MANAGER), (&home_help, HOME_HELP)] {
        let me: Value = client.get(url("/v1/me")).send().await.unwrap().json().await.unwrap();
        assert_eq!(me["number"], number, "{me}");
    }

    // Send, inbox, download (same bytes), ack; the sender sees it acknowledged.
    let files = common::plan_unit();
    let sent = care_manager
        .post(url("/v1/messages"))
        .header("Idempotency-Key", "operator-ca-1")
        .multipart(suites::relay::send_form(HOME_HELP, &files))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::CREATED);
    let sent: Value = sent.json().await.unwrap();
    let id = sent["id"].as_str().expect("message id").to_string();
    let inbox: Value = home_help.get(url("/v1/inbox")).send().await.unwrap().json().await.unwrap();
    assert_eq!(inbox["messages"][0]["id"], id.as_str(), "{inbox}");
    for (name, bytes) in &files {
        let download = home_help.get(url(&format!("/v1/messages/{id}/files/{name}"))).send().await.unwrap();
        assert_eq!(download.status(), StatusCode::OK, "{name}");
        assert_eq!(&download.bytes().await.unwrap()[..], &bytes[..], "{name}");
    }
    let ack = home_help.post(url(&format!("/v1/messages/{id}/ack"))).send().await.unwrap();
    assert_eq!(ack.status(), StatusCode::OK);
    let outbox: Value = care_manager.get(url("/v1/outbox")).send().await.unwrap().json().await.unwrap();
    assert_eq!(outbox["messages"][0]["status"], "acknowledged", "{outbox}");

    // Before the operator revokes it, the third office is served: what refuses it below is the CRL alone.
    let day_service = pki.client(REVOKED);
    let me = day_service.get(url("/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    pki.revoke(REVOKED);
    // On the connection it already has open, its next request is refused by the relay's look at the new CRL …
    let answer = day_service.get(url("/v1/inbox")).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["error"], "certificate_revoked", "{answer}");
    // … and a new connection fails its handshake, which reads the openssl CRL.
    match pki.client(REVOKED).get(url("/v1/inbox")).send().await {
        Err(_) => {}
        Ok(answer) => panic!("a certificate the operator's CRL revokes was answered {}", answer.status()),
    }
    // The others go on.
    let me = care_manager.get(url("/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    relay.shutdown().await;
}
