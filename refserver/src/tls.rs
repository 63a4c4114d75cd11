//! The relay's TLS: TLS 1.2 and 1.3 only, a client certificate chaining to the configured CA and not listed in
//! its CRL is required for every connection (else the handshake fails), and the office is the certificate's
//! subject CN (事業所番号).

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};

use transport::PkiPaths;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("client verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
}

fn read_pem(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError::File { path: path.display().to_string(), message: e.to_string() })
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let pem = read_pem(path)?;
    rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::File { path: path.display().to_string(), message: e.to_string() })
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read_pem(path)?;
    rustls_pemfile::private_key(&mut pem.as_slice())
        .map_err(|e| TlsError::File { path: path.display().to_string(), message: e.to_string() })?
        .ok_or_else(|| TlsError::File { path: path.display().to_string(), message: "no private key".into() })
}

fn crls(path: &Path) -> Result<Vec<CertificateRevocationListDer<'static>>, TlsError> {
    let pem = read_pem(path)?;
    rustls_pemfile::crls(&mut pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::File { path: path.display().to_string(), message: e.to_string() })
}

/// The server configuration for a PKI folder made by `pki init`.
pub fn server_config(pki: &PkiPaths) -> Result<Arc<ServerConfig>, TlsError> {
    build(pki, |verifier| verifier)
}

/// Like [`server_config`], but completing the handshake without a client certificate (a deliberate fault, for
/// tests).
#[cfg(feature = "faults")]
pub fn server_config_allowing_anonymous(pki: &PkiPaths) -> Result<Arc<ServerConfig>, TlsError> {
    build(pki, |inner| Arc::new(wrapped::Wrapped { inner, optional: true, verdict: |_, verdict| verdict }))
}

/// Like [`server_config`], but letting expired client certificates in (a deliberate fault, for tests).
#[cfg(feature = "faults")]
pub fn server_config_accepting_expired(pki: &PkiPaths) -> Result<Arc<ServerConfig>, TlsError> {
    use rustls::server::danger::ClientCertVerified;
    use rustls::{CertificateError, Error};
    build(pki, |inner| {
        Arc::new(wrapped::Wrapped {
            inner,
            optional: false,
            verdict: |_, verdict| match verdict {
                Err(Error::InvalidCertificate(CertificateError::Expired | CertificateError::ExpiredContext { .. })) => {
                    Ok(ClientCertVerified::assertion())
                }
                other => other,
            },
        })
    })
}

type Verifier = Arc<dyn rustls::server::danger::ClientCertVerifier>;

/// How a server configuration is made from the PKI folder ([`server_config`], or a faulty one in tests).
pub type Builder = fn(&PkiPaths) -> Result<Arc<ServerConfig>, TlsError>;

/// The relay's TLS configuration, rebuilt when the CA certificate or the CRL changes on disk (checked at every new
/// connection and every request, a `stat` of two files) or on request (SIGHUP): a revoked certificate is refused from
/// the next connection on, without a restart, and on connections already open from their next request
/// ([`Reloading::is_revoked`]).
pub struct Reloading {
    pki: PkiPaths,
    build: Builder,
    current: std::sync::RwLock<Current>,
}

/// What the PKI files said when last read.
struct Current {
    stamp: Option<FileStamp>,
    config: Arc<ServerConfig>,
    /// serials the CRL lists (big-endian, without leading zero bytes)
    revoked: HashSet<Vec<u8>>,
}

/// What identifies a version of the CA certificate and CRL files: (modified, length) of each.
type FileStamp = [(std::time::SystemTime, u64); 2];

impl Reloading {
    pub fn new(pki: PkiPaths, build: Builder) -> Result<Reloading, TlsError> {
        let stamp = Reloading::stamp(&pki);
        let (config, revoked) = (build(&pki)?, revoked_serials(&pki)?);
        Ok(Reloading { pki, build, current: std::sync::RwLock::new(Current { stamp, config, revoked }) })
    }

    fn stamp(pki: &PkiPaths) -> Option<FileStamp> {
        let one = |path: &Path| std::fs::metadata(path).ok().and_then(|m| Some((m.modified().ok()?, m.len())));
        Some([one(&pki.ca_cert())?, one(&pki.crl())?])
    }

    /// The configuration for a new connection, rebuilt first if the files changed. A rebuild that fails keeps
    /// the previous configuration (and says so in the log): a half-written CRL never opens the relay.
    pub fn config(&self) -> Arc<ServerConfig> {
        self.fresh(|current| current.config.clone())
    }

    /// Whether the CRL now on disk lists `serial` (see [`serial_of`]): asked at every request, so a certificate
    /// revoked while its connection is open acts no more on it.
    pub fn is_revoked(&self, serial: &[u8]) -> bool {
        !serial.is_empty() && self.fresh(|current| current.revoked.contains(serial))
    }

