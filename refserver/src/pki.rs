//! A test PKI for the reference relay (rcgen): a CA, a server certificate for localhost / 127.0.0.1 / ::1, one client
//! certificate per office whose subject CN is the office number (事業所番号), and certificates for negative tests.
//! **For tests and demos only**: the CA key lies next to the certificates.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, CertificateRevocationListParams, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose, RevocationReason, RevokedCertParams, SanType,
    SerialNumber,
};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use transport::PkiPaths;

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("certificate generation: {0}")]
    Rcgen(#[from] rcgen::Error),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{0} is not a PKI folder made by `careplan-refserver pki init` (missing {1})")]
    NotInitialised(PathBuf, &'static str),
    #[error("index.json: {0}")]
    Index(#[from] serde_json::Error),
    #[error("office number must be 10 digits, not {0:?}")]
    BadOfficeNumber(String),
}

/// Every certificate the CA issued, so that revocations can be listed.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Index {
    next_serial: u64,
    issued: Vec<Issued>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Issued {
    serial: u64,
    subject: String,
    file: String,
    revoked: bool,
}

/// Office numbers used by the negative certificates (never registered).
pub const NEGATIVE: &[(&str, &str)] = &[
    ("expired", "9900000001"),
    ("not-yet-valid", "9900000002"),
    ("other-ca", "9900000003"),
    ("revoked", "9900000004"),
    ("no-client-auth", "9900000005"),
];

const README: &str = "# Test PKI — テスト専用\n\n\
**For tests and demos only. Never use these keys or certificates for real care data.**\n\
テスト・デモ専用です。実際の介護情報には絶対に使用しないでください。\n\n\
| file | what |\n|---|---|\n\
| `ca.pem`, `ca.key` | the test CA (its key is here so the relay's tools can issue office certificates) |\n\
| `server.pem`, `server.key` | the relay's server certificate for localhost, 127.0.0.1 and ::1 |\n\
| `signing.pem`, `signing.key` | the relay's document-signing certificate (extended key usage documentSigning, no TLS use): it signs offices' exchange records (送受信記録) |\n\
| `crl.pem` | the CA's certificate revocation list (lists `negative/revoked.pem`) |\n\
| `offices/<事業所番号>.pem`, `.key` | one client certificate per registered office; subject CN = office number |\n\
| `negative/expired.*` | client certificate that expired yesterday |\n\
| `negative/not-yet-valid.*` | client certificate valid from tomorrow |\n\
| `negative/other-ca.*`, `negative/other-ca-root.pem` | client certificate signed by another CA |\n\
| `negative/revoked.*` | client certificate listed in `crl.pem` |\n\
| `negative/no-client-auth.*` | client certificate whose extended key usage lacks clientAuth |\n\
| `index.json` | serial numbers the CA issued |\n";

/// Writes a PKI file owner-only (keys above all; see [`crate::private`]).
fn write(path: &Path, contents: &str) -> Result<(), PkiError> {
    crate::private::write(path, contents.as_bytes()).map_err(|source| PkiError::Io { path: path.to_path_buf(), source })
}

fn read(path: &Path, what: &'static str, dir: &Path) -> Result<String, PkiError> {
    std::fs::read_to_string(path).map_err(|_| PkiError::NotInitialised(dir.to_path_buf(), what))
}

fn dn(common_name: &str, organization: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn.push(DnType::OrganizationName, organization);
    dn
}

/// The CA's parameters: fixed, so the issuer can be rebuilt from its key to sign later certificates.
fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = dn(name, "careplan-interop test PKI");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(1);
    params.not_after = now + Duration::days(3650);
    params
}

const CA_NAME: &str = "careplan-interop TEST CA (not for real data)";

/// The CA as an issuer: its certificate (rebuilt from its key) and key.
pub struct Issuer {
    cert: Certificate,
    key: KeyPair,
}

impl Issuer {
    pub fn load(paths: &PkiPaths) -> Result<Issuer, PkiError> {
        let key = KeyPair::from_pem(&read(&paths.ca_key(), "ca.key", &paths.dir)?)?;
        let cert = ca_params(CA_NAME).self_signed(&key)?;
        Ok(Issuer { cert, key })
    }
}

/// Parameters of a client certificate for `office`.
fn client_params(office: &str, name: &str, serial: u64) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = dn(office, name);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.serial_number = Some(SerialNumber::from(serial));
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(1);
    params.not_after = now + Duration::days(397);
    params
}

fn load_index(paths: &PkiPaths) -> Result<Index, PkiError> {
    match std::fs::read_to_string(paths.index()) {
        Ok(text) => Ok(serde_json::from_str(&text)?),
        Err(_) => Ok(Index { next_serial: 1000, issued: Vec::new() }),
    }
}

fn save_index(paths: &PkiPaths, index: &Index) -> Result<(), PkiError> {
    write(&paths.index(), &serde_json::to_string_pretty(index)?)
}

