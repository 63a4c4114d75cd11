//! How the store reaches PostgreSQL: the URL's TLS parameters with libpq's meaning — `sslmode`
//! (`disable`, `require`, `verify-ca`, `verify-full`), `sslrootcert`, `sslcert`, `sslkey` — are read here and only
//! here (tokio-postgres knows `sslmode` only up to `require`, and refuses the file parameters), the rest of the URL
//! goes to `tokio_postgres::Config` unchanged, and TLS runs on rustls (`tokio-postgres-rustls`).
//!
//! Without `sslmode`, a host other than loopback gets `verify-full`; loopback stays plain. `prefer` and `allow`
//! are refused: they fall back to plain without a word. A connection that cannot be made as asked is an error
//! naming the host and the reason, never a plain connection instead.

use std::net::IpAddr;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::Host;
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{Client, Socket};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::store::StoreError;

/// Why the PostgreSQL store cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("PostgreSQL の接続先が読めません / cannot read the PostgreSQL URL: {0}")]
    Url(String),
    #[error(
        "sslmode={0:?} は使えません / sslmode={0:?} is not accepted: give disable, require, verify-ca or verify-full \
         (prefer and allow would fall back to a plain connection without a word)"
    )]
    SslMode(String),
    #[error(
        "PostgreSQL サーバー {host} の証明書を確かめる CA がありません / sslmode={mode} needs sslrootcert=FILE, the CA \
         certificate that issued the server's certificate{default}"
    )]
    NoRoot { host: String, mode: SslMode, default: &'static str },
    #[error("{what} {path} が読めません / cannot read {what} {path}: {reason}")]
    File { what: &'static str, path: String, reason: String },
    #[error("TLS の設定ができません / TLS configuration: {0}")]
    Config(#[from] rustls::Error),
    #[error(
        "PostgreSQL サーバー {host} の証明書を受け入れません（{why}）/ the certificate of PostgreSQL server {host} is \
         refused: {reason}"
    )]
    Certificate { host: String, why: String, reason: String },
    #[error(
        "PostgreSQL サーバー {host} は TLS を受け付けません / PostgreSQL server {host} does not accept TLS \
         (sslmode={mode}; the relay does not fall back to a plain connection)"
    )]
    NoTls { host: String, mode: SslMode },
    #[error("PostgreSQL サーバー {host} に接続できません / cannot connect to PostgreSQL server {host}: {reason}")]
    Connect { host: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// libpq's `sslmode`, those of its values that never fall back to plain (and `disable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    /// Encrypted; the server's certificate checked only against `sslrootcert` when one is given (libpq's rule).
    Require,
    /// The certificate chains to `sslrootcert`, whatever name it carries.
    VerifyCa,
    /// The certificate chains to `sslrootcert` and names the host of the URL.
    VerifyFull,
}

impl std::fmt::Display for SslMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SslMode::Disable => "disable",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        })
    }
}

/// The stream of a connection, plain or TLS.
pub type Link = tokio_postgres::Connection<Socket, <MakeRustlsConnect as MakeTlsConnect<Socket>>::Stream>;

/// A database to connect to, as the URL asks.
pub struct Target {
    config: tokio_postgres::Config,
    connector: MakeRustlsConnect,
    host: String,
    mode: SslMode,
}