    /// `read` of the current files, reloaded first when they changed.
    fn fresh<T>(&self, read: impl Fn(&Current) -> T) -> T {
        let stamp = Reloading::stamp(&self.pki);
        {
            // A panic elsewhere cannot leave the state half-written: serve with what it holds.
            let current = self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            if current.stamp == stamp {
                return read(&current);
            }
        }
        self.reload_with(stamp);
        read(&self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Rebuilds from the files now on disk (SIGHUP).
    pub fn reload(&self) {
        self.reload_with(Reloading::stamp(&self.pki))
    }

    fn reload_with(&self, stamp: Option<FileStamp>) {
        let mut current = self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        match ((self.build)(&self.pki), revoked_serials(&self.pki)) {
            (Ok(config), Ok(revoked)) => {
                tracing::info!("TLS configuration reloaded (CA certificate or CRL changed)");
                *current = Current { stamp, config, revoked };
            }
            (Err(error), _) | (_, Err(error)) => {
                tracing::error!(%error, "cannot reload the TLS configuration; keeping the previous one")
            }
        }
    }
}

/// The serials `crl.pem` lists. Only what the relay itself reads: the handshake checks the CRL's signature, and a
/// list that could not be trusted there keeps the previous configuration anyway.
fn revoked_serials(pki: &PkiPaths) -> Result<HashSet<Vec<u8>>, TlsError> {
    let mut serials = HashSet::new();
    for crl in crls(&pki.crl())? {
        let (_, parsed) = x509_parser::parse_x509_crl(crl.as_ref())
            .map_err(|e| TlsError::File { path: pki.crl().display().to_string(), message: e.to_string() })?;
        serials.extend(parsed.iter_revoked_certificates().map(|revoked| significant(revoked.raw_serial())));
    }
    Ok(serials)
}

/// A serial's bytes without the leading zeros DER may add, so a certificate's and a CRL's spelling compare equal.
fn significant(serial: &[u8]) -> Vec<u8> {
    let start = serial.iter().position(|&b| b != 0).unwrap_or(serial.len());
    serial[start..].to_vec()
}

/// The serial number of a client certificate, as [`Reloading::is_revoked`] looks it up (empty when unreadable).
pub fn serial_of(certificate: &CertificateDer<'_>) -> Vec<u8> {
    x509_parser::parse_x509_certificate(certificate.as_ref())
        .map(|(_, parsed)| significant(parsed.raw_serial()))
        .unwrap_or_default()
}

tokio::task_local! {
    /// Set around one connection's handshake: what the client certificate it refused said about itself.
    pub static REFUSED_CERTIFICATE: Arc<std::sync::Mutex<Option<String>>>;
}

/// Notes what a refused client certificate said about itself in the connection's [`REFUSED_CERTIFICATE`] slot (the
/// handshake runs inside that task-local's scope), so the refusal is audited with the subject presented while the
/// client still gets the precise alert.
fn note_refusal(
    certificate: &CertificateDer<'_>,
    verdict: Result<rustls::server::danger::ClientCertVerified, rustls::Error>,
) -> Result<rustls::server::danger::ClientCertVerified, rustls::Error> {
    if verdict.is_err() {
        let _ = REFUSED_CERTIFICATE.try_with(|slot| {
            if let Ok(mut slot) = slot.lock() {
                *slot = Some(describe(certificate));
            }
        });
    }
    verdict
}

/// Subject and serial of a certificate, for the audit log.
pub fn describe(certificate: &CertificateDer<'_>) -> String {
    match x509_parser::parse_x509_certificate(certificate.as_ref()) {
        Ok((_, parsed)) => format!(
            "subject {}, serial {}, issuer {}",
            parsed.subject(),
            parsed.raw_serial_as_string(),
            parsed.issuer()
        ),
        Err(_) => "a certificate that cannot be parsed".to_string(),
    }
}

fn build(pki: &PkiPaths, wrap: impl FnOnce(Verifier) -> Verifier) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for certificate in certificates(&pki.ca_cert())? {
        roots.add(certificate)?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .with_crls(crls(&pki.crl())?)
        .build()?;
    let verifier: Verifier =
        Arc::new(wrapped::Wrapped { inner: wrap(verifier), optional: false, verdict: note_refusal });
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certificates(&pki.server_cert())?, private_key(&pki.server_key())?)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The office number in a verified client certificate: its subject CN, when that is 10 digits.
pub fn office_of(certificate: &CertificateDer<'_>) -> Option<String> {
    let (_, parsed) = x509_parser::parse_x509_certificate(certificate.as_ref()).ok()?;
    let common_name = parsed.subject().iter_common_name().next()?.as_str().ok()?.to_string();
    (common_name.len() == 10 && common_name.bytes().all(|b| b.is_ascii_digit())).then_some(common_name)
}

mod wrapped {
    use rustls::client::danger::HandshakeSignatureValid;
    use rustls::pki_types::{CertificateDer, UnixTime};
    use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
    use rustls::{DigitallySignedStruct, DistinguishedName, Error, SignatureScheme};

    use super::Verifier;

    /// What becomes of a client certificate's verdict: it may be noted, or (a test fault) changed.
    pub type Verdict = fn(&CertificateDer<'_>, Result<ClientCertVerified, Error>) -> Result<ClientCertVerified, Error>;

    /// Verifies as the wrapped verifier does, and passes each client certificate's verdict through `verdict`;
    /// `optional` (a test fault) lets a client without a certificate finish the handshake.
    #[derive(Debug)]
    pub struct Wrapped {
        pub inner: Verifier,
        pub optional: bool,
        pub verdict: Verdict,
    }

    impl ClientCertVerifier for Wrapped {
        fn root_hint_subjects(&self) -> &[DistinguishedName] {
            self.inner.root_hint_subjects()
        }

        fn verify_client_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            now: UnixTime,
        ) -> Result<ClientCertVerified, Error> {
            (self.verdict)(end_entity, self.inner.verify_client_cert(end_entity, intermediates, now))
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            self.inner.verify_tls12_signature(message, cert, dss)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, Error> {
            self.inner.verify_tls13_signature(message, cert, dss)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.inner.supported_verify_schemes()
        }

        fn offer_client_auth(&self) -> bool {
            self.inner.offer_client_auth()
        }

        fn client_auth_mandatory(&self) -> bool {
            !self.optional && self.inner.client_auth_mandatory()
        }
    }
}