fn write_crl(paths: &PkiPaths, issuer: &Issuer, index: &Index) -> Result<(), PkiError> {
    let now = OffsetDateTime::now_utc();
    let revoked_certs = index
        .issued
        .iter()
        .filter(|issued| issued.revoked)
        .map(|issued| RevokedCertParams {
            serial_number: SerialNumber::from(issued.serial),
            revocation_time: now - Duration::hours(1),
            reason_code: Some(RevocationReason::KeyCompromise),
            invalidity_date: None,
        })
        .collect();
    let crl = CertificateRevocationListParams {
        this_update: now - Duration::hours(1),
        next_update: now + Duration::days(30),
        crl_number: SerialNumber::from(index.next_serial),
        issuing_distribution_point: None,
        revoked_certs,
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&issuer.cert, &issuer.key)?;
    write(&paths.crl(), &crl.pem()?)
}

fn check_office_number(office: &str) -> Result<(), PkiError> {
    if office.len() != 10 || !office.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PkiError::BadOfficeNumber(office.to_string()));
    }
    Ok(())
}

/// Marks every certificate issued to `office` that is still valid as revoked; returns their serials.
fn revoke_in(index: &mut Index, office: &str) -> Vec<u64> {
    let office_file = format!("offices/{office}.pem");
    index
        .issued
        .iter_mut()
        .filter(|issued| issued.file == office_file && !issued.revoked)
        .map(|issued| {
            issued.revoked = true;
            issued.serial
        })
        .collect()
}

/// Revokes every client certificate issued to `office` and writes the new CRL (a running relay picks it up at its
/// next connection); returns the revoked serials.
pub fn revoke_office(paths: &PkiPaths, office: &str) -> Result<Vec<u64>, PkiError> {
    check_office_number(office)?;
    let issuer = Issuer::load(paths)?;
    let mut index = load_index(paths)?;
    let revoked = revoke_in(&mut index, office);
    index.next_serial += 1; // the CRL's number: each new list must carry a higher one
    save_index(paths, &index)?;
    write_crl(paths, &issuer, &index)?;
    Ok(revoked)
}

/// Issues (or re-issues) the client certificate of an office; returns (certificate, key) paths. A re-issue
/// revokes the office's earlier certificates, so a lost or replaced one stops working.
pub fn issue_office(paths: &PkiPaths, office: &str, name: &str) -> Result<(PathBuf, PathBuf), PkiError> {
    issue_offices(paths, &[(office, name)])?;
    Ok((paths.office_cert(office), paths.office_key(office)))
}

/// [`issue_office`] for many offices (number, name) at once: the CA and the index are read and written once, not
/// once per office — a registry of 20,000 offices (the capacity load run) would rewrite a growing index.json
/// 20,000 times. Keys are ECDSA P-256 (rcgen's default).
pub fn issue_offices(paths: &PkiPaths, offices: &[(&str, &str)]) -> Result<(), PkiError> {
    for (office, _) in offices {
        check_office_number(office)?;
    }
    let issuer = Issuer::load(paths)?;
    let mut index = load_index(paths)?;
    let mut replaced = false;
    for (office, name) in offices {
        replaced |= !revoke_in(&mut index, office).is_empty();
        let serial = index.next_serial;
        index.next_serial += 1;
        let key = KeyPair::generate()?;
        let cert = client_params(office, name, serial).signed_by(&key, &issuer.cert, &issuer.key)?;
        write(&paths.office_cert(office), &cert.pem())?;
        write(&paths.office_key(office), &key.serialize_pem())?;
        index.issued.push(Issued {
            serial,
            subject: office.to_string(),
            file: format!("offices/{office}.pem"),
            revoked: false,
        });
    }
    save_index(paths, &index)?;
    if replaced {
        write_crl(paths, &issuer, &index)?;
    }
    Ok(())
}

/// The subject CN of the relay's signing certificate.
pub const SIGNING_NAME: &str = "careplan-interop relay evidence signing";

/// The extended key usage only the relay's signing certificate carries: id-kp-documentSigning (RFC 9336).
const DOCUMENT_SIGNING: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 36];

/// Why `certificate` is not a relay's document-signing certificate, if it is not: it must be named
/// [`SIGNING_NAME`], carry the documentSigning extended key usage and no TLS usage, and the digitalSignature and
/// contentCommitment key usages. An office's certificate (clientAuth) never passes.
pub fn signing_certificate_refusal(certificate: &x509_parser::certificate::X509Certificate<'_>) -> Option<String> {
    let name = certificate.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok());
    if name != Some(SIGNING_NAME) {
        return Some(format!("its subject CN is {name:?}, not {SIGNING_NAME:?}"));
    }
    let Ok(document_signing) = x509_parser::oid_registry::Oid::from(DOCUMENT_SIGNING) else {
        return Some("the documentSigning usage cannot be named".into());
    };
    match certificate.extended_key_usage() {
        Ok(Some(usage)) if usage.value.other.contains(&document_signing) => {
            if usage.value.client_auth || usage.value.server_auth || usage.value.any {
                return Some("it may also be used for TLS".into());
            }
        }
        _ => return Some("it lacks the documentSigning extended key usage (1.3.6.1.5.5.7.3.36)".into()),
    }
    match certificate.key_usage() {
        Ok(Some(usage)) if usage.value.digital_signature() && usage.value.non_repudiation() => None,
        _ => Some("it lacks the digitalSignature and contentCommitment key usages".into()),
    }
}