impl Target {
    /// Reads `postgres://user@host:port/database?…` and the files its TLS parameters name.
    pub fn parse(url: &str) -> Result<Target, OpenError> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(OpenError::Url("give postgres://user@host:port/database[?sslmode=…]".into()));
        }
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut kept = Vec::new();
        let (mut mode, mut root, mut cert, mut key) = (None, None, None, None);
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = match decode(name)?.as_str() {
                "sslmode" => &mut mode,
                "sslrootcert" => &mut root,
                "sslcert" => &mut cert,
                "sslkey" => &mut key,
                // tokio-postgres reads (or refuses) the others itself, percent-encoding and all.
                _ => {
                    kept.push(pair);
                    continue;
                }
            };
            *slot = Some(decode(value)?);
        }
        let rest = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
        let mut config: tokio_postgres::Config =
            rest.parse().map_err(|error: tokio_postgres::Error| OpenError::Url(explain(&error)))?;
        let hosts = config.get_hosts();
        let host = hosts.iter().map(host_name).collect::<Vec<_>>().join(",");
        let loopback = if hosts.is_empty() {
            config.get_hostaddrs().iter().all(IpAddr::is_loopback)
        } else {
            hosts.iter().all(is_loopback)
        };
        let mode = match mode.as_deref() {
            None if loopback => SslMode::Disable,
            None => SslMode::VerifyFull,
            Some("disable") => SslMode::Disable,
            Some("require") => SslMode::Require,
            Some("verify-ca") => SslMode::VerifyCa,
            Some("verify-full") => SslMode::VerifyFull,
            Some(other) => return Err(OpenError::SslMode(other.to_string())),
        };
        config.ssl_mode(match mode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            _ => tokio_postgres::config::SslMode::Require,
        });
        let default = if mode == SslMode::VerifyFull && !loopback {
            " (verify-full is the default for a host other than loopback)"
        } else {
            ""
        };
        // libpq ignores the files under `disable`, and so does this.
        let roots = match mode {
            SslMode::Disable => None,
            _ => root.as_deref().map(load_roots).transpose()?,
        };
        let builder = ClientConfig::builder_with_provider(provider()).with_safe_default_protocol_versions()?;
        let builder = match (mode, roots) {
            // Never used: tokio-postgres does not start TLS under `disable`.
            (SslMode::Disable, _) => builder.with_root_certificates(RootCertStore::empty()),
            (SslMode::VerifyFull, Some(roots)) => builder.with_root_certificates(roots),
            (SslMode::VerifyCa, Some(roots)) => chain_only(builder, Some(roots)),
            (SslMode::Require, roots) => chain_only(builder, roots),
            (SslMode::VerifyCa | SslMode::VerifyFull, None) => return Err(OpenError::NoRoot { host, mode, default }),
        };
        let tls = match (mode, cert.as_deref(), key.as_deref()) {
            (SslMode::Disable, ..) | (_, None, None) => builder.with_no_client_auth(),
            (_, Some(cert), Some(key)) => {
                builder.with_client_auth_cert(certificates("sslcert", cert)?, load_key(key)?)?
            }
            _ => return Err(OpenError::Url("sslcert and sslkey go together: give both or neither".into())),
        };
        Ok(Target { config, connector: MakeRustlsConnect::new(tls), host, mode })
    }

    /// One connection; a refusal says which host and why.
    pub async fn connect(&self) -> Result<(Client, Link), OpenError> {
        self.config.connect(self.connector.clone()).await.map_err(|error| self.refusal(&error))
    }

    fn refusal(&self, error: &tokio_postgres::Error) -> OpenError {
        let host = self.host.clone();
        if let Some(rustls::Error::InvalidCertificate(problem)) = rustls_cause(error) {
            return OpenError::Certificate { why: in_japanese(problem, &host), host, reason: problem.to_string() };
        }
        // tokio-postgres's words when the server answers the TLS request with "no".
        if std::error::Error::source(error).is_some_and(|cause| cause.to_string() == "server does not support TLS") {
            return OpenError::NoTls { host, mode: self.mode };
        }
        OpenError::Connect { host, reason: explain(error) }
    }
}

/// An error with its causes: tokio-postgres's own words are only the kind ("db error"), the server's are below.
fn explain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(current) = cause {
        text.push_str(": ");
        text.push_str(&current.to_string());
        cause = current.source();
    }
    text
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn decode(text: &str) -> Result<String, OpenError> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|text| text.into_owned())
        .map_err(|_| OpenError::Url(format!("{text:?} is not UTF-8 once percent-decoded")))
}