/// Issues the relay's signing certificate (ECDSA P-256, key usages digitalSignature and contentCommitment, extended
/// key usage documentSigning: it signs documents, not TLS sessions) unless the folder has one that passes
/// [`signing_certificate_refusal`]: a PKI made before it (or before its usages) gets one when the relay next starts.
/// Valid ten years, so a record stays verifiable as long as offices keep theirs.
pub fn ensure_signing(paths: &PkiPaths) -> Result<(), PkiError> {
    if paths.signing_key().exists() && current_signing_certificate(paths) {
        return Ok(());
    }
    let issuer = Issuer::load(paths)?;
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::default();
    params.distinguished_name = dn(SIGNING_NAME, "careplan-interop reference relay (test)");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::ContentCommitment];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::Other(DOCUMENT_SIGNING.to_vec())];
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(1);
    params.not_after = now + Duration::days(3653);
    let cert = params.signed_by(&key, &issuer.cert, &issuer.key)?;
    write(&paths.signing_key(), &key.serialize_pem())?;
    write(&paths.signing_cert(), &cert.pem())
}

/// Whether the folder's signing certificate is one [`signing_certificate_refusal`] accepts.
fn current_signing_certificate(paths: &PkiPaths) -> bool {
    let Ok(pem) = std::fs::read(paths.signing_cert()) else {
        return false;
    };
    let der = rustls_pemfile::certs(&mut pem.as_slice()).next().and_then(Result::ok);
    der.is_some_and(|der| {
        x509_parser::parse_x509_certificate(der.as_ref())
            .is_ok_and(|(_, certificate)| signing_certificate_refusal(&certificate).is_none())
    })
}

/// Creates a complete test PKI in `dir`.
pub fn init(dir: &Path) -> Result<PkiPaths, PkiError> {
    let paths = PkiPaths::new(dir);
    write(&dir.join("README.md"), README)?;
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca_params(CA_NAME).self_signed(&ca_key)?;
    write(&paths.ca_cert(), &ca_cert.pem())?;
    write(&paths.ca_key(), &ca_key.serialize_pem())?;
    let issuer = Issuer { cert: ca_cert, key: ca_key };

    let server_key = KeyPair::generate()?;
    let mut server = CertificateParams::default();
    server.distinguished_name = dn("localhost", "careplan-interop reference relay (test)");
    server.subject_alt_names = vec![
        SanType::DnsName("localhost".try_into()?),
        SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])),
        SanType::IpAddress(std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST)),
    ];
    server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let now = OffsetDateTime::now_utc();
    server.not_before = now - Duration::days(1);
    server.not_after = now + Duration::days(397);
    let server_cert = server.signed_by(&server_key, &issuer.cert, &issuer.key)?;
    write(&paths.server_cert(), &server_cert.pem())?;
    write(&paths.server_key(), &server_key.serialize_pem())?;
    ensure_signing(&paths)?;

    let mut index = Index { next_serial: 1000, issued: Vec::new() };
    let mut negative = |name: &str,
                        office: &str,
                        change: &dyn Fn(&mut CertificateParams),
                        signer: Option<&Issuer>|
     -> Result<(), PkiError> {
        let serial = index.next_serial;
        index.next_serial += 1;
        let key = KeyPair::generate()?;
        let mut params = client_params(office, "negative test certificate", serial);
        change(&mut params);
        let cert = params.signed_by(&key, &signer.unwrap_or(&issuer).cert, &signer.unwrap_or(&issuer).key)?;
        let (cert_path, key_path) = paths.negative(name);
        write(&cert_path, &cert.pem())?;
        write(&key_path, &key.serialize_pem())?;
        index.issued.push(Issued {
            serial,
            subject: office.to_string(),
            file: format!("negative/{name}.pem"),
            revoked: name == "revoked",
        });
        Ok(())
    };
    let other_key = KeyPair::generate()?;
    let other_cert = ca_params("another CA (must be refused)").self_signed(&other_key)?;
    write(&dir.join("negative").join("other-ca-root.pem"), &other_cert.pem())?;
    let other = Issuer { cert: other_cert, key: other_key };
    for (name, office) in NEGATIVE {
        let change: Box<dyn Fn(&mut CertificateParams)> = match *name {
            "expired" => Box::new(|p: &mut CertificateParams| {
                p.not_before = now - Duration::days(30);
                p.not_after = now - Duration::days(1);
            }),
            "not-yet-valid" => Box::new(|p: &mut CertificateParams| {
                p.not_before = now + Duration::days(1);
                p.not_after = now + Duration::days(30);
            }),
            "no-client-auth" => Box::new(|p: &mut CertificateParams| {
                p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            }),
            _ => Box::new(|_: &mut CertificateParams| {}),
        };
        let signer = (*name == "other-ca").then_some(&other);
        negative(name, office, &*change, signer)?;
    }
    save_index(&paths, &index)?;
    write_crl(&paths, &issuer, &index)?;
    Ok(paths)
}