fn host_name(host: &Host) -> String {
    match host {
        Host::Tcp(name) => name.clone(),
        Host::Unix(path) => path.display().to_string(),
    }
}

/// A Unix socket never leaves the machine; nor does loopback.
fn is_loopback(host: &Host) -> bool {
    match host {
        Host::Tcp(name) => name == "localhost" || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()),
        Host::Unix(_) => true,
    }
}

fn read(what: &'static str, path: &str) -> Result<Vec<u8>, OpenError> {
    std::fs::read(path).map_err(|error| OpenError::File { what, path: path.into(), reason: error.to_string() })
}

fn certificates(what: &'static str, path: &str) -> Result<Vec<CertificateDer<'static>>, OpenError> {
    let pem = read(what, path)?;
    let found = rustls_pemfile::certs(&mut pem.as_slice()).collect::<Result<Vec<_>, _>>();
    match found {
        Ok(certificates) if !certificates.is_empty() => Ok(certificates),
        Ok(_) => Err(OpenError::File { what, path: path.into(), reason: "no PEM certificate in it".into() }),
        Err(error) => Err(OpenError::File { what, path: path.into(), reason: error.to_string() }),
    }
}

fn load_roots(path: &str) -> Result<RootCertStore, OpenError> {
    let mut roots = RootCertStore::empty();
    for certificate in certificates("sslrootcert", path)? {
        roots.add(certificate)?;
    }
    Ok(roots)
}

fn load_key(path: &str) -> Result<PrivateKeyDer<'static>, OpenError> {
    let pem = read("sslkey", path)?;
    match rustls_pemfile::private_key(&mut pem.as_slice()) {
        Ok(Some(key)) => Ok(key),
        Ok(None) => {
            Err(OpenError::File { what: "sslkey", path: path.into(), reason: "no PEM private key in it".into() })
        }
        Err(error) => Err(OpenError::File { what: "sslkey", path: path.into(), reason: error.to_string() }),
    }
}

/// A configuration whose server certificate is checked by [`ChainOnly`].
fn chain_only(
    builder: rustls::ConfigBuilder<ClientConfig, rustls::WantsVerifier>,
    roots: Option<RootCertStore>,
) -> rustls::ConfigBuilder<ClientConfig, rustls::client::WantsClientCert> {
    builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(ChainOnly { roots: roots.map(Arc::new), provider: provider() }))
}

/// The first rustls error behind a connection error (tokio-rustls wraps it in an `io::Error`, whose `source()`
/// skips what it wraps: unwrapped here by hand).
fn rustls_cause(error: &tokio_postgres::Error) -> Option<&rustls::Error> {
    let mut cause = std::error::Error::source(error);
    while let Some(current) = cause {
        if let Some(found) = current.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        if let Some(found) = current.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            if let Some(found) = found.downcast_ref::<rustls::Error>() {
                return Some(found);
            }
        }
        cause = current.source();
    }
    None
}

fn in_japanese(problem: &CertificateError, host: &str) -> String {
    match problem {
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!("証明書が {host} のものではありません")
        }
        CertificateError::UnknownIssuer => "sslrootcert の CA が発行した証明書ではありません".into(),
        // Also what a CA of the same name as the trusted one, but another key, comes to.
        CertificateError::BadSignature => "署名が sslrootcert の CA のものと合いません".into(),
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => "証明書の有効期限が切れています".into(),
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
            "証明書がまだ有効になっていません".into()
        }
        _ => "証明書を検証できません".into(),
    }
}

/// libpq's `verify-ca` (and `require` with a root certificate): the chain up to `sslrootcert`, whatever name the
/// certificate carries; without roots (`require` alone), no check of the certificate at all. The handshake's
/// signatures are verified either way, so the session is with the holder of the certificate's key.
#[derive(Debug)]
struct ChainOnly {
    roots: Option<Arc<RootCertStore>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(roots) = &self.roots {
            let certificate = rustls::server::ParsedCertificate::try_from(end_entity)?;
            rustls::client::verify_server_cert_signed_by_trust_anchor(
                &certificate,
                roots,
                intermediates,
                now,
                self.provider.signature_verification_algorithms.all,
            )?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            certificate,
            signature,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            certificate,
            signature,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn refused(url: &str) -> OpenError {
        match Target::parse(url) {
            Ok(_) => panic!("{url} was accepted"),
            Err(error) => error,
        }
    }

    /// A CA certificate file (what `sslrootcert` names).
    fn ca_file(dir: &std::path::Path) -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let path = dir.join("ca.pem");
        std::fs::write(&path, params.self_signed(&key).unwrap().pem()).unwrap();
        path.display().to_string()
    }

    #[test]
    fn loopback_stays_plain_and_any_other_host_must_verify() {
        for url in
            ["postgres://relay@127.0.0.1:5432/db", "postgres://relay@localhost/db", "postgresql://relay@[::1]/db"]
        {
            assert_eq!(Target::parse(url).unwrap().mode, SslMode::Disable, "{url}");
        }
        let error = refused("postgres://relay@db.example.jp/db").to_string();
        assert!(error.contains("sslmode=verify-full needs sslrootcert=FILE"), "{error}");
        assert!(error.contains("the default for a host other than loopback"), "{error}");
        let error = refused("postgres://relay@db.example.jp/db?sslmode=verify-ca").to_string();
        assert!(error.contains("sslmode=verify-ca needs sslrootcert=FILE"), "{error}");
    }

    #[test]
    fn modes_that_fall_back_to_plain_or_are_unknown_are_refused() {
        for mode in ["prefer", "allow", "verify_full", "VERIFY-FULL", ""] {
            let error = refused(&format!("postgres://relay@db.example.jp/db?sslmode={mode}"));
            assert!(matches!(&error, OpenError::SslMode(given) if given == mode), "{error}");
        }
    }

    #[test]
    fn the_tls_parameters_are_taken_out_and_the_rest_reaches_tokio_postgres_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let file = ca_file(dir.path());
        let ca = percent_encoding::utf8_percent_encode(&file, percent_encoding::NON_ALPHANUMERIC);
        let url = format!("postgres://relay@db.example.jp/db?application_name=node%20a+1&sslrootcert={ca}");
        let target = Target::parse(&url).unwrap();
        assert_eq!(target.mode, SslMode::VerifyFull);
        assert_eq!(target.host, "db.example.jp");
        assert_eq!(target.config.get_application_name(), Some("node a+1"), "percent-decoded once, '+' kept");
        assert_eq!(target.config.get_ssl_mode(), tokio_postgres::config::SslMode::Require);
        // tokio-postgres still refuses what it does not know.
        let error = refused(&format!("{url}&sslcompression=1")).to_string();
        assert!(error.contains("sslcompression"), "{error}");
    }

    #[test]
    fn missing_files_and_half_identities_are_named() {
        let error = refused("postgres://relay@db.example.jp/db?sslrootcert=/nonexistent/ca.pem").to_string();
        assert!(error.contains("cannot read sslrootcert /nonexistent/ca.pem"), "{error}");
        let dir = tempfile::tempdir().unwrap();
        let ca = ca_file(dir.path());
        let error = refused(&format!("postgres://relay@db.example.jp/db?sslrootcert={ca}&sslcert={ca}")).to_string();
        assert!(error.contains("sslcert and sslkey go together"), "{error}");
        let error = refused(&format!("postgres://relay@db.example.jp/db?sslrootcert={ca}&sslcert={ca}&sslkey={ca}"));
        assert!(error.to_string().contains("cannot read sslkey"), "{error}");
        assert!(matches!(refused("host=db.example.jp user=relay"), OpenError::Url(_)));
    }
}
